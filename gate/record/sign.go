package record

import (
	"context"
	"fmt"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/gate"
)

// PredicateType is the in-toto predicate type of a signed decision.
const PredicateType = "https://stella-ops.org/gate/decision/v1"

// Sign wraps the record in an in-toto statement about the release digest
// (predicate = the record) and signs it as a DSSE envelope.
func Sign(ctx context.Context, d *gate.Decision, signers ...attest.Signer) (*attest.Envelope, error) {
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
	st, err := attest.NewStatement(PredicateType, raw, subject)
	if err != nil {
		return nil, err
	}
	return attest.Sign(ctx, st, signers...)
}

// Verify checks the envelope against trust and returns the record it
// carries and the ids of the keys that signed it, after checking its
// predicate type, its digests and that the statement's subject is the
// record's release.
func Verify(ctx context.Context, env *attest.Envelope, trust attest.Trust) (*gate.Decision, []string, error) {
	st, keys, err := attest.Verify(ctx, env, trust)
	if err != nil {
		return nil, nil, err
	}
	if st.PredicateType != PredicateType {
		return nil, nil, fmt.Errorf("record: predicate type %q is not %s", st.PredicateType, PredicateType)
	}
	d, err := gate.ParseDecision(st.Predicate)
	if err != nil {
		return nil, nil, err
	}
	want, err := attest.SubjectFromDigest(d.Release.Name, d.Release.Digest)
	if err != nil {
		return nil, nil, err
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != want.Name || st.Subject[0].Digest["sha256"] != want.Digest["sha256"] {
		return nil, nil, fmt.Errorf("record: statement subject does not name release %s", d.Release.Digest)
	}
	return d, keys, nil
}
