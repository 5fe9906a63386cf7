package release

import (
	"strings"
	"time"
)

// PromotionStatus is where a promotion is in the state machine of
// release.md §2.
type PromotionStatus string

const (
	PromotionRequested       PromotionStatus = "requested"
	PromotionPendingGate     PromotionStatus = "pending_gate"
	PromotionPendingApproval PromotionStatus = "pending_approval"
	PromotionApproved        PromotionStatus = "approved"
	PromotionDeploying       PromotionStatus = "deploying"
	PromotionDeployed        PromotionStatus = "deployed"
	PromotionRejected        PromotionStatus = "rejected"
	PromotionCancelled       PromotionStatus = "cancelled"
	PromotionFailed          PromotionStatus = "failed"
	PromotionRolledBack      PromotionStatus = "rolled_back"
)

// PromotionStatuses lists every status in the order of the happy path, then
// the other outcomes.
func PromotionStatuses() []PromotionStatus {
	return []PromotionStatus{PromotionRequested, PromotionPendingGate, PromotionPendingApproval, PromotionApproved,
		PromotionDeploying, PromotionDeployed, PromotionRejected, PromotionCancelled, PromotionFailed, PromotionRolledBack}
}

// Valid reports whether s is one of the ten statuses.
func (s PromotionStatus) Valid() bool {
	switch s {
	case PromotionRequested, PromotionPendingGate, PromotionPendingApproval, PromotionApproved, PromotionDeploying,
		PromotionDeployed, PromotionRejected, PromotionCancelled, PromotionFailed, PromotionRolledBack:
		return true
	}
	return false
}

// Terminal reports whether nothing can happen to the promotion any more.
// deployed and failed are not terminal: they may still be rolled back, and
// they still block another promotion of the same release into the same
// environment.
func (s PromotionStatus) Terminal() bool {
	return s == PromotionRejected || s == PromotionCancelled || s == PromotionRolledBack
}

// Active reports whether the promotion is still on its way to a deployment:
// requested up to deploying. Those are the promotions a dashboard tracks
// and, except deploying, the ones that can be cancelled.
func (s PromotionStatus) Active() bool {
	switch s {
	case PromotionRequested, PromotionPendingGate, PromotionPendingApproval, PromotionApproved, PromotionDeploying:
		return true
	}
	return false
}

// Pending reports whether the promotion waits on gates or approvals, the
// only time approvals are taken.
func (s PromotionStatus) Pending() bool {
	return s == PromotionPendingGate || s == PromotionPendingApproval
}

// Promotion is a request to deploy one finalized release into one
// environment, and everything that happened to it since. It is a value:
// Apply returns a changed copy, and a store writes that copy where the
// stored Version is still the one it was read with.
type Promotion struct {
	ID                  string            `json:"id"`
	TenantID            string            `json:"tenantId"`
	ReleaseID           string            `json:"releaseId"`
	ReleaseDigest       string            `json:"releaseDigest"` // approvals are bound to it
	Application         string            `json:"application"`   // the release's; the deploy lock is per (environment, application)
	SourceEnvironmentID string            `json:"sourceEnvironmentId,omitempty"`
	TargetEnvironmentID string            `json:"targetEnvironmentId"`
	Status              PromotionStatus   `json:"status"`
	RequestedBy         string            `json:"requestedBy"`
	RequestedAt         time.Time         `json:"requestedAt"`
	Reason              string            `json:"reason"`
	DecisionIDs         []string          `json:"decisionIds"` // every decision record, in the order made
	FinalDecisionID     string            `json:"finalDecisionId,omitempty"`
	WorkflowRunID       string            `json:"workflowRunId,omitempty"`
	DeploymentJobID     string            `json:"deploymentJobId,omitempty"`
	EvidencePacketIDs   []string          `json:"evidencePacketIds"` // in the order sealed
	DecidedAt           *time.Time        `json:"decidedAt,omitempty"`
	StartedAt           *time.Time        `json:"startedAt,omitempty"`
	CompletedAt         *time.Time        `json:"completedAt,omitempty"`
	Failure             *PromotionFailure `json:"failure,omitempty"`
	NotBefore           *time.Time        `json:"notBefore,omitempty"` // a pending decision may change by itself then (a window opens): evaluated again
	CreatedAt           time.Time         `json:"createdAt"`
	UpdatedAt           time.Time         `json:"updatedAt"`
	Version             int               `json:"version"`
}

// PromotionFailure says why a deployment failed; Code is stable, Message is
// for people.
type PromotionFailure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ApprovalAction is what an approver said.
type ApprovalAction string

const (
	ActionApprove ApprovalAction = "approve"
	ActionReject  ApprovalAction = "reject"
)

// Approval is one approve or reject of a promotion. Approvals are
// append-only: a changed mind is a new record, and the gate counts each
// approver's answers (gate.md §4). ReleaseDigest binds it to the release it
// was given for.
type Approval struct {
	ID            string         `json:"id"`
	TenantID      string         `json:"tenantId"`
	PromotionID   string         `json:"promotionId"`
	ReleaseDigest string         `json:"releaseDigest"`
	ApproverID    string         `json:"approverId"`
	ApproverName  string         `json:"approverName"`
	Groups        []string       `json:"groups"` // the approver's groups when they approved
	Action        ApprovalAction `json:"action"`
	Comment       string         `json:"comment,omitempty"`
	At            time.Time      `json:"at"`
}

// AutoPromoteActor requests the promotions that follow a deployment into an
// environment named by another's autoPromoteFrom (release.md §2 rule 5).
const AutoPromoteActor = "system:auto-promote"

// IsSystemActor reports whether id is the server acting on its own
// ("system:…"). System actors can request promotions but never approve
// them: an approval stands for a person's judgement.
func IsSystemActor(id string) bool { return strings.HasPrefix(id, "system:") }
