// Package latch is the Go SDK for Latch plugins.
//
// A Latch plugin is a separate process that speaks JSON-RPC 2.0, one message per line, on its
// stdin and stdout (docs/plugin-protocol.md). This package implements the whole protocol; a plugin
// declares its manifest, registers a handler per action and calls Serve:
//
//	p := latch.NewPlugin(latch.MustParseManifest(manifestJSON))
//	latch.Action(p, "refund", func(ctx *latch.ExecContext, in RefundInput) (latch.Result, error) {
//		...
//		return latch.Succeeded("Refunded 600.00 USD", map[string]any{"refund_id": id}), nil
//	})
//	if err := p.Serve(); err != nil {
//		log.Fatal(err)
//	}
//
// Only the standard library is used.
package latch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// ProtocolVersion is the version of the plugin protocol this SDK speaks.
const ProtocolVersion = "1"

// Schema is a JSON Schema document (the subset the SDK validates is described on Validator).
type Schema map[string]any

// Manifest is the plugin's manifest: the contents of latch-plugin.json and the manifest returned by
// initialize. Nil slices are sent as empty arrays and a nil InputSchema as {} (any input).
type Manifest struct {
	ID              string           `json:"id"`
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	Version         string           `json:"version"`
	ProtocolVersion string           `json:"protocolVersion"`
	Command         []string         `json:"command"`
	CaseTypes       []string         `json:"caseTypes"`
	CaseFields      []string         `json:"caseFields"`
	Config          []ConfigField    `json:"config"`
	Actions         []ActionManifest `json:"actions"`
}

// ConfigField declares one configuration value (Secret false) or secret (Secret true).
type ConfigField struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
}

// ActionManifest declares one action. TimeoutMs 0 means the host's default (30 s).
type ActionManifest struct {
	Name         string `json:"name"`
	Title        string `json:"title"`
	Description  string `json:"description,omitempty"`
	InputSchema  Schema `json:"inputSchema"`
	OutputSchema Schema `json:"outputSchema,omitempty"`
	TimeoutMs    int    `json:"timeoutMs,omitempty"`
}

// CaseContext is the case an actions.list or action.execute call is about. Fields holds only the
// manifest's caseFields. A case in no queue has Queue "" (null on the wire).
type CaseContext struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	TypeVersion int            `json:"typeVersion"`
	Status      string         `json:"status"`
	Priority    string         `json:"priority"`
	Queue       string         `json:"queue"`
	Fields      map[string]any `json:"fields"`
}

// ListedAction is one entry of an actions.list answer. An empty Title is filled in from the
// manifest.
type ListedAction struct {
	Name           string `json:"name"`
	Title          string `json:"title"`
	SuggestedInput any    `json:"suggestedInput,omitempty"`
}

// ParseManifest decodes a latch-plugin.json file. Unknown fields are an error, so that the
// manifest sent in initialize cannot silently differ from the file.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("latch: manifest: %w", err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("latch: manifest: trailing data after the JSON object")
	}
	return m, nil
}

// MustParseManifest is ParseManifest that panics on error; meant for a //go:embed'ed manifest.
func MustParseManifest(data []byte) Manifest {
	m, err := ParseManifest(data)
	if err != nil {
		panic(err)
	}
	return m
}

// Plugin is a Latch plugin: a manifest plus handlers. Register handlers before calling Serve.
type Plugin struct {
	manifest Manifest

	actions     map[string]actionHandler
	reconcilers map[string]reconcileHandler
	onConfigure func(config map[string]any, secrets map[string]string) error
	onList      func(c CaseContext) ([]ListedAction, error)
	onShutdown  func() error
	context     *contextHandler
	classify    func(ctx *ClassifyContext) (Suggestion, error)

	logMu  sync.Mutex
	logOut io.Writer

	cfgMu        sync.RWMutex
	config       map[string]any
	secrets      map[string]string
	configured   bool
	configureErr error

	serveMu sync.Mutex
	serving bool
}

// NewPlugin returns a plugin for the manifest. The manifest is checked when Serve starts.
func NewPlugin(m Manifest) *Plugin {
	m.Command = append([]string{}, m.Command...)
	m.CaseTypes = append([]string{}, m.CaseTypes...)
	m.CaseFields = append([]string{}, m.CaseFields...)
	m.Config = append([]ConfigField{}, m.Config...)
	m.Actions = append([]ActionManifest{}, m.Actions...)
	for i := range m.Actions {
		if m.Actions[i].InputSchema == nil {
			m.Actions[i].InputSchema = Schema{}
		}
	}
	return &Plugin{
		manifest: m,
		actions:  map[string]actionHandler{},
		logOut:   os.Stderr,
	}
}

// Manifest returns the plugin's manifest as sent in initialize.
func (p *Plugin) Manifest() Manifest { return p.manifest }

// OnConfigure sets the configure handler. It receives the non-secret config and the secrets
// (required ones are checked by the SDK first). A returned error makes configure answer an error
// (-32602 "configuration refused: ...", or the code of a returned *Error). actions.list and
// action.execute answer -32003 NOT_CONFIGURED until a configure call succeeds, with or without a
// handler.
func (p *Plugin) OnConfigure(fn func(config map[string]any, secrets map[string]string) error) {
	p.onConfigure = fn
}

// OnListActions sets the actions.list handler. Without one, every action of the manifest is
// listed. Entries with an empty Title get the manifest's title.
func (p *Plugin) OnListActions(fn func(c CaseContext) ([]ListedAction, error)) {
	p.onList = fn
}

// OnShutdown sets a hook run when the host sends shutdown (before answering it). An error is
// logged; shutdown is answered with {} regardless.
func (p *Plugin) OnShutdown(fn func() error) {
	p.onShutdown = fn
}

// SetLogOutput sets where logs go (default os.Stderr). Never point it at stdout.
func (p *Plugin) SetLogOutput(w io.Writer) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	p.logOut = w
}

// Config returns a copy of the config and secrets of the last successful configure call.
func (p *Plugin) Config() (config map[string]any, secrets map[string]string) {
	p.cfgMu.RLock()
	defer p.cfgMu.RUnlock()
	return copyAny(p.config), copyStrings(p.secrets)
}

// Log writes a line to the plugin's log (stderr). Secret values are masked.
func (p *Plugin) Log(args ...any) { p.logLine("", sprintln(args...), p.currentSecrets()) }

// Logf writes a formatted line to the plugin's log (stderr).
func (p *Plugin) Logf(format string, args ...any) {
	p.logLine("", fmt.Sprintf(format, args...), p.currentSecrets())
}

func (p *Plugin) currentSecrets() map[string]string {
	p.cfgMu.RLock()
	defer p.cfgMu.RUnlock()
	return p.secrets
}

func (p *Plugin) logLine(prefix, msg string, secrets map[string]string) {
	msg = redact(msg, secrets)
	if prefix != "" {
		msg = prefix + " " + msg
	}
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		msg += "\n"
	}
	p.logMu.Lock()
	defer p.logMu.Unlock()
	_, _ = io.WriteString(p.logOut, msg)
}

// actionHandler runs one action. A non-nil *Error is answered as a JSON-RPC error.
type actionHandler func(ctx *ExecContext) (Result, error, *Error)

// Action registers the handler of an action declared in the manifest. The action's input is
// checked against its inputSchema, then decoded into a value of type In (use json.RawMessage or
// map[string]any for untyped input); either failing answers -32002 INVALID_INPUT without calling
// fn. Action panics if the action is not in the manifest or already has a handler.
func Action[In any](p *Plugin, name string, fn func(ctx *ExecContext, in In) (Result, error)) {
	if fn == nil {
		panic(fmt.Sprintf("latch: nil handler for action %q", name))
	}
	found := false
	for _, a := range p.manifest.Actions {
		if a.Name == name {
			found = true
			break
		}
	}
	if !found {
		panic(fmt.Sprintf("latch: action %q is not declared in the manifest", name))
	}
	if _, dup := p.actions[name]; dup {
		panic(fmt.Sprintf("latch: action %q already has a handler", name))
	}
	p.actions[name] = func(ctx *ExecContext) (Result, error, *Error) {
		var in In
		if err := json.Unmarshal(ctx.Input, &in); err != nil {
			problems := []SchemaProblem{{Path: "", Message: "does not decode: " + err.Error()}}
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) && typeErr.Field != "" {
				problems[0] = SchemaProblem{
					Path:    "/" + strings.ReplaceAll(typeErr.Field, ".", "/"),
					Message: fmt.Sprintf("must be a JSON value that decodes into Go type %s, got %s", typeErr.Type, typeErr.Value),
				}
			}
			return Result{}, nil, invalidInputError(problems)
		}
		res, err := fn(ctx, in)
		return res, err, nil
	}
}

func copyAny(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
