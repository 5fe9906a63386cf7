package vex

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/internal/yamljson"
)

// registryFile is the on-disk form of a registry (YAML or JSON).
type registryFile struct {
	Version string   `json:"version"`
	Issuers []Issuer `json:"issuers"`
}

// ReadRegistry reads an issuer registry from YAML or JSON:
//
//	version: "2026-11"
//	issuers:
//	  - id: acme
//	    name: ACME
//	    class: vendor
//	    authors: ["ACME Product Security"]
//	    keys: [{publicKey: "-----BEGIN PUBLIC KEY-----…"}]
//	    requireSignatureForNotAffected: true
//
// A key given as a PEM public key gets its key id computed the way
// signatures name it, so the file need not spell it out. Unknown fields are
// errors: a misspelt trust setting must not silently fall back to a default.
func ReadRegistry(r io.Reader) (*Registry, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("vex: registry: %w", err)
	}
	var f registryFile
	if err := yamljson.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("vex: registry: %w", err)
	}
	for i := range f.Issuers {
		for j := range f.Issuers[i].Keys {
			k := &f.Issuers[i].Keys[j]
			if k.PublicKey == "" {
				continue
			}
			v, err := verifierFor(*k)
			if err != nil {
				return nil, fmt.Errorf("vex: registry: issuer %q key %d: %w", f.Issuers[i].ID, j+1, err)
			}
			if k.KeyID == "" {
				k.KeyID = v.KeyID()
			} else if k.KeyID != v.KeyID() {
				return nil, fmt.Errorf("vex: registry: issuer %q key %d: keyId %q does not match the public key (%s)", f.Issuers[i].ID, j+1, k.KeyID, v.KeyID())
			}
			if k.Algorithm == "" {
				k.Algorithm = v.Algorithm()
			}
		}
	}
	return NewRegistry(f.Version, f.Issuers...)
}

func verifierFor(k IssuerKey) (attest.Verifier, error) {
	return attest.ParseVerifier([]byte(k.PublicKey))
}

// Trust returns every registered public key as trust material for
// attestation envelopes. An envelope signed by any one of them verifies;
// which issuer signed is then decided by [Registry.Attribute].
func (r *Registry) Trust() attest.Trust {
	var t attest.Trust
	if r == nil {
		return t
	}
	for _, is := range r.Issuers() {
		for _, k := range is.Keys {
			if k.PublicKey == "" {
				continue
			}
			if v, err := verifierFor(k); err == nil { // validated when read
				t.Verifiers = append(t.Verifiers, v)
			}
		}
	}
	return t
}

// Attribute assigns d's statements to registered issuers (vex.md §2): a
// statement whose signature verified with a registered key belongs to
// that key's issuer. Otherwise the document's author is looked up among
// the issuers' ids, names and authors — but only issuers without keys are
// attributed by name: an issuer with keys speaks through signatures, so an
// unsigned document using its name cannot supersede its signed claims.
// Statements of unknown authors keep their unknown: issuer. Digests are
// recomputed, since the issuer is part of a statement.
func (r *Registry) Attribute(d *Document) error {
	if r == nil || d == nil {
		return nil
	}
	byAuthor := r.byAuthor(d.Author)
	for i := range d.Statements {
		s := &d.Statements[i]
		switch is, ok := r.ByKey(s.Signature.KeyID); {
		case ok && s.Signature.Verified:
			s.Issuer = is.ID
		case byAuthor != "":
			s.Issuer = byAuthor
		default:
			continue
		}
		if _, err := s.ComputeDigest(); err != nil {
			return err
		}
	}
	slices.SortFunc(d.Statements, func(a, b Statement) int { return strings.Compare(a.Digest, b.Digest) })
	d.Statements = slices.CompactFunc(d.Statements, func(a, b Statement) bool { return a.Digest == b.Digest })
	return nil
}

// byAuthor returns the one keyless issuer whose id, name or authors
// include author (case-insensitive), or "" when none or several do.
func (r *Registry) byAuthor(author string) string {
	author = strings.TrimSpace(author)
	if author == "" {
		return ""
	}
	found := ""
	for _, is := range r.issuers {
		named := strings.EqualFold(is.ID, author) || strings.EqualFold(is.Name, author) ||
			slices.ContainsFunc(is.Authors, func(a string) bool { return strings.EqualFold(a, author) })
		if !named {
			continue
		}
		if found != "" || len(is.Keys) > 0 {
			return "" // ambiguous, or an issuer that signs: attribute to no one
		}
		found = is.ID
	}
	return found
}

// ReadAny reads a VEX document in any supported format — OpenVEX, CSAF,
// CycloneDX, or OpenVEX in a DSSE envelope — and attributes it to r's
// issuers. An envelope is verified against r's keys when r has any; a
// signature that does not verify is an error wrapping [attest.ErrVerify]
// (fail closed). With no keys it is read as signed but unverified.
func ReadAny(ctx context.Context, raw []byte, r *Registry) (*Document, error) {
	var probe struct {
		PayloadType string `json:"payloadType"`
	}
	var d *Document
	var err error
	if json.Unmarshal(raw, &probe) == nil && probe.PayloadType != "" {
		d, err = ReadAttestation(ctx, raw, r.Trust())
	} else {
		d, err = Read(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, err
	}
	if err := r.Attribute(d); err != nil {
		return nil, err
	}
	return d, nil
}

// MarshalJSON writes the registry in the form ReadRegistry reads, canonical,
// so a registry saved beside a decision reads back with the same digest.
func (r *Registry) MarshalJSON() ([]byte, error) {
	return canon.Marshal(registryDoc{Version: r.version, Issuers: r.Issuers()})
}
