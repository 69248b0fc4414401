package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// StatusPending is the status of an action the external system accepted but has not finished (a
// refund Stripe reports as pending). Only an action with a Reconcile handler may return it: the
// host follows it with action.reconcile until it succeeds or fails.
const StatusPending = "pending"

// Effects of a failed action: whether the external system may have acted.
const (
	EffectNone    = "none"    // it certainly did not (a refusal, a 429)
	EffectUnknown = "unknown" // it may have (no answer, a lost response, a 500)
)

// ReconcileContext is the context of one action.reconcile call (capability reconcile, version 1):
// find out whether an earlier execution of RequestID took effect in the external system.
type ReconcileContext struct {
	context.Context

	Action          string
	Input           json.RawMessage
	Case            CaseContext
	RequestID       string   // the same on every execution of the approved action
	IdempotencyKeys []string // every key an earlier execution may have used, oldest first
	Config          map[string]any
	Secrets         map[string]string

	plugin *Plugin
}

// Logf writes a line to the plugin's log (stderr), secrets masked.
func (c *ReconcileContext) Logf(format string, args ...any) {
	c.plugin.logLine(fmt.Sprintf("[%s request=%s reconcile]", c.Action, c.RequestID), fmt.Sprintf(format, args...), c.Secrets)
}

// Reconciled is what a reconcile handler answers: Found with the earlier execution's result (its
// current state), or not found. Say not found only when the external system shows no effect.
type Reconciled struct {
	Found  bool
	Result Result
}

// Found reports the effect of an earlier execution.
func Found(res Result) Reconciled { return Reconciled{Found: true, Result: res} }

// NotFound reports that no earlier execution took effect.
func NotFound() Reconciled { return Reconciled{} }

type reconcileHandler func(ctx *ReconcileContext) (Reconciled, error, *Error)

// Reconcile registers the reconcile handler of an action declared in the manifest; with one, the
// plugin offers the reconcile capability for that action at initialize. The input is checked and
// decoded as for Action. A returned error is answered as an error, which the host reads as "could
// not tell": it then does not run the action again on a guess.
func Reconcile[In any](p *Plugin, name string, fn func(ctx *ReconcileContext, in In) (Reconciled, error)) {
	if fn == nil {
		panic(fmt.Sprintf("latch: nil reconcile handler for action %q", name))
	}
	if !p.declares(name) {
		panic(fmt.Sprintf("latch: action %q is not declared in the manifest", name))
	}
	if p.reconcilers == nil {
		p.reconcilers = map[string]reconcileHandler{}
	}
	if _, dup := p.reconcilers[name]; dup {
		panic(fmt.Sprintf("latch: action %q already has a reconcile handler", name))
	}
	p.reconcilers[name] = func(ctx *ReconcileContext) (Reconciled, error, *Error) {
		var in In
		if err := json.Unmarshal(ctx.Input, &in); err != nil {
			return Reconciled{}, nil, invalidInputError([]SchemaProblem{{Path: "", Message: "does not decode: " + err.Error()}})
		}
		r, err := fn(ctx, in)
		return r, err, nil
	}
}

// capabilities is the initialize result's capabilities member, or nil without any.
func (p *Plugin) capabilities() map[string]any {
	offered := map[string]any{}
	if len(p.reconcilers) > 0 {
		actions := make([]string, 0, len(p.reconcilers))
		for name := range p.reconcilers {
			actions = append(actions, name)
		}
		sort.Strings(actions)
		offered["reconcile"] = map[string]any{"version": 1, "actions": actions}
	}
	if p.context != nil {
		offered["context"] = map[string]any{"version": 1, "caseTypes": p.context.caseTypes}
	}
	if p.classify != nil {
		offered["classify"] = map[string]any{"version": 1}
	}
	if len(offered) == 0 {
		return nil
	}
	return offered
}

func (p *Plugin) declares(name string) bool {
	for _, a := range p.manifest.Actions {
		if a.Name == name {
			return true
		}
	}
	return false
}

type reconcileParams struct {
	RequestID       string          `json:"requestId"`
	IdempotencyKeys []string        `json:"idempotencyKeys"`
	Action          string          `json:"action"`
	Input           json.RawMessage `json:"input"`
	Case            CaseContext     `json:"case"`
}

// reconcile checks an action.reconcile call on the reading goroutine and returns its run (nil when
// already answered).
func (s *session) reconcile(req request) func() {
	var params reconcileParams
	if e := decodeParams(req.params, reconcileParamsValidator, &params); e != nil {
		s.sendRPCError(req.id, e)
		return nil
	}
	if !s.ready(req) {
		return nil
	}
	if _, known := s.p.actions[params.Action]; !known {
		s.sendError(req.id, CodeUnknownAction, "unknown action: "+params.Action, map[string]any{"action": params.Action})
		return nil
	}
	handler := s.p.reconcilers[params.Action]
	if handler == nil {
		s.sendError(req.id, CodeMethodNotFound, "action "+params.Action+" does not offer reconcile", map[string]any{"action": params.Action})
		return nil
	}
	if problems := s.inputs[params.Action].Validate(params.Input); len(problems) > 0 {
		s.sendRPCError(req.id, invalidInputError(problems))
		return nil
	}
	config, secrets := s.p.Config()
	return func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.timeouts[params.Action])
		defer cancel()
		rc := &ReconcileContext{Context: ctx, Action: params.Action, Input: params.Input, Case: params.Case, RequestID: params.RequestID, IdempotencyKeys: params.IdempotencyKeys, Config: config, Secrets: secrets, plugin: s.p}
		found, err, rpcErr := handler(rc)
		if err != nil && rpcErr == nil && !errors.As(err, &rpcErr) {
			rc.Logf("failed: %v", err)
			rpcErr = &Error{Code: CodeInternalError, Message: "reconcile failed: " + err.Error()}
		}
		if rpcErr != nil {
			s.sendRPCError(req.id, rpcErr)
			return
		}
		if !found.Found {
			s.sendResult(req.id, map[string]any{"found": false})
			return
		}
		res := found.Result
		if res.Summary == "" {
			res.Summary = params.Action + " " + res.Status
		}
		s.sendResult(req.id, map[string]any{"found": true, "result": res})
	}
}
