package model

import (
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
)

// GateDecision is a decision record as the API shows it: the record, its
// exact canonical bytes and, when known, the Input it was decided on (for
// explain; nil for a stored record until loaded from the inputs store).
type GateDecision struct {
	Rec   *gate.Decision
	Raw   []byte
	Input *gate.Input
}

func (d *GateDecision) Decision() gate.Outcome            { return d.Rec.Decision }
func (d *GateDecision) Mode() gate.Mode                   { return d.Rec.Mode }
func (d *GateDecision) Phase() gate.Phase                 { return d.Rec.Phase }
func (d *GateDecision) ReasonCodes() []string             { return nonNilStrings(d.Rec.ReasonCodes) }
func (d *GateDecision) PendingOn() []string               { return nonNilStrings(d.Rec.PendingOn) }
func (d *GateDecision) Gates() []gate.GateRecord          { return d.Rec.Gates }
func (d *GateDecision) Release() *gate.ReleaseRef         { return &d.Rec.Release }
func (d *GateDecision) Environment() *gate.EnvironmentRef { return &d.Rec.Environment }
func (d *GateDecision) Inputs() *gate.InputDigests        { return &d.Rec.Inputs }
func (d *GateDecision) InputsHash() string                { return d.Rec.InputsHash }
func (d *GateDecision) DeterminismHash() string           { return d.Rec.DeterminismHash }
func (d *GateDecision) RecordDigest() string              { return d.Rec.RecordDigest }
func (d *GateDecision) ClockCutoff() time.Time            { return d.Rec.ClockCutoff }
func (d *GateDecision) EngineVersion() string             { return d.Rec.EngineVersion }
func (d *GateDecision) Approvals() []gate.Approval        { return d.Rec.Approvals }
func (d *GateDecision) Record() string                    { return string(d.Raw) }

// PromotionID is null for decisions made outside a promotion.
func (d *GateDecision) PromotionID() *string {
	if d.Rec.PromotionID == "" {
		return nil
	}
	return &d.Rec.PromotionID
}

// Exceptions are the applied exceptions as canonical JSON.
func (d *GateDecision) Exceptions() ([]string, error) {
	out := make([]string, 0, len(d.Rec.Exceptions))
	for _, x := range d.Rec.Exceptions {
		b, err := canon.Marshal(x)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
