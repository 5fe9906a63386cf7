package gate_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/vex"
)

func TestBuildFindingsFields(t *testing.T) {
	src := []gate.FindingSource{
		{Finding: fixture.AdvisoryFinding("CVE-2026-2000", "pkg:npm/b@1.0.0", 4.0), Component: "api"},
		{Finding: fixture.AdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.1, "1.0.1"), Component: "web",
			VEX: &vex.Verdict{Status: vex.StatusNotAffected, Confidence: 0.75, Digest: fixture.VEXC, Justification: "component_not_present"}},
		{Finding: fixture.AdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.1, "1.0.1"), Component: "api"},
	}
	src[2].Finding.KEV = &advisory.KEV{DateAdded: "2026-02-01"}
	src[2].Finding.EPSS = &advisory.EPSS{Score: 0.5, Percentile: 0.9, ModelVersion: "v1"}
	fs, err := gate.BuildFindings(src, gate.FindingScope{Cutoff: fixture.Cutoff})
	if err != nil {
		t.Fatal(err)
	}
	order := []string{fs[0].Component.Name, fs[1].Component.Name, fs[2].AdvisoryID}
	if !slices.Equal(order, []string{"api", "web", "CVE-2026-2000"}) {
		t.Fatalf("order %v: by advisoryId, purl, component", order)
	}
	a, w, b := fs[0], fs[1], fs[2]
	if a.Severity != "critical" || a.FixState != "fixed" || a.KEV == nil || a.EPSS.Score != 0.5 || !a.Active || a.VEX != nil {
		t.Errorf("api finding %+v", a)
	}
	if w.Active || w.VEX.Status != "not_affected" || *w.VEX.Justification != "component_not_present" || w.VEX.ConsensusDigest != fixture.VEXC {
		t.Errorf("not_affected finding must be inactive: %+v", w)
	}
	if b.Severity != "medium" || b.FixState != "not-fixed" || !slices.Equal(b.FixedVersions, []string{}) {
		t.Errorf("medium finding %+v", b)
	}
	id, _ := gate.FindingID("CVE-2026-1000", "api", "pkg:npm/a@1.0.0")
	if a.ID != id || a.ID == w.ID {
		t.Errorf("ids %s %s, want %s and distinct", a.ID, w.ID, id)
	}
	if _, err := gate.BuildFindings(append(src, src[0]), gate.FindingScope{Cutoff: fixture.Cutoff}); err == nil {
		t.Error("duplicate finding accepted")
	}
}

func TestWinningExceptionIsMostSpecific(t *testing.T) {
	src := []gate.FindingSource{{Finding: fixture.AdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.1), Component: "api"}}
	t0 := fixture.Cutoff.Add(-time.Hour)
	vuln := fixture.Exception("x-vuln", exception.Scope{Vulnerability: "GHSA-1000"}, t0.Add(time.Minute)) // newest, least specific
	pkg := fixture.Exception("x-pkg", exception.Scope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a"}, t0)
	full := fixture.Exception("x-full", exception.Scope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a", Component: "api", ReleaseName: "myapp"}, t0)
	full.Effect, full.DowngradeTo = exception.Downgrade, "low"
	other := fixture.Exception("x-other", exception.Scope{Vulnerability: "CVE-2026-1000", Component: "web"}, t0)
	for _, c := range []struct {
		exs  []exception.Exception
		want string
	}{
		{[]exception.Exception{vuln}, "x-vuln"},
		{[]exception.Exception{vuln, pkg}, "x-pkg"},
		{[]exception.Exception{vuln, pkg, full, other}, "x-full"},
		{[]exception.Exception{other}, ""},
	} {
		fs, err := gate.BuildFindings(src, gate.FindingScope{Cutoff: fixture.Cutoff, ReleaseName: "myapp", Environment: "prod", Exceptions: c.exs})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if fs[0].Exception != nil {
			got = fs[0].Exception.ID
		}
		if got != c.want {
			t.Errorf("winner %q, want %q", got, c.want)
		}
	}
	fs, _ := gate.BuildFindings(src, gate.FindingScope{Cutoff: fixture.Cutoff, ReleaseName: "myapp", Exceptions: []exception.Exception{full}})
	if fs[0].Severity != "low" || !fs[0].Active {
		t.Errorf("downgrade: %s active=%v, want low and still active", fs[0].Severity, fs[0].Active)
	}
	a, b := fixture.Exception("b", exception.Scope{Vulnerability: "CVE-2026-1000"}, t0), fixture.Exception("a", exception.Scope{Vulnerability: "CVE-2026-1000"}, t0)
	fs, _ = gate.BuildFindings(src, gate.FindingScope{Cutoff: fixture.Cutoff, Exceptions: []exception.Exception{a, b}})
	if fs[0].Exception.ID != "a" {
		t.Errorf("tie: %s, want smallest id", fs[0].Exception.ID)
	}
}
