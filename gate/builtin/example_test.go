package builtin_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
)

// An engine with the built-in types: the default gate set, with the
// freeze window of the target environment covering the cut-off.
func Example() {
	ctx := context.Background()
	cutoff := time.Date(2026, 12, 24, 12, 0, 0, 0, time.UTC)
	eng, _ := gate.NewEngine(ctx, gate.WithConfig(builtin.DefaultConfig()),
		gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults))
	dec, _ := eng.Decide(ctx, &gate.Input{
		Phase:       gate.PhaseRequest,
		ClockCutoff: cutoff,
		Release:     gate.Release{Name: "myapp-v2.3.1", Digest: "sha256:" + fmt.Sprintf("%064d", 1)},
		Environment: gate.Environment{Name: "prod", Tier: "production", FreezeWindows: []gate.FreezeWindow{
			{Name: "holidays", Start: cutoff.Add(-48 * time.Hour), End: cutoff.Add(14 * 24 * time.Hour)}}},
	}, gate.DecideMeta{Inputs: gate.InputDigests{
		SBOMDigests:        []string{"sha256:" + fmt.Sprintf("%064d", 2)},
		AdvisorySnapshotID: "sha256:" + fmt.Sprintf("%064d", 3),
	}})
	fmt.Println(dec.Decision, dec.ReasonCodes)
	// Output: deny [freeze-window.active]
}
