package latch

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// An order system plugin offering context for refunds, remembering what it was asked.
func contextPlugin(t *testing.T, answer func(ctx *ContextContext) (CaseFacts, error)) *harness {
	p := pluginWithActions()
	p.Context([]string{"refund"}, answer)
	h := start(t, p)
	var init struct {
		Capabilities map[string]struct {
			Version   int      `json:"version"`
			CaseTypes []string `json:"caseTypes"`
		} `json:"capabilities"`
	}
	wantResult(t, h.call("initialize", initParams), &init)
	if c := init.Capabilities["context"]; c.Version != 1 || len(c.CaseTypes) != 1 || c.CaseTypes[0] != "refund" {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	wantResult(t, h.call("configure", configParams(nil, map[string]string{"apiKey": "sk_test_secret"})), nil)
	return h
}

// pluginWithActions is the test manifest's plugin with every action doing nothing.
func pluginWithActions() *Plugin {
	p := NewPlugin(testManifest())
	Action(p, "refund", func(ctx *ExecContext, in refundInput) (Result, error) { return Succeeded("ok", nil), nil })
	for _, name := range []string{"lenient", "fail", "slow"} {
		Action(p, name, func(ctx *ExecContext, in map[string]any) (Result, error) { return Succeeded("ok", nil), nil })
	}
	return p
}

func contextParamsFor(caseType string) map[string]any {
	return map[string]any{"caseId": "c-1", "caseType": caseType, "fields": map[string]any{"order_id": "A1"}}
}

func TestContextAnswersFactsWithFetchedAt(t *testing.T) {
	var seen *ContextContext
	h := contextPlugin(t, func(ctx *ContextContext) (CaseFacts, error) {
		seen = ctx
		return CaseFacts{Facts: []Fact{{Label: "Order", Value: ctx.Fields["order_id"].(string), Kind: FactID}}, Summary: "Order A1"}, nil
	})
	var got CaseFacts
	before := time.Now().Add(-time.Second)
	wantResult(t, h.call("case.context", contextParamsFor("refund")), &got)
	if len(got.Facts) != 1 || got.Facts[0] != (Fact{Label: "Order", Value: "A1", Kind: FactID}) || got.Summary != "Order A1" {
		t.Fatalf("answer: %+v", got)
	}
	at, err := time.Parse(time.RFC3339Nano, got.FetchedAt)
	if err != nil || at.Before(before) {
		t.Fatalf("fetchedAt %q: %v", got.FetchedAt, err)
	}
	if seen.CaseID != "c-1" || seen.CaseType != "refund" || seen.Secrets["apiKey"] != "sk_test_secret" {
		t.Fatalf("handler saw %+v", seen)
	}
}

func TestContextRefusals(t *testing.T) {
	fail := false
	h := contextPlugin(t, func(ctx *ContextContext) (CaseFacts, error) {
		if fail {
			return CaseFacts{}, errors.New("order system unreachable")
		}
		return CaseFacts{Facts: []Fact{{Label: "Note", Value: strings.Repeat("x", 501)}}}, nil
	})
	wantError(t, h.call("case.context", contextParamsFor("payout")), CodeInvalidParams)
	wantError(t, h.call("case.context", map[string]any{"caseId": "c-1", "caseType": "refund"}), CodeInvalidParams)
	r := h.call("case.context", contextParamsFor("refund"))
	wantError(t, r, CodeInternalError)
	if !strings.Contains(r.Error.Message, "invalid answer") {
		t.Fatalf("message: %q", r.Error.Message)
	}
	fail = true
	r = h.call("case.context", contextParamsFor("refund"))
	wantError(t, r, CodeInternalError)
	if r.Error.Message != "context failed: order system unreachable" {
		t.Fatalf("message: %q", r.Error.Message)
	}
}

func TestNoContextWithoutHandler(t *testing.T) {
	h := start(t, pluginWithActions())
	var init struct {
		Capabilities map[string]any `json:"capabilities"`
	}
	wantResult(t, h.call("initialize", initParams), &init)
	if _, offered := init.Capabilities["context"]; offered {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	wantResult(t, h.call("configure", configParams(nil, map[string]string{"apiKey": "sk_test_secret"})), nil)
	wantError(t, h.call("case.context", contextParamsFor("refund")), CodeMethodNotFound)
}

func TestContextForUnseenCaseTypePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "payout") {
			t.Fatalf("want a panic naming payout, got %v", r)
		}
	}()
	NewPlugin(testManifest()).Context([]string{"payout"}, func(*ContextContext) (CaseFacts, error) { return CaseFacts{}, nil })
}
