package record_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/gate/record"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := attest.NewVerifier(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	d := fixture.Decide(t, fixture.Input(), gate.WithGates(fixture.Critical("crit")))
	env, err := record.Sign(context.Background(), d, signer)
	if err != nil {
		t.Fatal(err)
	}
	trust := attest.Trust{Verifiers: []attest.Verifier{verifier}}
	got, keys, err := record.Verify(context.Background(), env, trust)
	if err != nil {
		t.Fatal(err)
	}
	if got.RecordDigest != d.RecordDigest || len(keys) != 1 || keys[0] != signer.KeyID() {
		t.Fatalf("verified %s by %v", got.RecordDigest, keys)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	tampered := *env
	tampered.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"deny"`), []byte(`"allow"`), 1))
	if _, _, err := record.Verify(context.Background(), &tampered, trust); !errors.Is(err, attest.ErrVerify) {
		t.Fatalf("tampered envelope: %v, want ErrVerify", err)
	}
}
