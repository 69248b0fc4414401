package latch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxLineBytes is the longest request line accepted (16 MiB, as in the protocol).
const MaxLineBytes = 16 << 20

// DefaultActionTimeout is the deadline of an ExecContext when the action has no timeoutMs.
const DefaultActionTimeout = 30 * time.Second

// ShutdownGrace is how long Serve waits, once stdin is closed, for handlers still running to
// answer before it returns (the host kills a plugin 5 s after closing stdin).
var ShutdownGrace = 4 * time.Second

// Serve speaks the protocol on stdin and stdout until stdin is closed. Anything the program
// prints with fmt.Print and friends goes to stderr while Serve runs, so that stdout carries
// protocol messages only. It returns nil when stdin is closed, or an error if the manifest or
// handlers are unusable or reading or writing fails.
func (p *Plugin) Serve() error {
	stdout := os.Stdout
	os.Stdout = os.Stderr
	defer func() { os.Stdout = stdout }()
	return p.ServeIO(os.Stdin, stdout)
}

// ServeIO is Serve on the given streams (for tests and embedding). It returns once in is at EOF
// and the handlers still running have answered (or ShutdownGrace has passed).
func (p *Plugin) ServeIO(in io.Reader, out io.Writer) error {
	p.serveMu.Lock()
	if p.serving {
		p.serveMu.Unlock()
		return errors.New("latch: plugin is already serving")
	}
	p.serving = true
	p.serveMu.Unlock()
	defer func() {
		p.serveMu.Lock()
		p.serving = false
		p.serveMu.Unlock()
	}()

	s, err := p.newSession(out)
	if err != nil {
		return err
	}
	defer s.cancel()

	p.cfgMu.Lock()
	p.config, p.secrets, p.configured, p.configureErr = map[string]any{}, map[string]string{}, false, nil
	p.cfgMu.Unlock()

	readErr := s.readLoop(in)

	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(ShutdownGrace):
		p.Logf("latch: stdin closed; %s passed with handlers still running, stopping", ShutdownGrace)
	}
	s.close()
	if readErr != nil {
		return fmt.Errorf("latch: reading requests: %w", readErr)
	}
	return s.writeError()
}

type session struct {
	p            *Plugin
	ctx          context.Context
	cancel       context.CancelFunc
	manifestJSON json.RawMessage
	inputs       map[string]*Validator
	outputs      map[string]*Validator
	timeouts     map[string]time.Duration
	inflight     sync.WaitGroup
	shuttingDown atomic.Bool

	outMu    sync.Mutex
	out      io.Writer
	outErr   error
	outClose bool
}

func (p *Plugin) newSession(out io.Writer) (*session, error) {
	m := p.manifest
	raw, err := marshalNoEscape(m)
	if err != nil {
		return nil, fmt.Errorf("latch: manifest: %w", err)
	}
	var problems []string
	if m.ProtocolVersion != ProtocolVersion {
		problems = append(problems, fmt.Sprintf("protocolVersion is %q, this SDK speaks %q", m.ProtocolVersion, ProtocolVersion))
	}
	for _, pr := range manifestValidator.Validate(raw) {
		problems = append(problems, "manifest"+pr.Path+" "+pr.Message)
	}
	seenCfg := map[string]bool{}
	for _, c := range m.Config {
		if seenCfg[c.Name] {
			problems = append(problems, fmt.Sprintf("config %q is declared twice", c.Name))
		}
		seenCfg[c.Name] = true
	}
	s := &session{
		p:            p,
		out:          out,
		manifestJSON: raw,
		inputs:       map[string]*Validator{},
		outputs:      map[string]*Validator{},
		timeouts:     map[string]time.Duration{},
	}
	for _, a := range m.Actions {
		if s.inputs[a.Name] != nil {
			problems = append(problems, fmt.Sprintf("action %q is declared twice", a.Name))
			continue
		}
		if p.actions[a.Name] == nil {
			problems = append(problems, fmt.Sprintf("action %q has no handler (register one with latch.Action)", a.Name))
		}
		in, err := CompileSchema(a.InputSchema)
		if err != nil {
			problems = append(problems, fmt.Sprintf("action %q inputSchema: %v", a.Name, err))
			continue
		}
		if u := in.Unsupported(); len(u) > 0 {
			problems = append(problems, fmt.Sprintf("action %q inputSchema uses keywords the SDK does not check: %s", a.Name, strings.Join(u, ", ")))
		}
		s.inputs[a.Name] = in
		if a.OutputSchema != nil {
			outV, err := CompileSchema(a.OutputSchema)
			if err != nil {
				problems = append(problems, fmt.Sprintf("action %q outputSchema: %v", a.Name, err))
				continue
			}
			if u := outV.Unsupported(); len(u) > 0 {
				p.Logf("latch: action %q outputSchema: keywords the SDK does not check: %s", a.Name, strings.Join(u, ", "))
			}
			s.outputs[a.Name] = outV
		}
		s.timeouts[a.Name] = DefaultActionTimeout
		if a.TimeoutMs > 0 {
			s.timeouts[a.Name] = time.Duration(a.TimeoutMs) * time.Millisecond
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("latch: invalid plugin %q: %s", m.ID, strings.Join(problems, "; "))
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// readLoop reads one request per line until EOF (nil) or a read error.
func (s *session) readLoop(in io.Reader) error {
	br := bufio.NewReaderSize(in, 64<<10)
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLineBytes+2 { // + "\r\n"
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(bytes.TrimSpace(line)) > 0 {
			// Framing is by "\n": an unterminated last line is not a message.
			s.p.Logf("latch: ignoring %d bytes after the last newline at end of input", len(line))
		}
		if err == nil {
			if tooLong {
				s.sendError(nil, CodeInvalidRequest, fmt.Sprintf("request line longer than %d bytes", MaxLineBytes), nil)
			} else {
				s.handleLine(line)
			}
			line, tooLong = line[:0], false
			if cap(line) > 1<<20 {
				line = nil // do not keep a huge buffer after a long line
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

type request struct {
	id     json.RawMessage
	method string
	params json.RawMessage
}

func (s *session) handleLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return // blank lines are ignored
	}
	if !json.Valid(line) {
		s.sendError(nil, CodeParseError, "parse error: not valid JSON", nil)
		return
	}
	var msg map[string]json.RawMessage
	if line[0] != '{' || json.Unmarshal(line, &msg) != nil {
		s.sendError(nil, CodeInvalidRequest, "invalid request: not a JSON-RPC 2.0 request object", nil)
		return
	}
	id, hasID := msg["id"]
	if hasID {
		id = bytes.TrimSpace(id)
		if len(id) == 0 || !(id[0] == '"' || id[0] == '-' || (id[0] >= '0' && id[0] <= '9')) {
			s.sendError(nil, CodeInvalidRequest, "invalid request: id must be a number or a string", nil)
			return
		}
	}
	var version, method string
	if json.Unmarshal(msg["jsonrpc"], &version) != nil || version != "2.0" {
		s.sendError(id, CodeInvalidRequest, `invalid request: jsonrpc must be "2.0"`, nil)
		return
	}
	if json.Unmarshal(msg["method"], &method) != nil || method == "" {
		s.sendError(id, CodeInvalidRequest, "invalid request: method must be a non-empty string", nil)
		return
	}
	if !hasID {
		s.p.Logf("latch: ignoring notification %q (the host sends requests only)", method)
		return
	}
	req := request{id: id, method: method, params: msg["params"]}
	switch method {
	case "initialize":
		s.initialize(req)
	case "configure":
		s.configure(req)
	case "actions.list":
		if run := s.listActions(req); run != nil {
			s.async(req, run)
		}
	case "action.execute":
		if run := s.execute(req); run != nil {
			s.async(req, run)
		}
	case "action.reconcile":
		if run := s.reconcile(req); run != nil {
			s.async(req, run)
		}
	case "case.context":
		if run := s.caseContext(req); run != nil {
			s.async(req, run)
		}
	case "case.classify":
		if run := s.caseClassify(req); run != nil {
			s.async(req, run)
		}
	case "shutdown":
		s.shutdown(req)
	default:
		s.sendError(id, CodeMethodNotFound, "method not found: "+method, nil)
	}
}

// async runs the rest of a call on its own goroutine, answering -32603 if it panics.
func (s *session) async(req request, fn func()) {
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer func() {
			if r := recover(); r != nil {
				s.p.Logf("latch: %s panicked: %v\n%s", req.method, r, debug.Stack())
				s.sendError(req.id, CodeInternalError, fmt.Sprintf("internal error: %v", r), nil)
			}
		}()
		fn()
	}()
}

// decodeParams checks params against the method's schema, then decodes them into v. Absent
// params count as {}. A mismatch is answered -32602 by the caller.
func decodeParams(raw json.RawMessage, schema *Validator, v any) *Error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	if problems := schema.Validate(raw); len(problems) > 0 {
		return &Error{Code: CodeInvalidParams, Message: "invalid params: " + FormatProblems(problems), Data: map[string]any{"problems": problems}}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &Error{Code: CodeInvalidParams, Message: "invalid params: " + err.Error()}
	}
	return nil
}

func (s *session) sendRPCError(id json.RawMessage, e *Error) {
	s.sendError(id, e.Code, e.Message, e.Data)
}

func (s *session) initialize(req request) {
	var params struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if e := decodeParams(req.params, initializeParamsValidator, &params); e != nil {
		s.sendRPCError(req.id, e)
		return
	}
	// Answer anyway: the host compares the versions and refuses the plugin, loudly.
	if params.ProtocolVersion != ProtocolVersion {
		s.p.Logf("latch: host speaks protocol version %q, this plugin speaks %q", params.ProtocolVersion, ProtocolVersion)
	}
	s.sendResult(req.id, struct {
		ProtocolVersion string          `json:"protocolVersion"`
		Manifest        json.RawMessage `json:"manifest"`
		Capabilities    map[string]any  `json:"capabilities,omitempty"`
	}{ProtocolVersion, s.manifestJSON, s.p.capabilities()})
}

func (s *session) configure(req request) {
	var params struct {
		Config  map[string]any    `json:"config"`
		Secrets map[string]string `json:"secrets"`
	}
	fail := func(e *Error) {
		s.p.cfgMu.Lock()
		s.p.configured, s.p.configureErr = false, errors.New(e.Message)
		s.p.cfgMu.Unlock()
		s.sendRPCError(req.id, e)
	}
	if e := decodeParams(req.params, configureParamsValidator, &params); e != nil {
		fail(e)
		return
	}
	var missing []string
	for _, c := range s.p.manifest.Config {
		if !c.Required {
			continue
		}
		if c.Secret {
			if params.Secrets[c.Name] == "" {
				missing = append(missing, c.Name)
			}
		} else if v, ok := params.Config[c.Name]; !ok || v == nil || v == "" {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		fail(&Error{Code: CodeInvalidParams, Message: "missing required configuration: " + strings.Join(missing, ", "), Data: map[string]any{"missing": missing}})
		return
	}
	if s.p.onConfigure != nil {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.p.Logf("latch: configure panicked: %v\n%s", r, debug.Stack())
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			err = s.p.onConfigure(copyAny(params.Config), copyStrings(params.Secrets))
		}()
		if err != nil {
			var rpcErr *Error
			if errors.As(err, &rpcErr) {
				fail(rpcErr)
			} else {
				fail(&Error{Code: CodeInvalidParams, Message: "configuration refused: " + err.Error()})
			}
			return
		}
	}
	s.p.cfgMu.Lock()
	s.p.config, s.p.secrets, s.p.configured, s.p.configureErr = params.Config, params.Secrets, true, nil
	s.p.cfgMu.Unlock()
	s.sendResult(req.id, struct{}{})
}

// ready answers -32600 after shutdown, and -32003 NOT_CONFIGURED until a configure call has
// succeeded (or when the last one failed); it reports whether the call may go on.
func (s *session) ready(req request) bool {
	if s.shuttingDown.Load() {
		s.sendError(req.id, CodeInvalidRequest, "plugin is shutting down", nil)
		return false
	}
	s.p.cfgMu.RLock()
	configured, cfgErr := s.p.configured, s.p.configureErr
	s.p.cfgMu.RUnlock()
	switch {
	case configured:
		return true
	case cfgErr != nil:
		s.sendError(req.id, CodeNotConfigured, "configure failed: "+cfgErr.Error(), nil)
	default:
		s.sendError(req.id, CodeNotConfigured, "configure has not succeeded yet", nil)
	}
	return false
}

// listActions checks the call on the reading goroutine, so that it is judged against the state
// (configured, shutting down) as of its arrival, and returns the rest to run concurrently (nil
// when it has already been answered).
func (s *session) listActions(req request) func() {
	var params struct {
		Case CaseContext `json:"case"`
	}
	if e := decodeParams(req.params, listParamsValidator, &params); e != nil {
		s.sendRPCError(req.id, e)
		return nil
	}
	if !s.ready(req) {
		return nil
	}
	return func() { s.runList(req, params.Case) }
}

func (s *session) runList(req request, c CaseContext) {
	titles := map[string]string{}
	for _, a := range s.p.manifest.Actions {
		titles[a.Name] = a.Title
	}
	var listed []ListedAction
	if s.p.onList == nil {
		for _, a := range s.p.manifest.Actions {
			listed = append(listed, ListedAction{Name: a.Name, Title: a.Title})
		}
	} else {
		var err error
		listed, err = s.p.onList(c)
		if err != nil {
			var rpcErr *Error
			if errors.As(err, &rpcErr) {
				s.sendRPCError(req.id, rpcErr)
			} else {
				s.sendError(req.id, CodeInternalError, err.Error(), nil)
			}
			return
		}
	}
	out := make([]ListedAction, 0, len(listed))
	for _, a := range listed {
		if _, ok := titles[a.Name]; !ok {
			s.p.Logf("latch: actions.list: dropping %q, which the manifest does not declare", a.Name)
			continue
		}
		if a.Title == "" {
			a.Title = titles[a.Name]
		}
		out = append(out, a)
	}
	s.sendResult(req.id, map[string]any{"actions": out})
}

type executeParams struct {
	RequestID      string          `json:"requestId"`
	IdempotencyKey string          `json:"idempotencyKey"`
	Action         string          `json:"action"`
	Input          json.RawMessage `json:"input"`
	Case           CaseContext     `json:"case"`
	Attempt        int             `json:"attempt"`
}

// execute checks the call on the reading goroutine (params, readiness, action, input against the
// inputSchema) and returns the handler's run, or nil when the call has already been answered.
func (s *session) execute(req request) func() {
	var params executeParams
	if e := decodeParams(req.params, executeParamsValidator, &params); e != nil {
		s.sendRPCError(req.id, e)
		return nil
	}
	if !s.ready(req) {
		return nil
	}
	handler, known := s.p.actions[params.Action]
	if !known {
		s.sendError(req.id, CodeUnknownAction, "unknown action: "+params.Action, map[string]any{"action": params.Action})
		return nil
	}
	params.Input = bytes.TrimSpace(params.Input)
	if problems := s.inputs[params.Action].Validate(params.Input); len(problems) > 0 {
		e := invalidInputError(problems)
		e.Message = "invalid input for " + params.Action + ": " + FormatProblems(problems)
		s.sendRPCError(req.id, e)
		return nil
	}
	config, secrets := s.p.Config()
	return func() { s.runAction(req, params, handler, config, secrets) }
}

func (s *session) runAction(req request, params executeParams, handler actionHandler, config map[string]any, secrets map[string]string) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeouts[params.Action])
	defer cancel()
	ec := &ExecContext{
		Context:        ctx,
		Action:         params.Action,
		Input:          params.Input,
		Case:           params.Case,
		IdempotencyKey: params.IdempotencyKey,
		RequestID:      params.RequestID,
		Attempt:        params.Attempt,
		Config:         config,
		Secrets:        secrets,
		plugin:         s.p,
	}
	res, err, rpcErr := callHandler(ec, handler)
	if err != nil && rpcErr == nil {
		errors.As(err, &rpcErr) // latch.InvalidInput(...) or another *latch.Error: answer it as is
	}
	if rpcErr != nil {
		if rpcErr.Code == CodeInvalidInput && strings.HasPrefix(rpcErr.Message, "invalid input: ") {
			rpcErr.Message = "invalid input for " + params.Action + ": " + strings.TrimPrefix(rpcErr.Message, "invalid input: ")
		}
		s.sendRPCError(req.id, rpcErr)
		return
	}
	if err != nil {
		res = Result{Status: StatusFailed, Retryable: !IsPermanent(err), Summary: err.Error(), Output: res.Output, External: res.External}
		kind := "retryable"
		if !res.Retryable {
			kind = "permanent"
		}
		ec.Logf("failed (%s): %v", kind, err)
	}
	if res.Status == "" {
		res.Status = StatusSucceeded
	}
	if res.Status == StatusPending && s.p.reconcilers[params.Action] == nil {
		ec.Logf("latch: answered pending, but the action has no reconcile handler to follow it with")
		res = Result{Status: StatusFailed, Effect: EffectUnknown, Summary: "Pending, and the plugin cannot follow it: " + res.Summary}
	}
	if res.Summary == "" {
		res.Summary = params.Action + " " + res.Status
	}
	// A malformed result is a plugin bug: answer a permanent failure, so that a person looks.
	if _, mErr := json.Marshal(res); mErr != nil {
		ec.Logf("latch: the action returned an invalid result: %v", mErr)
		res = Failed("The plugin returned an invalid result", false)
	}
	if v := s.outputs[params.Action]; v != nil && res.Status == StatusSucceeded {
		outJSON := []byte("{}")
		if res.Output != nil {
			outJSON, _ = json.Marshal(res.Output)
		}
		// Only logged: the action may already have acted, so a failure would mislead.
		if problems := v.Validate(outJSON); len(problems) > 0 {
			ec.Logf("latch: output does not match the outputSchema: %s", FormatProblems(problems))
		}
	}
	s.sendResult(req.id, res)
}

// callHandler calls the handler; a panic becomes a retryable failure (its stack is logged), like
// an error the handler returned.
func callHandler(ec *ExecContext, handler actionHandler) (res Result, err error, rpcErr *Error) {
	defer func() {
		if r := recover(); r != nil {
			ec.Logf("latch: panic: %v\n%s", r, debug.Stack())
			res, err, rpcErr = Result{}, fmt.Errorf("panic: %v", r), nil
		}
	}()
	return handler(ec)
}

func (s *session) shutdown(req request) {
	s.shuttingDown.Store(true)
	if s.p.onShutdown != nil {
		if err := s.p.onShutdown(); err != nil {
			s.p.Logf("latch: shutdown hook: %v", err)
		}
	}
	s.sendResult(req.id, struct{}{})
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

func (s *session) sendResult(id json.RawMessage, result any) {
	if err := s.write(rpcResponse{JSONRPC: "2.0", ID: id, Result: result}); err != nil {
		s.p.Logf("latch: cannot encode the answer: %v", err)
		_ = s.write(rpcResponse{JSONRPC: "2.0", ID: id, Error: &Error{Code: CodeInternalError, Message: "internal error: cannot encode the answer: " + err.Error()}})
	}
}

func (s *session) sendError(id json.RawMessage, code int, message string, data any) {
	if err := s.write(rpcResponse{JSONRPC: "2.0", ID: id, Error: &Error{Code: code, Message: message, Data: data}}); err != nil {
		s.p.Logf("latch: cannot encode the error: %v", err)
		_ = s.write(rpcResponse{JSONRPC: "2.0", ID: id, Error: &Error{Code: code, Message: message}})
	}
}

// write encodes one message as one line and writes it under the output lock. It returns only
// encoding errors; write errors are kept for Serve to return.
func (s *session) write(msg rpcResponse) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil { // Encode ends the line with "\n"; JSON has no raw newline
		return err
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.outClose || s.outErr != nil {
		return nil
	}
	if _, err := s.out.Write(buf.Bytes()); err != nil {
		s.outErr = err
		s.p.Logf("latch: writing to stdout: %v", err)
	}
	return nil
}

func (s *session) close() {
	s.outMu.Lock()
	s.outClose = true
	s.outMu.Unlock()
	s.cancel()
}

func (s *session) writeError() error {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.outErr != nil {
		return fmt.Errorf("latch: writing answers: %w", s.outErr)
	}
	return nil
}
