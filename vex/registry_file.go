package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/stella-ops/stella/attest"
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
	var tree any
	if err := yaml.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("vex: registry: %w", err)
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("vex: registry: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var f registryFile
	if err := dec.Decode(&f); err != nil {
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

// Attribute assigns d's statements to registered issuers: a statement whose
// signature verified with a registered key belongs to that key's issuer;
// otherwise the document's author is looked up among the issuers' names
// and authors. Statements of unknown authors keep their unknown: issuer.
// Digests are recomputed, since the issuer is part of a statement.
func (r *Registry) Attribute(d *Document) error {
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

// byAuthor returns the one issuer whose name or authors include author
// (case-insensitive), or "" when none or several do.
func (r *Registry) byAuthor(author string) string {
	author = strings.TrimSpace(author)
	if r == nil || author == "" {
		return ""
	}
	found := ""
	for _, is := range r.issuers {
		if strings.EqualFold(is.Name, author) || slices.ContainsFunc(is.Authors, func(a string) bool { return strings.EqualFold(a, author) }) {
			if found != "" {
				return "" // ambiguous: attribute to no one
			}
			found = is.ID
		}
	}
	return found
}
