package exception

import (
	"time"

	"github.com/stella-ops/stella/advisory"
)

// Effect is what an exception does to the findings it covers.
type Effect string

// Exception effects (gate.md §5.6).
const (
	// Suppress makes the finding inactive for every built-in gate.
	Suppress Effect = "suppress"
	// Downgrade lowers the finding's severity to DowngradeTo.
	Downgrade Effect = "downgrade"
)

// Exception is an owned, approved and expiring waiver for a vulnerability
// (gate.md §5). Exceptions are append-only: a revocation is a new entry
// naming the exception it revokes, never an edit.
type Exception struct {
	ID            string          `json:"id"`
	Tenant        string          `json:"tenant"`
	Scope         Scope           `json:"scope"`
	Effect        Effect          `json:"effect"`
	DowngradeTo   advisory.Rating `json:"downgradeTo,omitempty"`
	Justification string          `json:"justification"`
	Owner         string          `json:"owner"`
	ApprovedBy    string          `json:"approvedBy"`
	CreatedAt     time.Time       `json:"createdAt"`
	ExpiresAt     time.Time       `json:"expiresAt"`
}

// Scope says which findings an exception covers. Vulnerability is
// required; the other fields narrow it.
type Scope struct {
	Vulnerability string   `json:"vulnerability"` // any id of the alias group
	PackageKey    string   `json:"packageKey,omitempty"`
	Component     string   `json:"component,omitempty"`
	ReleaseName   string   `json:"releaseName,omitempty"`
	Environments  []string `json:"environments"` // empty: all
}

// Revocation revokes an exception from At on.
type Revocation struct {
	ExceptionID string    `json:"exceptionId"`
	RevokedBy   string    `json:"revokedBy"`
	At          time.Time `json:"at"`
}
