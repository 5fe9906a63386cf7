package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
)

// Errors Verify, VerifyPack and Seal wrap; stella maps them to exit codes
// (offline.md §4.3).
var (
	// ErrHash: content does not hash to the packet's contentHash, the
	// signed statement disagrees with the packet or its content, or an
	// audit pack is damaged: an entry's size or sha256 differs from the
	// manifest, an entry is missing, unlisted or truncated (exit 3).
	ErrHash = errors.New("evidence: integrity check failed")
	// ErrSignature: no signature by a trusted key, or the packet names a
	// key or algorithm other than the one that verified (exit 4).
	ErrSignature = errors.New("evidence: signature check failed")
	// ErrInvalid: not a packet, envelope or audit pack, or content Seal
	// refuses (exit 2).
	ErrInvalid = errors.New("evidence: invalid input")
	// ErrManifest: an audit pack whose signed manifest is not a valid
	// manifest document (offline.md §4.3, exit 11). It is also ErrInvalid.
	ErrManifest = fmt.Errorf("evidence: audit pack manifest: %w", ErrInvalid)
)

// Packet is a sealed evidence packet as a store keeps it and `stella
// evidence show` prints it. Only the envelope is signed; the other fields
// are its store identity, and the signed content is authoritative.
type Packet struct {
	ID               string           `json:"id"`
	TenantID         string           `json:"tenantId"`
	PromotionID      string           `json:"promotionId,omitempty"`
	Type             Type             `json:"type"`
	ContentHash      string           `json:"contentHash"` // sha256:<hex> of the JCS of the content
	Envelope         *attest.Envelope `json:"envelope"`
	KeyID            string           `json:"keyId"`
	Algorithm        string           `json:"algorithm"`
	GeneratorVersion string           `json:"generatorVersion"`
	CreatedAt        time.Time        `json:"createdAt"`
}

// Draft is what Seal needs. The id and the time come from the caller's
// injected ID source and clock, never from Seal.
type Draft struct {
	ID               string // e.g. a UUIDv7; [A-Za-z0-9._-], it names the packet's file in an audit pack
	TenantID         string
	PromotionID      string // empty for a packet outside a promotion (a re-evaluation)
	Type             Type
	Content          Content
	GeneratorVersion string // the SDK or server version that sealed it
	CreatedAt        time.Time
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Seal normalizes the draft's content, signs it as an in-toto statement in
// a DSSE envelope and returns the packet. The same draft sealed twice with
// a deterministic signature scheme (Ed25519) gives the same bytes.
func Seal(ctx context.Context, d Draft, signer attest.Signer) (*Packet, error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: Seal needs a signer", ErrInvalid)
	}
	switch {
	case !idRE.MatchString(d.ID):
		return nil, fmt.Errorf("%w: packet id %q is not [A-Za-z0-9._-]{1,128}", ErrInvalid, d.ID)
	case d.TenantID == "" || d.GeneratorVersion == "" || d.CreatedAt.IsZero():
		return nil, fmt.Errorf("%w: packet %s needs a tenant id, a generator version and a creation time", ErrInvalid, d.ID)
	case !d.Type.valid():
		return nil, fmt.Errorf("%w: unknown packet type %q", ErrInvalid, d.Type)
	}
	c := d.Content.normalized()
	if err := c.validate(d.Type); err != nil {
		return nil, err
	}
	raw, err := canon.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	st, err := attest.NewStatement(d.Type.PredicateType(), json.RawMessage(raw), c.subjects()...)
	if err != nil {
		return nil, err
	}
	env, err := attest.Sign(ctx, st, signer)
	if err != nil {
		return nil, err
	}
	return &Packet{
		ID: d.ID, TenantID: d.TenantID, PromotionID: d.PromotionID, Type: d.Type,
		ContentHash: canon.SHA256(raw), Envelope: env,
		KeyID: signer.KeyID(), Algorithm: signer.Algorithm(),
		GeneratorVersion: d.GeneratorVersion, CreatedAt: utcSecond(d.CreatedAt),
	}, nil
}

// subjects are the release digests the packet is about: the release, and
// for rollback and ab_promotion the previous (or control) release too.
func (c *Content) subjects() []attest.Subject {
	refs := []ReleaseRef{{Name: c.What.Release.Name, Digest: c.What.Release.Digest}}
	if c.Previous != nil {
		refs = append(refs, c.Previous.Release)
	}
	out := make([]attest.Subject, 0, len(refs))
	for _, r := range refs {
		s, err := attest.SubjectFromDigest("release:"+r.Name, r.Digest)
		if err != nil {
			continue // validate and Verify refuse such a digest before this matters
		}
		out = append(out, s)
	}
	return out
}

// Canonical returns the packet's canonical JSON (RFC 8785).
func (p *Packet) Canonical() ([]byte, error) { return canon.Marshal(p) }

// ParsePacket decodes a packet's JSON strictly (no unknown fields, no
// duplicate keys, required fields present) without verifying anything:
// use Verify for that.
func ParsePacket(raw []byte) (*Packet, error) {
	if _, err := canon.Transform(raw); err != nil { // rejects duplicate keys and invalid UTF-8
		return nil, fmt.Errorf("%w: packet: %v", ErrInvalid, err)
	}
	var p Packet
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: packet: %v", ErrInvalid, err)
	}
	switch {
	case !idRE.MatchString(p.ID):
		return nil, fmt.Errorf("%w: packet id %q is not [A-Za-z0-9._-]{1,128}", ErrInvalid, p.ID)
	case !p.Type.valid():
		return nil, fmt.Errorf("%w: packet %s: unknown type %q", ErrInvalid, p.ID, p.Type)
	case !digestRE.MatchString(p.ContentHash):
		return nil, fmt.Errorf("%w: packet %s: contentHash %q is not sha256:<64 hex>", ErrInvalid, p.ID, p.ContentHash)
	case p.Envelope == nil || p.Envelope.Payload == "" || len(p.Envelope.Signatures) == 0:
		return nil, fmt.Errorf("%w: packet %s has no signed envelope", ErrInvalid, p.ID)
	case p.KeyID == "" || p.Algorithm == "":
		return nil, fmt.Errorf("%w: packet %s names no key id or algorithm", ErrInvalid, p.ID)
	}
	return &p, nil
}

// WhyFrom builds the why block from a gate decision record, after checking
// the record's own digests (an edited record is refused).
func WhyFrom(d *gate.Decision) (Why, error) {
	if d == nil {
		return Why{}, fmt.Errorf("%w: no decision record", ErrInvalid)
	}
	if err := d.CheckDigests(); err != nil {
		return Why{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	w := Why{
		Decision: string(d.Decision), Phase: string(d.Phase), ReasonCodes: slices.Clone(d.ReasonCodes),
		Gates: make([]Gate, len(d.Gates)), DecisionRecordDigest: d.RecordDigest, InputsHash: d.InputsHash,
	}
	for i, g := range d.Gates {
		w.Gates[i] = Gate{ID: g.ID, Type: g.Type, Status: string(g.Status), ReasonCodes: slices.Clone(g.ReasonCodes), Message: g.Message}
	}
	return w, nil
}
