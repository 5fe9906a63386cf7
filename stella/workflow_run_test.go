package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

// awaitState runs "workflow run show" until the run is in state.
func (s *shopServer) awaitState(tok, id, state string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var run map[string]any
		if err := json.Unmarshal([]byte(s.must(tok, "workflow", "run", "show", id, "-o", "json")), &run); err != nil {
			s.t.Fatal(err)
		}
		if run["state"] == state {
			return run
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("run %s is %v, want %s", id, run["state"], state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCLIWorkflowRuns runs the README's run commands against an in-process
// server: start the gated example, approve it twice, read it back; a
// failing run with --wait exits 5.
func TestCLIWorkflowRuns(t *testing.T) {
	s := newShopServer(t, nil)
	ci := s.token(server.DefaultTenant, "ci", auth.RoleReleaser)
	alice := s.token(server.DefaultTenant, "alice", auth.RoleApprover)
	viewer := s.token(server.DefaultTenant, "reader", auth.RoleViewer)
	s.must(ci, "workflow", "template", "apply", "../examples/workflows/gated.yaml")

	out, code := run(t, s.URL, ci, "workflow", "run", "start", "gated", "--wait")
	if code != ExitPending || !strings.Contains(out, "waits for an approval") {
		t.Fatalf("start --wait of a gated run: exit %d: %s", code, out)
	}
	id := strings.Fields(out)[1] // "Run:  <id>"
	if out, code := run(t, s.URL, viewer, "workflow", "run", "start", "gated"); code != ExitTrust {
		t.Errorf("viewer starting: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, viewer, "workflow", "run", "approve", id, "approve"); code != ExitTrust {
		t.Errorf("viewer approving: exit %d: %s", code, out)
	}

	s.must(alice, "workflow", "run", "approve", id, "approve", "--comment", "looks fine")
	s.awaitState(viewer, id, "waiting")
	s.must(s.admin, "workflow", "run", "approve", id, "approve")
	s.awaitState(viewer, id, "succeeded")

	table := s.must(viewer, "workflow", "run", "show", id)
	for _, want := range []string{"NODE", "pause", "wait", "approve", "approval", "succeeded"} {
		if !strings.Contains(table, want) {
			t.Errorf("show lacks %q:\n%s", want, table)
		}
	}
	if logs := s.must(viewer, "workflow", "run", "logs", id, "approve"); !strings.Contains(logs, "2 of 2 approvals") {
		t.Errorf("logs of the approval node:\n%s", logs)
	}
	events := s.must(viewer, "workflow", "run", "events", id)
	if !strings.Contains(events, "approval") || !strings.Contains(events, "workflow_completed") {
		t.Errorf("events:\n%s", events)
	}

	// A run whose step fails: --wait exits 5 and names the run's error.
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("name: broken\nnodes:\n  - id: pause\n    type: wait\n    config: {seconds: -1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.must(ci, "workflow", "template", "apply", broken)
	if out, code := run(t, s.URL, ci, "workflow", "run", "start", "broken", "--wait"); code != ExitFailed || !strings.Contains(out, "failed") {
		t.Errorf("start --wait of a failing run: exit %d: %s", code, out)
	}
	if out, code := run(t, s.URL, ci, "workflow", "run", "start", "gated", "--input", "novalue"); code != ExitUsage {
		t.Errorf("--input without =: exit %d: %s", code, out)
	}

	// Cancel a waiting run.
	out, code = run(t, s.URL, ci, "workflow", "run", "start", "gated", "--wait")
	if code != ExitPending {
		t.Fatalf("start --wait: exit %d: %s", code, out)
	}
	if out := s.must(ci, "workflow", "run", "cancel", strings.Fields(out)[1]); !strings.Contains(out, "cancelled") {
		t.Errorf("cancel:\n%s", out)
	}
}
