package gate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/attest"
)

var engUpdate = flag.Bool("update", false, "rewrite golden files")

// Acceptance 15: the Rego input of the fixture release, byte for byte.
func TestInputDocumentGolden(t *testing.T) {
	got, err := engFixture().Document()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "input.golden.json")
	if *engUpdate {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./gate -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("input document differs from %s:\n got %s\nwant %s", path, got, want)
	}
	// Absent optional values stay explicit nulls for Rego.
	for _, s := range []string{`"kev":null`, `"exception":null`, `"reachable":null`, `"gates":[]`} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("document lacks %s", s)
		}
	}
}

func TestStoredInputRoundTrip(t *testing.T) {
	in := engFixture()
	in.Normalize()
	raw, err := MarshalReplayInput(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalReplayInput(raw)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := MarshalReplayInput(back)
	if !bytes.Equal(raw, again) || back.Environment.RequiredApprovals != 1 {
		t.Fatalf("round trip lost data:\n%s\n%s", raw, again)
	}
}

func TestRecordDigestsDetectEdits(t *testing.T) {
	d := engDecide(t, engFixture(), WithGates(engStatus("a", StatusPass)))
	raw, _ := d.Canonical()
	if _, err := ParseDecision(raw); err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw, []byte(`"decision":"allow"`), []byte(`"decision":"deny"`), 1)
	if _, err := ParseDecision(edited); err == nil {
		t.Fatal("edited record accepted")
	}
}

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
	d := engDecide(t, engFixture(), WithGates(engCritical("crit")))
	env, err := Sign(context.Background(), d, signer)
	if err != nil {
		t.Fatal(err)
	}
	trust := attest.Trust{Verifiers: []attest.Verifier{verifier}}
	got, keys, err := VerifySigned(context.Background(), env, trust)
	if err != nil {
		t.Fatal(err)
	}
	if got.RecordDigest != d.RecordDigest || len(keys) != 1 || keys[0] != signer.KeyID() {
		t.Fatalf("verified %s by %v", got.RecordDigest, keys)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	tampered := *env
	tampered.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"deny"`), []byte(`"allow"`), 1))
	if _, _, err := VerifySigned(context.Background(), &tampered, trust); !errors.Is(err, attest.ErrVerify) {
		t.Fatalf("tampered envelope: %v, want ErrVerify", err)
	}
}
