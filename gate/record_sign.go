package gate

import (
	"context"
	"fmt"

	"github.com/stella-ops/stella/attest"
)

// DecisionPredicateType is the in-toto predicate type of a signed decision.
const DecisionPredicateType = "https://stella-ops.org/gate/decision/v1"

// Sign wraps the record in an in-toto statement about the release digest
// (predicate = the record) and signs it as a DSSE envelope.
func Sign(ctx context.Context, d *Decision, signers ...attest.Signer) (*attest.Envelope, error) {
	if err := d.CheckDigests(); err != nil {
		return nil, err
	}
	subject, err := attest.SubjectFromDigest(d.Release.Name, d.Release.Digest)
	if err != nil {
		return nil, err
	}
	raw, err := d.Canonical()
	if err != nil {
		return nil, err
	}
	st, err := attest.NewStatement(DecisionPredicateType, raw, subject)
	if err != nil {
		return nil, err
	}
	return attest.Sign(ctx, st, signers...)
}

// VerifySigned checks the envelope against trust and returns the record it
// carries, after checking its predicate type, its digests and that the
// statement's subject is the record's release.
func VerifySigned(ctx context.Context, env *attest.Envelope, trust attest.Trust) (*Decision, []string, error) {
	st, keys, err := attest.Verify(ctx, env, trust)
	if err != nil {
		return nil, nil, err
	}
	if st.PredicateType != DecisionPredicateType {
		return nil, nil, fmt.Errorf("gate: predicate type %q is not %s", st.PredicateType, DecisionPredicateType)
	}
	d, err := ParseDecision(st.Predicate)
	if err != nil {
		return nil, nil, err
	}
	want, err := attest.SubjectFromDigest(d.Release.Name, d.Release.Digest)
	if err != nil {
		return nil, nil, err
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != want.Name || st.Subject[0].Digest["sha256"] != want.Digest["sha256"] {
		return nil, nil, fmt.Errorf("gate: statement subject does not name release %s", d.Release.Digest)
	}
	return d, keys, nil
}
