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

	latch "latch.example/sdk/go"
)

// The manifest sent in initialize is the file on disk, so the two cannot differ.
//
//go:embed latch-plugin.json
var manifestJSON []byte

func newPlugin() *latch.Plugin {
	p := latch.NewPlugin(latch.MustParseManifest(manifestJSON))

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
		return latch.Succeeded("echoed", in), nil
	})

	latch.Action(p, "noop", func(ctx *latch.ExecContext, _ struct{}) (latch.Result, error) {
		return latch.Succeeded("nothing done", nil), nil
	})

	return p
}

func main() {
	if err := newPlugin().Serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
