package gate

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The typed conversion must give exactly what OPA makes of the Input's
// JSON, for every field, null and empty list.
func TestRegoValueMatchesJSON(t *testing.T) {
	full := engFixture()
	full.Gates = []GateSummary{{ID: "kev", Status: StatusFail, ReasonCodes: []string{"kev.listed"}}}
	full.Approvals[0].System = true
	reach := false
	full.Findings[0].Reachable = &reach
	full.Findings[1].Exception = &Exception{ID: "ex-1", Tenant: "t1", Scope: ExceptionScope{Vulnerability: "CVE-2026-1234", PackageKey: "npm/lodash",
		Environments: []string{"prod"}}, Effect: EffectDowngrade, DowngradeTo: "low", Justification: "j", Owner: "o", ApprovedBy: "a",
		CreatedAt: engCutoff.Add(-1e9), ExpiresAt: engCutoff.Add(1e15)}
	tiny, huge := 1e-7, 1.5e22
	full.Findings[2].CVSS = &tiny
	full.Findings[0].EPSS = &EPSS{Score: huge, Percentile: 0.000001, ModelVersion: "m"}

	empty := &Input{Schema: InputSchema, ClockCutoff: engCutoff} // nil slices and maps: nulls

	for name, in := range map[string]*Input{"full": full, "normalized": func() *Input { c := full.clone(); c.Normalize(); return c }(), "empty": empty} {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := in.regoValue(); got.Compare(want) != 0 || got.String() != want.String() {
			t.Errorf("%s:\ntyped %v\njson  %v", name, got, want)
		}
	}
}
