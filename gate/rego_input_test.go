package gate_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/internal/fixture"
)

// The typed conversion must give exactly what OPA makes of the Input's
// JSON, for every field, null and empty list.
func TestRegoValueMatchesJSON(t *testing.T) {
	full := fixture.Input()
	full.Gates = []gate.GateSummary{{ID: "kev", Status: gate.StatusFail, ReasonCodes: []string{"kev.listed"}}}
	full.Approvals[0].System = true
	reach := false
	full.Findings[0].Reachable = &reach
	full.Findings[1].Exception = &exception.Exception{ID: "ex-1", Tenant: "t1", Scope: exception.Scope{Vulnerability: "CVE-2026-1234", PackageKey: "npm/lodash",
		Environments: []string{"prod"}}, Effect: exception.Downgrade, DowngradeTo: "low", Justification: "j", Owner: "o", ApprovedBy: "a",
		CreatedAt: fixture.Cutoff.Add(-1e9), ExpiresAt: fixture.Cutoff.Add(1e15)}
	tiny, huge := 1e-7, 1.5e22
	full.Findings[2].CVSS = &tiny
	full.Findings[0].EPSS = &gate.EPSS{Score: huge, Percentile: 0.000001, ModelVersion: "m"}

	empty := &gate.Input{Schema: gate.InputSchema, ClockCutoff: fixture.Cutoff} // nil slices and maps: nulls

	for name, in := range map[string]*gate.Input{"full": full, "normalized": func() *gate.Input { c := gate.Clone(full); c.Normalize(); return c }(), "empty": empty} {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := gate.RegoValue(in); got.Compare(want) != 0 || got.String() != want.String() {
			t.Errorf("%s:\ntyped %v\njson  %v", name, got, want)
		}
	}
}
