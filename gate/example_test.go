package gate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
)

func ExampleEngine_Decide() {
	ctx := context.Background()
	cutoff := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	score := 9.8
	fs, _ := gate.BuildFindings([]gate.FindingSource{{
		Finding: advisory.Finding{
			Package: "pkg:npm/lodash@4.17.20", AdvisoryID: "CVE-2026-1234",
			Severity: &advisory.Severity{Type: advisory.CVSSv3, BaseScore: &score},
			KEV:      &advisory.KEV{DateAdded: "2026-01-10"},
		},
		Component: "api",
	}}, gate.FindingScope{Cutoff: cutoff, ReleaseName: "myapp-v2.3.1", Environment: "prod"})

	eng, _ := gate.NewEngine(ctx, gate.WithConfig(builtin.DefaultConfig()),
		gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults))
	dec, _ := eng.Decide(ctx, &gate.Input{
		Schema:      gate.InputSchema,
		Phase:       gate.PhaseRequest,
		ClockCutoff: cutoff,
		Release: gate.Release{Name: "myapp-v2.3.1", Digest: "sha256:" + fmt.Sprintf("%064d", 1),
			Components: []gate.Component{{Name: "api", Image: "registry.example/api@sha256:" + fmt.Sprintf("%064d", 2)}}},
		Environment: gate.Environment{Name: "prod", Tier: "production"},
		Findings:    fs,
	}, gate.DecideMeta{Inputs: gate.InputDigests{
		SBOMDigests:        []string{"sha256:" + fmt.Sprintf("%064d", 3)},
		AdvisorySnapshotID: "sha256:" + fmt.Sprintf("%064d", 4),
	}})
	fmt.Println(dec.Decision, dec.ReasonCodes)
	// Output: deny [aggregate.critical-exceeded input.vex-consensus-missing kev.grace-expired security-thresholds.severity-exceeded]
}
