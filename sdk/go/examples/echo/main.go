// Command echo is an example Latch plugin written with the Go SDK: its action echo returns its
// input as its output, and noop does nothing.
//
// Build it next to its manifest (whose command is ./echo), from sdk/go:
//
//	go build -o examples/echo/echo ./examples/echo
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	latch "latch.example/sdk/go"
)

// The manifest sent in initialize is the file on disk, so the two cannot differ.
//
//go:embed latch-plugin.json
var manifestJSON []byte

func newPlugin() *latch.Plugin {
	p := latch.NewPlugin(latch.MustParseManifest(manifestJSON))

	// What this process has executed, by request id, so that reconcile can answer: an example only.
	// A real plugin asks the external system (by request id or idempotency key), which survives restarts.
	var mu sync.Mutex
	done := map[string]latch.Result{}
	remember := func(requestID string, res latch.Result) latch.Result {
		mu.Lock()
		defer mu.Unlock()
		if len(done) >= 10000 {
			done = map[string]latch.Result{}
		}
		done[requestID] = res
		return res
	}
	reconcile := func(ctx *latch.ReconcileContext, _ json.RawMessage) (latch.Reconciled, error) {
		mu.Lock()
		defer mu.Unlock()
		if res, ok := done[ctx.RequestID]; ok {
			return latch.Found(res), nil
		}
		return latch.NotFound(), nil
	}

	p.OnConfigure(func(config map[string]any, secrets map[string]string) error {
		if g, ok := config["greeting"]; ok && g != nil {
			greeting, isString := g.(string)
			if !isString {
				return fmt.Errorf("config greeting must be a string")
			}
			p.Logf("configured; greeting %q, token set: %t", greeting, secrets["token"] != "")
		}
		return nil
	})

	latch.Action(p, "echo", func(ctx *latch.ExecContext, in json.RawMessage) (latch.Result, error) {
		ctx.Log("echoing", len(in), "bytes")
		return remember(ctx.RequestID, latch.Succeeded("echoed", in)), nil
	})
	latch.Reconcile(p, "echo", reconcile)

	latch.Action(p, "noop", func(ctx *latch.ExecContext, _ struct{}) (latch.Result, error) {
		return remember(ctx.RequestID, latch.Succeeded("nothing done", nil)), nil
	})
	latch.Reconcile(p, "noop", reconcile)

	// Context for every case type: what the plugin was told about the case (an example only; a real
	// plugin reads its external system, e.g. the order the case names).
	p.Context([]string{"*"}, func(ctx *latch.ContextContext) (latch.CaseFacts, error) {
		greeting, _ := ctx.Config["greeting"].(string)
		if greeting == "" {
			greeting = "Echo"
		}
		return latch.CaseFacts{
			Facts: []latch.Fact{
				{Label: "Case", Value: ctx.CaseID, Kind: latch.FactID},
				{Label: "Case type", Value: ctx.CaseType},
				{Label: "Fields shared", Value: fmt.Sprint(len(ctx.Fields))},
			},
			Summary: greeting + ": a " + ctx.CaseType + " case",
		}, nil
	})

	return p
}

func main() {
	if err := newPlugin().Serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
