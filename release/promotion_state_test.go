package release_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// specEdge is one row of release.md §2, written out again here so that
// the test checks the package's table against the spec, not against itself.
type specEdge struct {
	from    release.PromotionStatus
	trigger release.Trigger
	to      release.PromotionStatus
	event   string
	packet  evidence.Type
	final   bool
}

const (
	requested       = release.PromotionRequested
	pendingGate     = release.PromotionPendingGate
	pendingApproval = release.PromotionPendingApproval
	approved        = release.PromotionApproved
	deploying       = release.PromotionDeploying
	deployed        = release.PromotionDeployed
	rejected        = release.PromotionRejected
	cancelled       = release.PromotionCancelled
	failed          = release.PromotionFailed
	rolledBack      = release.PromotionRolledBack
)

var specTable = []specEdge{
	{requested, release.TriggerEvaluationStarted, pendingGate, "", "", false},
	{pendingGate, release.TriggerDecisionDeny, rejected, "promotion.rejected", evidence.ReleaseDecision, true},
	{pendingGate, release.TriggerGatesPassedExceptApprovals, pendingApproval, "", "", false},
	{pendingApproval, release.TriggerApprovalsSatisfied, approved, "promotion.approved", "", false},
	{pendingApproval, release.TriggerApprovalRejected, rejected, "promotion.rejected", evidence.ReleaseDecision, true},
	{pendingApproval, release.TriggerDecisionDeny, rejected, "promotion.rejected", evidence.ReleaseDecision, true},
	{approved, release.TriggerPreDeployAllow, deploying, "promotion.started", evidence.ReleaseDecision, true},
	{approved, release.TriggerPreDeployDeny, rejected, "promotion.rejected", evidence.ReleaseDecision, true},
	{approved, release.TriggerPreDeployPending, pendingGate, "", "", false},
	{deploying, release.TriggerJobSucceeded, deployed, "promotion.completed", evidence.Deployment, false},
	{deploying, release.TriggerJobFailed, failed, "promotion.failed", evidence.Deployment, false},
	{deploying, release.TriggerRollbackCompleted, rolledBack, "promotion.rolled_back", evidence.Rollback, false},
	{failed, release.TriggerRollbackCompleted, rolledBack, "promotion.rolled_back", evidence.Rollback, false},
	{deployed, release.TriggerRollbackCompleted, rolledBack, "promotion.rolled_back", evidence.Rollback, false},
	{requested, release.TriggerCancel, cancelled, "promotion.cancelled", "", false},
	{pendingGate, release.TriggerCancel, cancelled, "promotion.cancelled", "", false},
	{pendingApproval, release.TriggerCancel, cancelled, "promotion.cancelled", "", false},
	{approved, release.TriggerCancel, cancelled, "promotion.cancelled", "", false},
}

// transitionFor gives each trigger the facts it needs.
func transitionFor(t release.Trigger) release.Transition {
	tr := release.Transition{Trigger: t}
	switch t {
	case release.TriggerDecisionDeny, release.TriggerGatesPassedExceptApprovals, release.TriggerApprovalsSatisfied,
		release.TriggerPreDeployDeny, release.TriggerPreDeployPending, release.TriggerApprovalRejected:
		tr.DecisionID = "dec-" + string(t)
	case release.TriggerPreDeployAllow:
		tr.DecisionID, tr.DeploymentJobID, tr.WorkflowRunID = "dec-final", "job-1", "run-1"
	case release.TriggerJobFailed:
		tr.Failure = &release.PromotionFailure{Code: "HEALTH_CHECK_FAILED", Message: "api did not become healthy in 600s"}
	}
	return tr
}

func promotionIn(s release.PromotionStatus) release.Promotion {
	return release.Promotion{ID: "p1", TenantID: "acme", ReleaseID: "r1", ReleaseDigest: "sha256:aa", Application: "myapp",
		TargetEnvironmentID: "env-prod", Status: s, RequestedBy: "alice", RequestedAt: t0,
		DecisionIDs: []string{"dec-0"}, EvidencePacketIDs: []string{}, CreatedAt: t0, UpdatedAt: t0, Version: 3}
}

func TestEdgesAreTheSpecTable(t *testing.T) {
	var got []specEdge
	for _, e := range release.Edges() {
		got = append(got, specEdge{e.From, e.Trigger, e.To, e.Event, e.Packet, e.FinalDecision})
	}
	if !reflect.DeepEqual(got, specTable) {
		t.Fatalf("Edges() differ from release.md §2:\n got %v\nwant %v", got, specTable)
	}
}

// Every legal edge moves to its status with its event and effects; every
// other (status, trigger) pair is refused with a conflict naming both.
func TestApplyEveryStatusAndTrigger(t *testing.T) {
	legal := map[[2]string]specEdge{}
	for _, e := range specTable {
		legal[[2]string{string(e.from), string(e.trigger)}] = e
	}
	at := t0.Add(time.Hour)
	for _, from := range release.PromotionStatuses() {
		for _, trig := range release.Triggers() {
			p := promotionIn(from)
			got, ev, err := p.Apply(transitionFor(trig), at)
			want, ok := legal[[2]string{string(from), string(trig)}]
			name := string(from) + "+" + string(trig)
			if !ok {
				var conflict *fault.ConflictError
				if !errors.As(err, &conflict) || !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(trig)) {
					t.Errorf("%s: err = %v, want a conflict naming the status and the trigger", name, err)
				}
				if !reflect.DeepEqual(got, p) || ev.Type != "" {
					t.Errorf("%s: refused, but returned %+v and event %q", name, got, ev.Type)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if got.Status != want.to || ev.Type != want.event {
				t.Errorf("%s: → %s with event %q, want %s with %q", name, got.Status, ev.Type, want.to, want.event)
			}
			if got.Version != 4 || !got.UpdatedAt.Equal(at) {
				t.Errorf("%s: version %d, updatedAt %v; want 4, %v", name, got.Version, got.UpdatedAt, at)
			}
			if ev.Type != "" && (ev.EntityID != "p1" || ev.TenantID != "acme" || !ev.At.Equal(at) ||
				ev.Data["from"] != string(from) || ev.Data["status"] != string(want.to) || ev.Data["trigger"] != string(trig)) {
				t.Errorf("%s: event %+v", name, ev)
			}
			checkEffects(t, name, want, got, at)
		}
	}
}

// checkEffects holds the Effects column: the times, the failure and the
// final decision are set by their edges and by no other.
func checkEffects(t *testing.T, name string, e specEdge, got release.Promotion, at time.Time) {
	t.Helper()
	setAt := func(field string, v *time.Time, want bool) {
		if want != (v != nil) || (v != nil && !v.Equal(at)) {
			t.Errorf("%s: %s = %v, want set: %v", name, field, v, want)
		}
	}
	setAt("decidedAt", got.DecidedAt, e.to == approved)
	setAt("startedAt", got.StartedAt, e.to == deploying)
	setAt("completedAt", got.CompletedAt, e.to == deployed)
	if (got.Failure != nil) != (e.trigger == release.TriggerJobFailed) {
		t.Errorf("%s: failure = %+v", name, got.Failure)
	}
	wantFinal := ""
	if e.final {
		wantFinal = transitionFor(e.trigger).DecisionID
	}
	if got.FinalDecisionID != wantFinal {
		t.Errorf("%s: finalDecisionId = %q, want %q", name, got.FinalDecisionID, wantFinal)
	}
	if e.to == deploying && (got.DeploymentJobID != "job-1" || got.WorkflowRunID != "run-1") {
		t.Errorf("%s: job %q, run %q", name, got.DeploymentJobID, got.WorkflowRunID)
	}
	wantDecisions := []string{"dec-0"}
	if id := transitionFor(e.trigger).DecisionID; id != "" {
		wantDecisions = append(wantDecisions, id)
	}
	if !reflect.DeepEqual(got.DecisionIDs, wantDecisions) {
		t.Errorf("%s: decisionIds = %v, want %v", name, got.DecisionIDs, wantDecisions)
	}
}

func TestStatusClasses(t *testing.T) {
	for _, s := range release.PromotionStatuses() {
		terminal := s == rejected || s == cancelled || s == rolledBack
		active := s == requested || s == pendingGate || s == pendingApproval || s == approved || s == deploying
		if s.Terminal() != terminal || s.Active() != active || !s.Valid() {
			t.Errorf("%s: Terminal %v Active %v Valid %v", s, s.Terminal(), s.Active(), s.Valid())
		}
		// Terminal means no edge leaves it.
		if terminal != (len(s.Triggers()) == 0) {
			t.Errorf("%s: terminal %v but triggers %v", s, terminal, s.Triggers())
		}
	}
	if release.PromotionStatus("done").Valid() {
		t.Error(`"done" is valid`)
	}
}

// Apply returns a new value: the input, its slices and its pointers stay
// as they were, even when its slices have room to grow in place.
func TestApplyNeverChangesItsInput(t *testing.T) {
	p := promotionIn(approved)
	p.DecisionIDs = make([]string, 1, 8)
	p.DecisionIDs[0] = "dec-0"
	p.EvidencePacketIDs = make([]string, 0, 8)
	decided := t0
	p.DecidedAt = &decided
	before := promotionIn(approved)
	before.DecisionIDs, before.EvidencePacketIDs, before.DecidedAt = []string{"dec-0"}, []string{}, &decided

	tr := transitionFor(release.TriggerPreDeployAllow)
	tr.EvidencePacketIDs = []string{"pkt-1"}
	next, _, err := p.Apply(tr, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, before) || p.DecisionIDs[:2][1] != "" || p.EvidencePacketIDs[:1][0] != "" {
		t.Fatalf("input changed: %+v", p)
	}
	if !reflect.DeepEqual(next.EvidencePacketIDs, []string{"pkt-1"}) || next.Status != deploying {
		t.Fatalf("next = %+v", next)
	}
	*next.DecidedAt = time.Time{}
	if !p.DecidedAt.Equal(t0) {
		t.Fatal("the result shares decidedAt with the input")
	}
}

// The facts a transition carries must fit its trigger: a decision leaves
// its record, a failed job says why, and job ids come only with the start.
func TestApplyRefusesFactsThatDoNotFit(t *testing.T) {
	for _, c := range []struct {
		from  release.PromotionStatus
		tr    release.Transition
		field string
	}{
		{pendingGate, release.Transition{Trigger: release.TriggerDecisionDeny}, "decisionId"},
		{approved, release.Transition{Trigger: release.TriggerPreDeployAllow}, "decisionId"},
		{requested, release.Transition{Trigger: release.TriggerEvaluationStarted, DecisionID: "d"}, "decisionId"},
		{deploying, release.Transition{Trigger: release.TriggerJobFailed}, "failure.code"},
		{deploying, release.Transition{Trigger: release.TriggerJobFailed, Failure: &release.PromotionFailure{Message: "?"}}, "failure.code"},
		{deploying, release.Transition{Trigger: release.TriggerJobSucceeded, Failure: &release.PromotionFailure{Code: "X"}}, "failure"},
		{deploying, release.Transition{Trigger: release.TriggerJobSucceeded, DeploymentJobID: "job-2"}, "deploymentJobId"},
		{pendingApproval, release.Transition{Trigger: release.TriggerCancel, EvidencePacketIDs: []string{""}}, "evidencePacketIds[0]"},
	} {
		_, _, err := promotionIn(c.from).Apply(c.tr, t0)
		var verr *fault.ValidationError
		if !errors.As(err, &verr) || verr.Fields[0].Field != c.field {
			t.Errorf("%s+%s: err = %v, want a validation error on %s", c.from, c.tr.Trigger, err, c.field)
		}
	}
	_, _, err := promotionIn(requested).Apply(release.Transition{Trigger: "approve"}, t0)
	if !errors.Is(err, fault.ErrValidation) {
		t.Errorf("unknown trigger: err = %v", err)
	}
	// A status no edge knows is a corrupt row, not a conflict the caller could resolve.
	_, _, err = promotionIn("done").Apply(release.Transition{Trigger: release.TriggerCancel}, t0)
	if err == nil || errors.Is(err, fault.ErrConflict) {
		t.Errorf("unknown status: err = %v", err)
	}
}

// A pre-deploy wait sends an approved promotion back to pending_gate; it
// returns through pending_approval with the same approvals, and decidedAt is
// the decision that finally let it go.
func TestPreDeployWaitAndReturn(t *testing.T) {
	p := promotionIn(approved)
	steps := []struct {
		trig release.Trigger
		at   time.Duration
	}{
		{release.TriggerPreDeployPending, 1},
		{release.TriggerGatesPassedExceptApprovals, 2},
		{release.TriggerApprovalsSatisfied, 3},
		{release.TriggerPreDeployAllow, 4},
	}
	for _, s := range steps {
		var err error
		if p, _, err = p.Apply(transitionFor(s.trig), t0.Add(s.at*time.Hour)); err != nil {
			t.Fatalf("%s: %v", s.trig, err)
		}
	}
	if p.Status != deploying || !p.DecidedAt.Equal(t0.Add(3*time.Hour)) || p.FinalDecisionID != "dec-final" || p.Version != 7 {
		t.Fatalf("got %s decided %v final %q version %d", p.Status, p.DecidedAt, p.FinalDecisionID, p.Version)
	}
}

// A deployment that failed and is then rolled back keeps its failure;
// a rollback may also bring one.
func TestRollbackKeepsTheFailure(t *testing.T) {
	p, _, err := promotionIn(deploying).Apply(transitionFor(release.TriggerJobFailed), t0)
	if err != nil {
		t.Fatal(err)
	}
	p, ev, err := p.Apply(release.Transition{Trigger: release.TriggerRollbackCompleted, EvidencePacketIDs: []string{"pkt-rb"}}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != rolledBack || p.Failure == nil || p.Failure.Code != "HEALTH_CHECK_FAILED" || ev.Data["failureCode"] != "HEALTH_CHECK_FAILED" {
		t.Fatalf("got %+v, event %+v", p, ev)
	}
	q, _, err := promotionIn(deploying).Apply(release.Transition{Trigger: release.TriggerRollbackCompleted,
		Failure: &release.PromotionFailure{Code: "AGENT_LOST", Message: "agent stopped answering"}}, t0)
	if err != nil || q.Failure.Code != "AGENT_LOST" {
		t.Fatalf("rollback with failure: %+v, %v", q.Failure, err)
	}
}
