package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/internal/canon"
)

func sealTestPacket(t *testing.T, signer attest.Signer) *evidence.Packet {
	t.Helper()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p, err := evidence.Seal(context.Background(), evidence.Draft{
		ID: "pkt-1", TenantID: "acme", PromotionID: "prom-1", Type: evidence.Rollback,
		GeneratorVersion: "stella test", CreatedAt: at,
		Content: evidence.Content{
			What:     evidence.What{Release: evidence.Release{ID: "rel-1", Name: "myapp-v1", Digest: "sha256:" + strings.Repeat("1", 64)}},
			Where:    evidence.Where{Environment: evidence.Environment{ID: "env-1", Name: "prod", Tier: "production"}},
			Who:      evidence.Who{Requester: evidence.Person{ID: "u-alice"}},
			Why:      evidence.Why{Decision: "rollback", ReasonCodes: []string{"deploy.health-check-failed"}},
			How:      &evidence.How{DeploymentJobID: "job-2", Strategy: "redeploy-previous"},
			Previous: &evidence.Previous{Release: evidence.ReleaseRef{ID: "rel-2", Name: "myapp-v2", Digest: "sha256:" + strings.Repeat("2", 64)}, Reason: "health"},
			When:     evidence.When{StartedAt: &at},
		},
	}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// signedPack is an audit pack of only a manifest, signed by signer
// whatever the manifest says.
func signedPack(t *testing.T, signer attest.Signer, manifest []byte) []byte {
	t.Helper()
	subj, err := attest.SubjectFromDigest(evidence.ManifestPath, canon.SHA256(manifest))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement(evidence.PackPredicateType, map[string]string{}, subj)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(context.Background(), st, signer)
	if err != nil {
		t.Fatal(err)
	}
	envRaw, _ := json.Marshal(env)
	var b bytes.Buffer
	if err := archive.Write(&b, map[string][]byte{evidence.ManifestPath: manifest, evidence.EnvelopePath: envRaw}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEvidenceVerifyAndShow(t *testing.T) {
	dir := t.TempDir()
	privPath, pub := testKeyPair(t)
	_, otherPub := testKeyPair(t)
	signer, err := attest.LoadSigner(privPath)
	if err != nil {
		t.Fatal(err)
	}
	p := sealTestPacket(t, signer)
	raw, _ := p.Canonical()
	good := writeFile(t, dir, "packet.json", raw)

	payload, _ := base64.StdEncoding.DecodeString(p.Envelope.Payload)
	edited := *p
	env := *p.Envelope
	env.Payload = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"reason":"health"`), []byte(`"reason":"wealth"`), 1))
	edited.Envelope = &env
	editedRaw, _ := edited.Canonical()
	tampered := writeFile(t, dir, "tampered.json", editedRaw)

	var pack bytes.Buffer
	if err := evidence.Export(context.Background(), &pack, []*evidence.Packet{p},
		[]evidence.File{{Kind: evidence.KindSBOM, Name: "api.cdx.json", Data: []byte(`{"bomFormat":"CycloneDX"}`)}}, signer); err != nil {
		t.Fatal(err)
	}
	packFile := writeFile(t, dir, "pack.tar.gz", pack.Bytes())
	packBytes := pack.Bytes()
	truncated := writeFile(t, dir, "truncated.tar.gz", packBytes[:len(packBytes)-40])
	badManifest := writeFile(t, dir, "bad-manifest.tar.gz", signedPack(t, signer, []byte(`{"entries":[],"schema":"stella.other/v1"}`)))

	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"evidence", "verify", good, "--key", pub}, ExitOK, "verified: rollback packet about release:myapp-v1@sha256:"},
		{[]string{"evidence", "verify", good, "--key", otherPub, "--key", pub}, ExitOK, p.ContentHash},
		{[]string{"evidence", "verify", tampered, "--key", pub}, ExitIntegrity, "content hashes to"},
		{[]string{"evidence", "verify", good, "--key", otherPub}, ExitTrust, "signature"},
		{[]string{"evidence", "verify", packFile, "--key", pub}, ExitOK, "verified: audit pack of 2 files"},
		{[]string{"evidence", "verify", packFile, "--key", otherPub}, ExitTrust, "signature"},
		{[]string{"evidence", "verify", truncated, "--key", pub}, ExitIntegrity, "integrity"},
		{[]string{"evidence", "verify", badManifest, "--key", pub}, ExitManifest, "schema"},
		{[]string{"evidence", "verify", good}, ExitUsage, "key"},
		{[]string{"evidence", "verify", filepath.Join(dir, "missing.json"), "--key", pub}, ExitUsage, "no such file"},
		{[]string{"evidence", "verify", writeFile(t, dir, "junk.json", []byte(`{"hello":1}`)), "--key", pub}, ExitUsage, "neither"},
		{[]string{"evidence", "show", good}, ExitOK, "content hash: " + p.ContentHash},
		{[]string{"evidence", "show", tampered}, ExitOK, "MISMATCH"},
		{[]string{"evidence", "show", packFile}, ExitUsage, "audit pack"},
	} {
		out, code := run(t, "", "", c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("%v: exit %d, want %d, output lacks %q:\n%s", c.args, code, c.code, c.out, out)
		}
	}

	out, code := run(t, "", "", "evidence", "show", good, "-o", "json")
	var v struct {
		Type        string           `json:"type"`
		ContentHash string           `json:"contentHash"`
		KeyIDs      []string         `json:"keyIds"`
		Subjects    []attest.Subject `json:"subjects"`
		Content     evidence.Content `json:"content"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != ExitOK {
		t.Fatalf("show -o json: exit %d, %v\n%s", code, err, out)
	}
	if v.Type != "rollback" || v.ContentHash != p.ContentHash || len(v.KeyIDs) != 1 || v.KeyIDs[0] != signer.KeyID() ||
		len(v.Subjects) != 2 || v.Content.Previous.Reason != "health" {
		t.Fatalf("show -o json = %+v", v)
	}
	out, code = run(t, "", "", "evidence", "verify", packFile, "--key", pub, "-o", "json")
	if code != ExitOK || !strings.Contains(out, fmt.Sprintf("%q", "sboms/api.cdx.json")) {
		t.Fatalf("verify pack -o json: exit %d\n%s", code, out)
	}
}
