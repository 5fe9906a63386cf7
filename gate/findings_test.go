package gate_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
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
	vuln := fixture.Exception("x-vuln", gate.ExceptionScope{Vulnerability: "GHSA-1000"}, t0.Add(time.Minute)) // newest, least specific
	pkg := fixture.Exception("x-pkg", gate.ExceptionScope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a"}, t0)
	full := fixture.Exception("x-full", gate.ExceptionScope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a", Component: "api", ReleaseName: "myapp"}, t0)
	full.Effect, full.DowngradeTo = gate.EffectDowngrade, "low"
	other := fixture.Exception("x-other", gate.ExceptionScope{Vulnerability: "CVE-2026-1000", Component: "web"}, t0)
	for _, c := range []struct {
		exs  []gate.Exception
		want string
	}{
		{[]gate.Exception{vuln}, "x-vuln"},
		{[]gate.Exception{vuln, pkg}, "x-pkg"},
		{[]gate.Exception{vuln, pkg, full, other}, "x-full"},
		{[]gate.Exception{other}, ""},
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
	fs, _ := gate.BuildFindings(src, gate.FindingScope{Cutoff: fixture.Cutoff, ReleaseName: "myapp", Exceptions: []gate.Exception{full}})
	if fs[0].Severity != "low" || !fs[0].Active {
		t.Errorf("downgrade: %s active=%v, want low and still active", fs[0].Severity, fs[0].Active)
	}
	a, b := fixture.Exception("b", gate.ExceptionScope{Vulnerability: "CVE-2026-1000"}, t0), fixture.Exception("a", gate.ExceptionScope{Vulnerability: "CVE-2026-1000"}, t0)
	fs, _ = gate.BuildFindings(src, gate.FindingScope{Cutoff: fixture.Cutoff, Exceptions: []gate.Exception{a, b}})
	if fs[0].Exception.ID != "a" {
		t.Errorf("tie: %s, want smallest id", fs[0].Exception.ID)
	}
}

// Every refusal is a *fault.ValidationError naming the fields at fault by
// their JSON path, so an API can point at its own input field.
func TestValidateException(t *testing.T) {
	ok := fixture.Exception("x", gate.ExceptionScope{Vulnerability: "CVE-1"}, fixture.Cutoff)
	if err := gate.ValidateException(ok, 0); err != nil {
		t.Fatal(err)
	}
	bad := map[string]struct {
		mutate func(e *gate.Exception)
		fields []string
	}{
		"no id":             {func(e *gate.Exception) { e.ID = "" }, []string{"id"}},
		"no vulnerability":  {func(e *gate.Exception) { e.Scope.Vulnerability = "" }, []string{"scope.vulnerability"}},
		"empty environment": {func(e *gate.Exception) { e.Scope.Environments = []string{"prod", " "} }, []string{"scope.environments"}},
		"no expiry":         {func(e *gate.Exception) { e.ExpiresAt = time.Time{} }, []string{"expiresAt"}},
		"expiry first":      {func(e *gate.Exception) { e.ExpiresAt = e.CreatedAt }, []string{"expiresAt"}},
		"181 days":          {func(e *gate.Exception) { e.ExpiresAt = e.CreatedAt.Add(181 * 24 * time.Hour) }, []string{"expiresAt"}},
		"approver is owner": {func(e *gate.Exception) { e.ApprovedBy = e.Owner }, []string{"owner"}},
		"bad downgrade":     {func(e *gate.Exception) { e.Effect, e.DowngradeTo = gate.EffectDowngrade, "urgent" }, []string{"downgradeTo"}},
		"suppress to low":   {func(e *gate.Exception) { e.DowngradeTo = advisory.RatingLow }, []string{"downgradeTo"}},
		"unknown effect":    {func(e *gate.Exception) { e.Effect = "ignore" }, []string{"effect"}},
		"nobody": {func(e *gate.Exception) { e.Owner, e.ApprovedBy, e.Justification = "", "", " " },
			[]string{"justification", "owner", "approvedBy"}},
	}
	for name, c := range bad {
		e := ok
		c.mutate(&e)
		err := gate.ValidateException(e, 0)
		var verr *fault.ValidationError
		if !errors.As(err, &verr) {
			t.Errorf("%s: %v, want a *fault.ValidationError", name, err)
			continue
		}
		var fields []string
		for _, f := range verr.Fields {
			fields = append(fields, f.Field)
		}
		if !slices.Equal(fields, c.fields) {
			t.Errorf("%s: fields %v (%v), want %v", name, fields, err, c.fields)
		}
	}
	long := ok
	long.ExpiresAt = ok.CreatedAt.Add(181 * 24 * time.Hour)
	if err := gate.ValidateException(long, 365); err != nil {
		t.Errorf("configurable cap: %v", err)
	}
}
