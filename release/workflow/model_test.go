package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	cases := []struct {
		r       Retry
		attempt int
		want    time.Duration
	}{
		{Retry{}, 1, 5 * time.Second}, // defaults 5s ×2, max 300s
		{Retry{}, 2, 10 * time.Second},
		{Retry{}, 3, 20 * time.Second},
		{Retry{}, 7, 300 * time.Second}, // 320 capped
		{Retry{}, 0, 5 * time.Second},   // below 1 reads as the first attempt
		{Retry{BackoffSeconds: 1.5, Multiplier: 3, MaxBackoffSeconds: 10}, 2, 4500 * time.Millisecond},
		{Retry{BackoffSeconds: 1.5, Multiplier: 3, MaxBackoffSeconds: 10}, 3, 10 * time.Second},
		{Retry{BackoffSeconds: 2, Multiplier: 1, MaxBackoffSeconds: 300}, 50, 2 * time.Second},
		{Retry{BackoffSeconds: 5, Multiplier: 10, MaxBackoffSeconds: 60}, 100, 60 * time.Second}, // 10^99 stays capped
	}
	for _, c := range cases {
		if got := Backoff(c.r, c.attempt); got != c.want {
			t.Errorf("Backoff(%+v, %d) = %v, want %v", c.r, c.attempt, got, c.want)
		}
	}
}

type scope map[string]any

func (s scope) Lookup(ref string) (any, bool) { v, ok := s[ref]; return v, ok }

func TestConditionEval(t *testing.T) {
	s := scope{"i": 3, "f": 2.5, "n": json.Number("10"), "s": "beta", "b": true, "z": nil, "l": []any{"a"}}
	ref := func(r, op string, v any) Condition { return Condition{Ref: r, Op: op, Value: v} }
	cases := []struct {
		c       Condition
		want    bool
		wantErr bool
	}{
		{ref("i", "==", 3.0), true, false},
		{ref("i", "==", json.Number("3")), true, false},
		{ref("n", ">", 9), true, false},    // json.Number vs int
		{ref("n", "<", 9.5), false, false}, // 10 vs 9.5 numerically, not lexically
		{ref("f", "<=", 2.5), true, false},
		{ref("f", ">=", 3), false, false},
		{ref("i", "!=", 4), true, false},
		{ref("s", "<", "gamma"), true, false},
		{ref("s", ">", "alpha"), true, false},
		{ref("s", "==", "beta"), true, false},
		{ref("b", "==", true), true, false},
		{ref("b", "!=", false), true, false},
		{ref("z", "==", nil), true, false},
		{ref("l", "==", []any{"a"}), true, false},
		{ref("s", "in", []any{"alpha", "beta"}), true, false},
		{ref("s", "in", []string{"alpha"}), false, false},
		{ref("i", "in", []any{"3", 3.0}), true, false}, // another kind is just not equal
		{ref("missing", "==", 1), false, false},
		{ref("missing", "!=", 1), false, false},
		{Condition{Not: &Condition{Ref: "missing", Op: "==", Value: 1}}, true, false},
		{ref("s", "==", 1), false, true},
		{ref("b", "<", true), false, true},
		{ref("i", ">", "2"), false, true},
		{ref("s", "in", "beta"), false, true},
		{ref("s", "~", "beta"), false, true},
		{Condition{All: []Condition{ref("i", "==", 3), ref("b", "==", true)}}, true, false},
		{Condition{All: []Condition{ref("i", "==", 3), ref("b", "==", false)}}, false, false},
		{Condition{Any: []Condition{ref("i", "==", 4), ref("b", "==", true)}}, true, false},
		{Condition{Any: []Condition{ref("i", "==", 4), ref("s", "==", 1)}}, false, true},
		{Condition{Not: &Condition{Any: []Condition{ref("i", "==", 4)}}}, true, false},
		{Condition{}, false, true},
	}
	for i, c := range cases {
		got, err := c.c.Eval(s)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("case %d %+v: got %v, %v; want %v, error %v", i, c.c, got, err, c.want, c.wantErr)
		}
	}
}

// Canonical ignores map order and Version, and YAML and JSON sources of the
// same template hash alike.
func TestCanonicalIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	keys := []string{"zeta", "alpha", "mid", "beta", "omega", "k1", "k10", "k2"}
	build := func(order []string) string {
		var in, cfg, outs bytes.Buffer
		for i, k := range order {
			if i > 0 {
				in.WriteString(",")
				cfg.WriteString(",")
				outs.WriteString(",")
			}
			fmt.Fprintf(&in, "%q: %q", k, "v-"+k)
			fmt.Fprintf(&cfg, "%q: {\"n\": %d, \"x\": [1, 2]}", k, len(k))
			fmt.Fprintf(&outs, "%q: \"inputs.%s\"", "o"+k, k)
		}
		return fmt.Sprintf(`{"version": %d, "name": "det", "inputs": {%s}, "outputs": {%s},
		  "nodes": [{"id": "a", "type": "deploy", "config": {%s}}]}`, rng.Intn(9), in.String(), outs.String(), cfg.String())
	}
	want, err := Canonical(mustParse(t, build(keys)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		order := append([]string(nil), keys...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		got, err := Canonical(mustParse(t, build(order)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("order %v:\n%s\n%s", order, got, want)
		}
	}
	yml := mustParse(t, "name: det\ninputs: {k: v}\nnodes:\n  - id: a\n    type: deploy\n    config:\n      strategy: {kind: rolling, batch: 2}\n")
	js := mustParse(t, `{"name":"det","inputs":{"k":"v"},"nodes":[{"id":"a","type":"deploy","config":{"strategy":{"batch":2,"kind":"rolling"}}}]}`)
	dy, _ := Digest(yml)
	dj, _ := Digest(js)
	if dy != dj || len(dy) != len("sha256:")+64 {
		t.Fatalf("YAML digest %s, JSON digest %s", dy, dj)
	}
}

func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(`{name: x, nodes: [{id: a, type: deploy}]}`))
	f.Add([]byte("name: d\ninputs: {go: true}\nnodes:\n- {id: a, type: t, config: {k: [1, 2.5, null]}}\n- {id: b, type: t, dependsOn: [a], when: {any: [{ref: inputs.go, op: '==', value: true}, {not: {ref: nodes.a.outputs.k, op: in, value: [1]}}]}, retry: {maxAttempts: 3}}\noutputs: {o: nodes.b.state}\n"))
	f.Add([]byte(`{"name":"c","nodes":[{"id":"a","type":"t","dependsOn":["b"]},{"id":"b","type":"t","dependsOn":["a"]}]}`))
	f.Add([]byte(`{"name":"n","nodes":[{"id":"a","type":"t","config":null,"onFailure":"continue","timeoutSeconds":5}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := ParseTemplate(data)
		if err != nil {
			return
		}
		c, err := Canonical(tpl)
		if err != nil {
			t.Fatalf("accepted template has no canonical form: %v", err)
		}
		again, err := ParseTemplate(c)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", c, err)
		}
		d1, _ := Digest(tpl)
		d2, _ := Digest(again)
		if d1 != d2 {
			t.Fatalf("digest changed after a re-parse: %s vs %s", d1, d2)
		}
	})
}

func benchTemplate(n int) Template {
	t := Template{Name: "bench"}
	for i := 0; i < n; i++ {
		node := Node{ID: fmt.Sprintf("n%03d", i), Type: "t"}
		// A layered DAG: each node depends on up to two of the previous layer.
		if i >= 4 {
			node.DependsOn = []string{fmt.Sprintf("n%03d", i-4), fmt.Sprintf("n%03d", i-3)}
		}
		t.Nodes = append(t.Nodes, node)
	}
	return t
}

// BenchmarkNext measures one Next on a run half done: the first half of the
// nodes succeeded, so the scheduler looks at every node.
func BenchmarkNext(b *testing.B) {
	for _, n := range []int{5, 200} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			r, err := NewRun("bench", benchTemplate(n), nil)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < n/2; i++ {
				r.Nodes[i].State = NodeSucceeded
			}
			r.Limit = n
			b.ReportAllocs()
			for b.Loop() {
				r.Next(t0)
			}
		})
	}
}
