package vex

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/canon"
)

// IssuerClass is the source class of an issuer (vex.md §3).
type IssuerClass string

// Issuer classes.
const (
	ClassVendor      IssuerClass = "vendor"
	ClassDistro      IssuerClass = "distro"
	ClassInternal    IssuerClass = "internal"
	ClassHub         IssuerClass = "hub"
	ClassAttestation IssuerClass = "attestation"
)

// unknownIssuerPrefix marks issuers that are not in the registry (vex.md §2).
const unknownIssuerPrefix = "unknown:"

func (c IssuerClass) valid() bool {
	switch c {
	case ClassVendor, ClassDistro, ClassInternal, ClassHub, ClassAttestation:
		return true
	}
	return false
}

// IssuerKey is one signing identity of an issuer: a key id with its public
// key, or a certificate identity (keyless signing). Zero times mean unbounded
// validity or not revoked.
type IssuerKey struct {
	KeyID     string    `json:"keyId,omitempty"`
	Algorithm string    `json:"algorithm,omitempty"`
	PublicKey string    `json:"publicKey,omitempty"`
	Identity  string    `json:"identity,omitempty"` // certificate identity (SAN)
	ValidFrom time.Time `json:"validFrom,omitzero"`
	ValidTo   time.Time `json:"validUntil,omitzero"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

// Issuer is one registry entry (vex.md §3).
type Issuer struct {
	ID    string      `json:"id"`
	Name  string      `json:"name"`
	Class IssuerClass `json:"class"`
	Keys  []IssuerKey `json:"keys"`
	// Authors are the author or publisher names the issuer's documents
	// carry; an unsigned document is attributed to the issuer by them.
	Authors []string `json:"authors,omitempty"`
	// Scope lists purl prefixes or image repositories the issuer may speak
	// for; empty means unrestricted.
	Scope []string `json:"scope"`
	// ProvenanceOverride, when set, replaces the computed P (§4.1).
	ProvenanceOverride *float64 `json:"provenanceOverride,omitempty"`
	// Replayability, when set, replaces the R derived from the statement.
	Replayability                  *float64 `json:"replayability,omitempty"`
	RequireSignatureForNotAffected bool     `json:"requireSignatureForNotAffected"`
}

// Issuers returns the registered issuers sorted by id.
func (r *Registry) Issuers() []Issuer {
	out := make([]Issuer, 0, len(r.issuers))
	for _, is := range r.issuers {
		out = append(out, is)
	}
	slices.SortFunc(out, func(a, b Issuer) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Registered reports whether the issuer came from the registry rather than
// being synthesized for an unknown author.
func (i Issuer) Registered() bool { return !strings.HasPrefix(i.ID, unknownIssuerPrefix) && i.ID != "" }

// key returns the registry key whose id or certificate identity is id.
func (i Issuer) key(id string) (IssuerKey, bool) {
	if id == "" {
		return IssuerKey{}, false
	}
	for _, k := range i.Keys {
		if k.KeyID == id || k.Identity == id {
			return k, true
		}
	}
	return IssuerKey{}, false
}

// usable reports whether k could sign at signedAt and is not revoked as of
// cutoff. Revocation is judged at the cut-off, not at signing time: a
// revoked key no longer vouches for anything it signed.
func (k IssuerKey) usable(signedAt, cutoff time.Time) bool {
	if !k.RevokedAt.IsZero() && !k.RevokedAt.After(cutoff) {
		return false
	}
	if !k.ValidFrom.IsZero() && signedAt.Before(k.ValidFrom) {
		return false
	}
	if !k.ValidTo.IsZero() && signedAt.After(k.ValidTo) {
		return false
	}
	return true
}

// inScope reports whether one of refs (image references or purls) falls
// under a scope prefix. Purls are also compared in their decoded form, so
// "pkg:golang/golang.org/x/" covers "pkg:golang/golang.org%2Fx%2Fnet".
func (i Issuer) inScope(refs ...string) bool {
	if len(i.Scope) == 0 {
		return true
	}
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		forms := []string{ref}
		if p, ok := parsePURL(ref); ok {
			forms = append(forms, p.decoded())
		}
		for _, f := range forms {
			for _, prefix := range i.Scope {
				if strings.HasPrefix(f, prefix) {
					return true
				}
			}
		}
	}
	return false
}

// Registry is a versioned, immutable set of issuers.
type Registry struct {
	version string
	issuers map[string]Issuer
	digest  string
}

// registryDoc is the hashed form of a registry: issuers sorted by id.
type registryDoc struct {
	Version string   `json:"version"`
	Issuers []Issuer `json:"issuers"`
}

// NewRegistry validates the issuers and returns a registry whose digest is
// the JCS sha256 of its content.
func NewRegistry(version string, issuers ...Issuer) (*Registry, error) {
	r := &Registry{version: version, issuers: make(map[string]Issuer, len(issuers))}
	doc := registryDoc{Version: version, Issuers: make([]Issuer, 0, len(issuers))}
	for _, is := range issuers {
		if err := is.validate(); err != nil {
			return nil, err
		}
		if _, dup := r.issuers[is.ID]; dup {
			return nil, fmt.Errorf("vex: issuer %q registered twice", is.ID)
		}
		is.Keys = slices.Clone(is.Keys)
		is.Scope = slices.Sorted(slices.Values(is.Scope))
		if is.Keys == nil {
			is.Keys = []IssuerKey{}
		}
		if is.Scope == nil {
			is.Scope = []string{}
		}
		slices.SortFunc(is.Keys, func(a, b IssuerKey) int {
			return strings.Compare(a.KeyID+"\x00"+a.Identity, b.KeyID+"\x00"+b.Identity)
		})
		r.issuers[is.ID] = is
		doc.Issuers = append(doc.Issuers, is)
	}
	slices.SortFunc(doc.Issuers, func(a, b Issuer) int { return strings.Compare(a.ID, b.ID) })
	d, err := canon.Digest(doc)
	if err != nil {
		return nil, err
	}
	r.digest = d
	return r, nil
}

func (i Issuer) validate() error {
	if i.ID == "" || strings.HasPrefix(i.ID, unknownIssuerPrefix) {
		return fmt.Errorf("vex: invalid issuer id %q", i.ID)
	}
	if !i.Class.valid() {
		return fmt.Errorf("vex: issuer %q: unknown class %q", i.ID, i.Class)
	}
	for _, v := range []*float64{i.ProvenanceOverride, i.Replayability} {
		if v != nil && (*v < 0 || *v > 1) {
			return fmt.Errorf("vex: issuer %q: trust override %v outside [0,1]", i.ID, *v)
		}
	}
	return nil
}

// Digest is the registry digest recorded in every consensus record.
func (r *Registry) Digest() string { return r.digest }

// Version is the registry version.
func (r *Registry) Version() string { return r.version }

// Lookup returns the issuer registered as id. Unknown ids get the spec's
// default: class hub, no keys, no scope, no overrides.
func (r *Registry) Lookup(id string) Issuer {
	if r != nil {
		if is, ok := r.issuers[id]; ok {
			return is
		}
	}
	return Issuer{ID: id, Name: strings.TrimPrefix(id, unknownIssuerPrefix), Class: ClassHub}
}

// ByKey returns the registered issuer owning a key id or certificate
// identity, so a verified signature can name its issuer.
func (r *Registry) ByKey(keyID string) (Issuer, bool) {
	if r == nil || keyID == "" {
		return Issuer{}, false
	}
	var found []Issuer
	for _, is := range r.issuers {
		if _, ok := is.key(keyID); ok {
			found = append(found, is)
		}
	}
	// A key shared by two issuers identifies neither.
	if len(found) != 1 {
		return Issuer{}, false
	}
	return found[0], true
}
