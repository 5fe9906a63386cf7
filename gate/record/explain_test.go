package record_test

import (
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/gate/record"
)

func TestExplainNamesTheFindingsBehindFailingGates(t *testing.T) {
	in := fixture.Input()
	d := fixture.Decide(t, in, fixture.Builtins(gate.WithConfig(gate.Config{Gates: []gate.GateConfig{
		{ID: "kev", Type: builtin.TypeKEV}, {ID: "freeze-window", Type: builtin.TypeFreezeWindow},
	}}))...)
	ex := record.Explain(d, in)
	if len(ex) != 1 || ex[0].Gate.ID != "kev" || ex[0].Gate.Status != gate.StatusFail {
		t.Fatalf("explanations %+v, want the failing kev gate only", ex)
	}
	if fs := ex[0].Findings; len(fs) != 1 || fs[0].AdvisoryID != "CVE-2026-9999" || fs[0].KEV == nil {
		t.Fatalf("kev gate findings %+v, want the KEV-listed CVE-2026-9999", fs)
	}
	if none := record.Explain(d, nil); len(none) != 1 || len(none[0].Findings) != 0 {
		t.Errorf("without the input: %+v", none)
	}
}
