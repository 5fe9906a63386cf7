package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stella-ops/stella/internal/canon"
)

// replayInput is the stored form of an Input: the Rego document plus the
// facts only built-in gates read (fields tagged "-").
type replayInput struct {
	Document      *Input            `json:"document"`
	Environment   replayEnvironment `json:"environment"`
	EPSSSnapshot  string            `json:"epssSnapshot,omitempty"`
	Baseline      *Baseline         `json:"baseline,omitempty"`
	Confirmations []Confirmation    `json:"confirmations"`
	// ImagesWithoutSBOM is omitted when empty so stored inputs of
	// complete releases keep their digests.
	ImagesWithoutSBOM []string `json:"imagesWithoutSbom,omitempty"`
}

type replayEnvironment struct {
	RequiredApprovals         int            `json:"requiredApprovals"`
	ApproverGroups            []string       `json:"approverGroups"`
	ApproverUsers             []string       `json:"approverUsers"`
	RequireSeparationOfDuties bool           `json:"requireSeparationOfDuties"`
	FreezeWindows             []FreezeWindow `json:"freezeWindows"`
}

// MarshalReplayInput returns the canonical stored form of a normalized
// Input, the content behind inputs.inputDocumentDigest.
func MarshalReplayInput(in *Input) ([]byte, error) {
	env := in.Environment
	return canon.Marshal(replayInput{
		Document: in,
		Environment: replayEnvironment{
			RequiredApprovals: env.RequiredApprovals, ApproverGroups: nonNil(env.ApproverGroups),
			ApproverUsers: nonNil(env.ApproverUsers), RequireSeparationOfDuties: env.RequireSeparationOfDuties,
			FreezeWindows: nonNil(env.FreezeWindows),
		},
		EPSSSnapshot:      in.EPSSSnapshot,
		Baseline:          in.Baseline,
		Confirmations:     nonNil(in.Confirmations),
		ImagesWithoutSBOM: sortedUnique(in.ImagesWithoutSBOM),
	})
}

// UnmarshalReplayInput reverses [MarshalReplayInput].
func UnmarshalReplayInput(raw []byte) (*Input, error) {
	var r replayInput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("gate: stored input: %w", err)
	}
	if r.Document == nil {
		return nil, errors.New("gate: stored input has no document")
	}
	in := *r.Document
	if in.Schema != InputSchema {
		return nil, fmt.Errorf("gate: stored input schema %q is not %s", in.Schema, InputSchema)
	}
	in.Environment.RequiredApprovals = r.Environment.RequiredApprovals
	in.Environment.ApproverGroups = r.Environment.ApproverGroups
	in.Environment.ApproverUsers = r.Environment.ApproverUsers
	in.Environment.RequireSeparationOfDuties = r.Environment.RequireSeparationOfDuties
	in.Environment.FreezeWindows = r.Environment.FreezeWindows
	in.EPSSSnapshot, in.Baseline, in.Confirmations = r.EPSSSnapshot, r.Baseline, r.Confirmations
	in.ImagesWithoutSBOM = r.ImagesWithoutSBOM
	return &in, nil
}

// Document returns the Rego input document (gate.md §3) of the Input as
// canonical JSON, after normalizing a copy: absent optional values stay
// explicit nulls.
func (in *Input) Document() ([]byte, error) {
	c := in.clone()
	c.Normalize()
	return canon.Marshal(c)
}
