package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/vex"
)

// attachedAdvisory is an OSV record (Debian:12 openssl before
// 3.0.13-1~deb12u1, alias CVE-0000-0101) that the image below matches.
const attachedAdvisory = "testdata/attached-osv"

// debianImage pushes a one-layer Debian 12 image with openssl 3.0.11 in the
// dpkg database and returns its digest reference.
func debianImage(t *testing.T, host string) (name.Digest, v1.Image) {
	t.Helper()
	files := []struct{ name, body string }{
		{"etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"},
		{"var/lib/dpkg/status", "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u1\nDescription: x\n"},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return tag.Context().Digest(d.String()), img
}

// attachVEX signs an OpenVEX predicate about image with keyFile and pushes
// it as an OCI referrer artifact (artifactType DSSE) of the image.
func attachVEX(t *testing.T, image name.Digest, img v1.Image, keyFile, predicateType, predicate string) {
	t.Helper()
	signer, err := attest.LoadSigner(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	subj, err := attest.SubjectFromDigest(image.Context().Name(), image.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement(predicateType, []byte(predicate), subj)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.Sign(context.Background(), st, signer)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	art := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), vex.MediaTypeDSSE)
	if art, err = mutate.AppendLayers(art, static.NewLayer(raw, vex.MediaTypeDSSE)); err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	d, _ := img.Digest()
	size, _ := img.Size()
	art = mutate.Subject(art, v1.Descriptor{MediaType: mt, Digest: d, Size: size}).(v1.Image)
	ad, _ := art.Digest()
	if err := remote.Write(image.Context().Digest(ad.String()), art); err != nil {
		t.Fatal(err)
	}
}

// issuersFile writes a registry with one internal issuer holding pubFile.
func issuersFile(t *testing.T, pubFile string) string {
	t.Helper()
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "issuers.yaml")
	reg := "version: \"1\"\nissuers:\n  - id: platform\n    name: Platform Security\n    class: internal\n    keys:\n      - publicKey: |\n          " +
		strings.ReplaceAll(strings.TrimSpace(string(pub)), "\n", "\n          ") + "\n"
	if err := os.WriteFile(path, []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// attachedFixture is a registry holding the Debian image with a signed
// not_affected statement about it (no product: the image) for
// CVE-0000-0101, plus an SLSA provenance attestation.
func attachedFixture(t *testing.T) (image name.Digest, issuers string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	image, img := debianImage(t, strings.TrimPrefix(srv.URL, "http://"))
	keyFile, pubFile := testKeyPair(t)
	attachVEX(t, image, img, keyFile, vex.OpenVEXContext, `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/att-1",
	"author":"Platform Security","timestamp":"2024-01-01T00:00:00Z","version":1,
	"statements":[{"vulnerability":{"name":"CVE-0000-0101"},"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`)
	attachVEX(t, image, img, keyFile, "https://slsa.dev/provenance/v1", `{"buildDefinition":{"buildType":"https://example.com/build"}}`)
	return image, issuersFile(t, pubFile)
}

func TestVEXFetchAttached(t *testing.T) {
	image, issuers := attachedFixture(t)
	out, code := run(t, "", "", "vex", "fetch", image.String(), "--issuers", issuers, "-o", "json")
	if code != ExitOK {
		t.Fatalf("vex fetch: exit %d: %s", code, out)
	}
	var rows []struct {
		Format      string `json:"format"`
		ContentHash string `json:"contentHash"`
		Issuer      string `json:"issuer"`
		Verified    bool   `json:"verified"`
		Statements  int    `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 1 || rows[0].Format != "openvex" || rows[0].Issuer != "platform" || !rows[0].Verified ||
		rows[0].Statements != 1 || !strings.HasPrefix(rows[0].ContentHash, "sha256:") {
		t.Fatalf("vex fetch: %s", out)
	}
	if out, code := run(t, "", "", "vex", "fetch", image.String(), "--issuers", issuers); code != ExitOK ||
		!strings.Contains(out, rows[0].ContentHash) || !strings.Contains(out, "platform") {
		t.Errorf("vex fetch table: exit %d: %s", code, out)
	}
	// A registry whose key did not sign the envelope: fail closed, exit 4.
	_, otherPub := testKeyPair(t)
	if out, code := run(t, "", "", "vex", "fetch", image.String(), "--issuers", issuersFile(t, otherPub)); code != ExitTrust {
		t.Errorf("vex fetch with a foreign key: exit %d, want %d: %s", code, ExitTrust, out)
	}
	if out, code := run(t, "", "", "vex", "fetch", image.Context().String()+":v1"); code != ExitUsage {
		t.Errorf("vex fetch by tag: exit %d, want %d: %s", code, ExitUsage, out)
	}
}

func TestScanAppliesAttachedVEX(t *testing.T) {
	image, issuers := attachedFixture(t)
	args := []string{"registry:" + image.String(), "--advisories", attachedAdvisory, "--vex-issuers", issuers, "--vex-cutoff", vexCutoff, "-o", "json"}
	finding := func(out string) (found bool, vexStatus string, suppressed bool) {
		for _, f := range readReportJSON(t, out).Findings {
			if f.AdvisoryID == "ATT-0001" {
				if f.VEX == nil {
					return true, "", false
				}
				return true, f.VEX.Status, f.VEX.Suppressed
			}
		}
		return false, "", false
	}

	_, out := scanTo(t, args...)
	if found, status, suppressed := finding(out); !found || suppressed || status != "" {
		t.Fatalf("without --vex-attached: found %v, status %q, suppressed %v\n%s", found, status, suppressed, out)
	}
	_, out = scanTo(t, append(args, "--vex-attached")...)
	if found, status, suppressed := finding(out); !found || !suppressed || status != "not_affected" {
		t.Fatalf("with --vex-attached: found %v, status %q, suppressed %v\n%s", found, status, suppressed, out)
	}

	if out, code := run(t, "", "", "scan", "dir:"+scanFixture, "--advisories", scanAdvisory, "--vex-attached"); code != ExitUsage {
		t.Errorf("--vex-attached on a directory: exit %d, want %d: %s", code, ExitUsage, out)
	}
}

func TestGateEvalAppliesAttachedVEX(t *testing.T) {
	image, issuers := attachedFixture(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "gates.yaml")
	if err := os.WriteFile(config, []byte("environments: [{name: dev, tier: development}]\ngates:\n  - {id: aggregate, type: aggregate}\n  - {id: vex-trust, type: vex-trust}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"gate", "eval", "registry:" + image.String(), "--advisories", attachedAdvisory, "--vex-issuers", issuers,
		"--config", config, "--env", "dev", "--cutoff", "2024-02-01T00:00:00Z"}
	if out, code := run(t, "", "", args...); code != ExitDeny || !strings.Contains(out, "aggregate.critical-exceeded") {
		t.Fatalf("without attached VEX: exit %d, want deny: %s", code, out)
	}
	record := filepath.Join(dir, "dev.json")
	if out, code := run(t, "", "", append(args, "--vex-attached", "--record", record)...); code != ExitOK {
		t.Fatalf("with the attached not_affected: exit %d, want allow: %s", code, out)
	}
	// The envelope is among the recorded inputs: replay verifies and reads it offline.
	if out, code := run(t, "", "", "gate", "replay", record); code != ExitOK || !strings.Contains(out, "replay: match") {
		t.Fatalf("replay: exit %d: %s", code, out)
	}
	if out, code := run(t, "", "", "gate", "eval", "dir:"+scanFixture, "--advisories", scanAdvisory, "--vex-attached"); code != ExitUsage {
		t.Errorf("--vex-attached on a directory: exit %d, want %d: %s", code, ExitUsage, out)
	}
}
