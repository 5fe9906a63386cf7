package gate

import (
	"context"
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/internal/canon"
)

// InputDigests names every input of a decision by digest. InputDocumentDigest
// and GateConfigDigest address the exact Input and configuration the
// engine ran on, so a record can be replayed from a content store alone.
type InputDigests struct {
	SBOMDigests           []string `json:"sbomDigests"`
	AdvisorySnapshotID    string   `json:"advisorySnapshotId"`
	VEXConsensusDigests   []string `json:"vexConsensusDigests"`
	IssuerRegistryDigest  string   `json:"issuerRegistryDigest"`
	PolicyDigest          string   `json:"policyDigest"`
	GateConfigDigest      string   `json:"gateConfigDigest"`
	ExceptionsDigest      string   `json:"exceptionsDigest"`
	ApprovalsDigest       string   `json:"approvalsDigest"`
	BaselineReleaseDigest string   `json:"baselineReleaseDigest,omitempty"`
	InputDocumentDigest   string   `json:"inputDocumentDigest"`
}

// Hash is inputsHash: "sha256:" of the JCS of the inputs.
func (in InputDigests) Hash() (string, error) { return canon.Digest(in) }

// inputDigests completes meta.Inputs with the digests the engine can
// derive, writing the content behind each into the store when one is set.
func (e *Engine) inputDigests(ctx context.Context, in *Input, meta DecideMeta, store InputStore) (InputDigests, error) {
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
		if store == nil {
			return canon.SHA256(b), nil
		}
		return store.Put(ctx, b)
	}
	var err error
	doc, err := MarshalReplayInput(in)
	if err != nil {
		return InputDigests{}, err
	}
	if x.InputDocumentDigest, err = put(doc); err != nil {
		return InputDigests{}, err
	}
	ap, err := canon.Marshal(ApprovalsDocument{Approvals: in.Approvals})
	if err != nil {
		return InputDigests{}, err
	}
	if x.ApprovalsDigest, err = put(ap); err != nil {
		return InputDigests{}, err
	}
	ex, err := exceptionsDocument(meta.Exceptions, meta.Revocations)
	if err != nil {
		return InputDigests{}, err
	}
	if x.ExceptionsDigest, err = put(ex); err != nil {
		return InputDigests{}, err
	}
	if store != nil && e.cfg != nil {
		if _, err := store.Put(ctx, e.cfgBytes); err != nil {
			return InputDigests{}, err
		}
	}
	if store != nil {
		if err := e.storePolicies(ctx, store, in.Environment); err != nil {
			return InputDigests{}, err
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
	Exceptions  []exception.Exception  `json:"exceptions"`  // by id
	Revocations []exception.Revocation `json:"revocations"` // by exceptionId, at
}

func exceptionsDocument(exs []exception.Exception, revs []exception.Revocation) ([]byte, error) {
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
	slices.SortFunc(doc.Exceptions, func(a, b exception.Exception) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(doc.Revocations, func(a, b exception.Revocation) int {
		if c := strings.Compare(a.ExceptionID, b.ExceptionID); c != 0 {
			return c
		}
		return a.At.Compare(b.At)
	})
	return canon.Marshal(doc)
}

// missingInputs returns the input.<name>-missing codes of §6.1 for a
// verified decision.
func missingInputs(in *Input, x InputDigests, slots []slot) []string {
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
