package latch

import (
	"errors"
	"testing"
)

// A ledger plugin that remembers what it booked, by request id, as an external system would.
func reconcilingPlugin(t *testing.T, unreachable *bool) *harness {
	m := testManifest()
	p := NewPlugin(m)
	booked := map[string]Result{}
	Action(p, "refund", func(ctx *ExecContext, in refundInput) (Result, error) {
		res := Result{Status: StatusPending, Summary: "Refund pending", Output: map[string]any{"refund_id": "re_1"}}
		booked[ctx.RequestID] = res
		return res, nil
	})
	Reconcile(p, "refund", func(ctx *ReconcileContext, in refundInput) (Reconciled, error) {
		if *unreachable {
			return Reconciled{}, errors.New("ledger unreachable")
		}
		if res, ok := booked[ctx.RequestID]; ok && len(ctx.IdempotencyKeys) > 0 {
			return Found(res), nil
		}
		return NotFound(), nil
	})
	for _, name := range []string{"lenient", "slow"} {
		Action(p, name, func(ctx *ExecContext, in map[string]any) (Result, error) {
			return Result{Status: StatusPending, Summary: "later"}, nil
		})
	}
	Action(p, "fail", func(ctx *ExecContext, in map[string]any) (Result, error) {
		return Result{Status: StatusFailed, Retryable: true, Effect: EffectNone, Summary: "rate limited"}, nil
	})
	h := start(t, p)
	var init struct {
		Capabilities map[string]struct {
			Version int      `json:"version"`
			Actions []string `json:"actions"`
		} `json:"capabilities"`
	}
	wantResult(t, h.call("initialize", initParams), &init)
	if c := init.Capabilities["reconcile"]; c.Version != 1 || len(c.Actions) != 1 || c.Actions[0] != "refund" {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	wantResult(t, h.call("configure", configParams(nil, map[string]string{"apiKey": "sk_test_secret"})), nil)
	return h
}

func reconcileParamsFor(requestID string, input any) map[string]any {
	return map[string]any{"requestId": requestID, "idempotencyKeys": []string{requestID + "-e1"}, "action": "refund", "input": input, "case": testCase}
}

func TestReconcile(t *testing.T) {
	unreachable := false
	h := reconcilingPlugin(t, &unreachable)

	var executed struct {
		Status string `json:"status"`
	}
	wantResult(t, h.execute("refund", goodRefund), &executed)
	if executed.Status != StatusPending {
		t.Fatalf("execute status %q, want pending", executed.Status)
	}
	var found struct {
		Found  bool `json:"found"`
		Result struct {
			Status  string `json:"status"`
			Summary string `json:"summary"`
		} `json:"result"`
	}
	wantResult(t, h.call("action.reconcile", reconcileParamsFor("req-1", goodRefund)), &found)
	if !found.Found || found.Result.Status != StatusPending || found.Result.Summary != "Refund pending" {
		t.Fatalf("reconcile of an executed request: %+v", found)
	}
	var missing map[string]any
	wantResult(t, h.call("action.reconcile", reconcileParamsFor("req-2", goodRefund)), &missing)
	if len(missing) != 1 || missing["found"] != false {
		t.Fatalf("reconcile of another request: %v", missing)
	}

	// Can't tell is an error, never "not found"; unknown actions and bad input are refused as for execute.
	unreachable = true
	wantError(t, h.call("action.reconcile", reconcileParamsFor("req-1", goodRefund)), CodeInternalError)
	wantError(t, h.call("action.reconcile", map[string]any{"requestId": "r", "idempotencyKeys": []string{}, "action": "fail", "input": map[string]any{}, "case": testCase}), CodeMethodNotFound)
	wantError(t, h.call("action.reconcile", reconcileParamsFor("req-1", map[string]any{"amount_minor": "x"})), CodeInvalidInput)
	wantError(t, h.call("action.reconcile", map[string]any{"requestId": "r", "action": "refund", "input": goodRefund, "case": testCase}), CodeInvalidParams)
}

func TestPendingAndEffect(t *testing.T) {
	unreachable := false
	h := reconcilingPlugin(t, &unreachable)
	// pending from an action without reconcile: it could never be followed, so it is a failure of unknown effect.
	var res map[string]any
	wantResult(t, h.execute("lenient", map[string]any{}), &res)
	if res["status"] != StatusFailed || res["effect"] != EffectUnknown || res["retryable"] != false {
		t.Fatalf("pending without reconcile: %v", res)
	}
	wantResult(t, h.execute("fail", map[string]any{}), &res)
	if res["status"] != StatusFailed || res["effect"] != EffectNone || res["retryable"] != true {
		t.Fatalf("failure with an effect: %v", res)
	}
	if _, err := (Result{Status: StatusFailed, Effect: "maybe", Summary: "x"}).MarshalJSON(); err == nil {
		t.Fatal("an invalid effect must not encode")
	}
}
