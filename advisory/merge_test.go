package advisory

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func mergeObs(source, id string, aliases []string, modified time.Time, adv Advisory) Observation {
	adv.ID, adv.Aliases, adv.Source, adv.Modified = id, aliases, source, modified
	for i := range adv.Severity {
		if err := ScoreSeverity(&adv.Severity[i]); err != nil {
			panic(err)
		}
	}
	return Observation{
		Source:      SourceRef{ID: source, ReaderVersion: source + "/1"},
		Upstream:    Upstream{ID: id, Modified: modified},
		ContentHash: "sha256:" + strings.Repeat("0", 48) + source[:1] + id[:3],
		Content:     Content{Format: source, Raw: []byte("{}")},
		Identifiers: NewIdentifiers(id, aliases),
		Advisory:    &adv,
	}
}

func withPrimary(id string, o Observation) Observation {
	o.Identifiers = NewIdentifiers(id, o.Identifiers.Aliases)
	return o
}

func rng(typ RangeType, events ...Event) Range { return Range{Type: typ, Events: events} }

// log4shell is CVE-2021-44228 as NVD, GHSA (OSV form), the Go-style OSV
// database and the Debian tracker give it, plus an unrelated advisory.
func log4shell() []Observation {
	day := func(d int) time.Time { return time.Date(2021, 12, d, 0, 0, 0, 0, time.UTC) }
	return []Observation{
		mergeObs("nvd", "CVE-2021-44228", nil, day(20), Advisory{
			Summary:  "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP and other JNDI related endpoints.",
			Severity: []Severity{{Type: CVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}, // 10.0
			Affected: []Affected{{Package: Package{Ecosystem: "cpe", Name: "apache:log4j"},
				Ranges: []Range{rng(RangeEcosystem, Event{Introduced: "2.0.1"}, Event{Fixed: "2.15.0"})}}},
			References: []Reference{{Type: "ADVISORY", URL: "https://logging.apache.org/log4j/2.x/security.html"}},
		}),
		mergeObs("ghsa", "GHSA-jfh8-c2jp-5v3q", []string{"CVE-2021-44228"}, day(10), Advisory{
			Summary:  "Remote code injection in Log4j",
			Details:  "Logging untrusted data with log4j versions 2.0-beta9 through 2.14.1 can result in remote code execution.",
			Severity: []Severity{{Type: CVSSv3, Score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}}, // 8.1
			Affected: []Affected{
				{Package: Package{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core"},
					Ranges: []Range{rng(RangeEcosystem, Event{Introduced: "2.13.0"}, Event{Fixed: "2.15.0"}),
						rng(RangeEcosystem, Event{Introduced: "2.0-beta9"}, Event{Fixed: "2.12.2"})}},
				// GHSA also names the Debian package, wrongly: the tracker wins it.
				{Package: Package{Ecosystem: "Debian:11", Name: "apache-log4j2"},
					Ranges: []Range{rng(RangeEcosystem, Event{Introduced: "0"}, Event{Fixed: "2.15.0-1~deb11u1"})}},
			},
			References: []Reference{{Type: "ADVISORY", URL: "https://logging.apache.org/log4j/2.x/security.html"},
				{Type: "WEB", URL: "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"}},
		}),
		// The tracker's identity is (source package, CVE); its primary id is the CVE.
		withPrimary("CVE-2021-44228", mergeObs("debian", "apache-log4j2/CVE-2021-44228", []string{"DSA-5020-1"}, day(11), Advisory{
			Affected: []Affected{{Package: Package{Ecosystem: "Debian:11", Name: "apache-log4j2"},
				Ranges: []Range{rng(RangeEcosystem, Event{Introduced: "0"}, Event{Fixed: "2.15.0-1~deb11u1"}),
					rng(RangeEcosystem, Event{Introduced: "2.16.0-1~deb11u9"}, Event{Fixed: "2.17.0-1~deb11u1"})}}},
		})),
		mergeObs("osv", "GO-2099-0001", []string{"GHSA-jfh8-c2jp-5v3q"}, day(9), Advisory{
			Summary: "an OSV record joined through the GHSA id",
			Affected: []Affected{{Package: Package{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core"},
				Ranges: []Range{rng(RangeEcosystem, Event{Introduced: "3.0.0"}, Event{Fixed: "3.0.1"})}}},
		}),
		mergeObs("osv", "GO-2022-0001", nil, day(1), Advisory{Summary: "unrelated",
			Affected: []Affected{{Package: Package{Ecosystem: "Go", Name: "example.com/x"},
				Ranges: []Range{rng(RangeSemver, Event{Introduced: "0"}, Event{Fixed: "1.0.0"})}}}}),
	}
}

func conflictCodes(e Effective) []string {
	var out []string
	for _, c := range e.Conflicts {
		out = append(out, c.Code+" "+c.Field+" "+c.PackageKey)
	}
	return out
}

func TestMergeAcceptance(t *testing.T) {
	effs, err := Merge(log4shell(), Precedence{})
	if err != nil {
		t.Fatal(err)
	}
	if len(effs) != 2 || effs[0].ID != "CVE-2021-44228" || effs[1].ID != "GO-2022-0001" {
		t.Fatalf("groups: %+v", effs)
	}
	e := effs[0]
	if want := []string{"DSA-5020-1", "GHSA-jfh8-c2jp-5v3q", "GO-2099-0001"}; !slices.Equal(e.Aliases, want) {
		t.Errorf("aliases %v, want %v", e.Aliases, want)
	}
	// The distro's ranges for Debian, GHSA's for Maven, NVD's CPE key kept.
	keys := map[string]EffectiveAffected{}
	for _, a := range e.Affected {
		keys[a.Key().String()] = a
	}
	deb := keys["Debian:11/apache-log4j2"]
	if deb.Source != "debian" || len(deb.Ranges) != 2 || !slices.Equal(deb.FixedVersions, []string{"2.15.0-1~deb11u1", "2.17.0-1~deb11u1"}) ||
		deb.FixState != FixFixed {
		t.Errorf("Debian entry: %+v", deb)
	}
	if mvn := keys["Maven/org.apache.logging.log4j:log4j-core"]; mvn.Source != "ghsa" || !slices.Equal(mvn.FixedVersions, []string{"2.12.2", "2.15.0"}) {
		t.Errorf("Maven entry: %+v", mvn)
	}
	if cpe := keys["cpe/apache:log4j"]; cpe.Source != "nvd" {
		t.Errorf("CPE entry: %+v", cpe)
	}
	// GHSA's severity beats NVD's; both are kept.
	if e.Severity == nil || e.Severity.Label != "high" || *e.Severity.CVSS.BaseScore != 8.1 || len(e.Severities) != 2 {
		t.Errorf("severity %+v, severities %+v", e.Severity, e.Severities)
	}
	if e.Summary != "Remote code injection in Log4j" {
		t.Errorf("summary %q", e.Summary)
	}
	wantConflicts := []string{
		"affected-range-divergence /affected/1 Maven/org.apache.logging.log4j:log4j-core",
		"fixed-version-mismatch /affected/0 Debian:11/apache-log4j2",
		"fixed-version-mismatch /affected/1 Maven/org.apache.logging.log4j:log4j-core",
		"severity-mismatch /severity ",
	}
	if got := conflictCodes(e); !slices.Equal(got, wantConflicts) {
		t.Errorf("conflicts\n got %q\nwant %q", got, wantConflicts)
	}
	for _, c := range e.Conflicts {
		if c.Code == ConflictSeverityMismatch && (!slices.Equal(c.Sources, []string{"ghsa", "nvd"}) || c.DecisionReason != ReasonPrecedence ||
			!strings.HasPrefix(c.Chosen, "high 8.1")) {
			t.Errorf("severity conflict %+v", c)
		}
		if c.Code == ConflictFixedVersionMismatch && c.PackageKey == "Debian:11/apache-log4j2" && c.Values["debian"] == c.Values["ghsa"] {
			t.Errorf("fixed-version conflict must name both: %+v", c)
		}
	}
	prov := map[string]Provenance{}
	for _, p := range e.Provenance {
		prov[p.Pointer] = p
	}
	for ptr, want := range map[string]string{"/summary": "ghsa freshness", "/details": "ghsa only-source", "/severity": "ghsa precedence",
		"/affected/0": "debian precedence", "/affected/1": "ghsa freshness", "/affected/2": "nvd only-source", "/withdrawn": "debian precedence"} {
		if got := prov[ptr].Source + " " + prov[ptr].DecisionReason; got != want {
			t.Errorf("provenance %s = %q, want %q", ptr, got, want)
		}
	}
	if d, _ := e.ComputeDigest(); d != e.Digest || !strings.HasPrefix(d, "sha256:") {
		t.Errorf("digest %s does not match its record (%s)", e.Digest, d)
	}
}

func TestMergeIsOrderIndependent(t *testing.T) {
	obs := log4shell()
	want, err := Merge(obs, Precedence{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		r.Shuffle(len(obs), func(a, b int) { obs[a], obs[b] = obs[b], obs[a] })
		for j := range obs { // alias order inside a document does not matter either
			a := obs[j].Identifiers.Aliases
			r.Shuffle(len(a), func(x, y int) { a[x], a[y] = a[y], a[x] })
		}
		got, err := Merge(obs, Precedence{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("shuffle %d: %d groups, want %d", i, len(got), len(want))
		}
		for k := range got {
			if got[k].ID != want[k].ID || got[k].Digest != want[k].Digest {
				t.Fatalf("shuffle %d: %s %s, want %s %s", i, got[k].ID, got[k].Digest, want[k].ID, want[k].Digest)
			}
		}
	}
}

func TestMergeAliasChain(t *testing.T) {
	// A{CVE-X}, B{CVE-X, GHSA-Y}, C{GHSA-Y}: one group keyed CVE-X (§ acceptance 5).
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := []Observation{
		mergeObs("nvd", "CVE-2024-1000", nil, day, Advisory{}),
		mergeObs("osv", "OSV-2024-1", []string{"CVE-2024-1000", "GHSA-yyyy-yyyy-yyyy"}, day, Advisory{}),
		mergeObs("ghsa", "GHSA-yyyy-yyyy-yyyy", nil, day, Advisory{}),
	}
	effs, err := Merge(obs, Precedence{})
	if err != nil || len(effs) != 1 || effs[0].ID != "CVE-2024-1000" || len(effs[0].Sources) != 3 {
		t.Fatalf("got %+v, %v", effs, err)
	}
	if got := conflictCodes(effs[0]); !slices.Equal(got, []string{"metadata-gap /affected "}) {
		t.Errorf("conflicts %q", got)
	}
	// A second CVE in the group: alias-inconsistency, keyed by the smallest.
	obs = append(obs, mergeObs("osv", "OSV-2024-2", []string{"GHSA-yyyy-yyyy-yyyy", "CVE-2023-9"}, day, Advisory{}))
	effs, err = Merge(obs, Precedence{})
	if err != nil || len(effs) != 1 || effs[0].ID != "CVE-2023-9" || effs[0].Conflicts[0].Code != ConflictAliasInconsistency {
		t.Fatalf("got %+v, %v", effs, err)
	}
}

func TestMergeWithdrawn(t *testing.T) {
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rejected := mergeObs("nvd", "CVE-2024-2000", nil, day, Advisory{Withdrawn: day})
	active := mergeObs("ghsa", "GHSA-zzzz-zzzz-zzzz", []string{"CVE-2024-2000"}, day, Advisory{})
	effs, err := Merge([]Observation{rejected, active}, Precedence{})
	if err != nil || effs[0].Withdrawn || !slices.ContainsFunc(effs[0].Conflicts, func(c Conflict) bool { return c.Code == ConflictWithdrawnDisagreement }) {
		t.Fatalf("NVD rejected, GHSA active: %+v, %v", effs, err)
	}
	effs, err = Merge([]Observation{rejected}, Precedence{})
	if err != nil || !effs[0].Withdrawn {
		t.Fatalf("only NVD, rejected: %+v, %v", effs, err)
	}
	if a := effs[0].Advisory(); !a.IsWithdrawn() {
		t.Fatalf("only NVD, rejected: %+v, %v", effs, err)
	}
	// Precedence is configurable: NVD first makes its rejection win.
	effs, err = Merge([]Observation{rejected, active}, Precedence{Ranks: map[string]int{"nvd": 1}})
	if err != nil || !effs[0].Withdrawn {
		t.Fatalf("NVD ranked first: %+v, %v", effs, err)
	}
}

func TestMergeKeepsLatestRevisionAndIgnoresEnrichment(t *testing.T) {
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r1 := mergeObs("osv", "GO-2024-1", nil, day, Advisory{Summary: "old"})
	r1.ID = "osv:GO-2024-1:1"
	r2 := mergeObs("osv", "GO-2024-1", nil, day, Advisory{Summary: "new"})
	r2.ID = "osv:GO-2024-1:2"
	kev := mergeObs("kev", "catalog", []string{"GO-2024-1"}, day, Advisory{Summary: "kev"})
	for _, in := range [][]Observation{{r1, r2, kev}, {kev, r2, r1}} {
		effs, err := Merge(in, Precedence{})
		if err != nil || len(effs) != 1 || effs[0].Summary != "new" || len(effs[0].Sources) != 1 {
			t.Fatalf("got %+v, %v", effs, err)
		}
	}
}

func TestEnrichAndChanged(t *testing.T) {
	before, err := Merge(log4shell(), Precedence{})
	if err != nil {
		t.Fatal(err)
	}
	after := slices.Clone(before)
	err = Enrich(after, Enrichment{KEV: map[string]KEV{"CVE-2021-44228": {DateAdded: "2021-12-10", Ransomware: true}},
		EPSS: map[string]EPSS{"CVE-2021-44228": {Score: 0.97, Percentile: 1, ModelVersion: "v2025.03.14", ScoreDate: "2026-11-27"}}})
	if err != nil {
		t.Fatal(err)
	}
	if after[0].KEV == nil || after[0].EPSS.ModelVersion != "v2025.03.14" || after[1].KEV != nil {
		t.Fatalf("enrichment: %+v", after)
	}
	if after[0].Severity != before[0].Severity || !slices.EqualFunc(after[0].Affected, before[0].Affected, func(a, b EffectiveAffected) bool { return a.Source == b.Source }) {
		t.Error("enrichment changed severity or ranges")
	}
	if got := Changed(before, after); !slices.Equal(got, []string{"CVE-2021-44228"}) {
		t.Errorf("changed %v", got)
	}
	if got := Changed(before, after[1:]); !slices.Equal(got, []string{"CVE-2021-44228"}) {
		t.Errorf("removed: changed %v", got)
	}
	if got := Changed(nil, before); !slices.Equal(got, []string{"CVE-2021-44228", "GO-2022-0001"}) {
		t.Errorf("added: changed %v", got)
	}
	keys := ChangedPackageKeys(before, after)
	if len(keys) != 3 || keys[0].String() != "Debian:11/apache-log4j2" {
		t.Errorf("package keys %v", keys)
	}
}

func TestPackageQueries(t *testing.T) {
	for k, want := range map[PackageKey]string{
		{"Go", "golang.org/x/net"}:                       "golang golang.org/x net",
		{"Maven", "org.apache.logging.log4j:log4j-core"}: "maven org.apache.logging.log4j log4j-core",
		{"npm", "@angular/core"}:                         "npm @angular core",
		{"npm", "lodash"}:                                "npm  lodash",
		{"Debian:12", "openssl"}:                         "deb  openssl",
	} {
		qs, ok := PackageQueries(k)
		if !ok || qs[0].Type+" "+qs[0].Namespace+" "+qs[0].Name != want {
			t.Errorf("%v: got %+v", k, qs)
		}
	}
	if _, ok := PackageQueries(PackageKey{"cpe", "apache:log4j"}); ok {
		t.Error("a CPE key has no purl query")
	}
}
