package workflow

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRule1Validation(t *testing.T) {
	known := func(s string) bool { return s == "deploy" || s == "notify" }
	cases := []struct {
		name string
		src  string
		want []string // field paths, sorted
		msg  string   // a word the first message holds
	}{
		{"ok", `{name: x, nodes: [{id: a, type: deploy}]}`, nil, ""},
		{"no name, no nodes", `{nodes: []}`, []string{"name", "nodes"}, "required"},
		{"duplicate id", `{name: x, nodes: [{id: a, type: deploy}, {id: a, type: deploy}]}`, []string{"nodes[1].id"}, "nodes[0]"},
		{"bad id", `{name: x, nodes: [{id: "a.b", type: deploy}]}`, []string{"nodes[0].id"}, "letters"},
		{"unknown type", `{name: x, nodes: [{id: a, type: teleport}]}`, []string{"nodes[0].type"}, "teleport"},
		{"missing dep", `{name: x, nodes: [{id: a, type: deploy}, {id: b, type: deploy, dependsOn: [a, zz]}]}`, []string{"nodes[1].dependsOn[1]"}, "zz"},
		{"self dep", `{name: x, nodes: [{id: a, type: deploy, dependsOn: [a]}]}`, []string{"nodes[0].dependsOn[0]"}, "itself"},
		{"cycle", `{name: x, nodes: [{id: s, type: deploy}, {id: a, type: deploy, dependsOn: [s, c]}, {id: b, type: deploy, dependsOn: [a]}, {id: c, type: deploy, dependsOn: [b]}, {id: z, type: deploy, dependsOn: [c]}]}`, []string{"nodes[1].dependsOn"}, "cycle"},
		{"when ref not ancestor", `{name: x, nodes: [{id: a, type: deploy}, {id: b, type: deploy, when: {ref: nodes.a.outputs.k, op: "==", value: 1}}]}`, []string{"nodes[1].when.ref"}, "ancestor"},
		{"when ref undeclared input", `{name: x, nodes: [{id: a, type: deploy, when: {not: {ref: inputs.q, op: "==", value: 1}}}]}`, []string{"nodes[0].when.not.ref"}, "not declared"},
		{"bad op and in without list", `{name: x, inputs: {q: 1}, nodes: [{id: a, type: deploy, when: {all: [{ref: inputs.q, op: "~", value: 1}, {ref: inputs.q, op: in, value: 1}]}}]}`, []string{"nodes[0].when.all[0].op", "nodes[0].when.all[1].value"}, "~"},
		{"two kinds in one condition", `{name: x, inputs: {q: 1}, nodes: [{id: a, type: deploy, when: {ref: inputs.q, op: "==", any: [{ref: inputs.q, op: "==", value: 1}]}}]}`, []string{"nodes[0].when"}, "exactly one"},
		{"retry and onFailure", `{name: x, nodes: [{id: a, type: deploy, onFailure: explode, timeoutSeconds: -1, retry: {maxAttempts: 101, backoffSeconds: -1, multiplier: 0.5}}]}`,
			[]string{"nodes[0].onFailure", "nodes[0].retry.backoffSeconds", "nodes[0].retry.maxAttempts", "nodes[0].retry.multiplier", "nodes[0].timeoutSeconds"}, "explode"},
		{"max backoff below backoff", `{name: x, nodes: [{id: a, type: deploy, retry: {backoffSeconds: 10, maxBackoffSeconds: 2}}]}`, []string{"nodes[0].retry.maxBackoffSeconds"}, "below"},
		{"config not object", `{name: x, nodes: [{id: a, type: deploy, config: [1]}]}`, []string{"nodes[0].config"}, "object"},
		{"outputs", `{name: x, nodes: [{id: a, type: deploy}], outputs: {o1: nodes.zz.outputs.k, o2: inputs.nope, o3: "whatever"}}`, []string{"outputs.o1", "outputs.o2", "outputs.o3"}, "zz"},
		{"natural order", `{name: x, nodes: [{id: a0, type: deploy}, {id: a1, type: deploy}, {id: a2, type: deploy, dependsOn: [q]}, {id: a3, type: deploy}, {id: a4, type: deploy}, {id: a5, type: deploy}, {id: a6, type: deploy}, {id: a7, type: deploy}, {id: a8, type: deploy}, {id: a9, type: deploy}, {id: b0, type: deploy, dependsOn: [q]}]}`, []string{"nodes[2].dependsOn[0]", "nodes[10].dependsOn[0]"}, "q"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tpl Template
			err := json.Unmarshal([]byte(yamlToJSON(t, c.src)), &tpl)
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(&tpl, known)
			if c.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, fault.ErrValidation) {
				t.Fatalf("want VALIDATION, got %v", err)
			}
			if got := fields(t, err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("fields = %q, want %q (%v)", got, c.want, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not mention %q", err, c.msg)
			}
		})
	}
}

func TestValidateFillsDefaults(t *testing.T) {
	tpl := mustParse(t, `{name: x, nodes: [{id: a, type: deploy}]}`)
	n := tpl.Nodes[0]
	want := Retry{MaxAttempts: 1, BackoffSeconds: 5, Multiplier: 2, MaxBackoffSeconds: 300}
	if n.TimeoutSeconds != 600 || n.Retry != want || n.OnFailure != OnFailureFail {
		t.Fatalf("defaults not filled: %+v", n)
	}
	d := DefaultDeploy()
	if d.Name != "default-deploy" || len(d.Nodes) != 2 || d.Nodes[1].DependsOn[0] != "deploy" || d.Nodes[1].ID != "health-check" {
		t.Fatalf("default-deploy = %+v", d)
	}
}

// step drives one node through an attempt.
func step(t *testing.T, r *Run, id string, res Result, at time.Time) {
	t.Helper()
	if err := r.Started(id, at); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	if err := r.Finished(id, res, at); err != nil {
		t.Fatalf("finish %s: %v", id, err)
	}
}

func states(r *Run) map[string]NodeState {
	out := map[string]NodeState{}
	for _, n := range r.Nodes {
		out[n.ID] = n.State
	}
	return out
}

func TestRule2Readiness(t *testing.T) {
	const src = `{name: x, inputs: {go: true}, nodes: [
	  {id: a, type: t}, {id: b, type: t, when: {ref: inputs.go, op: "==", value: false}},
	  {id: c, type: t, dependsOn: [a, b]}, {id: d, type: t, dependsOn: [b]}, {id: e, type: t, dependsOn: [d]}]}`
	cases := []struct {
		name  string
		aErr  string
		want  []string // started by the second Next
		state map[string]NodeState
	}{
		{"one succeeded one skipped is ready; all skipped is skipped", "", []string{"c"},
			map[string]NodeState{"a": NodeSucceeded, "b": NodeSkipped, "c": NodePending, "d": NodeSkipped, "e": NodeSkipped}},
		{"a failed dependency blocks", "boom", nil,
			map[string]NodeState{"a": NodeFailed, "b": NodeSkipped, "c": NodeCancelled, "d": NodeSkipped, "e": NodeSkipped}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustRun(t, src, nil)
			if p := r.Next(t0); !reflect.DeepEqual(p.Start, []string{"a"}) {
				t.Fatalf("first plan %+v", p)
			}
			step(t, r, "a", Result{Err: c.aErr}, t0)
			p := r.Next(t0)
			if !reflect.DeepEqual(p.Start, c.want) {
				t.Fatalf("start = %v, want %v", p.Start, c.want)
			}
			if got := states(r); !reflect.DeepEqual(got, c.state) {
				t.Fatalf("states = %v, want %v", got, c.state)
			}
		})
	}
}

func TestRule3Concurrency(t *testing.T) {
	src := `{name: x, nodes: [{id: n5, type: t}, {id: n3, type: t}, {id: n1, type: t}, {id: n4, type: t}, {id: n2, type: t}, {id: n6, type: t}]}`
	cases := []struct {
		limit, running int
		want           []string
	}{
		{0, 0, []string{"n1", "n2", "n3", "n4"}}, // 0 → default 4
		{2, 0, []string{"n1", "n2"}},
		{4, 2, []string{"n3", "n4"}},
		{10, 0, []string{"n1", "n2", "n3", "n4", "n5", "n6"}},
		{2, 2, nil},
	}
	for _, c := range cases {
		r := mustRun(t, src, nil)
		r.Limit = c.limit
		for _, id := range []string{"n1", "n2"}[:c.running] {
			if err := r.Started(id, t0); err != nil {
				t.Fatal(err)
			}
		}
		if p := r.Next(t0); !reflect.DeepEqual(p.Start, c.want) {
			t.Errorf("limit %d running %d: start %v, want %v", c.limit, c.running, p.Start, c.want)
		}
	}
}

func TestRule4Retry(t *testing.T) {
	src := `{name: x, nodes: [{id: a, type: t, retry: {maxAttempts: 3, backoffSeconds: 10, multiplier: 3, maxBackoffSeconds: 60}}]}`
	cases := []struct {
		name      string
		results   []Result
		wantState NodeState
		wantWaits []time.Duration
	}{
		{"not retriable", []Result{{Err: "x"}}, NodeFailed, nil},
		{"retriable then ok", []Result{{Err: "x", Retriable: true}, {Err: "x", Retriable: true}, {}}, NodeSucceeded, []time.Duration{10 * time.Second, 30 * time.Second}},
		{"exhausted", []Result{{Err: "x", Retriable: true}, {Err: "x", Retriable: true}, {Err: "x", Retriable: true}}, NodeFailed, []time.Duration{10 * time.Second, 30 * time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustRun(t, src, nil)
			now := t0
			var waits []time.Duration
			for _, res := range c.results {
				p := r.Next(now)
				if len(p.Start) != 1 {
					t.Fatalf("plan %+v at %v", p, now)
				}
				step(t, r, "a", res, now)
				if nb := r.Node("a").NotBefore; !nb.IsZero() {
					waits = append(waits, nb.Sub(now))
					if p := r.Next(now); len(p.Start) != 0 || !p.Wake.Equal(nb) {
						t.Fatalf("before NotBefore: plan %+v", p)
					}
					if err := r.Started("a", now); !errors.Is(err, fault.ErrConflict) {
						t.Fatalf("early start: %v", err)
					}
					now = nb
				}
			}
			if got := r.Node("a").State; got != c.wantState {
				t.Fatalf("state %s, want %s", got, c.wantState)
			}
			if !reflect.DeepEqual(waits, c.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, c.wantWaits)
			}
		})
	}
}

func TestRule5TimeoutIsARetriableFailure(t *testing.T) {
	cases := []struct {
		max  int
		want NodeState
	}{{1, NodeFailed}, {2, NodePending}}
	for _, c := range cases {
		tpl := mustParse(t, `{name: x, nodes: [{id: a, type: t, timeoutSeconds: 30}]}`)
		tpl.Nodes[0].Retry.MaxAttempts = c.max
		r, err := NewRun("r", tpl, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Next(t0)
		step(t, r, "a", Result{Err: "timeout after 30s", Retriable: true}, t0.Add(30*time.Second))
		if n := r.Node("a"); n.State != c.want || n.Error != "timeout after 30s" {
			t.Errorf("maxAttempts %d: node %+v, want %s", c.max, n, c.want)
		}
	}
}

func TestRule6FinalFailure(t *testing.T) {
	src := func(policy string) string {
		return `{name: x, nodes: [{id: a, type: t, onFailure: ` + policy + `}, {id: b, type: t}, {id: c, type: t, dependsOn: [a]}, {id: d, type: t, dependsOn: [b]}]}`
	}
	cases := []struct {
		policy      string
		afterFail   map[string]NodeState
		runMidway   RunState
		runEnd      RunState
		rollback    bool
		errContains string
	}{
		{"fail", map[string]NodeState{"a": NodeFailed, "b": NodeRunning, "c": NodeCancelled, "d": NodeCancelled}, RunRunning, RunFailed, false, `node "a" failed: boom`},
		{"rollback", map[string]NodeState{"a": NodeFailed, "b": NodeRunning, "c": NodeCancelled, "d": NodeCancelled}, RunRunning, RunFailed, true, `node "a" failed`},
		{"continue", map[string]NodeState{"a": NodeFailed, "b": NodeRunning, "c": NodePending, "d": NodePending}, RunRunning, RunSucceeded, false, ""},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			r := mustRun(t, src(c.policy), nil)
			r.Next(t0)
			for _, id := range []string{"a", "b"} {
				if err := r.Started(id, t0); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Finished("a", Result{Err: "boom"}, t0); err != nil {
				t.Fatal(err)
			}
			if got := states(r); !reflect.DeepEqual(got, c.afterFail) {
				t.Fatalf("states %v, want %v", got, c.afterFail)
			}
			if r.State != c.runMidway {
				t.Fatalf("run %s while b runs, want %s", r.State, c.runMidway)
			}
			if err := r.Finished("b", Result{}, t0); err != nil {
				t.Fatal(err)
			}
			for p := r.Next(t0); len(p.Start) > 0; p = r.Next(t0) {
				for _, id := range p.Start {
					step(t, r, id, Result{}, t0)
				}
			}
			if r.State != c.runEnd || r.Rollback != c.rollback || !strings.Contains(r.Error, c.errContains) {
				t.Fatalf("run %s rollback %v error %q; want %s %v %q", r.State, r.Rollback, r.Error, c.runEnd, c.rollback, c.errContains)
			}
		})
	}
}

func TestRule7When(t *testing.T) {
	src := `{name: x, inputs: {env: dev}, nodes: [
	  {id: a, type: t},
	  {id: b, type: t, dependsOn: [a], when: {ref: nodes.a.outputs.n, op: ">", value: 2}},
	  {id: c, type: t, dependsOn: [b]}]}`
	cases := []struct {
		name    string
		outputs map[string]any
		b, c    NodeState
	}{
		{"true runs", map[string]any{"n": 3}, NodePending, NodePending},
		{"false skips, then dependents skip", map[string]any{"n": 2}, NodeSkipped, NodeSkipped},
		{"missing ref is false", nil, NodeSkipped, NodeSkipped},
		{"type mismatch fails the node", map[string]any{"n": "three"}, NodeFailed, NodeCancelled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustRun(t, src, nil)
			r.Next(t0)
			step(t, r, "a", Result{Outputs: c.outputs}, t0)
			r.Next(t0)
			if s := states(r); s["b"] != c.b || s["c"] != c.c {
				t.Fatalf("b %s c %s, want %s %s", s["b"], s["c"], c.b, c.c)
			}
		})
	}
}

func TestRule8States(t *testing.T) {
	src := `{name: x, nodes: [{id: a, type: approval}, {id: b, type: t}, {id: c, type: t, dependsOn: [a]}]}`
	type action struct {
		do   string // start, finish, wait, fail, cancel, next
		node string
	}
	cases := []struct {
		name    string
		actions []action
		run     RunState
		nodes   map[string]NodeState
	}{
		{"new", nil, RunPending, map[string]NodeState{"a": NodePending, "b": NodePending, "c": NodePending}},
		{"running", []action{{"next", ""}, {"start", "a"}}, RunRunning, map[string]NodeState{"a": NodeRunning, "b": NodePending, "c": NodePending}},
		{"waiting blocks alone", []action{{"next", ""}, {"start", "a"}, {"wait", "a"}, {"start", "b"}, {"finish", "b"}}, RunWaiting,
			map[string]NodeState{"a": NodeWaiting, "b": NodeSucceeded, "c": NodePending}},
		{"waiting node started again then succeeds", []action{{"next", ""}, {"start", "a"}, {"wait", "a"}, {"start", "b"}, {"finish", "b"}, {"start", "a"}, {"finish", "a"}, {"start", "c"}, {"finish", "c"}}, RunSucceeded,
			map[string]NodeState{"a": NodeSucceeded, "b": NodeSucceeded, "c": NodeSucceeded}},
		{"waiting node finished directly", []action{{"next", ""}, {"start", "a"}, {"wait", "a"}, {"finish", "a"}}, RunRunning,
			map[string]NodeState{"a": NodeSucceeded, "b": NodePending, "c": NodePending}},
		{"failed", []action{{"next", ""}, {"start", "a"}, {"fail", "a"}}, RunFailed, map[string]NodeState{"a": NodeFailed, "b": NodeCancelled, "c": NodeCancelled}},
		{"cancelled", []action{{"next", ""}, {"start", "a"}, {"cancel", ""}, {"finish", "a"}}, RunCancelled, map[string]NodeState{"a": NodeSucceeded, "b": NodeCancelled, "c": NodeCancelled}},
		{"cancelled running node that errs", []action{{"next", ""}, {"start", "a"}, {"cancel", ""}, {"fail", "a"}}, RunCancelled, map[string]NodeState{"a": NodeCancelled, "b": NodeCancelled, "c": NodeCancelled}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustRun(t, src, nil)
			for _, a := range c.actions {
				var err error
				switch a.do {
				case "next":
					r.Next(t0)
				case "start":
					err = r.Started(a.node, t0)
				case "finish":
					err = r.Finished(a.node, Result{}, t0)
				case "wait":
					err = r.Finished(a.node, Result{Waiting: true}, t0)
				case "fail":
					err = r.Finished(a.node, Result{Err: "no"}, t0)
				case "cancel":
					if p := r.Cancel(t0); !p.Done || !reflect.DeepEqual(p.Cancel, []string{"a"}) {
						t.Fatalf("cancel plan %+v", p)
					}
				}
				if err != nil {
					t.Fatalf("%s %s: %v", a.do, a.node, err)
				}
			}
			if r.State != c.run || !reflect.DeepEqual(states(r), c.nodes) {
				t.Fatalf("run %s nodes %v; want %s %v", r.State, states(r), c.run, c.nodes)
			}
			// The engine persists the run as JSON: it must come back byte-identical.
			b1, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back Run
			if err := json.Unmarshal(b1, &back); err != nil {
				t.Fatal(err)
			}
			b2, _ := json.Marshal(&back)
			if string(b1) != string(b2) {
				t.Fatalf("JSON roundtrip differs:\n%s\n%s", b1, b2)
			}
		})
	}
}

func TestStartedRefusesWrongStates(t *testing.T) {
	r := mustRun(t, `{name: x, nodes: [{id: a, type: t}, {id: b, type: t, dependsOn: [a]}]}`, nil)
	if err := r.Started("b", t0); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("start before dependencies: %v", err)
	}
	if err := r.Started("zz", t0); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown node: %v", err)
	}
	step(t, r, "a", Result{}, t0)
	if err := r.Started("a", t0); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("restart of a finished node: %v", err)
	}
	if err := r.Finished("a", Result{}, t0); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second finish: %v", err)
	}
}

func TestNewRunInputs(t *testing.T) {
	src := `{name: x, inputs: {env: dev, release: null, count: 3}, nodes: [{id: a, type: t}], outputs: {where: inputs.env, out: nodes.a.outputs.deep.key}}`
	if _, err := NewRun("r", mustParse(t, src), nil); !reflect.DeepEqual(fields(t, err), []string{"inputs.release"}) {
		t.Fatalf("missing required input: %v", err)
	}
	r, err := NewRun("r", mustParse(t, src), map[string]any{"release": "rel-1", "env": "prod", "tenant": "t1"})
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]any{"inputs.env": "prod", "inputs.count": 3.0, "inputs.tenant": "t1", "nodes.a.state": "pending"} {
		if got, ok := r.Lookup(ref); !ok || got != want {
			t.Errorf("Lookup(%s) = %v %v, want %v", ref, got, ok, want)
		}
	}
	r.Next(t0)
	step(t, r, "a", Result{Outputs: map[string]any{"deep": map[string]any{"key": 7}, "x.y": "dotted"}}, t0)
	if got, ok := r.Lookup("nodes.a.outputs.x.y"); !ok || got != "dotted" {
		t.Errorf("dotted key: %v %v", got, ok)
	}
	if got := r.Outputs(); !reflect.DeepEqual(got, map[string]any{"where": "prod", "out": 7}) {
		t.Errorf("outputs %v", got)
	}
	if _, ok := r.Lookup("nodes.zz.state"); ok {
		t.Error("unknown node resolved")
	}
}
