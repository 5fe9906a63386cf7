package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/internal/canon"
)

// inputs completes the caller's Inputs with the digests the engine can
// derive, writing the content behind each into the store when one is set.
func (e *Engine) inputs(ctx context.Context, in *Input, meta DecideMeta, cas CAS) (Inputs, error) {
	x := meta.Inputs
	x.SBOMDigests = slices.Clone(x.SBOMDigests)
	if x.SBOMDigests == nil {
		x.SBOMDigests = in.SBOM.Digests
	}
	x.SBOMDigests = sortedUnique(x.SBOMDigests)
	if x.VEXConsensusDigests == nil {
		for _, f := range in.Findings {
			if f.VEX != nil && f.VEX.ConsensusDigest != "" {
				x.VEXConsensusDigests = append(x.VEXConsensusDigests, f.VEX.ConsensusDigest)
			}
		}
	}
	x.VEXConsensusDigests = sortedUnique(x.VEXConsensusDigests)
	if x.BaselineReleaseDigest == "" && in.Baseline != nil {
		x.BaselineReleaseDigest = in.Baseline.ReleaseDigest
	}
	if e.cfg != nil {
		x.GateConfigDigest = e.cfgHash
	}
	x.PolicyDigest = e.policyDigest(in.Environment)

	put := func(b []byte) (string, error) {
		if cas == nil {
			return canon.SHA256(b), nil
		}
		return cas.Put(ctx, b)
	}
	var err error
	doc, err := MarshalReplayInput(in)
	if err != nil {
		return Inputs{}, err
	}
	if x.InputDocumentDigest, err = put(doc); err != nil {
		return Inputs{}, err
	}
	ap, err := canon.Marshal(ApprovalsDocument{Approvals: in.Approvals})
	if err != nil {
		return Inputs{}, err
	}
	if x.ApprovalsDigest, err = put(ap); err != nil {
		return Inputs{}, err
	}
	ex, err := exceptionsDocument(meta.Exceptions, meta.Revocations)
	if err != nil {
		return Inputs{}, err
	}
	if x.ExceptionsDigest, err = put(ex); err != nil {
		return Inputs{}, err
	}
	if cas != nil && e.cfg != nil {
		if _, err := cas.Put(ctx, e.cfgBytes); err != nil {
			return Inputs{}, err
		}
	}
	if cas != nil {
		if err := e.storePolicies(ctx, cas, in.Environment); err != nil {
			return Inputs{}, err
		}
	}
	return x, nil
}

// ApprovalsDocument is the stored form behind approvalsDigest.
type ApprovalsDocument struct {
	Approvals []Approval `json:"approvals"` // by at, then approverId
}

// ExceptionsDocument is the stored form behind exceptionsDigest: the
// exception log the findings were built against.
type ExceptionsDocument struct {
	Exceptions  []Exception  `json:"exceptions"`  // by id
	Revocations []Revocation `json:"revocations"` // by exceptionId, at
}

func exceptionsDocument(exs []Exception, revs []Revocation) ([]byte, error) {
	doc := ExceptionsDocument{Exceptions: slices.Clone(exs), Revocations: slices.Clone(revs)}
	doc.Exceptions, doc.Revocations = nonNil(doc.Exceptions), nonNil(doc.Revocations)
	for i := range doc.Exceptions {
		x := &doc.Exceptions[i]
		x.CreatedAt, x.ExpiresAt = canonTime(x.CreatedAt), canonTime(x.ExpiresAt)
		x.Scope.Environments = sortedUnique(x.Scope.Environments)
	}
	for i := range doc.Revocations {
		doc.Revocations[i].At = canonTime(doc.Revocations[i].At)
	}
	slices.SortFunc(doc.Exceptions, func(a, b Exception) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(doc.Revocations, func(a, b Revocation) int {
		if c := strings.Compare(a.ExceptionID, b.ExceptionID); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	return canon.Marshal(doc)
}

// missingInputs returns the input.<name>-missing codes of §6.1 for a
// verified decision.
func missingInputs(in *Input, x Inputs, slots []slot) []string {
	var codes []string
	if len(x.SBOMDigests) == 0 || len(in.ImagesWithoutSBOM) > 0 {
		codes = append(codes, "input.sbom-missing")
	}
	if x.AdvisorySnapshotID == "" {
		codes = append(codes, "input.advisory-snapshot-missing")
	}
	for _, f := range in.Findings {
		if f.VEX == nil || f.VEX.ConsensusDigest == "" {
			codes = append(codes, "input.vex-consensus-missing")
			break
		}
	}
	for _, s := range slots {
		if pg, ok := s.gate.(*policyGate); ok && pg.missing() {
			codes = append(codes, "input.policy-bundle-missing")
			break
		}
	}
	return codes
}

// plainDetails round-trips details through JSON so the record holds plain
// values (float64, []any, map[string]any) and decodes back equal.
func plainDetails(d map[string]any) (map[string]any, error) {
	raw, err := canon.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func canonSHA256(b []byte) string { return canon.SHA256(b) }

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
