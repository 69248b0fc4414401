package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the plugin itself (real stdin, stdout and stderr), so the
// process-level behaviour is tested without building a separate binary.
func TestMain(m *testing.M) {
	if os.Getenv("LATCH_ECHO_TEST_AS_PLUGIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type plugin struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr *bytes.Buffer
}

func startProcess(t *testing.T) *plugin {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{"LATCH_ECHO_TEST_AS_PLUGIN=1", "LATCH_PLUGIN_PROTOCOL=1", "PATH=" + os.Getenv("PATH")}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &plugin{t: t, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return p
}

type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// call sends one request line and reads one response line (the calls here are sequential).
func (p *plugin) call(line string) response {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan bool, 1)
	go func() { done <- p.out.Scan() }()
	select {
	case ok := <-done:
		if !ok {
			p.t.Fatalf("stdout closed; stderr: %s", p.stderr)
		}
	case <-time.After(10 * time.Second):
		p.t.Fatal("no answer within 10 s")
	}
	var r response
	dec := json.NewDecoder(bytes.NewReader(p.out.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || r.JSONRPC != "2.0" {
		p.t.Fatalf("not a JSON-RPC response: %q (%v)", p.out.Text(), err)
	}
	return r
}

func TestEchoPluginProcess(t *testing.T) {
	p := startProcess(t)

	r := p.call(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1","host":{"name":"latch","version":"0.0.0"}}}`)
	var init struct {
		ProtocolVersion string `json:"protocolVersion"`
		Manifest        any    `json:"manifest"`
	}
	if err := json.Unmarshal(r.Result, &init); err != nil || init.ProtocolVersion != "1" {
		t.Fatalf("initialize: %s %v", r.Result, err)
	}
	onDisk, err := os.ReadFile("latch-plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(onDisk, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(init.Manifest, want) {
		t.Errorf("the manifest sent in initialize differs from latch-plugin.json:\n%v\n%v", init.Manifest, want)
	}
	m := init.Manifest.(map[string]any)
	if m["id"] != "echo-go" || m["version"] != want.(map[string]any)["version"] || m["protocolVersion"] != "1" {
		t.Errorf("id/version/protocolVersion: %v", m)
	}

	r = p.call(`{"jsonrpc":"2.0","id":2,"method":"configure","params":{"config":{"greeting":"hello"},"secrets":{"token":"tok_very_secret"}}}`)
	if string(r.Result) != "{}" {
		t.Errorf("configure: %+v", r)
	}
	r = p.call(`{"jsonrpc":"2.0","id":3,"method":"configure","params":{"config":{"greeting":42},"secrets":{}}}`)
	if r.Error == nil || !strings.Contains(r.Error.Message, "greeting") {
		t.Errorf("configure with a bad greeting: %+v", r)
	}
	r = p.call(`{"jsonrpc":"2.0","id":4,"method":"configure","params":{"config":{},"secrets":{}}}`)
	if string(r.Result) != "{}" {
		t.Errorf("configure without the optional values: %+v", r)
	}

	caseJSON := `{"id":"c1","type":"refund","typeVersion":1,"status":"new","priority":"normal","queue":"q","fields":{}}`
	r = p.call(`{"jsonrpc":"2.0","id":5,"method":"actions.list","params":{"case":` + caseJSON + `}}`)
	if string(r.Result) != `{"actions":[{"name":"echo","title":"Echo the input"},{"name":"noop","title":"Do nothing"}]}` {
		t.Errorf("actions.list: %s", r.Result)
	}

	input := `{"message":"hi <there> & all","nested":{"n":1.50,"list":[true,null]}}`
	r = p.call(`{"jsonrpc":"2.0","id":"e1","method":"action.execute","params":{"requestId":"r1","idempotencyKey":"latch-r1-1","action":"echo","input":` + input + `,"case":` + caseJSON + `,"attempt":1}}`)
	if string(r.ID) != `"e1"` || string(r.Result) != `{"status":"succeeded","summary":"echoed","output":`+input+`}` {
		t.Errorf("echo: %s %s", r.ID, r.Result)
	}
	r = p.call(`{"jsonrpc":"2.0","id":7,"method":"action.execute","params":{"requestId":"r2","idempotencyKey":"latch-r2-1","action":"noop","input":{},"case":` + caseJSON + `,"attempt":1}}`)
	if string(r.Result) != `{"status":"succeeded","summary":"nothing done","output":{}}` {
		t.Errorf("noop: %s", r.Result)
	}
	r = p.call(`{"jsonrpc":"2.0","id":8,"method":"action.execute","params":{"requestId":"r3","idempotencyKey":"k","action":"nope","input":{},"case":` + caseJSON + `,"attempt":1}}`)
	if r.Error == nil || r.Error.Code != -32001 {
		t.Errorf("unknown action: %+v", r)
	}
	r = p.call(`{"jsonrpc":"2.0","id":9,"method":"action.execute","params":{"requestId":"r4","idempotencyKey":"k","action":"echo","input":{"message":7},"case":` + caseJSON + `,"attempt":1}}`)
	if r.Error == nil || r.Error.Code != -32002 {
		t.Errorf("invalid input: %+v", r)
	}
	r = p.call(`this is not json`)
	if r.Error == nil || r.Error.Code != -32700 || string(r.ID) != "null" {
		t.Errorf("malformed line: %+v", r)
	}
	r = p.call(`{"jsonrpc":"2.0","id":10,"method":"nope"}`)
	if r.Error == nil || r.Error.Code != -32601 {
		t.Errorf("unknown method: %+v", r)
	}
	r = p.call(`{"jsonrpc":"2.0","id":11,"method":"shutdown"}`)
	if string(r.Result) != "{}" {
		t.Errorf("shutdown: %+v", r)
	}

	_ = p.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v; stderr: %s", err, p.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the plugin did not exit within 5 s of stdin closing")
	}
	if p.out.Scan() {
		t.Errorf("unexpected stdout after shutdown: %q", p.out.Text())
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, `greeting "hello"`) || !strings.Contains(logs, "[echo request=r1 attempt=1]") {
		t.Errorf("stderr: %q", logs)
	}
	if strings.Contains(logs, "tok_very_secret") {
		t.Errorf("the secret reached the log: %q", logs)
	}
}
