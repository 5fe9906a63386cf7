package vex

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stella-ops/stella/attest"
)

func seed(f *testing.F, files ...string) {
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
}

func FuzzReadOpenVEX(f *testing.F) {
	seed(f, "testdata/sameclaim/openvex.json", "../../shared/conformance/openvex/examples/v001-1.vex.json")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ReadOpenVEX(bytes.NewReader(b)) })
}

func FuzzReadCSAF(f *testing.F) {
	seed(f, "testdata/sameclaim/csaf.json")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ReadCSAF(bytes.NewReader(b)) })
}

func FuzzReadCycloneDX(f *testing.F) {
	seed(f, "testdata/sameclaim/cyclonedx.json")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ReadCycloneDX(bytes.NewReader(b)) })
}

func FuzzReadAttestation(f *testing.F) {
	raw, trust := signedVEX(&testing.T{})
	f.Add(raw)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AA=="}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Unverified reading and verified reading must both refuse, not panic.
		_, _ = ReadAttestation(context.Background(), b, attest.Trust{})
		if d, err := ReadAttestation(context.Background(), b, trust); err == nil && len(d.Statements) > 0 && !d.Statements[0].Signature.Verified {
			t.Fatal("a document read with trusted keys is not marked verified")
		}
	})
}

func FuzzReadRegistry(f *testing.F) {
	f.Add([]byte("version: \"1\"\nissuers:\n  - {id: acme, name: ACME, class: vendor, authors: [ACME PSIRT], scope: [\"pkg:golang/\"]}\n"))
	f.Add([]byte(`{"issuers":[{"id":"d","class":"distro","keys":[{"publicKey":"-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		reg, err := ReadRegistry(bytes.NewReader(b))
		if err != nil {
			return
		}
		if reg.Digest() == "" {
			t.Fatal("an accepted registry has no digest")
		}
		_ = reg.Trust()
	})
}
