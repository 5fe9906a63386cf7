package vex

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/stella-ops/stella/attest"
)

const imageDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func signedVEX(t *testing.T) ([]byte, attest.Trust) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := attest.NewVerifier(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := os.ReadFile("testdata/sameclaim/openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	subj, err := attest.SubjectFromDigest("registry.example/app", imageDigest)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement("https://openvex.dev/ns/v0.2.0", pred, subj)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(context.Background(), st, signer)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw, attest.Trust{Verifiers: []attest.Verifier{verifier}}
}

func TestSignedAttestationVerifies(t *testing.T) {
	raw, trust := signedVEX(t)
	d, err := ReadAttestation(context.Background(), raw, trust)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Statements) != 1 {
		t.Fatalf("got %d statements", len(d.Statements))
	}
	sig := d.Statements[0].Signature
	if !sig.Signed || !sig.Verified || sig.KeyID != trust.Verifiers[0].KeyID() {
		t.Errorf("signature %+v", sig)
	}
}

func TestUntrustedAttestationIsReadUnverified(t *testing.T) {
	raw, _ := signedVEX(t)
	d, err := ReadAttestation(context.Background(), raw, attest.Trust{})
	if err != nil {
		t.Fatal(err)
	}
	if sig := d.Statements[0].Signature; !sig.Signed || sig.Verified {
		t.Errorf("signature %+v, want signed and unverified", sig)
	}
}

func TestTamperedAttestationFails(t *testing.T) {
	raw, trust := signedVEX(t)
	var env attest.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	payload = []byte(strings.Replace(string(payload), "not_affected", "affected", 1))
	env.Payload = base64.StdEncoding.EncodeToString(payload)
	tampered, _ := json.Marshal(env)
	if _, err := ReadAttestation(context.Background(), tampered, trust); !errors.Is(err, attest.ErrVerify) {
		t.Fatalf("tampered attestation: got %v, want attest.ErrVerify", err)
	}
}

func TestAttestationSubjectsStandInForMissingProducts(t *testing.T) {
	pred := `{"@context":"https://openvex.dev/ns/v0.2.0","author":"A","timestamp":"2024-01-01T00:00:00Z","version":1,
	"statements":[{"vulnerability":{"name":"CVE-1-2"},"status":"fixed"}]}`
	subj, _ := attest.SubjectFromDigest("app", imageDigest)
	st, err := attest.NewStatement("https://openvex.dev/ns/v0.2.0", []byte(pred), subj)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := st.Canonical()
	env := attest.Envelope{PayloadType: attest.PayloadType, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []dsse.Signature{{KeyID: "k", Sig: "c2ln"}}}
	raw, _ := json.Marshal(env)
	d, err := ReadAttestation(context.Background(), raw, attest.Trust{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Statements) != 1 || d.Statements[0].Product.Ref != imageDigest {
		t.Fatalf("got %+v", d.Statements)
	}
}
