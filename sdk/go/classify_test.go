package latch

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var classifyChoices = []ClassifyChoice{
	{Key: "refund", Title: "Refund", Queues: []string{"refunds"}, Priorities: []string{"normal", "high"}, Intents: []string{"duplicate"}},
	{Key: "access_request", Title: "Access request", Queues: []string{"it"}, Priorities: []string{"normal"}},
}

func classifyParamsWith(text string) map[string]any {
	return map[string]any{"caseId": "c-1", "text": text, "fields": map[string]any{"order_id": "A1"}, "caseTypes": classifyChoices}
}

// A plugin offering classify, answering what `answer` says.
func classifyPlugin(t *testing.T, answer func(ctx *ClassifyContext) (Suggestion, error)) *harness {
	p := pluginWithActions()
	p.Classify(answer)
	h := start(t, p)
	var init struct {
		Capabilities map[string]map[string]any `json:"capabilities"`
	}
	wantResult(t, h.call("initialize", initParams), &init)
	if c := init.Capabilities["classify"]; !reflect.DeepEqual(c, map[string]any{"version": float64(1)}) {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	wantResult(t, h.call("configure", configParams(nil, map[string]string{"apiKey": "sk_test_secret"})), nil)
	return h
}

func TestClassifyAnswersTheSuggestion(t *testing.T) {
	var seen *ClassifyContext
	h := classifyPlugin(t, func(ctx *ClassifyContext) (Suggestion, error) {
		seen = ctx
		return Suggestion{CaseType: "refund", Queue: "refunds", Priority: "high", Intent: "duplicate", Confidence: 0.75, Model: ModelInfo{ID: "rules", Version: "1"}}, nil
	})
	var got Suggestion
	wantResult(t, h.call("case.classify", classifyParamsWith("charged twice")), &got)
	want := Suggestion{CaseType: "refund", Queue: "refunds", Priority: "high", Intent: "duplicate", Confidence: 0.75, Explanation: []Evidence{}, Model: ModelInfo{ID: "rules", Version: "1"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("answer: %+v", got)
	}
	if seen.CaseID != "c-1" || seen.Text != "charged twice" || seen.Fields["order_id"] != "A1" || !reflect.DeepEqual(seen.CaseTypes, classifyChoices) || seen.Secrets["apiKey"] != "sk_test_secret" {
		t.Fatalf("handler saw %+v", seen)
	}
}

func TestClassifyRefusesAnswersOutsideTheChoicesOrSchema(t *testing.T) {
	answers := []Suggestion{
		{CaseType: "payout", Confidence: 0.5, Model: ModelInfo{ID: "m", Version: "1"}},
		{CaseType: "access_request", Queue: "refunds", Confidence: 0.5, Model: ModelInfo{ID: "m", Version: "1"}},
		{CaseType: "refund", Confidence: 1.5, Model: ModelInfo{ID: "m", Version: "1"}},
		{CaseType: "refund", Confidence: 0.5},
	}
	wantMessages := []string{`caseType "payout" was not offered`, `queue "refunds" is not one of case type access_request`, "confidence", "model"}
	next := 0
	h := classifyPlugin(t, func(ctx *ClassifyContext) (Suggestion, error) {
		next++
		return answers[next-1], nil
	})
	for i := range answers {
		r := h.call("case.classify", classifyParamsWith("x"))
		wantError(t, r, CodeInternalError)
		if !strings.Contains(r.Error.Message, "invalid answer") || !strings.Contains(r.Error.Message, wantMessages[i]) {
			t.Fatalf("answer %d: message %q", i, r.Error.Message)
		}
	}
}

func TestClassifyErrorsAndBadParams(t *testing.T) {
	h := classifyPlugin(t, func(ctx *ClassifyContext) (Suggestion, error) { return Suggestion{}, errors.New("model offline") })
	r := h.call("case.classify", classifyParamsWith("x"))
	wantError(t, r, CodeInternalError)
	if r.Error.Message != "classify failed: model offline" {
		t.Fatalf("message: %q", r.Error.Message)
	}
	wantError(t, h.call("case.classify", map[string]any{"caseId": "c-1", "text": "x", "fields": map[string]any{}, "caseTypes": []any{}}), CodeInvalidParams)
}

func TestNoClassifyWithoutHandler(t *testing.T) {
	h := start(t, pluginWithActions())
	var init struct {
		Capabilities map[string]any `json:"capabilities"`
	}
	wantResult(t, h.call("initialize", initParams), &init)
	if _, offered := init.Capabilities["classify"]; offered {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	wantResult(t, h.call("configure", configParams(nil, map[string]string{"apiKey": "sk_test_secret"})), nil)
	wantError(t, h.call("case.classify", classifyParamsWith("x")), CodeMethodNotFound)
}

func TestChoiceProblems(t *testing.T) {
	if p := ChoiceProblems(classifyChoices, Suggestion{Queue: "it", Priority: "high"}); len(p) != 0 {
		t.Fatalf("parts without a case type are judged against every offered type: %v", p)
	}
	got := ChoiceProblems(classifyChoices, Suggestion{CaseType: "access_request", Queue: "refunds", Priority: "high", Intent: "duplicate"})
	want := []string{`queue "refunds" is not one of case type access_request`, `priority "high" is not one of case type access_request`, `intent "duplicate" is not one of case type access_request`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}
