package gate

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/internal/canon"
)

// DecisionSchema names the decision record (gate.md §7).
const DecisionSchema = "stella.gate.decision/v1"

// Outcome is the engine's verdict.
type Outcome string

// Outcomes (gate.md §6.3).
const (
	Allow   Outcome = "allow"
	Deny    Outcome = "deny"
	Pending Outcome = "pending"
)

// Mode says whether gates were evaluated: an environment without gates
// allows unverified (gate.md §6.5).
type Mode string

// Modes.
const (
	Verified   Mode = "verified"
	Unverified Mode = "unverified"
)

// Decision is the decision record (gate.md §7). Its canonical JSON is
// what is hashed, stored and signed; see [Decision.Canonical].
type Decision struct {
	Schema          string                `json:"schema"`
	Tenant          string                `json:"tenant"`
	PromotionID     string                `json:"promotionId"`
	Phase           Phase                 `json:"phase"`
	Release         ReleaseRef            `json:"release"`
	Environment     EnvironmentRef        `json:"environment"`
	Decision        Outcome               `json:"decision"`
	Mode            Mode                  `json:"mode"`
	PendingOn       []string              `json:"pendingOn"`
	ReasonCodes     []string              `json:"reasonCodes"`
	Gates           []GateRecord          `json:"gates"`
	Approvals       []Approval            `json:"approvals"`
	Exceptions      []exception.Exception `json:"exceptions"`
	Inputs          InputDigests          `json:"inputs"`
	InputsHash      string                `json:"inputsHash"`
	ClockCutoff     time.Time             `json:"clockCutoff"`
	EngineVersion   string                `json:"engineVersion"`
	DeterminismHash string                `json:"determinismHash"`
	RecordDigest    string                `json:"recordDigest,omitempty"`
}

// ReleaseRef names the release decided on.
type ReleaseRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// EnvironmentRef names the target environment.
type EnvironmentRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Tier string `json:"tier"`
}

// GateRecord is one gate's result in the record.
type GateRecord struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Status      Status         `json:"status"`
	ReasonCodes []string       `json:"reasonCodes"`
	Message     string         `json:"message"`
	Details     map[string]any `json:"details,omitempty"`
	NotBefore   *time.Time     `json:"notBefore,omitempty"`
}

// Canonical returns the record's canonical JSON (RFC 8785).
func (d *Decision) Canonical() ([]byte, error) { return canon.Marshal(d) }

// ParseDecision decodes a record and checks its schema and recordDigest.
func ParseDecision(raw []byte) (*Decision, error) {
	var d Decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("gate: decision: %w", err)
	}
	if d.Schema != DecisionSchema {
		return nil, fmt.Errorf("gate: decision schema %q is not %s", d.Schema, DecisionSchema)
	}
	if err := d.CheckDigests(); err != nil {
		return nil, err
	}
	return &d, nil
}

// CheckDigests recomputes inputsHash, determinismHash and recordDigest and
// reports the first that does not match: the record was edited.
func (d *Decision) CheckDigests() error {
	ih, err := d.Inputs.Hash()
	if err != nil {
		return err
	}
	dh, err := d.determinismHash()
	if err != nil {
		return err
	}
	rd, err := d.recordDigest()
	if err != nil {
		return err
	}
	switch {
	case ih != d.InputsHash:
		return fmt.Errorf("gate: decision inputsHash %s does not match its inputs (%s)", d.InputsHash, ih)
	case dh != d.DeterminismHash:
		return fmt.Errorf("gate: decision determinismHash %s does not match its content (%s)", d.DeterminismHash, dh)
	case rd != d.RecordDigest:
		return fmt.Errorf("gate: decision recordDigest %s does not match its content (%s)", d.RecordDigest, rd)
	}
	return nil
}

// seal fills the three hashes; everything else must be set.
func (d *Decision) seal() error {
	var err error
	if d.InputsHash, err = d.Inputs.Hash(); err != nil {
		return err
	}
	if d.DeterminismHash, err = d.determinismHash(); err != nil {
		return err
	}
	d.RecordDigest, err = d.recordDigest()
	return err
}

func (d *Decision) determinismHash() (string, error) {
	return canon.Digest(struct {
		Decision    Outcome      `json:"decision"`
		ReasonCodes []string     `json:"reasonCodes"`
		Gates       []GateRecord `json:"gates"`
	}{d.Decision, d.ReasonCodes, d.Gates})
}

func (d *Decision) recordDigest() (string, error) {
	c := *d
	c.RecordDigest = ""
	return canon.Digest(&c)
}
