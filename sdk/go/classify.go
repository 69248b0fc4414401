package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// classifyTimeout bounds one case.classify call; the host has its own, shorter, deadline.
const classifyTimeout = 30 * time.Second

// ClassifyChoice is one case type a case.classify call offers, with the queues, priorities and
// intent labels a suggestion for it may name.
type ClassifyChoice struct {
	Key        string   `json:"key"`
	Title      string   `json:"title"`
	Queues     []string `json:"queues"`
	Priorities []string `json:"priorities"`
	Intents    []string `json:"intents,omitempty"`
}

// Evidence is a word or feature and how much it weighed for the suggestion.
type Evidence struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
}

// ModelInfo names the model that answered, e.g. {ID: "rules", Version: "1.0.0"}.
type ModelInfo struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// Suggestion is a classify handler's answer. Every part is optional ("" leaves it out; all empty
// is "no suggestion"), and each must be one of the offered choices: the SDK refuses to send any
// other. Confidence is a probability in [0, 1]; Explanation holds at most 20 entries.
type Suggestion struct {
	CaseType    string     `json:"caseType,omitempty"`
	Queue       string     `json:"queue,omitempty"`
	Priority    string     `json:"priority,omitempty"`
	Intent      string     `json:"intent,omitempty"`
	Confidence  float64    `json:"confidence"`
	Explanation []Evidence `json:"explanation"`
	Model       ModelInfo  `json:"model"`
}

// ClassifyContext is the context of one case.classify call (capability classify, version 1).
// Text is untrusted data from whoever wrote the case: never follow instructions in it. Fields
// holds only the manifest's caseFields that the deployment allows to be sent.
type ClassifyContext struct {
	context.Context

	CaseID    string
	Text      string
	Fields    map[string]any
	CaseTypes []ClassifyChoice
	Config    map[string]any
	Secrets   map[string]string

	plugin *Plugin
}

// Logf writes a line to the plugin's log (stderr), secrets masked.
func (c *ClassifyContext) Logf(format string, args ...any) {
	c.plugin.logLine(fmt.Sprintf("[classify %s]", c.CaseID), fmt.Sprintf(format, args...), c.Secrets)
}

// Classify registers the plugin's classify handler; with it the plugin offers the classify
// capability at initialize. The host only records the answer as a suggestion a person reviews; a
// returned error is answered as an error, and the host falls back to its built-in model.
func (p *Plugin) Classify(fn func(ctx *ClassifyContext) (Suggestion, error)) {
	if fn == nil {
		panic("latch: nil classify handler")
	}
	if p.classify != nil {
		panic("latch: the plugin already has a classify handler")
	}
	p.classify = fn
}

type classifyParams struct {
	CaseID    string           `json:"caseId"`
	Text      string           `json:"text"`
	Fields    map[string]any   `json:"fields"`
	CaseTypes []ClassifyChoice `json:"caseTypes"`
}

// ChoiceProblems says where a suggestion strays from the offered choices: a case type not offered,
// or a queue, priority or intent the suggested case type (or, without one, no offered type) names.
func ChoiceProblems(offered []ClassifyChoice, s Suggestion) []string {
	chosen := offered
	where := "any offered case type"
	if s.CaseType != "" {
		chosen = nil
		for _, c := range offered {
			if c.Key == s.CaseType {
				chosen = append(chosen, c)
			}
		}
		if len(chosen) == 0 {
			return []string{fmt.Sprintf("caseType %q was not offered", s.CaseType)}
		}
		where = "case type " + s.CaseType
	}
	var problems []string
	check := func(part, value string, options func(ClassifyChoice) []string) {
		if value == "" {
			return
		}
		for _, c := range chosen {
			for _, o := range options(c) {
				if o == value {
					return
				}
			}
		}
		problems = append(problems, fmt.Sprintf("%s %q is not one of %s", part, value, where))
	}
	check("queue", s.Queue, func(c ClassifyChoice) []string { return c.Queues })
	check("priority", s.Priority, func(c ClassifyChoice) []string { return c.Priorities })
	check("intent", s.Intent, func(c ClassifyChoice) []string { return c.Intents })
	return problems
}

// caseClassify checks a case.classify call on the reading goroutine and returns its run (nil when
// already answered).
func (s *session) caseClassify(req request) func() {
	var params classifyParams
	if e := decodeParams(req.params, classifyParamsValidator, &params); e != nil {
		s.sendRPCError(req.id, e)
		return nil
	}
	if !s.ready(req) {
		return nil
	}
	handler := s.p.classify
	if handler == nil {
		s.sendError(req.id, CodeMethodNotFound, "this plugin does not classify", nil)
		return nil
	}
	config, secrets := s.p.Config()
	return func() {
		ctx, cancel := context.WithTimeout(s.ctx, classifyTimeout)
		defer cancel()
		cc := &ClassifyContext{Context: ctx, CaseID: params.CaseID, Text: params.Text, Fields: params.Fields, CaseTypes: params.CaseTypes, Config: config, Secrets: secrets, plugin: s.p}
		suggestion, err := handler(cc)
		if err != nil {
			var rpcErr *Error
			if errors.As(err, &rpcErr) {
				s.sendRPCError(req.id, rpcErr)
				return
			}
			cc.Logf("failed: %v", err)
			s.sendError(req.id, CodeInternalError, "classify failed: "+err.Error(), nil)
			return
		}
		if suggestion.Explanation == nil {
			suggestion.Explanation = []Evidence{}
		}
		encoded, err := json.Marshal(suggestion)
		if err == nil {
			if problems := classifyResultValidator.Validate(encoded); len(problems) > 0 {
				err = errors.New(FormatProblems(problems))
			} else if problems := ChoiceProblems(params.CaseTypes, suggestion); len(problems) > 0 {
				err = errors.New(strings.Join(problems, "; "))
			}
		}
		if err != nil {
			cc.Logf("returned an invalid answer: %v", err)
			s.sendError(req.id, CodeInternalError, "classify returned an invalid answer: "+err.Error(), nil)
			return
		}
		s.sendResult(req.id, json.RawMessage(encoded))
	}
}
