package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/store"
)

// testKeyPair writes an Ed25519 key pair as PEM files and returns their paths.
func testKeyPair(t *testing.T) (priv, pub string) {
	t.Helper()
	pk, sk, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(sk)
	pubDER, _ := x509.MarshalPKIXPublicKey(pk)
	dir := t.TempDir()
	priv, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	return priv, pub
}

// storedObservations counts a tenant's latest observations in a SQLite file.
func storedObservations(t *testing.T, db string) int {
	t.Helper()
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	obs, err := s.Latest(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	return len(obs)
}

func fileSHA(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestAdvisoryMirrorExportImport(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "GO-2099-0001.json")
	os.WriteFile(feed, []byte(osvRecord), 0o644)
	src := filepath.Join(dir, "src.db")
	if out, code := run(t, "", "", "advisory", "import", feed, "--db", src); code != ExitOK {
		t.Fatalf("feed import: exit %d: %s", code, out)
	}
	priv, pub := testKeyPair(t)
	_, otherPub := testKeyPair(t)
	bundle, again := filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "b.tar.gz")
	for _, f := range []string{bundle, again} {
		if out, code := run(t, "", "", "advisory", "export", "--db", src, "--key", priv, "-f", f); code != ExitOK {
			t.Fatalf("export: exit %d: %s", code, out)
		}
	}
	if fileSHA(t, bundle) != fileSHA(t, again) {
		t.Fatal("two exports of the same store differ")
	}

	dst := filepath.Join(dir, "dst.db")
	if out, code := run(t, "", "", "advisory", "import", bundle, "--db", dst, "--key", otherPub); code != ExitTrust {
		t.Fatalf("bundle under another key: exit %d, want %d: %s", code, ExitTrust, out)
	}
	if n := storedObservations(t, dst); n != 0 {
		t.Fatalf("%d observations stored after a refused bundle", n)
	}
	tampered := filepath.Join(dir, "tampered.tar.gz")
	os.WriteFile(tampered, tamperObservation(t, bundle), 0o644)
	if out, code := run(t, "", "", "advisory", "import", tampered, "--db", dst, "--key", pub); code != ExitIntegrity || !strings.Contains(out, "digest") {
		t.Fatalf("tampered bundle: exit %d, want %d: %s", code, ExitIntegrity, out)
	}
	if n := storedObservations(t, dst); n != 0 {
		t.Fatalf("%d observations stored after a tampered bundle", n)
	}
	out, code := run(t, "", "", "advisory", "import", bundle, "--db", dst, "--key", pub)
	if code != ExitOK || !strings.Contains(out, "appended 1") {
		t.Fatalf("import: exit %d: %s", code, out)
	}
	if out, code := run(t, "", "", "advisory", "show", "CVE-2099-0001", "--db", dst); code != ExitOK || !strings.Contains(out, "GO-2099-0001") {
		t.Fatalf("show after bundle import: exit %d: %s", code, out)
	}
	if out, code := run(t, "", "", "advisory", "import", bundle, "--db", dst, "--key", pub); code != ExitStale {
		t.Fatalf("same bundle again: exit %d, want %d: %s", code, ExitStale, out)
	}
	if out, code := run(t, "", "", "advisory", "import", bundle, "--db", dst); code != ExitUsage || !strings.Contains(out, "--key") {
		t.Fatalf("bundle without --key: exit %d: %s", code, out)
	}
	if out, code := run(t, "", "", "advisory", "import", "--help"); code != ExitOK || !strings.Contains(out, "8    the bundle's generation") {
		t.Fatalf("import help lacks exit codes: %s", out)
	}
}

// tamperObservation changes one byte of an observation entry's body.
func tamperObservation(t *testing.T, bundle string) []byte {
	t.Helper()
	f, _ := os.Open(bundle)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tarBytes, _ := io.ReadAll(zr)
	i := bytes.Index(tarBytes, []byte(`"contentHash":"sha256:`))
	if i < 0 {
		t.Fatal("no observation entry found")
	}
	i += len(`"contentHash":"sha256:`)
	tarBytes[i] ^= 1
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(tarBytes)
	zw.Close()
	return buf.Bytes()
}
