package nvd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/nvd"
)

func readFixture(t *testing.T) []advisory.Observation {
	t.Helper()
	obs, err := nvd.ReadFile(filepath.Join("testdata", "page.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 3 {
		t.Fatalf("read %d observations, want 3", len(obs))
	}
	return obs
}

func TestReadMapsCVE(t *testing.T) {
	o := readFixture(t)[0]
	a := o.Advisory
	if a.ID != "CVE-2021-44228" || a.Source != "nvd" || !strings.HasPrefix(a.Details, "Apache Log4j2 2.0-beta9") {
		t.Errorf("id/source/details: %q %q %q", a.ID, a.Source, a.Details)
	}
	if want := time.Date(2021, 12, 10, 10, 15, 9, 143e6, time.UTC); !a.Published.Equal(want) {
		t.Errorf("published %v, want %v", a.Published, want)
	}
	if want := time.Date(2024, 4, 3, 17, 15, 46, 480e6, time.UTC); !a.Modified.Equal(want) || !o.Upstream.Modified.Equal(want) {
		t.Errorf("modified %v / upstream %v, want %v", a.Modified, o.Upstream.Modified, want)
	}
	if a.IsWithdrawn() {
		t.Error("a Modified CVE is not withdrawn")
	}
	// The Primary v3.1 metric wins over the CNA's Secondary one; the score
	// is computed from the vector.
	if len(a.Severity) != 2 || a.Severity[0].Type != advisory.CVSSv3 ||
		a.Severity[0].Score != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" || *a.Severity[0].BaseScore != 10 {
		t.Errorf("severity %+v", a.Severity)
	}
	if s := a.Severity[1]; s.Type != nvd.SeverityCVSSv2 || s.Score != "AV:N/AC:M/Au:N/C:C/I:C/A:C" || s.BaseScore != nil {
		t.Errorf("v2 severity %+v", s)
	}
	wantRefs := []string{"ADVISORY", "FIX", "EVIDENCE", "WEB"}
	for i, r := range a.References {
		if r.Type != wantRefs[i] {
			t.Errorf("references[%d] %s: type %s, want %s", i, r.URL, r.Type, wantRefs[i])
		}
	}
	wantAffected := []advisory.Affected{
		{
			Package: advisory.Package{Ecosystem: "CPE", Name: "apache:log4j"},
			Ranges: []advisory.Range{
				{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "2.0.1"}, {Fixed: "2.3.1"}}},
				{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "2.4.0"}, {Fixed: "2.12.2"}}},
				{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "2.12.4"}, {LastAffected: "2.15.0"}}},
			},
			Versions: []string{"2.0"},
		},
		{
			Package: advisory.Package{Ecosystem: "CPE", Name: "siemens:sppa-t3000_ses3000_firmware"},
			Ranges:  []advisory.Range{{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "0"}}}},
		},
	}
	if !reflect.DeepEqual(a.Affected, wantAffected) {
		t.Errorf("affected\n got %+v\nwant %+v", a.Affected, wantAffected)
	}
	wantCPEs := []string{
		"cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*",
		"cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*",
		"cpe:2.3:a:siemens:sppa-t3000_ses3000_firmware:*:*:*:*:*:*:*:*",
	}
	if !reflect.DeepEqual(o.Hints.CPEs, wantCPEs) || len(o.Hints.PURLs) != 0 || o.Hints.PURLs == nil {
		t.Errorf("hints %+v", o.Hints)
	}
	if o.Source != (advisory.SourceRef{ID: "nvd", ReaderVersion: nvd.ReaderVersion}) || o.Upstream.ID != a.ID ||
		o.Identifiers.Primary != a.ID || len(o.Identifiers.Aliases) != 0 {
		t.Errorf("envelope %+v %+v %+v", o.Source, o.Upstream, o.Identifiers)
	}
	if o.Content.Format != "nvd-cve-api" || o.Content.SpecVersion != "2.0" || !bytes.Contains(o.Content.Raw, []byte(`"CWE-917"`)) {
		t.Errorf("content %s %s, raw lost fields", o.Content.Format, o.Content.SpecVersion)
	}
}

func TestReadV40AndExactVersions(t *testing.T) {
	a := readFixture(t)[1].Advisory
	if len(a.Severity) != 2 || a.Severity[0].Type != advisory.CVSSv4 || a.Severity[0].BaseScore == nil || *a.Severity[0].BaseScore != 10 || *a.Severity[1].BaseScore != 10 {
		t.Errorf("severity %+v", a.Severity)
	}
	want := []advisory.Affected{{Package: advisory.Package{Ecosystem: "CPE", Name: "tukaani:xz"}, Versions: []string{"5.6.0", "5.6.1"}}}
	if !reflect.DeepEqual(a.Affected, want) {
		t.Errorf("affected %+v", a.Affected)
	}
}

func TestRejectedIsWithdrawn(t *testing.T) {
	a := readFixture(t)[2].Advisory
	if want := time.Date(2023, 6, 2, 8, 30, 0, 0, time.UTC); !a.Withdrawn.Equal(want) {
		t.Errorf("withdrawn %v, want %v (lastModified)", a.Withdrawn, want)
	}
	if len(a.Affected) != 0 || len(a.Severity) != 0 {
		t.Errorf("rejected CVE mapped data: %+v", a)
	}
}

func TestMatchesKeepExactBounds(t *testing.T) {
	m, err := nvd.Matches(readFixture(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 5 || m[2].VersionStartExcluding != "2.12.4" || m[2].VersionEndIncluding != "2.15.0" ||
		m[3].CPE.Version != "2.0" || m[3].CPE.Update != "beta9" || m[4].CPE.Vendor != "siemens" {
		t.Errorf("matches %+v", m)
	}
}

// The raw content of an observation reads back into the same observation:
// the store can re-derive the advisory from what it kept.
func TestRawContentRoundTrips(t *testing.T) {
	for _, o := range readFixture(t) {
		again, err := nvd.Read(bytes.NewReader(o.Content.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 1 || again[0].ContentHash != o.ContentHash || !reflect.DeepEqual(again[0].Advisory, o.Advisory) {
			t.Errorf("%s: raw content does not round-trip", o.Upstream.ID)
		}
	}
}

func TestContentHashIgnoresKeyOrderAndWhitespace(t *testing.T) {
	o := readFixture(t)[2]
	var v any
	if err := json.Unmarshal(o.Content.Raw, &v); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(v) // sorted keys, no whitespace
	again, err := nvd.Read(bytes.NewReader(compact))
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ContentHash != o.ContentHash || !strings.HasPrefix(o.ContentHash, "sha256:") {
		t.Errorf("hash %s vs %s", again[0].ContentHash, o.ContentHash)
	}
}

func TestReadErrorsNameFileAndField(t *testing.T) {
	item := func(cve string) string {
		return `{"vulnerabilities":[{"cve":{"id":"CVE-1","lastModified":"2024-01-01T00:00:00.000"}},{"cve":` + cve + `}]}`
	}
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "invalid JSON object"},
		{`{"totalResults": 0}`, "vulnerabilities"},
		{`{"vulnerabilities": {}}`, "vulnerabilities: not an array"},
		{`{"vulnerabilities": [{}]}`, "vulnerabilities[0].cve: required"},
		{item(`{"lastModified":"2024-01-01T00:00:00"}`), "vulnerabilities[1].cve.id"},
		{item(`{"id":"CVE-2"}`), "CVE-2: vulnerabilities[1].cve.lastModified"},
		{item(`{"id":"CVE-2","lastModified":"yesterday"}`), "cve.lastModified: not an ISO 8601"},
		{item(`{"id":"CVE-2","lastModified":"2024-01-01T00:00:00","metrics":{"cvssMetricV31":[{"type":"Primary","cvssData":{"vectorString":"CVSS:3.1/AV:N"}}]}}`), "cve.metrics.cvssMetricV31[0].cvssData.vectorString"},
		{item(`{"id":"CVE-2","lastModified":"2024-01-01T00:00:00","configurations":[{"nodes":[{"cpeMatch":[{"vulnerable":true,"criteria":"cpe:/a:x:y"}]}]}]}`), "cve.configurations[0].nodes[0].cpeMatch[0].criteria"},
		{item(`{"id":"CVE-2","lastModified":"2024-01-01T00:00:00","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*"}]}]}]}`), "cpeMatch[0].vulnerable: required"},
		{item(`{"id":"CVE-2","lastModified":"2024-01-01T00:00:00","references":[{"tags":["Patch"]}]}`), "cve.references[0].url"},
	} {
		p := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := nvd.ReadFile(p)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n error %v\n want a ValidationError naming bad.json and %q", tt.doc, err, tt.want)
		}
	}
}

func TestParseCPE(t *testing.T) {
	c, err := nvd.ParseCPE(`cpe:2.3:a:acme:web\:server:1.0:*:*:*:*:*:*:*`)
	if err != nil || c.Vendor != "acme" || c.Product != `web\:server` || c.Version != "1.0" {
		t.Errorf("%+v %v", c, err)
	}
	for _, bad := range []string{"", "cpe:/a:acme:web", "cpe:2.3:x:a:b:*:*:*:*:*:*:*:*", "cpe:2.3:a::b:*:*:*:*:*:*:*:*", "cpe:2.3:a:b:c"} {
		if _, err := nvd.ParseCPE(bad); err == nil {
			t.Errorf("ParseCPE(%q) accepted", bad)
		}
	}
}

func FuzzRead(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "page.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"cve":{"id":"CVE-1","lastModified":"2024-01-01T00:00:00","configurations":[{"nodes":[{"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*","versionStartExcluding":"1"}]}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		npm, _ := advisory.EcosystemSchemes("npm")
		obs, err := nvd.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, o := range obs {
			if o.Advisory == nil || o.Advisory.ID == "" || !strings.HasPrefix(o.ContentHash, "sha256:") {
				t.Fatalf("accepted an invalid observation: %+v", o)
			}
			if _, err := nvd.Matches(o); err != nil {
				t.Fatalf("Matches on an accepted observation: %v", err)
			}
			for _, a := range o.Advisory.Affected {
				advisory.EvaluateAffected(&a, "1.0.0", npm) // must not panic
			}
		}
	})
}
