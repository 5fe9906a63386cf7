package osv_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
)

const sample = `{
  "schema_version": "1.6.0", "id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-05-01T10:00:00Z",
  "published": "2024-04-01T00:00:00Z", "aliases": [" CVE-2024-0001 "], "unknown_field": {"kept": true},
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash", "purl": "pkg:npm/lodash@4.17.20?x=1"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]},
               {"type": "GIT", "repo": "https://github.com/lodash/lodash", "events": [{"introduced": "0"}]}]}],
  "references": [{"type": "ADVISORY", "url": "https://example.com"}]
}`

func TestReadParsesAndObserves(t *testing.T) {
	obs, err := osv.Read(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	o := obs[0]
	a := o.Advisory
	if a.ID != "GHSA-aaaa-bbbb-cccc" || len(a.Affected) != 1 || len(a.Affected[0].Ranges) != 2 {
		t.Fatalf("parsed %+v", a)
	}
	if s := a.Severity[0]; s.BaseScore == nil || *s.BaseScore != 9.8 {
		t.Errorf("base score %v, want 9.8", s.BaseScore)
	}
	if o.Identifiers.Primary != a.ID || len(o.Identifiers.Aliases) != 1 || o.Identifiers.Aliases[0] != "CVE-2024-0001" {
		t.Errorf("identifiers %+v", o.Identifiers)
	}
	if len(o.Hints.PURLs) != 1 || o.Hints.PURLs[0] != "pkg:npm/lodash" {
		t.Errorf("hints %+v", o.Hints)
	}
	if o.Content.SpecVersion != "1.6.0" || !bytes.Contains(o.Content.Raw, []byte("unknown_field")) {
		t.Errorf("content %q / raw lost unknown fields", o.Content.SpecVersion)
	}
	// Same document, other key order and whitespace: same content hash (JCS).
	reordered := `{"modified":"2024-05-01T10:00:00Z","id":"GHSA-aaaa-bbbb-cccc",` + strings.TrimPrefix(strings.Replace(sample, `"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-05-01T10:00:00Z",`, "", 1), "{")
	again, err := osv.Read(strings.NewReader(reordered))
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ContentHash != o.ContentHash {
		t.Errorf("content hash depends on key order: %s vs %s", again[0].ContentHash, o.ContentHash)
	}
}

func TestReadErrorsNameFileAndField(t *testing.T) {
	for _, tt := range []struct{ doc, field string }{
		{`{"modified": "2024-01-01T00:00:00Z"}`, "id"},
		{`{"id": "X-1"}`, "modified"},
		{`{"id": "X-1", "modified": "yesterday"}`, "modified"},
		{`{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"name": "a"}}]}`, "affected[0].package"},
		{`{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{"type": "SEMVER", "events": []}]}]}`, "affected[0].ranges[0].events"},
		{`{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1.0.0"}]}]}]}`, "affected[0].ranges[0].events[0]"},
		{`{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]}`, "affected[0].ranges[0].repo"},
		{`{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}]}`, "severity[0].score"},
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := osv.ReadPath(dir)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: error %v, want a ValidationError naming bad.json and %s", tt.doc, err, tt.field)
		}
	}
}

func TestReadPathZipAndDirAgree(t *testing.T) {
	dir := t.TempDir()
	second := strings.Replace(sample, "GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff", 1)
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for name, doc := range map[string]string{"b/second.json": second, "a.json": sample, "README.md": "x"} {
		w, _ := zw.Create(name)
		w.Write([]byte(doc))
		if name != "README.md" {
			os.MkdirAll(filepath.Join(dir, "tree", filepath.Dir(name)), 0o700)
			os.WriteFile(filepath.Join(dir, "tree", name), []byte(doc), 0o600)
		}
	}
	zw.Close()
	zp := filepath.Join(dir, "all.zip")
	os.WriteFile(zp, zbuf.Bytes(), 0o600)
	fromZip, err := osv.ReadPath(zp)
	if err != nil {
		t.Fatal(err)
	}
	fromDir, err := osv.ReadPath(filepath.Join(dir, "tree"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fromZip) != 2 || len(fromDir) != 2 {
		t.Fatalf("zip %d, dir %d records; want 2 each", len(fromZip), len(fromDir))
	}
	for i := range fromZip {
		if fromZip[i].ContentHash != fromDir[i].ContentHash || fromZip[i].Upstream.ID != fromDir[i].Upstream.ID {
			t.Errorf("record %d differs between zip and dir", i)
		}
	}
}

func TestReadArrayOfRecords(t *testing.T) {
	obs, err := osv.Read(strings.NewReader("[" + sample + "," + strings.Replace(sample, "cccc", "dddd", 1) + "]"))
	if err != nil || len(obs) != 2 {
		t.Fatalf("got %d, %v", len(obs), err)
	}
	if advs := osv.Advisories(obs); advs[1].ID != "GHSA-aaaa-bbbb-dddd" || advs[0].Source != "osv" {
		t.Errorf("advisories %+v", advs)
	}
	var _ advisory.Advisory = osv.Advisories(obs)[0]
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`[{"id":"A","modified":"0001-01-01T00:00:00Z"}]`))
	f.Add([]byte(`{"id":"A","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"limit":"*"}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		npm, _ := advisory.EcosystemSchemes("npm")
		obs, err := osv.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, o := range obs {
			if o.Advisory == nil || o.Advisory.ID == "" || !strings.HasPrefix(o.ContentHash, "sha256:") {
				t.Fatalf("accepted an invalid observation: %+v", o)
			}
			for _, a := range o.Advisory.Affected {
				advisory.EvaluateAffected(&a, "1.0.0", npm) // must not panic
			}
		}
	})
}
