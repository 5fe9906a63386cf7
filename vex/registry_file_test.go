package vex

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/attest"
)

func pemOf(t *testing.T, trust attest.Trust) string {
	t.Helper()
	pub := trust.Verifiers[0].Public().(*ecdsa.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+by)
}

func TestReadRegistryAttributesSignedAndNamedDocuments(t *testing.T) {
	raw, trust := signedVEX(t)
	file := `version: "2026-11"
issuers:
  - id: acme
    name: ACME
    class: vendor
    requireSignatureForNotAffected: true
    keys:
      - publicKey: |
` + indent(pemOf(t, trust), "          ") + `
  - id: debian
    name: Debian Security Team
    class: distro
    authors: ["Debian"]
`
	reg, err := ReadRegistry(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	acme := reg.Lookup("acme")
	if len(acme.Keys) != 1 || acme.Keys[0].KeyID != trust.Verifiers[0].KeyID() || acme.Keys[0].Algorithm == "" {
		t.Fatalf("key id and algorithm not derived from the PEM key: %+v", acme.Keys)
	}

	// Signed by acme's key: verified through the registry's trust and
	// attributed to acme, so the claim scores with signed provenance.
	doc, err := ReadAttestation(context.Background(), raw, reg.Trust())
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Attribute(doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Statements {
		if s.Issuer != "acme" || !s.Signature.Verified {
			t.Fatalf("statement not attributed to the signing issuer: %+v", s)
		}
		if p := Provenance(acme, s, time.Now()); p != provenanceSigned {
			t.Fatalf("P = %v, want %v", p, provenanceSigned)
		}
	}

	// Unsigned, attributed by author name (case-insensitive).
	d := &Document{Author: "debian", Statements: []Statement{{Vulnerability: "CVE-2026-1", Product: Product{Ref: "pkg:deb/debian/openssl"}, Status: StatusFixed}}}
	if err := reg.Attribute(d); err != nil {
		t.Fatal(err)
	}
	if d.Statements[0].Issuer != "debian" || d.Statements[0].Digest == "" {
		t.Fatalf("not attributed by author: %+v", d.Statements[0])
	}
	// An issuer with keys speaks only through signatures: an unsigned
	// document under its name stays unknown.
	d = &Document{Author: "ACME", Statements: []Statement{{Issuer: UnknownIssuer("ACME"), Vulnerability: "CVE-2026-1", Status: StatusFixed}}}
	if err := reg.Attribute(d); err != nil || d.Statements[0].Issuer != "unknown:ACME" {
		t.Fatalf("unsigned document attributed to a signing issuer: %+v %v", d.Statements[0], err)
	}
	// Unknown authors keep the unknown issuer.
	d = &Document{Author: "someone", Statements: []Statement{{Issuer: UnknownIssuer("someone"), Vulnerability: "CVE-2026-1", Status: StatusFixed}}}
	if err := reg.Attribute(d); err != nil || d.Statements[0].Issuer != "unknown:someone" {
		t.Fatalf("unknown author reattributed: %+v %v", d.Statements[0], err)
	}
}

func TestReadRegistryRejectsBadFiles(t *testing.T) {
	_, trust := signedVEX(t)
	for name, tc := range map[string]struct{ file, want string }{
		"unknown field": {`issuers: [{id: a, class: vendor, requireSignature: true}]`, "requireSignature"},
		"bad class":     {`issuers: [{id: a, class: friend}]`, "unknown class"},
		"bad pem":       {`issuers: [{id: a, class: vendor, keys: [{publicKey: "nope"}]}]`, "key 1"},
		"key id mismatch": {"issuers:\n  - id: a\n    class: vendor\n    keys:\n      - keyId: other\n        publicKey: |\n" +
			indent(pemOf(t, trust), "          "), "does not match"},
		"not yaml": {"issuers: [", "registry"},
	} {
		_, err := ReadRegistry(strings.NewReader(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
}

func TestRegistryMarshalRoundTrip(t *testing.T) {
	p := 0.7
	reg, err := NewRegistry("2026-12", Issuer{ID: "b", Class: ClassVendor, ProvenanceOverride: &p, Scope: []string{"pkg:golang/x", "pkg:deb/a"}},
		Issuer{ID: "a", Class: ClassVendor})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadRegistry(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != reg.Digest() {
		t.Fatalf("digest %s after a round trip, want %s", back.Digest(), reg.Digest())
	}
}
