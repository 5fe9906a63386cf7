package builtin

import (
	"context"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
)

// An advisory without a CVSS score gives an "unknown" finding, which the
// severity gates judge as critical: unscored is not harmless.
func TestUnscoredFindingFailsClosed(t *testing.T) {
	af := advisory.Finding{Package: "pkg:npm/c@1.0.0", PackageKey: advisory.PackageKey{Ecosystem: "npm", Name: "c"},
		AdvisoryID: "CVE-2026-3000", Aliases: []string{"GHSA-3000"}}
	fs, err := gate.BuildFindings([]gate.FindingSource{{Finding: af, Component: "api"}}, gate.FindingScope{Cutoff: testCutoff})
	if err != nil {
		t.Fatal(err)
	}
	if fs[0].Severity != advisory.RatingUnknown || fs[0].CVSS != nil {
		t.Fatalf("unscored finding = %+v, want severity unknown", fs[0])
	}
	in := newInput(fs...)
	for _, typ := range []string{TypeSecurityThresholds, TypeAggregate} {
		g, err := Types()[typ](typ, Defaults(typ, ""))
		if err != nil {
			t.Fatal(err)
		}
		r, err := g.Evaluate(context.Background(), in)
		if err != nil || r.Status != gate.StatusFail {
			t.Errorf("%s on an unscored finding: %s %v (%v), want fail", typ, r.Status, r.ReasonCodes, err)
		}
	}
}
