package gate

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/vex"
)

func engAdvisoryFinding(id, purl string, score float64, fixed ...string) advisory.Finding {
	return advisory.Finding{
		Package: purl, PackageKey: advisory.PackageKey{Ecosystem: "npm", Name: strings.Split(strings.TrimPrefix(purl, "pkg:npm/"), "@")[0]},
		AdvisoryID: id, Aliases: []string{"GHSA-" + id[len(id)-4:]}, FixedVersions: fixed,
		Severity: &advisory.Severity{Type: advisory.CVSSv3, BaseScore: &score},
	}
}

func TestBuildFindingsFields(t *testing.T) {
	src := []FindingSource{
		{Finding: engAdvisoryFinding("CVE-2026-2000", "pkg:npm/b@1.0.0", 4.0), Component: "api"},
		{Finding: engAdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.1, "1.0.1"), Component: "web",
			VEX: &vex.Verdict{Status: vex.StatusNotAffected, Confidence: 0.75, Digest: engVEXC, Justification: "component_not_present"}},
		{Finding: engAdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.1, "1.0.1"), Component: "api"},
	}
	src[2].Finding.KEV = &advisory.KEV{DateAdded: "2026-02-01"}
	src[2].Finding.EPSS = &advisory.EPSS{Score: 0.5, Percentile: 0.9, ModelVersion: "v1"}
	fs, err := BuildFindings(src, FindingScope{Cutoff: engCutoff})
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
	if w.Active || w.VEX.Status != "not_affected" || *w.VEX.Justification != "component_not_present" || w.VEX.ConsensusDigest != engVEXC {
		t.Errorf("not_affected finding must be inactive: %+v", w)
	}
	if b.Severity != "medium" || b.FixState != "not-fixed" || !slices.Equal(b.FixedVersions, []string{}) {
		t.Errorf("medium finding %+v", b)
	}
	id, _ := FindingID("CVE-2026-1000", "api", "pkg:npm/a@1.0.0")
	if a.ID != id || a.ID == w.ID {
		t.Errorf("ids %s %s, want %s and distinct", a.ID, w.ID, id)
	}
	if _, err := BuildFindings(append(src, src[0]), FindingScope{Cutoff: engCutoff}); err == nil {
		t.Error("duplicate finding accepted")
	}
}

func engException(id string, scope ExceptionScope, created time.Time) Exception {
	return Exception{ID: id, Tenant: "t1", Scope: scope, Effect: EffectSuppress, Justification: "compensating control",
		Owner: "u-dev", ApprovedBy: "u-sec", CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)}
}

func TestWinningExceptionIsMostSpecific(t *testing.T) {
	src := []FindingSource{{Finding: engAdvisoryFinding("CVE-2026-1000", "pkg:npm/a@1.0.0", 9.1), Component: "api"}}
	t0 := engCutoff.Add(-time.Hour)
	vuln := engException("x-vuln", ExceptionScope{Vulnerability: "GHSA-1000"}, t0.Add(time.Minute)) // newest, least specific
	pkg := engException("x-pkg", ExceptionScope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a"}, t0)
	full := engException("x-full", ExceptionScope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a", Component: "api", ReleaseName: "myapp"}, t0)
	full.Effect, full.DowngradeTo = EffectDowngrade, "low"
	other := engException("x-other", ExceptionScope{Vulnerability: "CVE-2026-1000", Component: "web"}, t0)
	for _, c := range []struct {
		exs  []Exception
		want string
	}{
		{[]Exception{vuln}, "x-vuln"},
		{[]Exception{vuln, pkg}, "x-pkg"},
		{[]Exception{vuln, pkg, full, other}, "x-full"},
		{[]Exception{other}, ""},
	} {
		fs, err := BuildFindings(src, FindingScope{Cutoff: engCutoff, ReleaseName: "myapp", Environment: "prod", Exceptions: c.exs})
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
	fs, _ := BuildFindings(src, FindingScope{Cutoff: engCutoff, ReleaseName: "myapp", Exceptions: []Exception{full}})
	if fs[0].Severity != "low" || !fs[0].Active {
		t.Errorf("downgrade: %s active=%v, want low and still active", fs[0].Severity, fs[0].Active)
	}
	a, b := engException("b", ExceptionScope{Vulnerability: "CVE-2026-1000"}, t0), engException("a", ExceptionScope{Vulnerability: "CVE-2026-1000"}, t0)
	fs, _ = BuildFindings(src, FindingScope{Cutoff: engCutoff, Exceptions: []Exception{a, b}})
	if fs[0].Exception.ID != "a" {
		t.Errorf("tie: %s, want smallest id", fs[0].Exception.ID)
	}
}

// Every refusal is a *fault.ValidationError naming the fields at fault by
// their JSON path, so an API can point at its own input field.
func TestValidateException(t *testing.T) {
	ok := engException("x", ExceptionScope{Vulnerability: "CVE-1"}, engCutoff)
	if err := ValidateException(ok, 0); err != nil {
		t.Fatal(err)
	}
	bad := map[string]struct {
		mutate func(e *Exception)
		fields []string
	}{
		"no id":             {func(e *Exception) { e.ID = "" }, []string{"id"}},
		"no vulnerability":  {func(e *Exception) { e.Scope.Vulnerability = "" }, []string{"scope.vulnerability"}},
		"empty environment": {func(e *Exception) { e.Scope.Environments = []string{"prod", " "} }, []string{"scope.environments"}},
		"no expiry":         {func(e *Exception) { e.ExpiresAt = time.Time{} }, []string{"expiresAt"}},
		"expiry first":      {func(e *Exception) { e.ExpiresAt = e.CreatedAt }, []string{"expiresAt"}},
		"181 days":          {func(e *Exception) { e.ExpiresAt = e.CreatedAt.Add(181 * 24 * time.Hour) }, []string{"expiresAt"}},
		"approver is owner": {func(e *Exception) { e.ApprovedBy = e.Owner }, []string{"owner"}},
		"bad downgrade":     {func(e *Exception) { e.Effect, e.DowngradeTo = EffectDowngrade, "urgent" }, []string{"downgradeTo"}},
		"suppress to low":   {func(e *Exception) { e.DowngradeTo = advisory.RatingLow }, []string{"downgradeTo"}},
		"unknown effect":    {func(e *Exception) { e.Effect = "ignore" }, []string{"effect"}},
		"nobody": {func(e *Exception) { e.Owner, e.ApprovedBy, e.Justification = "", "", " " },
			[]string{"justification", "owner", "approvedBy"}},
	}
	for name, c := range bad {
		e := ok
		c.mutate(&e)
		err := ValidateException(e, 0)
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
	if err := ValidateException(long, 365); err != nil {
		t.Errorf("configurable cap: %v", err)
	}
}
