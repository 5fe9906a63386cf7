package builtin

import (
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
)

// Acceptance check 4.
func TestCVEDelta(t *testing.T) {
	high := func(id, purl string) gate.Finding {
		f := active(id, purl, "high")
		f.CVSS = ptr(7.5)
		return f
	}
	baseline := func(fs ...gate.Finding) *gate.Baseline {
		return &gate.Baseline{ReleaseDigest: "sha256:rel1", Findings: fs}
	}
	tests := []struct {
		name     string
		settings map[string]any
		baseline *gate.Baseline
		findings []gate.Finding
		status   gate.Status
		codes    []string
		severe   int
	}{
		{"new high CVE fails", nil, baseline(high("CVE-1", "pkg:npm/a@1")),
			[]gate.Finding{high("CVE-1", "pkg:npm/a@1"), high("CVE-2", "pkg:npm/b@2")}, gate.StatusFail, []string{"cve-delta.new-severe"}, 1},
		{"same CVE in the baseline passes", nil, baseline(high("CVE-2", "pkg:npm/b@1")),
			[]gate.Finding{high("CVE-2", "pkg:npm/b@2")}, gate.StatusPass, nil, 0},
		{"same CVE known under an alias passes", nil, baseline(func() gate.Finding {
			f := high("GHSA-aaaa", "pkg:npm/b@1")
			f.Aliases = []string{"CVE-2"}
			return f
		}()), []gate.Finding{high("CVE-2", "pkg:npm/b@2")}, gate.StatusPass, nil, 0},
		{"same CVE in another package is new", nil, baseline(high("CVE-2", "pkg:npm/c@1")),
			[]gate.Finding{high("CVE-2", "pkg:npm/b@2")}, gate.StatusFail, []string{"cve-delta.new-severe"}, 1},
		{"new medium passes", nil, baseline(),
			[]gate.Finding{func() gate.Finding { f := active("CVE-3", "pkg:npm/b@1", "medium"); f.CVSS = ptr(5.0); return f }()}, gate.StatusPass, nil, 0},
		{"no score: label high is severe", nil, baseline(),
			[]gate.Finding{active("CVE-4", "pkg:npm/b@1", "high")}, gate.StatusFail, []string{"cve-delta.new-severe"}, 1},
		{"lower threshold", map[string]any{"newSeverityThreshold": 4.0}, baseline(),
			[]gate.Finding{func() gate.Finding { f := active("CVE-3", "pkg:npm/b@1", "medium"); f.CVSS = ptr(5.0); return f }()},
			gate.StatusFail, []string{"cve-delta.new-severe"}, 1},
		{"no baseline: everything is new", nil, nil,
			[]gate.Finding{high("CVE-1", "pkg:npm/a@1")}, gate.StatusFail, []string{"cve-delta.new-severe"}, 1},
		{"onlyBlockReachable: unreachable does not block", map[string]any{"onlyBlockReachable": true}, baseline(),
			[]gate.Finding{func() gate.Finding { f := high("CVE-5", "pkg:npm/a@1"); f.Reachable = ptr(false); return f }()}, gate.StatusPass, nil, 0},
		{"onlyBlockReachable: unknown reachability blocks", map[string]any{"onlyBlockReachable": true}, baseline(),
			[]gate.Finding{high("CVE-5", "pkg:npm/a@1")}, gate.StatusFail, []string{"cve-delta.new-severe"}, 1},
		{"downgraded by an exception: the label decides", nil, baseline(),
			[]gate.Finding{func() gate.Finding {
				f := high("CVE-6", "pkg:npm/a@1")
				f.Severity = "low"
				f.Exception = &exception.Exception{ID: "ex-1", Effect: exception.Downgrade, DowngradeTo: "low"}
				return f
			}()}, gate.StatusPass, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInput(tt.findings...)
			in.Baseline = tt.baseline
			r := evaluate(t, newTestGate(t, TypeCVEDelta, tt.settings), in)
			wantResult(t, r, tt.status, tt.codes...)
			if got := len(r.Details["newSevere"].([]any)); got != tt.severe {
				t.Errorf("newSevere has %d, want %d", got, tt.severe)
			}
		})
	}

	t.Run("no baseline is noted in details", func(t *testing.T) {
		r := evaluate(t, newTestGate(t, TypeCVEDelta, nil), newInput(active("CVE-1", "pkg:npm/a@1", "low")))
		wantResult(t, r, gate.StatusPass)
		wantDetail(t, r, "notes", []string{"cve-delta.no-baseline"})
		wantDetail(t, r, "newFindings", 1)
		wantDetail(t, r, "baselineReleaseDigest", "")
	})
	t.Run("baseline digest in details", func(t *testing.T) {
		in := newInput()
		in.Baseline = baseline()
		r := evaluate(t, newTestGate(t, TypeCVEDelta, nil), in)
		wantDetail(t, r, "baselineReleaseDigest", "sha256:rel1")
		if _, ok := r.Details["notes"]; ok {
			t.Error("notes present with a baseline")
		}
	})
}

func TestPackageKey(t *testing.T) {
	tests := map[string]string{
		"pkg:npm/lodash@4.17.20":                           "pkg:npm/lodash",
		"pkg:npm/%40babel/core@7.0.0":                      "pkg:npm/%40babel/core",
		"pkg:deb/debian/openssl@3.0.11-1?distro=debian-12": "pkg:deb/debian/openssl",
		"pkg:golang/example.com/mod#sub/dir":               "pkg:golang/example.com/mod",
	}
	for purl, want := range tests {
		if got := packageKey(&gate.Finding{Component: gate.FindingRef{Purl: purl}}); got != want {
			t.Errorf("packageKey(%q) = %q, want %q", purl, got, want)
		}
	}
	if got := packageKey(&gate.Finding{Component: gate.FindingRef{Name: "api"}}); got != "component:api" {
		t.Errorf("packageKey without purl = %q", got)
	}
}
