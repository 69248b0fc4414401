package latch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- harness: the plugin served over an in-memory pipe pair ----

type rpcErr struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type resp struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcErr         `json:"error"`
	raw     string
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type harness struct {
	t       *testing.T
	stdin   *io.PipeWriter
	lines   chan resp
	served  chan error
	logs    *lockedBuffer
	pending map[string]resp
	nextID  int
}

func start(t *testing.T, p *Plugin) *harness {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	h := &harness{
		t: t, stdin: inW, lines: make(chan resp, 1000), served: make(chan error, 1),
		logs: &lockedBuffer{}, pending: map[string]resp{}, nextID: 1000,
	}
	p.SetLogOutput(h.logs)
	go func() {
		err := p.ServeIO(inR, outW)
		_ = outW.Close()
		h.served <- err
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			line := sc.Text()
			var r resp
			dec := json.NewDecoder(strings.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil || r.JSONRPC != "2.0" || (r.Result == nil) == (r.Error == nil) {
				t.Errorf("stdout line is not a JSON-RPC 2.0 response: %q (%v)", line, err)
			}
			r.raw = line
			h.lines <- r
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		select {
		case <-h.served:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after stdin closed")
		}
	})
	return h
}

func (h *harness) send(line string) {
	h.t.Helper()
	if _, err := io.WriteString(h.stdin, line+"\n"); err != nil {
		h.t.Fatalf("write: %v", err)
	}
}

// next returns the next response line, whatever its id.
func (h *harness) next() resp {
	h.t.Helper()
	select {
	case r, ok := <-h.lines:
		if !ok {
			h.t.Fatal("stdout closed")
		}
		return r
	case <-time.After(5 * time.Second):
		h.t.Fatal("no response within 5 s")
	}
	return resp{}
}

// await returns the response with the given id (as JSON text), keeping others for later.
func (h *harness) await(id string) resp {
	h.t.Helper()
	if r, ok := h.pending[id]; ok {
		delete(h.pending, id)
		return r
	}
	for {
		r := h.next()
		if string(r.ID) == id {
			return r
		}
		h.pending[string(r.ID)] = r
	}
}

func (h *harness) request(id any, method string, params any) {
	h.t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	b, err := json.Marshal(msg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.send(string(b))
}

func (h *harness) call(method string, params any) resp {
	h.t.Helper()
	h.nextID++
	h.request(h.nextID, method, params)
	return h.await(fmt.Sprint(h.nextID))
}

func (h *harness) execute(action string, input any) resp {
	h.t.Helper()
	return h.call("action.execute", execParams(action, input))
}

func execParams(action string, input any) map[string]any {
	return map[string]any{
		"requestId": "req-1", "idempotencyKey": "latch-req-1-1", "action": action, "input": input,
		"case": testCase, "attempt": 1,
	}
}

var initParams = map[string]any{"protocolVersion": "1", "host": map[string]any{"name": "latch", "version": "1.0.0"}}

func configParams(config map[string]any, secrets map[string]string) map[string]any {
	if config == nil {
		config = map[string]any{}
	}
	if secrets == nil {
		secrets = map[string]string{}
	}
	return map[string]any{"config": config, "secrets": secrets}
}

// closeStdin closes the plugin's stdin and returns what Serve returned.
func (h *harness) closeStdin() error {
	h.t.Helper()
	_ = h.stdin.Close()
	select {
	case err := <-h.served:
		h.served <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("Serve did not return after stdin closed")
	}
	return nil
}

func wantResult(t *testing.T, r resp, into any) {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("want a result, got error %d %q (%s)", r.Error.Code, r.Error.Message, r.raw)
	}
	if into != nil {
		if err := json.Unmarshal(r.Result, into); err != nil {
			t.Fatalf("result %s: %v", r.Result, err)
		}
	}
}

func wantError(t *testing.T, r resp, code int) {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("want error %d, got result %s", code, r.Result)
	}
	if r.Error.Code != code {
		t.Fatalf("want error %d, got %d %q", code, r.Error.Code, r.Error.Message)
	}
}

type execResult struct {
	Status    string          `json:"status"`
	Retryable *bool           `json:"retryable"`
	Summary   string          `json:"summary"`
	Output    json.RawMessage `json:"output"`
	External  *External       `json:"external"`
}

var testCase = map[string]any{
	"id": "case-1", "type": "refund", "typeVersion": 2, "status": "in_progress", "priority": "high",
	"queue": "refunds", "fields": map[string]any{"order_id": "1200"},
}

type refundInput struct {
	PaymentIntent string `json:"payment_intent"`
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
	Reason        string `json:"reason"`
}

var refundSchema = Schema{
	"type":                 "object",
	"required":             []string{"payment_intent", "amount_minor", "currency", "reason"},
	"additionalProperties": false,
	"properties": Schema{
		"payment_intent": Schema{"type": "string", "pattern": "^pi_[A-Za-z0-9]+$"},
		"amount_minor":   Schema{"type": "integer", "minimum": 1, "maximum": 1000000},
		"currency":       Schema{"type": "string", "minLength": 3, "maxLength": 3},
		"reason":         Schema{"enum": []string{"duplicate", "fraudulent", "requested_by_customer"}},
	},
}

func testManifest() Manifest {
	return Manifest{
		ID: "stripe", Name: "Stripe", Version: "1.2.3", ProtocolVersion: "1",
		Command:   []string{"./stripe"},
		CaseTypes: []string{"refund"},
		Config: []ConfigField{
			{Name: "apiBase", Description: "API base URL", Required: false},
			{Name: "apiKey", Description: "secret key", Required: true, Secret: true},
		},
		Actions: []ActionManifest{
			{Name: "refund", Title: "Refund a payment", InputSchema: refundSchema, OutputSchema: Schema{"type": "object"}},
			{Name: "lenient", Title: "Lenient schema, typed input"},
			{Name: "fail", Title: "Fails as asked", InputSchema: Schema{"type": "object"}},
			{Name: "slow", Title: "Waits", TimeoutMs: 100},
		},
	}
}

// newTestPlugin returns the Stripe-like test plugin; the handlers record what they saw.
func newTestPlugin(t *testing.T) (*Plugin, *sync.Map) {
	p := NewPlugin(testManifest())
	seen := &sync.Map{}
	p.OnConfigure(func(config map[string]any, secrets map[string]string) error {
		if config["apiBase"] == "reject" {
			return errors.New("apiBase is unusable")
		}
		return nil
	})
	Action(p, "refund", func(ctx *ExecContext, in refundInput) (Result, error) {
		seen.Store("refund", ctx)
		ctx.Logf("refunding %s with key %s", in.PaymentIntent, ctx.Secrets["apiKey"])
		return Result{
			Summary: fmt.Sprintf("Refunded %d %s", in.AmountMinor, strings.ToUpper(in.Currency)),
			Output:  map[string]any{"refund_id": "re_1", "amount_minor": in.AmountMinor},
			External: &External{
				Request:  &ExternalRequest{Method: "POST", URL: "https://api.stripe.com/v1/refunds", Body: "a=1&b=<2>"},
				Response: &ExternalResponse{Status: 200, Body: `{"id":"re_1"}`},
			},
		}, nil
	})
	Action(p, "lenient", func(ctx *ExecContext, in struct {
		N int `json:"n"`
	}) (Result, error) {
		return Succeeded("ok", map[string]int{"n": in.N}), nil
	})
	Action(p, "fail", func(ctx *ExecContext, in map[string]any) (Result, error) {
		switch in["mode"] {
		case "error":
			return Result{External: &External{Response: &ExternalResponse{Status: 503}}}, errors.New("upstream 503")
		case "permanent":
			return Result{}, Permanent(fmt.Errorf("card declined: %w", errors.New("insufficient funds")))
		case "failed":
			return Failed("validation error upstream", false), nil
		case "invalid":
			return Result{}, InvalidInput("amount exceeds the order total")
		case "panic":
			panic("boom")
		case "badstatus":
			return Result{Status: "maybe"}, nil
		case "badoutput":
			return Succeeded("x", map[string]any{"c": make(chan int)}), nil
		case "empty":
			return Result{}, nil
		}
		return Succeeded("did "+fmt.Sprint(in["mode"]), in), nil
	})
	Action(p, "slow", func(ctx *ExecContext, in map[string]any) (Result, error) {
		if d, ok := in["sleepMs"].(float64); ok {
			select {
			case <-time.After(time.Duration(d) * time.Millisecond):
				return Succeeded("slept", nil), nil
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
		}
		<-ctx.Done()
		return Result{}, ctx.Err()
	})
	return p, seen
}

func configured(t *testing.T) (*harness, *sync.Map) {
	p, seen := newTestPlugin(t)
	h := start(t, p)
	wantResult(t, h.call("initialize", initParams), nil)
	wantResult(t, h.call("configure", configParams(map[string]any{"apiBase": "https://api.stripe.com"}, map[string]string{"apiKey": "sk_test_secret"})), nil)
	return h, seen
}

var goodRefund = map[string]any{"payment_intent": "pi_123", "amount_minor": 60000, "currency": "usd", "reason": "duplicate"}

// ---- tests ----

func TestHandshake(t *testing.T) {
	p, _ := newTestPlugin(t)
	h := start(t, p)
	var res struct {
		ProtocolVersion string                     `json:"protocolVersion"`
		Manifest        map[string]json.RawMessage `json:"manifest"`
	}
	r := h.call("initialize", map[string]any{"protocolVersion": "1", "host": map[string]any{"name": "latch", "version": "1.0.0"}})
	wantResult(t, r, &res)
	if res.ProtocolVersion != "1" {
		t.Errorf("protocolVersion %q", res.ProtocolVersion)
	}
	for key, want := range map[string]string{
		"id": `"stripe"`, "version": `"1.2.3"`, "protocolVersion": `"1"`, "name": `"Stripe"`,
		"command": `["./stripe"]`, "caseTypes": `["refund"]`, "caseFields": `[]`,
	} {
		if got := string(res.Manifest[key]); got != want {
			t.Errorf("manifest %s = %s, want %s", key, got, want)
		}
	}
	var actions []ActionManifest
	if err := json.Unmarshal(res.Manifest["actions"], &actions); err != nil || len(actions) != 4 {
		t.Fatalf("actions %s: %v", res.Manifest["actions"], err)
	}
	if actions[1].InputSchema == nil || len(actions[1].InputSchema) != 0 {
		t.Errorf("nil inputSchema should be sent as {}, got %v", actions[1].InputSchema)
	}
	// string ids are answered with the same id
	h.request("init-2", "initialize", initParams)
	wantResult(t, h.await(`"init-2"`), nil)
	// params are checked against the protocol's schema
	r = h.call("initialize", map[string]any{"protocolVersion": "1"})
	wantError(t, r, CodeInvalidParams)
	if r.Error.Message != "invalid params: /host is required" {
		t.Errorf("message %q", r.Error.Message)
	}
	// another protocol version is answered anyway (the host refuses the plugin) and logged
	var other struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	wantResult(t, h.call("initialize", map[string]any{"protocolVersion": "2", "host": map[string]any{"name": "latch", "version": "9.0.0"}}), &other)
	if other.ProtocolVersion != "1" || !strings.Contains(h.logs.String(), `host speaks protocol version "2"`) {
		t.Errorf("protocolVersion %q, logs %q", other.ProtocolVersion, h.logs.String())
	}
}

func TestConfigure(t *testing.T) {
	p, seen := newTestPlugin(t)
	h := start(t, p)
	wantResult(t, h.call("initialize", initParams), nil)

	// not configured yet
	wantError(t, h.execute("refund", goodRefund), CodeNotConfigured)
	wantError(t, h.call("actions.list", map[string]any{"case": testCase}), CodeNotConfigured)

	// missing required secret
	r := h.call("configure", configParams(nil, map[string]string{"apiKey": ""}))
	wantError(t, r, CodeInvalidParams)
	if r.Error.Message != "missing required configuration: apiKey" || string(r.Error.Data) != `{"missing":["apiKey"]}` {
		t.Errorf("missing secret: %s", r.raw)
	}
	// the handler refuses the config
	r = h.call("configure", configParams(map[string]any{"apiBase": "reject"}, map[string]string{"apiKey": "k"}))
	wantError(t, r, CodeInvalidParams)
	if r.Error.Message != "configuration refused: apiBase is unusable" {
		t.Errorf("message %q", r.Error.Message)
	}
	r = h.execute("refund", goodRefund)
	wantError(t, r, CodeNotConfigured)
	if !strings.Contains(r.Error.Message, "apiBase is unusable") {
		t.Errorf("message %q", r.Error.Message)
	}
	// params that are not an object, a secret that is not a string
	wantError(t, h.call("configure", []any{1}), CodeInvalidParams)
	wantError(t, h.call("configure", map[string]any{"config": map[string]any{}, "secrets": map[string]any{"apiKey": 1}}), CodeInvalidParams)

	wantResult(t, h.call("configure", configParams(map[string]any{"apiBase": "https://x"}, map[string]string{"apiKey": "sk_live_1234"})), nil)
	wantResult(t, h.execute("refund", goodRefund), nil)
	v, _ := seen.Load("refund")
	ctx := v.(*ExecContext)
	if ctx.Config["apiBase"] != "https://x" || ctx.Secrets["apiKey"] != "sk_live_1234" {
		t.Errorf("config %v secrets %v", ctx.Config, ctx.Secrets)
	}
	if cfg, sec := p.Config(); cfg["apiBase"] != "https://x" || sec["apiKey"] != "sk_live_1234" {
		t.Errorf("Plugin.Config() = %v %v", cfg, sec)
	}
}

func TestExecute(t *testing.T) {
	h, seen := configured(t)
	r := h.execute("refund", goodRefund)
	var res execResult
	wantResult(t, r, &res)
	if res.Status != "succeeded" || res.Retryable != nil || res.Summary != "Refunded 60000 USD" {
		t.Errorf("result %s", r.Result)
	}
	if string(res.Output) != `{"amount_minor":60000,"refund_id":"re_1"}` {
		t.Errorf("output %s", res.Output)
	}
	if res.External == nil || res.External.Request.Body != "a=1&b=<2>" || res.External.Response.Status != 200 {
		t.Errorf("external %s", r.Result)
	}
	if !strings.Contains(r.raw, `a=1&b=<2>`) {
		t.Errorf("bodies should not be HTML-escaped: %s", r.raw)
	}
	v, _ := seen.Load("refund")
	ctx := v.(*ExecContext)
	if ctx.RequestID != "req-1" || ctx.IdempotencyKey != "latch-req-1-1" || ctx.Attempt != 1 || ctx.Action != "refund" {
		t.Errorf("context %+v", ctx)
	}
	if ctx.Case.ID != "case-1" || ctx.Case.TypeVersion != 2 || ctx.Case.Queue != "refunds" || ctx.Case.Fields["order_id"] != "1200" {
		t.Errorf("case %+v", ctx.Case)
	}
	var in map[string]any
	if err := json.Unmarshal(ctx.Input, &in); err != nil || in["payment_intent"] != "pi_123" {
		t.Errorf("raw input %s", ctx.Input)
	}
	// logs go to stderr, with the secret masked
	logs := h.logs.String()
	if !strings.Contains(logs, "[refund request=req-1 attempt=1] refunding pi_123 with key [redacted]") || strings.Contains(logs, "sk_test_secret") {
		t.Errorf("logs: %q", logs)
	}

	// typed decoding with a schema that accepts anything
	wantResult(t, h.execute("lenient", map[string]any{"n": 7}), &res)
	if string(res.Output) != `{"n":7}` {
		t.Errorf("output %s", res.Output)
	}
}

func TestHandlerOutcomes(t *testing.T) {
	h, _ := configured(t)
	check := func(mode, status string, retryable *bool, summary string) execResult {
		t.Helper()
		var res execResult
		wantResult(t, h.execute("fail", map[string]any{"mode": mode}), &res)
		if res.Status != status || res.Summary != summary || (retryable == nil) != (res.Retryable == nil) ||
			(retryable != nil && *retryable != *res.Retryable) {
			t.Errorf("mode %s: got %+v", mode, res)
		}
		return res
	}
	yes, no := true, false
	res := check("error", "failed", &yes, "upstream 503")
	if res.External == nil || res.External.Response.Status != 503 {
		t.Errorf("external of a failed result should be kept: %+v", res.External)
	}
	check("permanent", "failed", &no, "card declined: insufficient funds")
	check("failed", "failed", &no, "validation error upstream")
	res = check("empty", "succeeded", nil, "fail succeeded")
	if string(res.Output) != "{}" {
		t.Errorf("nil output should be {}: %s", res.Output)
	}
	check("other", "succeeded", nil, "did other")

	wantError(t, h.execute("fail", map[string]any{"mode": "invalid"}), CodeInvalidInput)
	check("panic", "failed", &yes, "panic: boom")
	check("badstatus", "failed", &no, "The plugin returned an invalid result")
	check("badoutput", "failed", &no, "The plugin returned an invalid result")
	// still serving after a panic
	check("other", "succeeded", nil, "did other")
	if !strings.Contains(h.logs.String(), "latch: panic: boom\ngoroutine") {
		t.Errorf("panic should be logged: %q", h.logs.String())
	}
}

func TestUnknownAction(t *testing.T) {
	h, _ := configured(t)
	r := h.execute("teleport", map[string]any{})
	wantError(t, r, CodeUnknownAction)
	if string(r.Error.Data) != `{"action":"teleport"}` {
		t.Errorf("data %s", r.Error.Data)
	}
	wantError(t, h.call("action.execute", "refund"), CodeInvalidParams)
	// params must match the protocol's schema: an action cannot run without its idempotency key
	for _, field := range []string{"action", "idempotencyKey", "requestId", "input", "case", "attempt"} {
		params := execParams("refund", goodRefund)
		delete(params, field)
		r := h.call("action.execute", params)
		wantError(t, r, CodeInvalidParams)
		if r.Error.Message != "invalid params: /"+field+" is required" {
			t.Errorf("without %s: %q", field, r.Error.Message)
		}
	}
	params := execParams("refund", goodRefund)
	params["attempt"] = 0
	params["case"] = map[string]any{"id": "c"}
	wantError(t, h.call("action.execute", params), CodeInvalidParams)
}

func TestInvalidInput(t *testing.T) {
	h, _ := configured(t)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for key, val := range goodRefund {
			m[key] = val
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name  string
		input any
		path  string
	}{
		{"not an object", "refund please", ""},
		{"null", nil, ""},
		{"missing required", with("reason", nil), "/reason"},
		{"wrong type", with("amount_minor", "600"), "/amount_minor"},
		{"not an integer", with("amount_minor", 1.5), "/amount_minor"},
		{"below minimum", with("amount_minor", 0), "/amount_minor"},
		{"above maximum", with("amount_minor", 1000001), "/amount_minor"},
		{"too short", with("currency", "us"), "/currency"},
		{"too long", with("currency", "usdd"), "/currency"},
		{"pattern", with("payment_intent", "ch_123"), "/payment_intent"},
		{"enum", with("reason", "bored"), "/reason"},
		{"additional property", with("extra", true), "/extra"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.execute("refund", c.input)
			wantError(t, r, CodeInvalidInput)
			var data struct {
				Problems []SchemaProblem `json:"problems"`
			}
			if err := json.Unmarshal(r.Error.Data, &data); err != nil || len(data.Problems) != 1 {
				t.Fatalf("data %s: %v", r.Error.Data, err)
			}
			if data.Problems[0].Path != c.path {
				t.Errorf("path %q, want %q (%s)", data.Problems[0].Path, c.path, r.Error.Message)
			}
			if r.Error.Message != "invalid input for refund: "+data.Problems[0].String() {
				t.Errorf("message %q", r.Error.Message)
			}
		})
	}
	// the schema accepts it, but it does not decode into the handler's type
	r := h.execute("lenient", map[string]any{"n": "seven"})
	wantError(t, r, CodeInvalidInput)
	if !strings.HasPrefix(r.Error.Message, "invalid input for lenient: /n must be") {
		t.Errorf("message %q", r.Error.Message)
	}
	r = h.execute("fail", map[string]any{"mode": "invalid"})
	wantError(t, r, CodeInvalidInput)
	if r.Error.Message != "invalid input for fail: / amount exceeds the order total" || string(r.Error.Data) != `{"problems":[{"path":"","message":"amount exceeds the order total"}]}` {
		t.Errorf("InvalidInput: %s", r.raw)
	}
	// a null input is checked like any other
	wantError(t, h.execute("refund", nil), CodeInvalidInput)
}

func TestConcurrentExecutes(t *testing.T) {
	p := NewPlugin(Manifest{ID: "conc", Name: "C", Version: "1.0.0", ProtocolVersion: "1", Command: []string{"x"},
		Actions: []ActionManifest{{Name: "wait", Title: "Wait for the others"}}})
	const n = 20
	var started sync.WaitGroup
	started.Add(n)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	Action(p, "wait", func(ctx *ExecContext, in struct {
		N int `json:"n"`
	}) (Result, error) {
		started.Done()
		select { // every call must be running at once for any of them to finish
		case <-allStarted:
		case <-time.After(5 * time.Second):
			return Result{}, errors.New("not concurrent")
		}
		time.Sleep(time.Duration(n-in.N) * time.Millisecond) // answer out of order
		return Succeeded(fmt.Sprint("done ", in.N), map[string]int{"n": in.N}), nil
	})
	h := start(t, p)
	wantResult(t, h.call("configure", configParams(nil, nil)), nil)
	for i := 0; i < n; i++ {
		h.request(fmt.Sprintf("call-%d", i), "action.execute", execParams("wait", map[string]int{"n": i}))
	}
	var order []string
	for i := 0; i < n; i++ {
		r := h.next()
		var id string
		if err := json.Unmarshal(r.ID, &id); err != nil {
			t.Fatalf("id %s", r.ID)
		}
		var res execResult
		wantResult(t, r, &res)
		want := strings.TrimPrefix(id, "call-")
		if res.Summary != "done "+want || string(res.Output) != `{"n":`+want+`}` {
			t.Errorf("response to %s is %s", id, r.Result)
		}
		order = append(order, want)
	}
	if order[0] == "0" && order[n-1] == fmt.Sprint(n-1) {
		t.Logf("answers came in request order: %v", order)
	}
}

func TestMalformedLines(t *testing.T) {
	h, _ := configured(t)
	for _, c := range []struct {
		line string
		code int
		id   string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":`, CodeParseError, "null"},
		{`not json at all`, CodeParseError, "null"},
		{`[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]`, CodeInvalidRequest, "null"},
		{`42`, CodeInvalidRequest, "null"},
		{`{"jsonrpc":"2.0","id":{"a":1},"method":"initialize"}`, CodeInvalidRequest, "null"},
		{`{"jsonrpc":"1.0","id":5,"method":"initialize"}`, CodeInvalidRequest, "5"},
		{`{"jsonrpc":"2.0","id":"six","method":7}`, CodeInvalidRequest, `"six"`},
		{`{"jsonrpc":"2.0","id":8,"method":"cases.delete"}`, CodeMethodNotFound, "8"},
	} {
		h.send(c.line)
		r := h.next()
		if string(r.ID) != c.id {
			t.Errorf("%s: id %s, want %s", c.line, r.ID, c.id)
		}
		wantError(t, r, c.code)
	}
	// blank lines and notifications get no answer; CRLF line ends are accepted
	h.send("")
	h.send(`{"jsonrpc":"2.0","method":"initialize"}`)
	h.send(`{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"protocolVersion":"1","host":{"name":"latch","version":"1"}}}` + "\r")
	r := h.next()
	if string(r.ID) != "9" {
		t.Fatalf("want the answer to 9, got %s", r.raw)
	}
	wantResult(t, r, nil)
	wantResult(t, h.execute("refund", goodRefund), nil)
}

func TestLongLine(t *testing.T) {
	h, _ := configured(t)
	h.send(`{"jsonrpc":"2.0","id":1,"method":"action.execute","params":{"pad":"` + strings.Repeat("x", MaxLineBytes) + `"}}`)
	r := h.next()
	wantError(t, r, CodeInvalidRequest)
	wantResult(t, h.execute("refund", goodRefund), nil)
}

func TestActionsList(t *testing.T) {
	h, _ := configured(t)
	var res struct {
		Actions []ListedAction `json:"actions"`
	}
	wantResult(t, h.call("actions.list", map[string]any{"case": testCase}), &res)
	if len(res.Actions) != 4 || res.Actions[0].Name != "refund" || res.Actions[0].Title != "Refund a payment" {
		t.Errorf("default list %+v", res.Actions)
	}

	p := NewPlugin(testManifest())
	for _, a := range testManifest().Actions {
		Action(p, a.Name, func(ctx *ExecContext, in any) (Result, error) { return Result{}, nil })
	}
	var gotCase CaseContext
	p.OnListActions(func(c CaseContext) ([]ListedAction, error) {
		gotCase = c
		if c.Fields["order_id"] == nil {
			return nil, nil
		}
		return []ListedAction{
			{Name: "refund", SuggestedInput: map[string]any{"payment_intent": "pi_1"}},
			{Name: "not-declared", Title: "x"},
		}, nil
	})
	h2 := start(t, p)
	wantResult(t, h2.call("configure", configParams(nil, map[string]string{"apiKey": "k"})), nil)
	r := h2.call("actions.list", map[string]any{"case": testCase})
	wantResult(t, r, nil)
	if string(r.Result) != `{"actions":[{"name":"refund","title":"Refund a payment","suggestedInput":{"payment_intent":"pi_1"}}]}` {
		t.Errorf("list %s", r.Result)
	}
	if gotCase.ID != "case-1" || gotCase.Priority != "high" {
		t.Errorf("case %+v", gotCase)
	}
	noOrder := map[string]any{}
	for k, v := range testCase {
		noOrder[k] = v
	}
	noOrder["fields"], noOrder["queue"] = map[string]any{}, nil
	r = h2.call("actions.list", map[string]any{"case": noOrder})
	if string(r.Result) != `{"actions":[]}` {
		t.Errorf("empty list %s", r.raw)
	}
}

func TestShutdown(t *testing.T) {
	p, _ := newTestPlugin(t)
	var hookRan bool
	p.OnShutdown(func() error { hookRan = true; return nil })
	h := start(t, p)
	wantResult(t, h.call("configure", configParams(nil, map[string]string{"apiKey": "k"})), nil)
	// a slow action in flight when the host shuts the plugin down still gets its answer
	h.request("slow-1", "action.execute", execParams("slow", map[string]any{"sleepMs": 50}))
	r := h.call("shutdown", nil)
	wantResult(t, r, nil)
	if string(r.Result) != "{}" || !hookRan {
		t.Errorf("shutdown result %s, hook ran %v", r.Result, hookRan)
	}
	// new work is refused once shutdown has been answered
	r = h.execute("refund", goodRefund)
	wantError(t, r, CodeInvalidRequest)
	if r.Error.Message != "plugin is shutting down" {
		t.Errorf("after shutdown: %q", r.Error.Message)
	}
	if err := h.closeStdin(); err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	var res execResult
	wantResult(t, h.await(`"slow-1"`), &res)
	if res.Summary != "slept" {
		t.Errorf("slow result %+v", res)
	}
	if _, ok := <-h.lines; ok {
		t.Error("stdout should be closed after Serve returns")
	}
}

func TestActionTimeout(t *testing.T) {
	h, _ := configured(t)
	var res execResult
	start := time.Now()
	wantResult(t, h.execute("slow", map[string]any{}), &res) // timeoutMs 100
	if res.Status != "failed" || res.Retryable == nil || !*res.Retryable || res.Summary != "context deadline exceeded" {
		t.Errorf("result %+v", res)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestServeRejectsBrokenPlugins(t *testing.T) {
	good := testManifest
	for name, c := range map[string]struct {
		m    func() Manifest
		want string
	}{
		"missing handler": {good, `action "refund" has no handler`},
		"bad id":          {func() Manifest { m := good(); m.ID = "Stripe!"; return m }, `manifest/id must match`},
		"bad version":     {func() Manifest { m := good(); m.Version = "1"; return m }, `manifest/version must match`},
		"no command":      {func() Manifest { m := good(); m.Command = nil; return m }, `manifest/command must have at least 1 items`},
		"no title":        {func() Manifest { m := good(); m.Actions[2].Title = ""; return m }, `manifest/actions/2/title must be at least 1 characters`},
		"unsupported keyword": {func() Manifest {
			m := good()
			m.Actions[0].InputSchema = Schema{"anyOf": []any{Schema{"type": "string"}}}
			return m
		}, `inputSchema uses keywords the SDK does not check: #/anyOf`},
		"protocol": {func() Manifest { m := good(); m.ProtocolVersion = "2"; return m }, "protocolVersion"},
		"bad schema": {func() Manifest {
			m := good()
			m.Actions[0].InputSchema = Schema{"properties": Schema{"x": Schema{"pattern": "("}}}
			return m
		}, "inputSchema"},
	} {
		t.Run(name, func(t *testing.T) {
			p := NewPlugin(c.m())
			if name != "missing handler" {
				for _, a := range p.Manifest().Actions {
					Action(p, a.Name, func(ctx *ExecContext, in any) (Result, error) { return Result{}, nil })
				}
			}
			err := p.ServeIO(strings.NewReader(""), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestActionRegistrationPanics(t *testing.T) {
	p := NewPlugin(testManifest())
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		fn()
	}
	mustPanic("undeclared", func() {
		Action(p, "nope", func(ctx *ExecContext, in any) (Result, error) { return Result{}, nil })
	})
	Action(p, "refund", func(ctx *ExecContext, in any) (Result, error) { return Result{}, nil })
	mustPanic("twice", func() {
		Action(p, "refund", func(ctx *ExecContext, in any) (Result, error) { return Result{}, nil })
	})
}

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte(`{"id":"x","name":"X","version":"1","protocolVersion":"1","command":["./x"],
		"caseTypes":["*"],"caseFields":["a"],"config":[],"actions":[{"name":"a","title":"A","inputSchema":{"type":"object","required":["q"]}}]}`))
	if err != nil || m.ID != "x" || m.Actions[0].InputSchema["type"] != "object" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := ParseManifest([]byte(`{"id":"x","colour":"red"}`)); err == nil {
		t.Error("unknown fields should be refused")
	}
}

func TestResultJSON(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want string
	}{
		{Succeeded("ok", nil), `{"status":"succeeded","summary":"ok","output":{}}`},
		{Result{Summary: "s", Output: []int{1}}, `{"status":"succeeded","summary":"s","output":[1]}`},
		{Failed("nope", false), `{"status":"failed","retryable":false,"summary":"nope"}`},
		{Failed("later", true), `{"status":"failed","retryable":true,"summary":"later"}`},
	} {
		b, err := json.Marshal(c.r)
		if err != nil || string(b) != c.want {
			t.Errorf("%+v: %s %v, want %s", c.r, b, err, c.want)
		}
	}
	if Permanent(nil) != nil || IsPermanent(errors.New("x")) || !IsPermanent(fmt.Errorf("w: %w", Permanent(errors.New("x")))) {
		t.Error("Permanent")
	}
}

func TestUnterminatedLastLine(t *testing.T) {
	p, _ := newTestPlugin(t)
	var out, logs bytes.Buffer
	p.SetLogOutput(&logs)
	in := `{"jsonrpc":"2.0","id":1,"method":"shutdown"}` + "\n" + `{"jsonrpc":"2.0","id":2,"method":"shutdown"}`
	if err := p.ServeIO(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != `{"jsonrpc":"2.0","id":1,"result":{}}`+"\n" {
		t.Errorf("stdout %q", out.String())
	}
	if !strings.Contains(logs.String(), "ignoring 44 bytes after the last newline") {
		t.Errorf("logs %q", logs.String())
	}
}
