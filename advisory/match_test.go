package advisory

import (
	"context"
	"strings"
	"testing"

	"github.com/stella-ops/stella/sbom"
)

func affects(eco, name string, typ RangeType, events ...Event) Affected {
	return Affected{Package: Package{Ecosystem: eco, Name: name}, Ranges: []Range{{Type: typ, Events: events}}}
}

func TestMatcherKeysComponentsLikeFeeds(t *testing.T) {
	advs := []Advisory{
		{ID: "DSA-1", Affected: []Affected{affects("Debian:12", "openssl", RangeEcosystem, ev("i", "0"), ev("f", "3.0.11-1~deb12u2"))}},
		{ID: "GHSA-npm", Aliases: []string{"CVE-2", "CVE-1"}, Affected: []Affected{affects("npm", "@babel/core", RangeSemver, ev("i", "0"), ev("f", "7.0.0"))}},
		{ID: "PYSEC-1", Affected: []Affected{affects("PyPI", "Zope.Interface", RangeEcosystem, ev("i", "0"), ev("f", "5.0"))}},
		{ID: "MVN-1", Affected: []Affected{affects("Maven", "org.apache:log4j-core", RangeEcosystem, ev("i", "2.0"), ev("f", "2.15.0"))}},
		{ID: "ODD-1", Affected: []Affected{affects("Odd", "thing", RangeEcosystem, ev("i", "0"))}},
	}
	doc := &sbom.Document{
		Properties: []sbom.Property{{Name: sbom.PropOSCodename, Value: "bookworm"}},
		Components: []sbom.Component{
			// libssl3 is built from the openssl source package: Debian data is keyed by source.
			{PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64", Source: &sbom.SourcePackage{Name: "openssl"}},
			{PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Source: &sbom.SourcePackage{Name: "openssl"}},
			{PURL: "pkg:npm/%40babel/core@6.26.0"},
			{PURL: "pkg:pypi/zope-interface@4.7.1"},
			{PURL: "pkg:maven/org.apache/log4j-core@2.14.1"},
		},
	}
	rep, err := NewMatcher(advs, WithSchemes(lexicalSchemes)).Scan(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64 DSA-1",
		"pkg:maven/org.apache/log4j-core@2.14.1 MVN-1",
		"pkg:npm/%40babel/core@6.26.0 GHSA-npm",
		"pkg:pypi/zope-interface@4.7.1 PYSEC-1",
	}
	if len(rep.Findings) != len(want) {
		t.Fatalf("findings %+v, want %v", rep.Findings, want)
	}
	for i, f := range rep.Findings {
		if got := f.Package + " " + f.AdvisoryID; got != want[i] {
			t.Errorf("finding %d = %s, want %s", i, got, want[i])
		}
		if f.Evidence.Decision == "" || len(f.FixedVersions) != 1 {
			t.Errorf("%s: evidence %+v fixed %v", f.AdvisoryID, f.Evidence, f.FixedVersions)
		}
	}
	if a := rep.Findings[2].Aliases; len(a) != 2 || a[0] != "CVE-1" {
		t.Errorf("aliases %v, want sorted", a)
	}
}

func TestMatcherReportsUnsupportedEcosystem(t *testing.T) {
	advs := []Advisory{{ID: "ODD-1", Affected: []Affected{affects("crates.io", "odd", RangeEcosystem, ev("i", "0"))}}}
	doc := &sbom.Document{Components: []sbom.Component{{PURL: "pkg:cargo/odd@1.0.0"}}}
	none := func(string) (Comparer, error) { return nil, ErrUnsupportedEcosystem }
	rep, err := NewMatcher(advs, WithSchemes(none)).Scan(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || len(rep.Unmatched) != 1 || rep.Unmatched[0].Evidence.Note == "" {
		t.Errorf("report %+v; want no finding and one explicit unsupported pair", rep)
	}
}

// lexical orders versions as strings: enough for the test data above, whose
// versions sort the same way in their real schemes.
type lexical struct{}

func (lexical) Compare(a, b string) (int, error) { return strings.Compare(a, b), nil }

func lexicalSchemes(eco string) (Comparer, error) {
	if eco == "Odd" {
		return nil, ErrUnsupportedEcosystem
	}
	return lexical{}, nil
}
