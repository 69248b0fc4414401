// Command classify is an example Latch plugin with the classify capability, written with the Go
// SDK: it suggests the offered case type whose key, title or intents the case text uses most, the
// type's queue when it has only one, and a high priority when the text has an urgent word. It has
// no actions.
//
// Build it next to its manifest (whose command is ./classify), from sdk/go:
//
//	go build -o examples/classify/classify ./examples/classify
package main

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"

	latch "latch.example/sdk/go"
)

//go:embed latch-plugin.json
var manifestJSON []byte

var (
	wordPattern = regexp.MustCompile(`[\p{L}\p{N}]+`)
	urgentWords = map[string]bool{"urgent": true, "asap": true, "immediately": true, "emergency": true, "critical": true, "outage": true}
)

func words(text string) []string {
	return wordPattern.FindAllString(strings.ToLower(text), -1)
}

// suggest reads the text only as words to count: whatever it asks for, the answer names only the
// offered choices (and the SDK refuses to send any other).
func suggest(text string, choices []latch.ClassifyChoice, version string) latch.Suggestion {
	model := latch.ModelInfo{ID: "keyword-classify-go", Version: version}
	said := words(text)
	type scored struct {
		choice latch.ClassifyChoice
		hits   []string
	}
	var all []scored
	for _, c := range choices {
		vocab := map[string]bool{}
		for _, w := range words(strings.Join(append([]string{c.Key, c.Title}, c.Intents...), " ")) {
			if len(w) > 2 {
				vocab[w] = true
			}
		}
		var hits []string
		for _, w := range said {
			if vocab[w] {
				hits = append(hits, w)
			}
		}
		all = append(all, scored{c, hits})
	}
	sort.SliceStable(all, func(i, j int) bool { return len(all[i].hits) > len(all[j].hits) })
	if len(all) == 0 || len(all[0].hits) == 0 || (len(all) > 1 && len(all[1].hits) == len(all[0].hits)) {
		return latch.Suggestion{Model: model}
	}
	best := all[0]
	runnerUp := 0
	if len(all) > 1 {
		runnerUp = len(all[1].hits)
	}
	s := latch.Suggestion{
		CaseType:   best.choice.Key,
		Confidence: math.Round(float64(len(best.hits))/float64(len(best.hits)+runnerUp+1)*1000) / 1000,
		Model:      model,
	}
	if len(best.choice.Queues) == 1 {
		s.Queue = best.choice.Queues[0]
	}
	counts := map[string]int{}
	var order []string
	for _, w := range said {
		if urgentWords[w] && s.Priority == "" {
			for _, p := range []string{"urgent", "critical", "high"} {
				if contains(best.choice.Priorities, p) {
					s.Priority = p
					break
				}
			}
		}
		if contains(best.hits, w) || urgentWords[w] {
			if counts[w] == 0 {
				order = append(order, w)
			}
			counts[w]++
		}
	}
	for _, w := range order {
		if len(s.Explanation) < 10 {
			s.Explanation = append(s.Explanation, latch.Evidence{Feature: w, Weight: float64(counts[w])})
		}
	}
	return s
}

func contains(list []string, value string) bool {
	for _, v := range list {
		if v == value {
			return true
		}
	}
	return false
}

func newPlugin() *latch.Plugin {
	manifest := latch.MustParseManifest(manifestJSON)
	p := latch.NewPlugin(manifest)
	p.Classify(func(ctx *latch.ClassifyContext) (latch.Suggestion, error) {
		return suggest(ctx.Text, ctx.CaseTypes, manifest.Version), nil
	})
	return p
}

func main() {
	if err := newPlugin().Serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
