package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kinds of a Fact: how its value reads in the console.
const (
	FactText   = "text"
	FactAmount = "amount" // an amount with its currency, e.g. "600.00 USD"
	FactID     = "id"     // an id in the external system, e.g. "pi_123"
	FactStatus = "status"
	FactTime   = "time"
)

// contextTimeout bounds one case.context call; the host has its own, shorter, deadline.
const contextTimeout = 30 * time.Second

// Fact is one fact about a case from the external system, shown as "Label: Value". It is text
// only: the host shows it inert and it can never cause an action.
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Kind  string `json:"kind,omitempty"`
}

// CaseFacts is a context handler's answer. An empty FetchedAt is filled in with the time of the
// answer. At most 50 facts; labels up to 100 characters, values up to 500, the summary up to 300.
type CaseFacts struct {
	Facts     []Fact `json:"facts"`
	Summary   string `json:"summary,omitempty"`
	FetchedAt string `json:"fetchedAt"`
}

// ContextContext is the context of one case.context call (capability context, version 1). Fields
// holds only the manifest's caseFields.
type ContextContext struct {
	context.Context

	CaseID   string
	CaseType string
	Fields   map[string]any
	Config   map[string]any
	Secrets  map[string]string

	plugin *Plugin
}

// Logf writes a line to the plugin's log (stderr), secrets masked.
func (c *ContextContext) Logf(format string, args ...any) {
	c.plugin.logLine(fmt.Sprintf("[context %s]", c.CaseID), fmt.Sprintf(format, args...), c.Secrets)
}

type contextHandler struct {
	caseTypes []string
	fetch     func(ctx *ContextContext) (CaseFacts, error)
}

// Context registers the plugin's context handler for cases of caseTypes (["*"]: every type the
// manifest's caseTypes admit); with it the plugin offers the context capability at initialize.
// The host calls it when a case opens and when an operator refreshes. A returned error is
// answered as an error: the host retries, then shows the context as unavailable.
func (p *Plugin) Context(caseTypes []string, fn func(ctx *ContextContext) (CaseFacts, error)) {
	if fn == nil {
		panic("latch: nil context handler")
	}
	if len(caseTypes) == 0 {
		panic("latch: context names no case type")
	}
	if p.context != nil {
		panic("latch: the plugin already has a context handler")
	}
	for _, t := range caseTypes {
		if !p.sees(t) {
			panic(fmt.Sprintf("latch: context names case type %q, which the manifest's caseTypes do not include", t))
		}
	}
	p.context = &contextHandler{caseTypes: append([]string{}, caseTypes...), fetch: fn}
}

func (p *Plugin) sees(caseType string) bool {
	for _, t := range p.manifest.CaseTypes {
		if t == "*" || t == caseType {
			return true
		}
	}
	return false
}

func (h *contextHandler) offers(caseType string) bool {
	for _, t := range h.caseTypes {
		if t == "*" || t == caseType {
			return true
		}
	}
	return false
}

type contextParams struct {
	CaseID   string         `json:"caseId"`
	CaseType string         `json:"caseType"`
	Fields   map[string]any `json:"fields"`
}

// caseContext checks a case.context call on the reading goroutine and returns its run (nil when
// already answered).
func (s *session) caseContext(req request) func() {
	var params contextParams
	if e := decodeParams(req.params, contextParamsValidator, &params); e != nil {
		s.sendRPCError(req.id, e)
		return nil
	}
	if !s.ready(req) {
		return nil
	}
	handler := s.p.context
	if handler == nil {
		s.sendError(req.id, CodeMethodNotFound, "this plugin does not offer context", nil)
		return nil
	}
	if !handler.offers(params.CaseType) {
		s.sendError(req.id, CodeInvalidParams, "no context for cases of type "+params.CaseType, map[string]any{"caseType": params.CaseType})
		return nil
	}
	config, secrets := s.p.Config()
	return func() {
		ctx, cancel := context.WithTimeout(s.ctx, contextTimeout)
		defer cancel()
		cc := &ContextContext{Context: ctx, CaseID: params.CaseID, CaseType: params.CaseType, Fields: params.Fields, Config: config, Secrets: secrets, plugin: s.p}
		facts, err := handler.fetch(cc)
		if err != nil {
			var rpcErr *Error
			if errors.As(err, &rpcErr) {
				s.sendRPCError(req.id, rpcErr)
				return
			}
			cc.Logf("failed: %v", err)
			s.sendError(req.id, CodeInternalError, "context failed: "+err.Error(), nil)
			return
		}
		if facts.Facts == nil {
			facts.Facts = []Fact{}
		}
		if facts.FetchedAt == "" {
			facts.FetchedAt = time.Now().UTC().Format(time.RFC3339Nano)
		}
		encoded, err := json.Marshal(facts)
		if err == nil {
			if problems := contextResultValidator.Validate(encoded); len(problems) > 0 {
				err = errors.New(FormatProblems(problems))
			}
		}
		if err != nil {
			cc.Logf("returned an invalid answer: %v", err)
			s.sendError(req.id, CodeInternalError, "context returned an invalid answer: "+err.Error(), nil)
			return
		}
		s.sendResult(req.id, json.RawMessage(encoded))
	}
}
