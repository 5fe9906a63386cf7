package evidence

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/canon"
)

// Info is what a packet (or a bare DSSE envelope of one) holds.
type Info struct {
	Packet      *Packet          `json:"packet,omitempty"` // nil when the input was a bare envelope
	Type        Type             `json:"type"`
	Subjects    []attest.Subject `json:"subjects"`
	ContentHash string           `json:"contentHash"` // recomputed from the signed content
	Content     Content          `json:"content"`
	// KeyIDs: from Verify, the trusted keys whose signatures verified;
	// from Inspect, the key ids the signatures claim, unverified.
	KeyIDs []string `json:"keyIds"`
}

// Inspect decodes a packet or a bare envelope without verifying anything,
// for display. Use Verify before trusting any of it.
func Inspect(raw []byte) (*Info, error) {
	p, env, err := parseInput(raw)
	if err != nil {
		return nil, err
	}
	info, err := decode(env)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	info.Packet = p
	for _, s := range env.Signatures {
		info.KeyIDs = append(info.KeyIDs, s.KeyID)
	}
	slices.Sort(info.KeyIDs)
	return info, nil
}

// Verify checks a packet's JSON, or a bare DSSE envelope of one, against
// trust. For a packet it first recomputes the content hash (tampered
// content is ErrHash, whatever the signature), then checks the signature
// (ErrSignature) and that the key and algorithm the packet names are those
// of the trusted key that verified: neither is taken from the packet alone.
// A bare envelope carries no content hash to compare, so any change to it
// is ErrSignature. Either way the statement's subjects must be the
// content's release digests (ErrHash) and the content must be valid and
// in canonical form (ErrInvalid).
func Verify(ctx context.Context, raw []byte, trust attest.Trust) (*Info, error) {
	p, env, err := parseInput(raw)
	if err != nil {
		return nil, err
	}
	if p != nil {
		return verifyPacket(ctx, p, trust)
	}
	keys, err := verifySignature(ctx, env, trust)
	if err != nil {
		return nil, err
	}
	info, err := decode(env)
	if err != nil {
		return nil, fmt.Errorf("%w: signed, but %v", ErrInvalid, err)
	}
	info.KeyIDs = keys
	return info, info.check()
}

func verifyPacket(ctx context.Context, p *Packet, trust attest.Trust) (*Info, error) {
	info, err := decode(p.Envelope)
	if err != nil {
		return nil, fmt.Errorf("%w: packet %s: %v", ErrHash, p.ID, err)
	}
	info.Packet = p
	if info.ContentHash != p.ContentHash {
		return nil, fmt.Errorf("%w: packet %s: content hashes to %s, the packet says %s", ErrHash, p.ID, info.ContentHash, p.ContentHash)
	}
	if info.Type != p.Type {
		return nil, fmt.Errorf("%w: packet %s is a %s packet, its statement is a %s", ErrHash, p.ID, p.Type, info.Type)
	}
	if info.KeyIDs, err = verifySignature(ctx, p.Envelope, trust); err != nil {
		return nil, fmt.Errorf("packet %s: %w", p.ID, err)
	}
	i := slices.IndexFunc(trust.Verifiers, func(v attest.Verifier) bool { return v.KeyID() == p.KeyID })
	if !slices.Contains(info.KeyIDs, p.KeyID) || i < 0 {
		return nil, fmt.Errorf("%w: packet %s names key %s, but the trusted keys that verified are %v", ErrSignature, p.ID, p.KeyID, info.KeyIDs)
	}
	if alg := trust.Verifiers[i].Algorithm(); alg != p.Algorithm {
		return nil, fmt.Errorf("%w: packet %s names algorithm %s, but key %s is %s", ErrSignature, p.ID, p.Algorithm, p.KeyID, alg)
	}
	return info, info.check()
}

func verifySignature(ctx context.Context, env *attest.Envelope, trust attest.Trust) ([]string, error) {
	_, keys, err := attest.Verify(ctx, env, trust)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return keys, nil
}

// check holds a signed statement to its content: subjects are the content's
// release digests, and the content is valid and canonical.
func (info *Info) check() error {
	c := info.Content
	if err := c.validate(info.Type); err != nil {
		return err
	}
	want, got := sortSubjects(c.subjects()), sortSubjects(info.Subjects)
	if !slices.EqualFunc(want, got, func(a, b attest.Subject) bool {
		return a.Name == b.Name && a.Digest["sha256"] == b.Digest["sha256"]
	}) {
		return fmt.Errorf("%w: the statement is about %s, the content about %s", ErrHash, names(got), names(want))
	}
	norm, err := canon.Digest(c.normalized())
	if err != nil || norm != info.ContentHash {
		return fmt.Errorf("%w: the content is not in canonical form (arrays sorted, times UTC whole seconds)", ErrInvalid)
	}
	return nil
}

func sortSubjects(s []attest.Subject) []attest.Subject {
	return sorted(s, func(a, b attest.Subject) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Digest["sha256"], b.Digest["sha256"]))
	})
}

func names(s []attest.Subject) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.Name + "@sha256:" + x.Digest["sha256"]
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// parseInput reads a packet (an object with an "envelope") or a bare envelope.
func parseInput(raw []byte) (*Packet, *attest.Envelope, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, nil, fmt.Errorf("%w: not a JSON object: %v", ErrInvalid, err)
	}
	if _, ok := probe["envelope"]; ok {
		p, err := ParsePacket(raw)
		return p, p.envelope(), err
	}
	if _, ok := probe["payloadType"]; !ok {
		return nil, nil, fmt.Errorf("%w: neither an evidence packet nor a DSSE envelope", ErrInvalid)
	}
	if _, err := canon.Transform(raw); err != nil {
		return nil, nil, fmt.Errorf("%w: envelope: %v", ErrInvalid, err)
	}
	env, err := attest.ParseEnvelope(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil, env, nil
}

func (p *Packet) envelope() *attest.Envelope {
	if p == nil {
		return nil
	}
	return p.Envelope
}

// decode reads the statement and content of an envelope, verifying nothing.
func decode(env *attest.Envelope) (*Info, error) {
	if env.PayloadType != attest.PayloadType {
		return nil, fmt.Errorf("payload type %q is not %s", env.PayloadType, attest.PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return nil, err
	}
	if st.Type != attest.StatementType {
		return nil, fmt.Errorf("statement type %q is not %s", st.Type, attest.StatementType)
	}
	t := typeOf(st.PredicateType)
	if t == "" {
		return nil, fmt.Errorf("predicate type %q is not an evidence packet type", st.PredicateType)
	}
	pred, err := canon.Transform(st.Predicate)
	if err != nil {
		return nil, err
	}
	info := &Info{Type: t, Subjects: st.Subject, ContentHash: canon.SHA256(pred)}
	dec := json.NewDecoder(bytes.NewReader(pred))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info.Content); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	if dec.More() {
		return nil, errors.New("content: trailing data")
	}
	return info, nil
}
