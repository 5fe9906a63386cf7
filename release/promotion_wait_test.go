package release_test

import (
	"context"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/release"
)

func TestDecisionNotBefore(t *testing.T) {
	at := func(h int) *time.Time { v := time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC); return &v }
	gates := []gate.GateRecord{
		{ID: "approvals", Status: gate.StatusPending},
		{ID: "late", Status: gate.StatusPending, NotBefore: at(22)},
		{ID: "early", Status: gate.StatusPending, NotBefore: at(15)},
		{ID: "passed", Status: gate.StatusPass},
	}
	if got := release.DecisionNotBefore(&gate.Decision{Decision: gate.Pending, Gates: gates}); got == nil || !got.Equal(*at(15)) {
		t.Fatalf("pending: %v, want the soonest, 15:00", got)
	}
	for _, o := range []gate.Outcome{gate.Allow, gate.Deny} {
		if got := release.DecisionNotBefore(&gate.Decision{Decision: o, Gates: gates}); got != nil {
			t.Fatalf("%s: %v, want none", o, got)
		}
	}
	if got := release.DecisionNotBefore(&gate.Decision{Decision: gate.Pending, Gates: gates[:1]}); got != nil {
		t.Fatalf("waiting on approvals only: %v, want none", got)
	}
}

func TestPromotionWait(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	nb := now.Add(10 * time.Hour)
	p := release.Promotion{ID: "p", Status: release.PromotionPendingGate, Version: 3, DecisionIDs: []string{"d1"}}
	n, ok := p.Wait("d2", &nb, now)
	if !ok || n.Version != 4 || n.NotBefore == nil || !n.NotBefore.Equal(nb) || len(n.DecisionIDs) != 2 || p.NotBefore != nil {
		t.Fatalf("first wait: %v %+v", ok, n)
	}
	if _, ok := n.Wait("d3", &nb, now); ok {
		t.Fatal("the same NotBefore again is a change")
	}
	if m, ok := n.Wait("d3", nil, now); !ok || m.NotBefore != nil {
		t.Fatalf("a wait without a time clears it: %v %+v", ok, m)
	}
	approved := release.Promotion{Status: release.PromotionApproved}
	if _, ok := approved.Wait("d", &nb, now); ok {
		t.Fatal("an approved promotion waits")
	}
	// A transition out of pending clears NotBefore; one that stays pending keeps the decision's.
	next, _, err := n.Apply(release.Transition{Trigger: release.TriggerGatesPassedExceptApprovals, DecisionID: "d4"}, now)
	if err != nil || next.NotBefore != nil {
		t.Fatalf("after gates passed: %v %v", err, next.NotBefore)
	}
	ap := release.Promotion{ID: "p", Status: release.PromotionApproved, Version: 1}
	back, _, err := ap.Apply(release.Transition{Trigger: release.TriggerPreDeployPending, DecisionID: "d5", NotBefore: &nb}, now)
	if err != nil || back.Status != release.PromotionPendingGate || back.NotBefore == nil || !back.NotBefore.Equal(nb) {
		t.Fatalf("pre-deploy wait: %v %+v", err, back)
	}
	if _, _, err := ap.Apply(release.Transition{Trigger: release.TriggerCancel, NotBefore: &nb}, now); err == nil {
		t.Fatal("a NotBefore without a decision is accepted")
	}
}

func TestInProcessDeployerIsIdempotentPerJob(t *testing.T) {
	d := &release.InProcessDeployer{}
	p := release.Promotion{ID: "p", DeploymentJobID: "job-1"}
	rel, env := &release.Release{ID: "r"}, &release.Environment{ID: "e"}
	for range 2 {
		if err := d.Deploy(context.Background(), p, rel, env); err != nil {
			t.Fatal(err)
		}
	}
	p.DeploymentJobID = "job-2"
	if err := d.Deploy(context.Background(), p, rel, env); err != nil {
		t.Fatal(err)
	}
	if ds := d.Deployments(); len(ds) != 2 || ds[0].JobID != "job-1" || ds[1].JobID != "job-2" {
		t.Fatalf("deployments %+v", ds)
	}
}
