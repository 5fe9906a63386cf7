package workflow

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGoldenDiamond drives testdata/diamond.yaml with a fake clock: c is
// skipped by its when, b fails twice (retriable) and succeeds on attempt 3,
// e fails with onFailure continue, and d runs after b. Every attempt takes
// one second.
func TestGoldenDiamond(t *testing.T) {
	src, err := os.ReadFile("testdata/diamond.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := ParseTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRun("diamond-1", tpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	script := map[string][]Result{
		"b": {{Err: "unhealthy", Retriable: true}, {Err: "unhealthy", Retriable: true}, {Outputs: map[string]any{"healthy": true}}},
		"e": {{Err: "smtp down"}},
	}
	var log strings.Builder
	now := t0
	event := func(node, what string) { fmt.Fprintf(&log, "t+%-4s %-2s %s\n", now.Sub(t0), node, what) }
	for steps := 0; ; steps++ {
		if steps > 50 {
			t.Fatal("run does not finish")
		}
		r = reload(t, r) // the engine persists the run between steps
		before := states(r)
		p := r.Next(now)
		for _, n := range r.Nodes {
			if before[n.ID] != n.State && n.State == NodeSkipped {
				event(n.ID, "skipped")
			}
		}
		if p.Done {
			break
		}
		for _, id := range p.Start {
			if err := r.Started(id, now); err != nil {
				t.Fatal(err)
			}
			event(id, fmt.Sprintf("started attempt %d", r.Node(id).Attempts))
		}
		var running []string
		for _, n := range r.Nodes {
			if n.State == NodeRunning {
				running = append(running, n.ID)
			}
		}
		if len(running) == 0 {
			if p.Wake.IsZero() {
				t.Fatalf("nothing runs and nothing to wake for: %+v", r)
			}
			now = p.Wake
			continue
		}
		now = now.Add(time.Second)
		beforeFinish := states(r)
		for _, id := range running {
			res := Result{}
			if s := script[id]; len(s) > 0 {
				res, script[id] = s[0], s[1:]
			}
			attempt := r.Node(id).Attempts
			if err := r.Finished(id, res, now); err != nil {
				t.Fatal(err)
			}
			n := r.Node(id)
			switch {
			case n.State == NodePending:
				wait := n.NotBefore.Sub(now)
				if want := Backoff(tpl.Nodes[r.index(id)].Retry, attempt); wait != want {
					t.Fatalf("%s attempt %d: retry after %v, want Backoff %v", id, attempt, wait, want)
				}
				event(id, fmt.Sprintf("failed %q, retry after %v", res.Err, wait))
			case res.Err != "":
				event(id, fmt.Sprintf("failed %q (onFailure %s)", res.Err, tpl.Nodes[r.index(id)].OnFailure))
			default:
				event(id, string(n.State))
			}
		}
		for _, n := range r.Nodes {
			if beforeFinish[n.ID] != n.State && n.State == NodeSkipped {
				event(n.ID, "skipped")
			}
		}
	}
	fmt.Fprintf(&log, "run %s", r.State)
	for _, n := range r.Nodes {
		fmt.Fprintf(&log, " %s=%s/%d", n.ID, n.State, n.Attempts)
	}
	fmt.Fprintf(&log, "\noutputs %v\n", r.Outputs())
	golden(t, "testdata/diamond.golden", log.String())
}

// reload round-trips r through JSON and insists on identical bytes.
func reload(t *testing.T, r *Run) *Run {
	t.Helper()
	b1, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Run
	if err := json.Unmarshal(b1, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if string(b1) != string(b2) {
		t.Fatalf("JSON round trip differs:\n%s\n%s", b1, b2)
	}
	return &back
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (run with -update after checking):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
