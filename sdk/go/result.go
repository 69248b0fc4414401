package latch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Status of an executed action.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Result is what an action handler returns; it becomes the result of action.execute.
//
// An empty Status means succeeded. Retryable is only sent (always, true or false) when Status is
// failed. A nil Output is sent as {} on success and left out on failure. An empty Summary becomes
// "<action> succeeded" / "<action> failed".
type Result struct {
	Status    string
	Retryable bool
	// Effect, for a failure: EffectNone or EffectUnknown (whether the external system may have
	// acted). Empty means the default: unknown when retryable, none otherwise.
	Effect   string
	Summary  string
	Output   any
	External *External
}

// External records what the plugin sent to and received from the external system, with
// credentials removed. The host stores each part as a blob referred to from the case timeline.
type External struct {
	Request  *ExternalRequest  `json:"request,omitempty"`
	Response *ExternalResponse `json:"response,omitempty"`
}

// ExternalRequest is the request sent to the external system.
type ExternalRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// ExternalResponse is the external system's answer.
type ExternalResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Succeeded returns a succeeded result.
func Succeeded(summary string, output any) Result {
	return Result{Status: StatusSucceeded, Summary: summary, Output: output}
}

// Failed returns a failed result. Retryable failures (timeouts, HTTP 429, 5xx) are retried by the
// host with backoff; non-retryable ones end the action as failed.
func Failed(summary string, retryable bool) Result {
	return Result{Status: StatusFailed, Retryable: retryable, Summary: summary}
}

type wireResult struct {
	Status    string    `json:"status"`
	Retryable *bool     `json:"retryable,omitempty"`
	Effect    string    `json:"effect,omitempty"`
	Summary   string    `json:"summary"`
	Output    any       `json:"output,omitempty"`
	External  *External `json:"external,omitempty"`
}

// MarshalJSON encodes the result as the protocol's action.execute result.
func (r Result) MarshalJSON() ([]byte, error) {
	w := wireResult{Status: r.Status, Summary: r.Summary, Output: r.Output, External: r.External}
	if w.Status == "" {
		w.Status = StatusSucceeded
	}
	switch w.Status {
	case StatusSucceeded, StatusPending:
		if w.Output == nil {
			w.Output = struct{}{}
		}
	case StatusFailed:
		retryable := r.Retryable
		w.Retryable = &retryable
		if r.Effect != "" && r.Effect != EffectNone && r.Effect != EffectUnknown {
			return nil, fmt.Errorf("latch: invalid effect %q (want %q or %q)", r.Effect, EffectNone, EffectUnknown)
		}
		w.Effect = r.Effect
	default:
		return nil, fmt.Errorf("latch: invalid result status %q (want %q, %q or %q)", r.Status, StatusSucceeded, StatusFailed, StatusPending)
	}
	return marshalNoEscape(w)
}

// marshalNoEscape is json.Marshal without HTML escaping, so that "<", ">" and "&" in outputs,
// bodies and descriptions reach the host as they are.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// JSON-RPC and protocol error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	CodeUnknownAction  = -32001
	CodeInvalidInput   = -32002
	CodeNotConfigured  = -32003
)

// Error is a JSON-RPC error object. A handler that returns an *Error (or an error wrapping one)
// gets it answered as a JSON-RPC error instead of a failed result; the host counts an error answer
// to action.execute as a retryable failure.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("latch error %d: %s", e.Code, e.Message) }

// InvalidInput returns an error answered as -32002 INVALID_INPUT, for checks the inputSchema
// cannot express.
func InvalidInput(format string, args ...any) error {
	return invalidInputError([]SchemaProblem{{Path: "", Message: fmt.Sprintf(format, args...)}})
}

// invalidInputError is the -32002 answer: the problems in the message and, as a list, in
// data.problems.
func invalidInputError(problems []SchemaProblem) *Error {
	return &Error{
		Code:    CodeInvalidInput,
		Message: "invalid input: " + FormatProblems(problems),
		Data:    map[string]any{"problems": problems},
	}
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks an error as not retryable: a handler returning it produces
// {status: "failed", retryable: false}. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// ExecContext is the context of one action.execute call. It is a context.Context, cancelled when
// the action's timeout (timeoutMs, default 30 s) passes or the plugin stops: pass it to outgoing
// requests.
type ExecContext struct {
	context.Context

	Action         string
	Input          json.RawMessage // the input exactly as sent ("null" when absent)
	Case           CaseContext
	IdempotencyKey string // pass to the external system so that a retry never acts twice
	RequestID      string
	Attempt        int
	Config         map[string]any
	Secrets        map[string]string

	plugin *Plugin
}

// Log writes a line to the plugin's log (stderr), prefixed with the action and request id.
// Secret values are masked.
func (c *ExecContext) Log(args ...any) { c.plugin.logLine(c.logPrefix(), sprintln(args...), c.Secrets) }

// Logf is Log with a format.
func (c *ExecContext) Logf(format string, args ...any) {
	c.plugin.logLine(c.logPrefix(), fmt.Sprintf(format, args...), c.Secrets)
}

func (c *ExecContext) logPrefix() string {
	return fmt.Sprintf("[%s request=%s attempt=%d]", c.Action, c.RequestID, c.Attempt)
}

func sprintln(args ...any) string {
	return strings.TrimSuffix(fmt.Sprintln(args...), "\n")
}

// redact masks secret values of 4 or more characters (shorter ones would mask ordinary text).
func redact(s string, secrets map[string]string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
