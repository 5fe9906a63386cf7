package exception_test

import (
	"testing"
	"time"

	"github.com/stella-ops/stella/gate/exception"
)

// gate.md §5.5: the most specific active exception wins, then the latest
// createdAt, then the smallest id; an expired or revoked one never does.
func TestWinner(t *testing.T) {
	target := exception.Target{IDs: []string{"CVE-2026-1000", "GHSA-1000"}, PackageKey: "npm/a", Purl: "pkg:npm/a@1.0.0",
		Component: "api", ReleaseName: "myapp", Environment: "prod"}
	t0 := cutoff.Add(-time.Hour)
	vuln := valid("x-vuln", exception.Scope{Vulnerability: "GHSA-1000"}, t0.Add(time.Minute))
	pkg := valid("x-pkg", exception.Scope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a"}, t0)
	byPurl := valid("x-purl", exception.Scope{Vulnerability: "CVE-2026-1000", PackageKey: "pkg:npm/a@1.0.0", Component: "api"}, t0)
	staging := valid("x-staging", exception.Scope{Vulnerability: "CVE-2026-1000", PackageKey: "npm/a", Component: "api",
		ReleaseName: "myapp", Environments: []string{"staging"}}, t0)
	later := valid("x-later", exception.Scope{Vulnerability: "CVE-2026-1000"}, cutoff.Add(time.Second))
	for _, c := range []struct {
		name string
		exs  []exception.Exception
		revs []exception.Revocation
		want string
	}{
		{"none", nil, nil, ""},
		{"vulnerability only", []exception.Exception{vuln}, nil, "x-vuln"},
		{"package beats vulnerability", []exception.Exception{vuln, pkg}, nil, "x-pkg"},
		{"purl and component beat package", []exception.Exception{vuln, pkg, byPurl}, nil, "x-purl"},
		{"another environment does not cover", []exception.Exception{staging}, nil, ""},
		{"not yet created", []exception.Exception{later}, nil, ""},
		{"revoked", []exception.Exception{vuln, pkg}, []exception.Revocation{{ExceptionID: "x-pkg", At: cutoff}}, "x-vuln"},
		{"tie: smallest id", []exception.Exception{valid("b", pkg.Scope, t0), valid("a", pkg.Scope, t0)}, nil, "a"},
	} {
		got := ""
		if w := exception.Winner(target, cutoff, c.exs, c.revs); w != nil {
			got = w.ID
		}
		if got != c.want {
			t.Errorf("%s: winner %q, want %q", c.name, got, c.want)
		}
	}
}

// The log as known at the cut-off leaves out what was appended later.
func TestLogAt(t *testing.T) {
	early, late := valid("early", exception.Scope{Vulnerability: "CVE-1"}, cutoff.Add(-time.Hour)), valid("late", exception.Scope{Vulnerability: "CVE-1"}, cutoff.Add(time.Second))
	revs := []exception.Revocation{{ExceptionID: "early", At: cutoff}, {ExceptionID: "early", At: cutoff.Add(time.Minute)}}
	exs, rs := exception.LogAt([]exception.Exception{early, late}, revs, cutoff)
	if len(exs) != 1 || exs[0].ID != "early" || len(rs) != 1 || !rs[0].At.Equal(cutoff) {
		t.Fatalf("log at cut-off: %v %v", exs, rs)
	}
	if early.ActiveAt(cutoff, rs) || !early.ActiveAt(cutoff.Add(-time.Second), rs) {
		t.Error("a revocation at the cut-off takes effect at once, not before")
	}
}
