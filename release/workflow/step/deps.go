package step

import (
	"context"
	"encoding/json"
	"time"
)

// Deps are the outside parts the built-in steps use. The server fills them
// in; a nil one makes the steps that need it fail with a final
// "no <x> configured" error, so a server without a deployer can still run
// templates made only of gates and notifications.
type Deps struct {
	Decider   Decider
	Approvals Approvals
	Deployer  Deployer
	Notifier  Notifier
}

// Decider evaluates gates and policy for a release entering an environment
// (security-gate and policy-gate).
type Decider interface {
	Decide(ctx context.Context, req DecideRequest) (Decision, error)
}

// DecideRequest asks for a decision. Gates empty means the environment's
// own gates; Policy empty means the environment's policy bundle.
type DecideRequest struct {
	Tenant      string   `json:"tenant"`
	Release     string   `json:"release"`
	Environment string   `json:"environment"`
	Gates       []string `json:"gates,omitempty"`
	Policy      string   `json:"policy,omitempty"`
}

// Decision values.
const (
	Allow   = "allow"
	Deny    = "deny"
	Pending = "pending"
)

// Decision is a Decider's answer.
type Decision struct {
	Decision      string   `json:"decision"` // Allow, Deny or Pending
	ReasonCodes   []string `json:"reasonCodes,omitempty"`
	CriticalCount int      `json:"criticalCount"`
	HighCount     int      `json:"highCount"`
	RecordDigest  string   `json:"recordDigest,omitempty"`
}

// Approvals lists the approvals recorded against one node of one run
// (approval and manual).
type Approvals interface {
	Approvals(ctx context.Context, tenant, runID, nodeID string) ([]Approval, error)
}

// Approval is one person's approval (or confirmation) of a node.
type Approval struct {
	By      string    `json:"by"`
	Group   string    `json:"group,omitempty"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// Deployer starts a deployment job (deploy and rollback). It must treat a
// repeated IdempotencyKey as the same job and return its id: the engine may
// run an attempt again after a crash.
type Deployer interface {
	Deploy(ctx context.Context, req DeployRequest) (jobID string, err error)
}

// DeployRequest asks for a deployment, or a rollback to TargetRelease
// (empty: the previous release in the environment).
type DeployRequest struct {
	Tenant         string          `json:"tenant"`
	Promotion      string          `json:"promotion,omitempty"`
	Release        string          `json:"release"`
	Environment    string          `json:"environment"`
	Strategy       json.RawMessage `json:"strategy,omitempty"`
	Rollback       bool            `json:"rollback,omitempty"`
	TargetRelease  string          `json:"targetRelease,omitempty"`
	IdempotencyKey string          `json:"idempotencyKey"`
}

// Notifier posts a rendered message to an integration (notify).
type Notifier interface {
	Notify(ctx context.Context, integration string, payload []byte) error
}
