package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/server"
)

// TestCLIEvidence fetches the evidence key, a dev promotion's packets and
// its audit pack from an in-process server and verifies them offline: exit
// 0, 3 after a one-byte change of the content, 4 with another key.
func TestCLIEvidence(t *testing.T) {
	dir := t.TempDir()
	s := newShopServer(t, nil)
	admin := s.admin
	viewer, other := s.token(server.DefaultTenant, "reader", auth.RoleViewer), s.token("other", "auditor", auth.RoleAdmin)
	must := func(args ...string) string { t.Helper(); return s.must(viewer, args...) }
	expect := func(token string, code int, want string, args ...string) {
		t.Helper()
		out, got := run(t, s.URL, token, args...)
		if got != code || !strings.Contains(out, want) {
			t.Fatalf("%v: exit %d, want %d with %q: %s", args, got, code, want, out)
		}
	}
	if out, code := run(t, s.URL, admin, "env", "create", "dev", "--order", "0", "--tier", "development"); code != ExitOK {
		t.Fatal(out)
	}
	out, code := run(t, s.URL, admin, "promote", "shop-v1", "--to", "dev", "-o", "json")
	var prom struct{ ID, Status string }
	if err := json.Unmarshal([]byte(out), &prom); err != nil || code != ExitOK || prom.Status != "deployed" {
		t.Fatalf("promote: exit %d: %s", code, out)
	}

	// The key: written once, kept unless --force, the PEM verify reads.
	pub := filepath.Join(dir, "evidence.pub")
	must("evidence", "key", "-f", pub)
	expect(viewer, ExitUsage, "exists", "evidence", "key", "-f", pub)
	must("evidence", "key", "-f", pub, "--force")
	if pem := must("evidence", "key"); !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("evidence key = %s", pem)
	}
	_, otherPub := testKeyPair(t)

	// The packets: listed, saved one by one, verified.
	var list []struct{ ID, Type, ContentHash, KeyID, CreatedAt string }
	if err := json.Unmarshal([]byte(must("evidence", "list", prom.ID, "-o", "json")), &list); err != nil || len(list) == 0 ||
		list[0].Type != "release_decision" || !strings.HasPrefix(list[0].ContentHash, "sha256:") || list[0].KeyID == "" || list[0].CreatedAt == "" {
		t.Fatalf("evidence list = %+v, %v", list, err)
	}
	if table := must("evidence", "list", prom.ID); !strings.Contains(table, "CONTENT HASH") || !strings.Contains(table, list[0].ID) {
		t.Fatalf("evidence list table:\n%s", table)
	}
	saved := t.TempDir()
	must("evidence", "list", prom.ID, "--save", saved)
	expect(viewer, ExitUsage, "exists", "evidence", "list", prom.ID, "--save", saved)
	for _, p := range list {
		expect(viewer, ExitOK, "verified: "+p.Type, "evidence", "verify", filepath.Join(saved, p.ID+".json"), "--key", pub)
	}
	packet := filepath.Join(dir, "packet.json")
	must("evidence", "get", list[0].ID, "-f", packet)
	expect(viewer, ExitOK, "verified: release_decision packet", "evidence", "verify", packet, "--key", pub)
	expect(viewer, ExitTrust, "signature", "evidence", "verify", packet, "--key", otherPub)
	raw, _ := os.ReadFile(packet)
	p, err := evidence.ParsePacket(raw)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(p.Envelope.Payload)
	edited := bytes.Replace(payload, []byte(`"name":"dev"`), []byte(`"name":"dew"`), 1)
	if bytes.Equal(edited, payload) {
		t.Fatalf("no environment name in %s", payload)
	}
	p.Envelope.Payload = base64.StdEncoding.EncodeToString(edited)
	tampered, _ := p.Canonical()
	expect(viewer, ExitIntegrity, "content hashes to", "evidence", "verify", writeFile(t, dir, "tampered.json", tampered), "--key", pub)

	// The audit pack: the same bytes twice, never over an existing file.
	pack := filepath.Join(dir, "pack.tar.gz")
	var sum struct {
		File, SHA256, ManifestDigest string
		Size                         int64
		Entries                      int
	}
	if err := json.Unmarshal([]byte(must("evidence", "export", prom.ID, "-f", pack, "-o", "json")), &sum); err != nil ||
		!strings.HasPrefix(sum.ManifestDigest, "sha256:") || sum.Entries < 4 || sum.Size == 0 {
		t.Fatalf("export = %+v, %v", sum, err)
	}
	expect(viewer, ExitUsage, "exists", "evidence", "export", prom.ID, "-f", pack)
	again := filepath.Join(dir, "again.tar.gz")
	must("evidence", "export", prom.ID, "-f", again)
	first, _ := os.ReadFile(pack)
	second, _ := os.ReadFile(again)
	if !bytes.Equal(first, second) || int64(len(first)) != sum.Size {
		t.Fatal("two exports of one promotion differ")
	}
	must("evidence", "export", prom.ID, "-f", again, "--force")
	expect(viewer, ExitOK, sum.ManifestDigest, "evidence", "verify", pack, "--key", pub)
	expect(viewer, ExitTrust, "signature", "evidence", "verify", pack, "--key", otherPub)
	files, err := archive.ReadAll(bytes.NewReader(first), evidence.MaxPackSize)
	if err != nil {
		t.Fatal(err)
	}
	sboms := 0
	for name, b := range files {
		if strings.HasPrefix(name, "sboms/") {
			sboms++
			b[len(b)/2] ^= 1
		}
	}
	if sboms != 2 {
		t.Fatalf("pack has %d SBOMs, want api's and worker's", sboms)
	}
	var changed bytes.Buffer
	if err := archive.Write(&changed, files); err != nil {
		t.Fatal(err)
	}
	expect(viewer, ExitIntegrity, "digest", "evidence", "verify", writeFile(t, dir, "changed.tar.gz", changed.Bytes()), "--key", pub)

	// Another tenant sees none of it, and a failed export leaves no file.
	expect(other, ExitUsage, "NOT_FOUND", "evidence", "export", prom.ID, "-f", filepath.Join(dir, "other.tar.gz"))
	if _, err := os.Stat(filepath.Join(dir, "other.tar.gz")); !os.IsNotExist(err) {
		t.Fatalf("a refused export left a file: %v", err)
	}
	expect(other, ExitUsage, "NOT_FOUND", "evidence", "get", list[0].ID)
	expect(other, ExitUsage, "NOT_FOUND", "evidence", "list", prom.ID)
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".stella-evidence-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}
