package release

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/fault"
)

// Trigger is what moves a promotion: an evaluation outcome, a job result,
// a person's cancel (release.md §2).
type Trigger string

const (
	// TriggerEvaluationStarted: the request-phase evaluation begins.
	TriggerEvaluationStarted Trigger = "evaluation_started"
	// TriggerDecisionDeny: a request-phase decision denied.
	TriggerDecisionDeny Trigger = "decision_deny"
	// TriggerGatesPassedExceptApprovals: every gate but approvals passed (or warned).
	TriggerGatesPassedExceptApprovals Trigger = "gates_passed_except_approvals"
	// TriggerApprovalsSatisfied: the approvals are in and the decision allows.
	TriggerApprovalsSatisfied Trigger = "approvals_satisfied"
	// TriggerApprovalRejected: an eligible approver rejected.
	TriggerApprovalRejected Trigger = "approval_rejected"
	// TriggerPreDeployAllow: the deploy lock is free and the pre-deploy decision allows.
	TriggerPreDeployAllow Trigger = "pre_deploy_allow"
	// TriggerPreDeployDeny: the pre-deploy decision denies.
	TriggerPreDeployDeny Trigger = "pre_deploy_deny"
	// TriggerPreDeployPending: the pre-deploy decision waits (a freeze, a schedule).
	TriggerPreDeployPending Trigger = "pre_deploy_pending"
	// TriggerJobSucceeded: the deployment job succeeded.
	TriggerJobSucceeded Trigger = "job_succeeded"
	// TriggerJobFailed: the deployment job failed and nothing was rolled back.
	TriggerJobFailed Trigger = "job_failed"
	// TriggerRollbackCompleted: a rollback away from this promotion's release ended.
	TriggerRollbackCompleted Trigger = "rollback_completed"
	// TriggerCancel: someone cancelled the promotion before it deployed.
	TriggerCancel Trigger = "cancel"
)

// Triggers lists every trigger.
func Triggers() []Trigger {
	return []Trigger{TriggerEvaluationStarted, TriggerDecisionDeny, TriggerGatesPassedExceptApprovals,
		TriggerApprovalsSatisfied, TriggerApprovalRejected, TriggerPreDeployAllow, TriggerPreDeployDeny,
		TriggerPreDeployPending, TriggerJobSucceeded, TriggerJobFailed, TriggerRollbackCompleted, TriggerCancel}
}

// Event types of promotions (release.md §2 rule 6).
const (
	EventPromotionRequested  = "promotion.requested"
	EventPromotionApproved   = "promotion.approved"
	EventPromotionRejected   = "promotion.rejected"
	EventPromotionStarted    = "promotion.started"
	EventPromotionCompleted  = "promotion.completed"
	EventPromotionFailed     = "promotion.failed"
	EventPromotionCancelled  = "promotion.cancelled"
	EventPromotionRolledBack = "promotion.rolled_back"
)

// Edge is one row of the state machine table: what a trigger does to a
// promotion in a status, and what the layer that stores it must do
// alongside (seal a packet, keep the final decision).
type Edge struct {
	From    PromotionStatus
	Trigger Trigger
	To      PromotionStatus
	Event   string        // "" when the edge emits none
	Packet  evidence.Type // the evidence packet this edge seals, "" for none
	// FinalDecision: the transition's decision record is the final one
	// (pre-deploy allow, or a deny that rejects).
	FinalDecision bool
}

// edges is release.md §2's table, row by row.
var edges = []Edge{
	{From: PromotionRequested, Trigger: TriggerEvaluationStarted, To: PromotionPendingGate},
	{From: PromotionPendingGate, Trigger: TriggerDecisionDeny, To: PromotionRejected, Event: EventPromotionRejected, Packet: evidence.ReleaseDecision, FinalDecision: true},
	{From: PromotionPendingGate, Trigger: TriggerGatesPassedExceptApprovals, To: PromotionPendingApproval},
	{From: PromotionPendingApproval, Trigger: TriggerApprovalsSatisfied, To: PromotionApproved, Event: EventPromotionApproved},
	{From: PromotionPendingApproval, Trigger: TriggerApprovalRejected, To: PromotionRejected, Event: EventPromotionRejected, Packet: evidence.ReleaseDecision, FinalDecision: true},
	{From: PromotionPendingApproval, Trigger: TriggerDecisionDeny, To: PromotionRejected, Event: EventPromotionRejected, Packet: evidence.ReleaseDecision, FinalDecision: true},
	{From: PromotionApproved, Trigger: TriggerPreDeployAllow, To: PromotionDeploying, Event: EventPromotionStarted, Packet: evidence.ReleaseDecision, FinalDecision: true},
	{From: PromotionApproved, Trigger: TriggerPreDeployDeny, To: PromotionRejected, Event: EventPromotionRejected, Packet: evidence.ReleaseDecision, FinalDecision: true},
	{From: PromotionApproved, Trigger: TriggerPreDeployPending, To: PromotionPendingGate},
	{From: PromotionDeploying, Trigger: TriggerJobSucceeded, To: PromotionDeployed, Event: EventPromotionCompleted, Packet: evidence.Deployment},
	{From: PromotionDeploying, Trigger: TriggerJobFailed, To: PromotionFailed, Event: EventPromotionFailed, Packet: evidence.Deployment},
	{From: PromotionDeploying, Trigger: TriggerRollbackCompleted, To: PromotionRolledBack, Event: EventPromotionRolledBack, Packet: evidence.Rollback},
	{From: PromotionFailed, Trigger: TriggerRollbackCompleted, To: PromotionRolledBack, Event: EventPromotionRolledBack, Packet: evidence.Rollback},
	{From: PromotionDeployed, Trigger: TriggerRollbackCompleted, To: PromotionRolledBack, Event: EventPromotionRolledBack, Packet: evidence.Rollback},
	{From: PromotionRequested, Trigger: TriggerCancel, To: PromotionCancelled, Event: EventPromotionCancelled},
	{From: PromotionPendingGate, Trigger: TriggerCancel, To: PromotionCancelled, Event: EventPromotionCancelled},
	{From: PromotionPendingApproval, Trigger: TriggerCancel, To: PromotionCancelled, Event: EventPromotionCancelled},
	{From: PromotionApproved, Trigger: TriggerCancel, To: PromotionCancelled, Event: EventPromotionCancelled},
}

// Edges returns the state machine table, for documentation and for
// callers that show which actions a promotion allows.
func Edges() []Edge { return slices.Clone(edges) }

// Next returns the edge trigger t takes from s, false when t does not apply.
func (s PromotionStatus) Next(t Trigger) (Edge, bool) {
	for _, e := range edges {
		if e.From == s && e.Trigger == t {
			return e, true
		}
	}
	return Edge{}, false
}

// Triggers lists the triggers that apply in s, in table order.
func (s PromotionStatus) Triggers() []Trigger {
	var out []Trigger
	for _, e := range edges {
		if e.From == s {
			out = append(out, e.Trigger)
		}
	}
	return out
}

// Transition is a trigger with the facts it brings along.
type Transition struct {
	Trigger Trigger
	// DecisionID is the decision record behind the trigger: required for
	// the outcomes of an evaluation (deny, gates passed, approvals
	// satisfied, every pre-deploy outcome), optional for an approval
	// rejected, refused otherwise. A decision must leave its record.
	DecisionID string
	// DeploymentJobID and WorkflowRunID are the job and run created on
	// TriggerPreDeployAllow; refused with any other trigger.
	DeploymentJobID string
	WorkflowRunID   string
	// Failure is required with TriggerJobFailed, optional with
	// TriggerRollbackCompleted (a deployment that failed and was rolled
	// back), refused otherwise.
	Failure *PromotionFailure
	// EvidencePacketIDs are the packets sealed with this transition.
	EvidencePacketIDs []string
	// NotBefore is when the decision behind the trigger may change by
	// itself (DecisionNotBefore); kept on the promotion when the edge
	// leaves it pending, and only then.
	NotBefore *time.Time
}

func (t Trigger) needsDecision() bool {
	switch t {
	case TriggerDecisionDeny, TriggerGatesPassedExceptApprovals, TriggerApprovalsSatisfied,
		TriggerPreDeployAllow, TriggerPreDeployDeny, TriggerPreDeployPending:
		return true
	}
	return false
}

func (t Transition) validate() error {
	v := validator{}
	switch {
	case t.Trigger.needsDecision():
		v.check(t.DecisionID != "", "decisionId", "is required: %s is the outcome of a decision", t.Trigger)
	case t.Trigger != TriggerApprovalRejected:
		v.check(t.DecisionID == "", "decisionId", "%s is not a decision's outcome", t.Trigger)
	}
	if t.Trigger != TriggerPreDeployAllow {
		v.check(t.DeploymentJobID == "", "deploymentJobId", "is set only when deployment starts (%s)", TriggerPreDeployAllow)
		v.check(t.WorkflowRunID == "", "workflowRunId", "is set only when deployment starts (%s)", TriggerPreDeployAllow)
	}
	switch {
	case t.Trigger == TriggerJobFailed:
		v.check(t.Failure != nil && t.Failure.Code != "", "failure.code", "is required when a job fails")
	case t.Trigger == TriggerRollbackCompleted && t.Failure != nil:
		v.check(t.Failure.Code != "", "failure.code", "is required when a failure is given")
	default:
		v.check(t.Failure == nil, "failure", "is recorded only when a job fails or is rolled back")
	}
	if t.NotBefore != nil {
		v.check(t.DecisionID != "", "notBefore", "comes with the decision that waits")
	}
	for i, id := range t.EvidencePacketIDs {
		v.check(id != "", fmt.Sprintf("evidencePacketIds[%d]", i), "must not be empty")
	}
	return v.err()
}

// Apply moves p along the edge t.Trigger takes from p's status and returns
// the promotion after it and the event to publish (Type "" when the edge
// emits none). p itself is never changed, so a caller can keep it as the
// "before" of an audit entry and as the version to compare when writing.
//
// A trigger that does not apply in p's status is a *fault.ConflictError;
// facts that do not fit the trigger are a *fault.ValidationError.
func (p Promotion) Apply(t Transition, at time.Time) (Promotion, Event, error) {
	if !slices.Contains(Triggers(), t.Trigger) {
		return p, Event{}, fault.Invalid("trigger", "%q is not a promotion trigger", t.Trigger)
	}
	if !p.Status.Valid() {
		return p, Event{}, fmt.Errorf("promotion %s has no valid status (%q)", p.ID, p.Status)
	}
	e, ok := p.Status.Next(t.Trigger)
	if !ok {
		return p, Event{}, &fault.ConflictError{Kind: "promotion", Key: p.ID, Reason: refusal(p.Status, t.Trigger)}
	}
	if err := t.validate(); err != nil {
		return p, Event{}, err
	}
	at = at.UTC()
	n := p.clone()
	n.Status = e.To
	n.DecisionIDs = appendNew(n.DecisionIDs, t.DecisionID)
	n.EvidencePacketIDs = appendNew(n.EvidencePacketIDs, t.EvidencePacketIDs...)
	if e.FinalDecision && t.DecisionID != "" {
		n.FinalDecisionID = t.DecisionID
	}
	switch e.To {
	case PromotionApproved:
		n.DecidedAt = clonePtr(&at) // the latest approval decision: a pre-deploy wait may lead here again
	case PromotionDeploying:
		n.StartedAt = clonePtr(&at)
		n.DeploymentJobID, n.WorkflowRunID = t.DeploymentJobID, t.WorkflowRunID
	case PromotionDeployed:
		n.CompletedAt = clonePtr(&at)
	}
	if t.Failure != nil {
		n.Failure = clonePtr(t.Failure)
	}
	n.NotBefore = nil
	if e.To.Pending() {
		n.NotBefore = canonPtr(t.NotBefore)
	}
	n.UpdatedAt = at
	n.Version = p.Version + 1
	return n, n.event(e.Event, p.Status, t.Trigger, at), nil
}

// clone shares no slice or pointer with p, so that changing the result
// through one cannot reach back into p.
func (p Promotion) clone() Promotion {
	n := p
	n.DecisionIDs, n.EvidencePacketIDs = appendNew(p.DecisionIDs), appendNew(p.EvidencePacketIDs)
	n.DecidedAt, n.StartedAt, n.CompletedAt = clonePtr(p.DecidedAt), clonePtr(p.StartedAt), clonePtr(p.CompletedAt)
	n.Failure = clonePtr(p.Failure)
	n.NotBefore = clonePtr(p.NotBefore)
	return n
}

func clonePtr[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// refusal says what the promotion is and what it could do instead.
func refusal(s PromotionStatus, t Trigger) string {
	allowed := s.Triggers()
	if len(allowed) == 0 {
		return fmt.Sprintf("is %s, which is final; %s does not apply", s, t)
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fmt.Sprintf("is %s; %s does not apply (only %s)", s, t, strings.Join(names, ", "))
}

// event is the event of type typ about p, nothing when typ is "".
func (p Promotion) event(typ string, from PromotionStatus, t Trigger, at time.Time) Event {
	if typ == "" {
		return Event{}
	}
	data := map[string]string{
		"status": string(p.Status), "releaseId": p.ReleaseID, "releaseDigest": p.ReleaseDigest,
		"application": p.Application, "targetEnvironmentId": p.TargetEnvironmentID,
	}
	if from != "" {
		data["from"], data["trigger"] = string(from), string(t)
	}
	if p.Failure != nil {
		data["failureCode"] = p.Failure.Code
	}
	return Event{Type: typ, TenantID: p.TenantID, EntityID: p.ID, At: at, Data: data}
}

// appendNew returns a new slice (never nil, never sharing in's array) with
// the values of add that are neither empty nor already there.
func appendNew(in []string, add ...string) []string {
	out := make([]string, len(in), len(in)+len(add))
	copy(out, in)
	for _, s := range add {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
