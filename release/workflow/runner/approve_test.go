package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
)

// waitFor waits until the node waits again (its re-check after an approval
// has finished) or the run is final.
func waitForNode(t *testing.T, r *runner.Runner, id, node string) *workflow.Run {
	t.Helper()
	run := waitRun(t, r, "acme", id)
	if run.State == workflow.RunWaiting && run.Node(node).State != workflow.NodeWaiting {
		t.Fatalf("run waits but node %s is %s", node, run.Node(node).State)
	}
	return run
}

func TestTwoApprovalsLetTheRunContinue(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		db := openStore(t, dsn)
		var late runner.LateApprovals
		reg := step.Builtins(step.Deps{Approvals: &late})
		r := startRunner(t, db, reg)
		late.Set(r)
		tmpl := workflow.Template{Name: "gated", Nodes: []workflow.Node{
			{ID: "approve", Type: step.TypeApproval, Config: json.RawMessage(`{"groups":["release-manager"],"count":2}`)},
			{ID: "pause", Type: step.TypeWait, Config: json.RawMessage(`{"seconds":0}`), DependsOn: []string{"approve"}},
		}}
		ctx := context.Background()
		// A submitted tenant input does not let a step read another tenant's approvals.
		id, err := r.Submit(ctx, "acme", tmpl, map[string]any{"tenant": "globex"})
		if err != nil {
			t.Fatal(err)
		}
		if run := waitForNode(t, r, id, "approve"); run.State != workflow.RunWaiting {
			t.Fatalf("run %s, want waiting", run.State)
		}
		if err := r.Approve(ctx, "acme", id, "pause", step.Approval{By: "alice", Group: "release-manager"}); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("approving a pending node: %v, want a conflict", err)
		}
		if err := r.Approve(ctx, "globex", id, "approve", step.Approval{By: "alice", Group: "release-manager"}); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("approving another tenant's run: %v, want not found", err)
		}
		if err := r.Approve(ctx, "acme", id, "approve", step.Approval{By: "alice", Group: "release-manager"}); err != nil {
			t.Fatal(err)
		}
		if run := waitForNode(t, r, id, "approve"); run.State != workflow.RunWaiting {
			t.Fatalf("after one approval: run %s, want waiting", run.State)
		}
		// The same person again counts once; someone outside the groups not at all.
		if err := r.Approve(ctx, "acme", id, "approve", step.Approval{By: "alice", Group: "release-manager"}); err != nil {
			t.Fatal(err)
		}
		if err := r.Approve(ctx, "acme", id, "approve", step.Approval{By: "mallory", Group: "developer"}); err != nil {
			t.Fatal(err)
		}
		if run := waitForNode(t, r, id, "approve"); run.State != workflow.RunWaiting {
			t.Fatalf("after alice twice and a developer: run %s, want waiting", run.State)
		}
		if err := r.Approve(ctx, "acme", id, "approve", step.Approval{By: "bob", Group: "release-manager", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		run := waitForNode(t, r, id, "approve")
		if run.State != workflow.RunSucceeded {
			t.Fatalf("after two approvals: run %s, nodes %v", run.State, nodeStates(run))
		}
		got, _ := json.Marshal(run.Node("approve").Outputs["approvers"])
		if string(got) != `["alice","bob"]` {
			t.Errorf("approvers %s", got)
		}
		list, err := r.Approvals(ctx, "acme", id, "approve")
		if err != nil {
			t.Fatal(err)
		}
		var by []string
		for _, a := range list {
			by = append(by, a.By)
		}
		if !slices.Equal(by, []string{"alice", "mallory", "bob"}) {
			t.Errorf("recorded approvals %v, want alice, mallory, bob", by)
		}
		if err := r.Approve(ctx, "acme", id, "approve", step.Approval{By: "carol"}); !errors.Is(err, fault.ErrConflict) {
			t.Errorf("approving a succeeded node: %v, want a conflict", err)
		}
		events, err := r.Events(ctx, "acme", id, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Type == runner.EventApproval {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d approval events, want 3", n)
		}
	})
}
