package csaf_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/csaf"
)

func readOne(t *testing.T, name string) advisory.Observation {
	t.Helper()
	obs, err := csaf.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 {
		t.Fatalf("%d observations, want 1 per document", len(obs))
	}
	return obs[0]
}

func rng(events ...advisory.Event) advisory.Range {
	return advisory.Range{Type: advisory.RangeEcosystem, Events: events}
}

func TestReadRedHatAdvisory(t *testing.T) {
	o := readOne(t, "rhsa-2024_0154.json")
	if o.Source != (advisory.SourceRef{ID: "csaf:redhat.com", ReaderVersion: csaf.ReaderVersion}) {
		t.Errorf("source %+v", o.Source)
	}
	if o.Upstream.ID != "RHSA-2024:0154" || o.Upstream.DocumentVersion != "3" || !o.Upstream.Modified.Equal(time.Date(2024, 11, 6, 4, 52, 11, 0, time.UTC)) {
		t.Errorf("upstream %+v", o.Upstream)
	}
	// Two CVEs: neither is an alias of the RHSA, so they stay in separate groups.
	if o.Identifiers.Primary != "RHSA-2024:0154" || len(o.Identifiers.Aliases) != 0 {
		t.Errorf("identifiers %+v", o.Identifiers)
	}
	a := o.Advisory
	if a.ID != "RHSA-2024:0154" || !reflect.DeepEqual(a.Related, []string{"CVE-2023-3817", "CVE-2023-5678"}) || len(a.Affected) != 0 ||
		a.Summary != "Red Hat Security Advisory: openssl security update" || !a.Published.Equal(time.Date(2024, 1, 10, 9, 35, 16, 0, time.UTC)) {
		t.Errorf("document-level advisory %+v", a)
	}
	wantHints := advisory.Hints{PURLs: []string{"pkg:rpm/redhat/openssl", "pkg:rpm/redhat/openssl-libs"}, CPEs: []string{"cpe:/o:redhat:enterprise_linux:9::baseos"}}
	if !reflect.DeepEqual(o.Hints, wantHints) {
		t.Errorf("hints %+v", o.Hints)
	}
	if o.Content.Format != "csaf_security_advisory" || o.Content.SpecVersion != "2.0" {
		t.Errorf("content %s %s", o.Content.Format, o.Content.SpecVersion)
	}

	advs, err := csaf.Advisories(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(advs) != 2 || advs[0].ID != "CVE-2023-3817" || advs[1].ID != "CVE-2023-5678" {
		t.Fatalf("advisories %+v", advs)
	}
	eco := "Red Hat:enterprise_linux:9::baseos"
	fixed := []advisory.Range{rng(advisory.Event{Introduced: "0"}, advisory.Event{Fixed: "1:3.0.7-25.el9_3"})}
	wantAffected := []advisory.Affected{ // src and x86_64 collapse into one fact per binary name
		{Package: advisory.Package{Ecosystem: eco, Name: "openssl", PURL: "pkg:rpm/redhat/openssl"}, Ranges: fixed},
		{Package: advisory.Package{Ecosystem: eco, Name: "openssl-libs", PURL: "pkg:rpm/redhat/openssl-libs"}, Ranges: fixed},
	}
	for _, v := range advs {
		if !reflect.DeepEqual(v.Affected, wantAffected) {
			t.Errorf("%s: affected\n got %+v\nwant %+v", v.ID, v.Affected, wantAffected)
		}
		if !reflect.DeepEqual(v.Related, []string{"RHSA-2024:0154"}) || v.Source != "csaf:redhat.com" {
			t.Errorf("%s: related %v source %s", v.ID, v.Related, v.Source)
		}
	}
	if s := advs[0].Severity; len(s) != 1 || *s[0].BaseScore != 5.9 { // computed from the vector, not copied
		t.Errorf("severity %+v", s)
	}
	if r := advs[0].References; len(r) != 1 || r[0].Type != "ADVISORY" {
		t.Errorf("references %+v", r)
	}
	if eval, err := advisory.EcosystemSchemes(eco); err != nil {
		t.Error(err)
	} else if res := advisory.EvaluateAffected(&advs[0].Affected[0], "1:3.0.7-24.el9", eval); !res.Affected {
		t.Errorf("1:3.0.7-24.el9 must be affected: %+v", res)
	}
}

func TestReadVEXStatuses(t *testing.T) {
	o := readOne(t, "vendor-vex.json")
	if o.Source.ID != "csaf:psirt.acme.example" || !reflect.DeepEqual(o.Identifiers.Aliases, []string{"CVE-2024-2511"}) {
		t.Errorf("source %s identifiers %+v", o.Source.ID, o.Identifiers)
	}
	want := []advisory.Affected{
		// known_affected with no version: every version
		{Package: advisory.Package{Ecosystem: "Alpine:v3.19", Name: "openssl", PURL: "pkg:apk/alpine/openssl"}, Ranges: []advisory.Range{rng(advisory.Event{Introduced: "0"})}},
		// under_investigation counts as affected (fail closed)
		{Package: advisory.Package{Ecosystem: "Debian:12", Name: "openssl", PURL: "pkg:deb/debian/openssl"}, Versions: []string{"3.0.11-1~deb12u2"}},
		{Package: advisory.Package{Ecosystem: "PyPI", Name: "acme-client", PURL: "pkg:pypi/acme-client"}, Ranges: []advisory.Range{rng(advisory.Event{Introduced: "0"}, advisory.Event{LastAffected: "1.9.3"})}},
		{Package: advisory.Package{Ecosystem: "npm", Name: "@acme/web", PURL: "pkg:npm/%40acme/web"}, Ranges: []advisory.Range{rng(advisory.Event{Introduced: "0"}, advisory.Event{Fixed: "2.1.1"})}, Versions: []string{"2.1.0"}},
	}
	// One vulnerability: the observation's advisory carries its facts.
	a := o.Advisory
	if a.ID != "ACME-VEX-2024-0007" || !reflect.DeepEqual(a.Aliases, []string{"CVE-2024-2511"}) || !reflect.DeepEqual(a.Affected, want) {
		t.Errorf("advisory %+v\n affected got %+v\n want %+v", a, a.Affected, want)
	}
	advs, err := csaf.Advisories(o)
	if err != nil || len(advs) != 1 || !reflect.DeepEqual(advs[0].Affected, want) {
		t.Errorf("Advisories: %+v %v", advs, err)
	}
	if !slicesContain(o.Hints.CPEs, "cpe:2.3:a:acme:web:2.1.0:*:*:*:*:*:*:*") || !slicesContain(o.Hints.PURLs, "pkg:golang/github.com/acme/agent") {
		t.Errorf("hints %+v", o.Hints)
	}
}

func TestSplitPerVulnerability(t *testing.T) {
	o := readOne(t, "rhsa-2024_0154.json")
	split, err := csaf.Split(o)
	if err != nil {
		t.Fatal(err)
	}
	advs, _ := csaf.Advisories(o)
	if len(split) != 2 {
		t.Fatalf("split into %d, want 2", len(split))
	}
	for i, s := range split {
		if s.Upstream.ID != "RHSA-2024:0154/"+advs[i].ID || s.Identifiers.Primary != advs[i].ID || len(s.Identifiers.Aliases) != 0 ||
			!reflect.DeepEqual(*s.Advisory, advs[i]) || s.ContentHash == o.ContentHash || s.Source.ID != "csaf:redhat.com" {
			t.Errorf("split[%d] %+v %+v", i, s.Upstream, s.Identifiers)
		}
		back, err := csaf.Read(bytes.NewReader(s.Content.Raw))
		if err != nil || !reflect.DeepEqual(back[0].Advisory.Affected, advs[i].Affected) {
			t.Errorf("split[%d] raw does not read back (%v)", i, err)
		}
	}
	vex := readOne(t, "vendor-vex.json")
	if same, err := csaf.Split(vex); err != nil || len(same) != 1 || same[0].ContentHash != vex.ContentHash {
		t.Errorf("a one-vulnerability document must be returned as it is: %v", err)
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestRawContentRoundTrips(t *testing.T) {
	for _, name := range []string{"rhsa-2024_0154.json", "vendor-vex.json"} {
		o := readOne(t, name)
		again, err := csaf.Read(bytes.NewReader(o.Content.Raw))
		if err != nil || again[0].ContentHash != o.ContentHash || !strings.HasPrefix(o.ContentHash, "sha256:") || !reflect.DeepEqual(again[0].Advisory, o.Advisory) {
			t.Errorf("%s: raw content does not round-trip (%v)", name, err)
		}
	}
}

func TestReadErrorsNameFileAndField(t *testing.T) {
	const doc = `{"document": {"category": "csaf_vex", "csaf_version": "2.0", "publisher": {"namespace": "https://example.com"},
		"tracking": {"id": "X-1", "version": "1", "current_release_date": "2024-01-01T00:00:00Z"}},
		"product_tree": {"full_product_names": [{"product_id": "p1", "product_identification_helper": {"purl": "pkg:npm/a@1.0.0"}}]},
		"vulnerabilities": [{"cve": "CVE-2024-1", "product_status": {"fixed": ["p1"]}}]}`
	edit := func(old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("test edit %q does not apply", old)
		}
		return strings.Replace(doc, old, new, 1)
	}
	if _, err := csaf.Read(strings.NewReader(doc)); err != nil {
		t.Fatalf("base document: %v", err)
	}
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "not a CSAF document"},
		{edit(`"id": "X-1"`, `"id": ""`), "document.tracking.id: required"},
		{edit(`"version": "1"`, `"version": ""`), "X-1: document.tracking.version: required"},
		{edit(`"csaf_version": "2.0"`, `"csaf_version": "1.2"`), `document.csaf_version: "1.2" is not 2.0`},
		{edit(`"category": "csaf_vex"`, `"category": ""`), "document.category: required"},
		{edit(`"2024-01-01T00:00:00Z"`, `"yesterday"`), "document.tracking.current_release_date"},
		{edit(`"https://example.com"`, `"example"`), "document.publisher.namespace"},
		{edit(`"pkg:npm/a@1.0.0"`, `"npm:a"`), "product_tree.full_product_names[0].product_identification_helper.purl: invalid purl"},
		{edit(`"product_id": "p1"`, `"product_id": ""`), "product_tree.full_product_names[0].product_id: required"},
		{edit(`["p1"]`, `["p1", "p2"]`), `vulnerabilities[0].product_status.fixed[1]: product id "p2" is not defined`},
		{edit(`"fixed"`, `"affected"`), "vulnerabilities[0].product_status.affected: not a CSAF 2.0 product status category"},
		{edit(`"cve": "CVE-2024-1"`, `"cve": ""`), "vulnerabilities[0].cve"},
		{edit(`"product_status"`, `"scores": [{"cvss_v3": {"vectorString": "CVSS:3.1/AV:N"}}], "product_status"`), "vulnerabilities[0].scores[0].cvss_v3.vectorString"},
		{edit(`"full_product_names"`, `"relationships": [{"product_reference": "p1", "relates_to_product_reference": "p9", "full_product_name": {"product_id": "p3"}}], "full_product_names"`), `product_tree.relationships[0].relates_to_product_reference: product id "p9"`},
	} {
		p := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(p, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := csaf.ReadFile(p)
		var ve *advisory.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.80s…:\n error %v\n want a ValidationError naming bad.json and %q", tt.doc, err, tt.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"rhsa-2024_0154.json", "vendor-vex.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		npm, _ := advisory.EcosystemSchemes("npm")
		obs, err := csaf.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		o := obs[0]
		if o.Advisory == nil || o.Identifiers.Primary == "" || !strings.HasPrefix(o.Source.ID, "csaf:") || !strings.HasPrefix(o.ContentHash, "sha256:") {
			t.Fatalf("accepted an invalid observation: %+v", o)
		}
		advs, err := csaf.Advisories(o)
		if err != nil {
			t.Fatalf("Advisories on an accepted observation: %v", err)
		}
		if split, err := csaf.Split(o); err != nil || len(split) != max(len(advs), 1) {
			t.Fatalf("Split on an accepted observation: %d observations for %d vulnerabilities, %v", len(split), len(advs), err)
		}
		for _, a := range advs {
			for _, af := range a.Affected {
				if len(af.Ranges) == 0 && len(af.Versions) == 0 {
					t.Fatalf("%s: affected entry without ranges or versions would match every version: %+v", a.ID, af)
				}
				advisory.EvaluateAffected(&af, "1.0.0", npm) // must not panic
			}
		}
	})
}
