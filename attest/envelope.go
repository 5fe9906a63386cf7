package attest

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Envelope is a DSSE envelope.
type Envelope = dsse.Envelope

// ErrVerify means an envelope's signatures do not satisfy the trust given.
var ErrVerify = errors.New("attest: signature verification failed")

// dsseKey adapts a Signer or Verifier to go-securesystemslib's interfaces.
type dsseKey struct {
	s Signer
	v Verifier
}

func (k dsseKey) Sign(ctx context.Context, pae []byte) ([]byte, error) { return k.s.Sign(ctx, pae) }
func (k dsseKey) Verify(ctx context.Context, pae, sig []byte) error    { return k.v.Verify(ctx, pae, sig) }
func (k dsseKey) Public() crypto.PublicKey                             { return k.v.Public() }
func (k dsseKey) KeyID() (string, error) {
	if k.s != nil {
		return k.s.KeyID(), nil
	}
	return k.v.KeyID(), nil
}

// Sign wraps the statement in a DSSE envelope signed by every signer;
// signatures are sorted by key id.
func Sign(ctx context.Context, st *Statement, signers ...Signer) (*Envelope, error) {
	if len(signers) == 0 {
		return nil, errors.New("attest: no signer")
	}
	payload, err := st.Canonical()
	if err != nil {
		return nil, err
	}
	ks := make([]dsse.Signer, len(signers))
	for i, s := range signers {
		ks[i] = dsseKey{s: s}
	}
	es, err := dsse.NewEnvelopeSigner(ks...)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("attest: sign: %w", err)
	}
	slices.SortFunc(env.Signatures, func(a, b dsse.Signature) int { return strings.Compare(a.KeyID, b.KeyID) })
	return env, nil
}

// Trust says which keys an envelope must be signed by.
type Trust struct {
	Verifiers []Verifier
	Threshold int // distinct valid keys needed; 0 means 1
}

// Verify checks the envelope against trust and returns its statement and the
// ids of the keys whose signatures verified. Anything short of the threshold fails.
func Verify(ctx context.Context, env *Envelope, trust Trust) (*Statement, []string, error) {
	if env == nil || len(trust.Verifiers) == 0 {
		return nil, nil, fmt.Errorf("%w: no envelope or no trusted key", ErrVerify)
	}
	if env.PayloadType != PayloadType {
		return nil, nil, fmt.Errorf("%w: payload type %q is not %s", ErrVerify, env.PayloadType, PayloadType)
	}
	threshold := max(trust.Threshold, 1)
	if threshold > len(trust.Verifiers) {
		return nil, nil, fmt.Errorf("%w: threshold %d exceeds the %d trusted keys", ErrVerify, threshold, len(trust.Verifiers))
	}
	vs := make([]dsse.Verifier, len(trust.Verifiers))
	for i, v := range trust.Verifiers {
		vs[i] = dsseKey{v: v}
	}
	ev, err := dsse.NewMultiEnvelopeVerifier(threshold, vs...)
	if err != nil {
		return nil, nil, fmt.Errorf("attest: %w", err)
	}
	accepted, payload, err := ev.VerifyAndDecode(ctx, env)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrVerify, err)
	}
	st, err := ParseStatement(payload)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(accepted))
	for i, a := range accepted {
		ids[i] = a.KeyID
	}
	slices.Sort(ids)
	return st, ids, nil
}

// ParseEnvelope decodes a DSSE envelope from JSON.
func ParseEnvelope(raw []byte) (*Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("attest: envelope: %w", err)
	}
	if env.Payload == "" || len(env.Signatures) == 0 {
		return nil, errors.New("attest: envelope has no payload or no signatures")
	}
	if _, err := base64.StdEncoding.DecodeString(env.Payload); err != nil {
		return nil, fmt.Errorf("attest: envelope payload is not base64: %w", err)
	}
	return &env, nil
}

// ErrSubject means a verified statement is about something else than the
// caller holds: the signature is good, the content is not what was signed.
var ErrSubject = errors.New("attest: the signed statement is not about this content")

// VerifyAbout verifies a DSSE envelope against trust and checks that its
// statement is of predicateType and about exactly one subject, name with
// sha256 digest ("sha256:<hex>"). It returns the key ids that verified. A
// bad envelope, signature or predicate type wraps ErrVerify; a statement
// about other content wraps ErrSubject.
func VerifyAbout(ctx context.Context, raw []byte, trust Trust, predicateType, name, digest string) ([]string, error) {
	env, err := ParseEnvelope(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVerify, err)
	}
	st, keys, err := Verify(ctx, env, trust)
	if err != nil {
		return nil, err
	}
	if st.PredicateType != predicateType {
		return nil, fmt.Errorf("%w: the statement's predicate type %q is not %s", ErrVerify, st.PredicateType, predicateType)
	}
	want := strings.TrimPrefix(digest, "sha256:")
	if len(st.Subject) != 1 || st.Subject[0].Name != name || st.Subject[0].Digest["sha256"] != want {
		return nil, fmt.Errorf("%w: want %s (sha256 %s)", ErrSubject, name, want)
	}
	return keys, nil
}
