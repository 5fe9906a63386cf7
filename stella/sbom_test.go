package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rootfs writes a tiny Debian-like root filesystem and returns its path.
func rootfs(t *testing.T, opensslVersion string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.MkdirAll(filepath.Join(dir, "var/lib/dpkg"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/os-release"), []byte("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"), 0o644)
	status := "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: " + opensslVersion + "\nDescription: x\n\n" +
		"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: x\n"
	os.WriteFile(filepath.Join(dir, "var/lib/dpkg/status"), []byte(status), 0o644)
	return dir
}

func TestSBOMGenerateIsDeterministicAcrossPaths(t *testing.T) {
	a, b := rootfs(t, "3.0.11-1~deb12u1"), rootfs(t, "3.0.11-1~deb12u1")
	for _, format := range []string{"cyclonedx-json@1.7", "cyclonedx-json@1.6", "spdx-json@2.3", "spdx-json@3.0.1"} {
		if out, code := run(t, "", "", "sbom", "generate", "dir:"+a, "--format", format, "--verify-determinism"); code != ExitOK || !strings.Contains(out, "determinism verified") {
			t.Fatalf("%s --verify-determinism: exit %d: %.300s", format, code, out)
		}
		outA, code := run(t, "", "", "sbom", "generate", "dir:"+a, "--format", format)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", format, code, outA)
		}
		outB, _ := run(t, "http://unused", "", "sbom", "generate", b, "--format", format)
		if outA != outB {
			t.Fatalf("%s: the same tree at two paths gave different bytes", format)
		}
		if strings.Contains(outA, a) || strings.Contains(outA, "/tmp") {
			t.Fatalf("%s: output holds a host path", format)
		}
		if !strings.Contains(outA, "openssl") || !strings.Contains(outA, "1970-01-01T00:00:00Z") {
			t.Fatalf("%s: want openssl and the fixed timestamp in:\n%.500s", format, outA)
		}
	}
}

func TestSBOMDiffAttestVerify(t *testing.T) {
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")
	if out, code := run(t, "", "", "sbom", "generate", rootfs(t, "3.0.11-1~deb12u1"), "-f", oldFile); code != ExitOK {
		t.Fatalf("generate: %d %s", code, out)
	}
	if out, code := run(t, "", "", "sbom", "generate", rootfs(t, "3.0.13-1~deb12u1"), "-f", newFile); code != ExitOK {
		t.Fatalf("generate: %d %s", code, out)
	}
	out, code := run(t, "", "", "sbom", "diff", oldFile, newFile, "-o", "json")
	if code != ExitOK {
		t.Fatalf("diff: %d %s", code, out)
	}
	var d struct {
		Changes []struct{ Kind, From, To, Name string } `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("diff output: %v\n%s", err, out)
	}
	if len(d.Changes) != 1 || d.Changes[0].Kind != "changed" || d.Changes[0].To != "3.0.13-1~deb12u1" {
		t.Fatalf("diff = %+v, want openssl changed", d.Changes)
	}

	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	keyFile, pubFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	env := filepath.Join(dir, "old.dsse.json")
	subject := "registry.example.com/api@sha256:" + strings.Repeat("a", 64)
	if out, code := run(t, "", "", "sbom", "attest", oldFile, "--key", keyFile, "--subject", subject, "-f", env); code != ExitOK {
		t.Fatalf("attest: %d %s", code, out)
	}
	if out, code := run(t, "", "", "sbom", "verify", env, "--key", pubFile, "--sbom", oldFile); code != ExitOK || !strings.Contains(out, "verified") {
		t.Fatalf("verify: %d %s", code, out)
	}
	if out, code := run(t, "", "", "sbom", "verify", env, "--key", pubFile, "--sbom", newFile); code != ExitIntegrity {
		t.Fatalf("verify against another SBOM: exit %d, want %d: %s", code, ExitIntegrity, out)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	otherPub := filepath.Join(dir, "other.pub")
	os.WriteFile(otherPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: otherDER}), 0o644)
	if out, code := run(t, "", "", "sbom", "verify", env, "--key", otherPub); code != ExitTrust {
		t.Fatalf("verify with another key: exit %d, want %d: %s", code, ExitTrust, out)
	}
	if out, code := run(t, "", "", "sbom", "generate", "oci-dir:/nonexistent"); code != ExitUsage {
		t.Fatalf("missing source: exit %d, want %d: %s", code, ExitUsage, out)
	}
}
