package attest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// writeKeys writes a PEM private key and its public key; it returns their paths.
func writeKeys(t *testing.T, priv any, pub any) (string, string) {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	privPath, pubPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	return privPath, pubPath
}

func statement(t *testing.T) *Statement {
	t.Helper()
	b, _ := SubjectFromDigest("registry.example.com/b", "sha256:"+strings.Repeat("b", 64))
	a, _ := SubjectFromDigest("registry.example.com/a", "sha256:"+strings.Repeat("a", 64))
	st, err := NewStatement("https://cyclonedx.org/bom", map[string]any{"bomFormat": "CycloneDX", "z": 1, "a": []int{2, 1}}, b, a)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSignAndVerifyWithFileKeys(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, k := range map[string][2]any{"ed25519": {edPriv, edPub}, "ecdsa-p256": {ecPriv, &ecPriv.PublicKey}} {
		t.Run(name, func(t *testing.T) {
			privPath, pubPath := writeKeys(t, k[0], k[1])
			signer, err := LoadSigner(privPath)
			if err != nil {
				t.Fatal(err)
			}
			verifier, err := LoadVerifier(pubPath)
			if err != nil {
				t.Fatal(err)
			}
			if signer.KeyID() != verifier.KeyID() || !strings.HasPrefix(signer.KeyID(), "sha256:") {
				t.Fatalf("key ids %s / %s", signer.KeyID(), verifier.KeyID())
			}
			env, err := Sign(context.Background(), statement(t), signer)
			if err != nil {
				t.Fatal(err)
			}
			st, keys, err := Verify(context.Background(), env, Trust{Verifiers: []Verifier{verifier}})
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0] != verifier.KeyID() || st.Subject[0].Name != "registry.example.com/a" {
				t.Fatalf("verified %v, statement %+v", keys, st)
			}
			// The payload is the canonical statement: subjects sorted, keys sorted.
			payload, _ := base64.StdEncoding.DecodeString(env.Payload)
			if !bytes.HasPrefix(payload, []byte(`{"_type":"https://in-toto.io/Statement/v1","predicate":{"a":[2,1],"bomFormat":"CycloneDX","z":1}`)) {
				t.Fatalf("payload is not canonical: %s", payload)
			}
		})
	}
}

// The signature is over the DSSE PAE: check it with the standard library alone.
func TestSignatureIsOverThePAE(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(context.Background(), statement(t), signer)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if !ed25519.Verify(pub, dsse.PAE(PayloadType, payload), sig) {
		t.Fatal("signature does not verify over PAE(payloadType, payload)")
	}
}

func TestVerifyFailsClosed(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := NewSigner(priv)
	other, _ := NewVerifier(otherPub)
	mine, _ := NewVerifier(priv.Public())
	ctx := context.Background()
	env, err := Sign(ctx, statement(t), signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(ctx, env, Trust{Verifiers: []Verifier{other}}); !errors.Is(err, ErrVerify) {
		t.Fatalf("untrusted key: %v, want ErrVerify", err)
	}
	if _, _, err := Verify(ctx, env, Trust{}); !errors.Is(err, ErrVerify) {
		t.Fatalf("no trusted keys: %v, want ErrVerify", err)
	}
	tampered := *env
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	tampered.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"z":1`), []byte(`"z":2`), 1))
	if _, _, err := Verify(ctx, &tampered, Trust{Verifiers: []Verifier{mine}}); !errors.Is(err, ErrVerify) {
		t.Fatalf("tampered payload: %v, want ErrVerify", err)
	}
	// Two signatures from distinct keys meet a threshold of two; one does not.
	second, _ := NewSigner(otherPriv)
	both, err := Sign(ctx, statement(t), signer, second)
	if err != nil {
		t.Fatal(err)
	}
	if _, keys, err := Verify(ctx, both, Trust{Verifiers: []Verifier{mine, other}, Threshold: 2}); err != nil || len(keys) != 2 {
		t.Fatalf("threshold 2 with two signatures: %v %v", keys, err)
	}
	if _, _, err := Verify(ctx, env, Trust{Verifiers: []Verifier{mine, other}, Threshold: 2}); !errors.Is(err, ErrVerify) {
		t.Fatalf("threshold 2 with one signature: %v, want ErrVerify", err)
	}
}

func TestUnsupportedKeysAreRefused(t *testing.T) {
	ec224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := NewSigner(ec224); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Fatalf("P-224: %v, want ErrUnsupportedAlgorithm", err)
	}
	if _, err := SubjectFromDigest("x", "sha512:abc"); err == nil {
		t.Fatal("want an error for a non-sha256 subject digest")
	}
	if _, err := ParseEnvelope([]byte(`{"payload":""}`)); err == nil {
		t.Fatal("want an error for an empty envelope")
	}
}

// VerifyAbout tells a bad signature from a good signature over other content.
func TestVerifyAbout(t *testing.T) {
	ctx := context.Background()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := NewSigner(priv)
	verifier, _ := NewVerifier(priv.Public())
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := NewVerifier(otherPriv.Public())
	digest := "sha256:" + strings.Repeat("c", 64)
	subj, _ := SubjectFromDigest("manifest.json", digest)
	st, err := NewStatement("https://example.com/manifest/v1", map[string]any{}, subj)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(ctx, st, signer)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	trust := Trust{Verifiers: []Verifier{verifier}}
	if keys, err := VerifyAbout(ctx, raw, trust, st.PredicateType, "manifest.json", digest); err != nil || len(keys) != 1 || keys[0] != verifier.KeyID() {
		t.Fatalf("good envelope: %v %v", keys, err)
	}
	for name, tc := range map[string]struct {
		raw           []byte
		trust         Trust
		predicate     string
		file, digest  string
		want, notWant error
	}{
		"another key":       {raw, Trust{Verifiers: []Verifier{other}}, st.PredicateType, "manifest.json", digest, ErrVerify, ErrSubject},
		"not an envelope":   {[]byte("{"), trust, st.PredicateType, "manifest.json", digest, ErrVerify, ErrSubject},
		"another predicate": {raw, trust, "https://example.com/other/v1", "manifest.json", digest, ErrVerify, ErrSubject},
		"another file":      {raw, trust, st.PredicateType, "index.json", digest, ErrSubject, ErrVerify},
		"another content":   {raw, trust, st.PredicateType, "manifest.json", "sha256:" + strings.Repeat("d", 64), ErrSubject, ErrVerify},
	} {
		_, err := VerifyAbout(ctx, tc.raw, tc.trust, tc.predicate, tc.file, tc.digest)
		if !errors.Is(err, tc.want) || errors.Is(err, tc.notWant) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
