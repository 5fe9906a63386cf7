package gate_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/internal/fixture"
)

// Acceptance 9: a gate that panics, errors or times out denies.
func TestGateErrorPanicTimeoutDeny(t *testing.T) {
	var released atomic.Bool
	defer released.Store(true)
	d := fixture.Decide(t, fixture.Input(), gate.WithGateTimeout(50*time.Millisecond), gate.WithGates(
		fixture.Status("ok", gate.StatusPass), fixture.Panics("panics"), fixture.Errors("errors"), fixture.Sleeps("sleeps"), fixture.Stuck("stuck", &released)))
	if d.Decision != gate.Deny {
		t.Fatalf("decision %s, want deny", d.Decision)
	}
	for id, code := range map[string]string{"panics": "gate.error", "errors": "gate.error", "sleeps": "gate.timeout", "stuck": "gate.timeout"} {
		g := fixture.GateByID(t, d, id)
		if g.Status != gate.StatusFail || !slices.Equal(g.ReasonCodes, []string{code}) {
			t.Errorf("%s: %s %v, want fail [%s]", id, g.Status, g.ReasonCodes, code)
		}
	}
	if !slices.Equal(d.ReasonCodes, []string{"gate.error", "gate.timeout"}) {
		t.Errorf("reasonCodes %v", d.ReasonCodes)
	}
	if g := fixture.GateByID(t, d, "ok"); g.Status != gate.StatusPass {
		t.Errorf("every gate is evaluated: ok is %s", g.Status)
	}
}

// Acceptance 12: pending only when nothing fails.
func TestPendingAndDenyAggregation(t *testing.T) {
	d := fixture.Decide(t, fixture.Input(), gate.WithGates(fixture.Status("a", gate.StatusPass), fixture.Status("w", gate.StatusWarn, "w.note"), fixture.Status("approvals", gate.StatusPending, "approvals.missing")))
	if d.Decision != gate.Pending || !slices.Equal(d.PendingOn, []string{"approvals"}) {
		t.Fatalf("decision %s pendingOn %v, want pending [approvals]", d.Decision, d.PendingOn)
	}
	if !slices.Equal(d.ReasonCodes, []string{"approvals.missing", "w.note"}) {
		t.Errorf("reasonCodes %v: warnings are carried, sorted", d.ReasonCodes)
	}
	d = fixture.Decide(t, fixture.Input(), gate.WithGates(fixture.Status("f", gate.StatusFail, "f.bad"), fixture.Status("approvals", gate.StatusPending, "approvals.missing")))
	if d.Decision != gate.Deny || !slices.Equal(d.PendingOn, []string{"approvals"}) {
		t.Fatalf("fail + pending: %s %v, want deny", d.Decision, d.PendingOn)
	}
	d = fixture.Decide(t, fixture.Input(), gate.WithGates(fixture.Status("w", gate.StatusWarn, "w.note")))
	if d.Decision != gate.Allow {
		t.Fatalf("warn only: %s, want allow", d.Decision)
	}
}

func TestUnknownGateTypeFails(t *testing.T) {
	cfg := gate.Config{Gates: []gate.GateConfig{{ID: "mystery", Type: "no-such-type"}}}
	d := fixture.Decide(t, fixture.Input(), gate.WithConfig(cfg))
	g := fixture.GateByID(t, d, "mystery")
	if d.Decision != gate.Deny || g.Status != gate.StatusFail || !slices.Equal(g.ReasonCodes, []string{"gate.unknown"}) {
		t.Fatalf("%s %+v, want deny with gate.unknown", d.Decision, g)
	}
	if err := cfg.Validate(nil); err == nil {
		t.Fatal("Validate accepts an unknown type")
	}
}

// Package gate knows no gate type but policy: the built-in types come from
// the caller (gate/builtin), so without them a configured kev gate fails
// closed and does not validate.
func TestTypesComeFromTheCaller(t *testing.T) {
	cfg := gate.Config{Gates: []gate.GateConfig{{ID: "kev", Type: "kev"}}}
	d := fixture.Decide(t, fixture.Input(), gate.WithConfig(cfg))
	if g := fixture.GateByID(t, d, "kev"); d.Decision != gate.Deny || !slices.Equal(g.ReasonCodes, []string{"gate.unknown"}) {
		t.Fatalf("%s %+v, want deny with gate.unknown", d.Decision, g)
	}
	if err := cfg.Validate(nil); err == nil {
		t.Fatal("Validate without types accepts kev")
	}
	if rs := cfg.Resolve(gate.Environment{Name: "prod", Tier: "production"}, nil); len(rs) != 1 || len(rs[0].Settings) != 0 {
		t.Fatalf("Resolve without defaults: %+v", rs)
	}
	policyOnly := gate.Config{Gates: []gate.GateConfig{{ID: "rego", Type: gate.TypePolicy, Settings: map[string]any{"bundle": fixture.Snapshot}}}}
	if err := policyOnly.Validate(nil); err != nil {
		t.Fatalf("the policy type is always known: %v", err)
	}
}

func TestInvalidStatusFails(t *testing.T) {
	d := fixture.Decide(t, fixture.Input(), gate.WithGates(fixture.Status("odd", gate.Status("maybe"))))
	if g := fixture.GateByID(t, d, "odd"); g.Status != gate.StatusFail || g.ReasonCodes[0] != "gate.error" {
		t.Fatalf("%+v", g)
	}
}

func TestEmptyGateListAllowsUnverified(t *testing.T) {
	in := fixture.Input()
	in.SBOM.Digests = nil // missing inputs do not matter without gates
	d := fixture.Decide(t, in, gate.WithConfig(gate.Config{}))
	if d.Decision != gate.Allow || d.Mode != gate.Unverified || len(d.ReasonCodes) != 0 {
		t.Fatalf("%s %s %v, want allow unverified", d.Decision, d.Mode, d.ReasonCodes)
	}
}

func TestVerifiedModeMissingInputsDeny(t *testing.T) {
	in := fixture.Input()
	in.SBOM.Digests = in.SBOM.Digests[:1]
	in.ImagesWithoutSBOM = []string{in.Release.Components[len(in.Release.Components)-1].Image}
	in.Findings[0].VEX = nil
	eng, err := gate.NewEngine(context.Background(), gate.WithGates(fixture.Status("ok", gate.StatusPass)), gate.WithConfig(gate.Config{Gates: []gate.GateConfig{
		{ID: "rego", Type: gate.TypePolicy, Settings: map[string]any{"bundle": fixture.Snapshot}}}}))
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(context.Background(), in, gate.DecideMeta{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"input.advisory-snapshot-missing", "input.policy-bundle-missing", "input.sbom-missing", "input.vex-consensus-missing", "policy.bundle-missing"}
	if d.Decision != gate.Deny || d.Mode != gate.Verified || !slices.Equal(d.ReasonCodes, want) {
		t.Fatalf("%s %s %v, want deny %v", d.Decision, d.Mode, d.ReasonCodes, want)
	}
}

// Acceptance 13: same input twice, and shuffled, gives the same bytes.
func TestDecisionDeterminism(t *testing.T) {
	opts := []gate.Option{gate.WithEngineVersion("test"), gate.WithGates(fixture.Critical("crit"), fixture.Status("a", gate.StatusWarn, "a.w"), fixture.Status("b", gate.StatusPass))}
	d1 := fixture.Decide(t, fixture.Input(), opts...)
	d2 := fixture.Decide(t, fixture.Input(), opts...)
	b1, _ := d1.Canonical()
	b2, _ := d2.Canonical()
	if !bytes.Equal(b1, b2) {
		t.Fatalf("two runs differ:\n%s\n%s", b1, b2)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		in := fixture.Input()
		r.Shuffle(len(in.Findings), func(i, j int) { in.Findings[i], in.Findings[j] = in.Findings[j], in.Findings[i] })
		r.Shuffle(len(in.Approvals), func(i, j int) { in.Approvals[i], in.Approvals[j] = in.Approvals[j], in.Approvals[i] })
		r.Shuffle(len(in.Release.Components), func(i, j int) {
			in.Release.Components[i], in.Release.Components[j] = in.Release.Components[j], in.Release.Components[i]
		})
		slices.Reverse(in.Findings[0].Aliases)
		d := fixture.Decide(t, in, opts...)
		b, _ := d.Canonical()
		if d.DeterminismHash != d1.DeterminismHash || d.RecordDigest != d1.RecordDigest || !bytes.Equal(b, b1) {
			t.Fatalf("shuffled input changed the record:\n%s\n%s", b1, b)
		}
	}
	if err := d1.CheckDigests(); err != nil {
		t.Fatal(err)
	}
	if d1.Decision != gate.Deny || fixture.GateByID(t, d1, "crit").Details["findings"] == nil {
		t.Fatalf("fixture should deny on its critical: %s", b1)
	}
}

func TestDecideDoesNotModifyCallerInput(t *testing.T) {
	in := fixture.Input()
	before, _ := gate.MarshalReplayInput(in)
	fixture.Decide(t, in, gate.WithGates(fixture.Status("a", gate.StatusPass)))
	after, _ := gate.MarshalReplayInput(in)
	if !bytes.Equal(before, after) || in.Findings[0].AdvisoryID != "CVE-2026-9999" {
		t.Fatal("Decide changed the caller's Input")
	}
}

func TestDuplicateGateIDsRejected(t *testing.T) {
	if _, err := gate.NewEngine(context.Background(), gate.WithConfig(gate.Config{Gates: []gate.GateConfig{{ID: "kev", Type: "kev"}}}), gate.WithGates(fixture.Status("kev", gate.StatusPass))); err == nil {
		t.Fatal("duplicate id accepted")
	}
}

func TestPolicyGateSeesOtherGatesLast(t *testing.T) {
	// A direct gate of the policy type is still ordered last; here a test
	// gate stands in to prove the engine fills Input.Gates for it.
	seen := make(chan []gate.GateSummary, 1)
	last := fixture.Gate("a-policy", gate.TypePolicy, func(_ context.Context, in *gate.Input) (gate.Result, error) {
		seen <- slices.Clone(in.Gates)
		return gate.Result{Status: gate.StatusPass}, nil
	})
	fixture.Decide(t, fixture.Input(), gate.WithGates(last, fixture.Status("z", gate.StatusWarn, "z.w"), fixture.Status("b", gate.StatusPass)))
	got := <-seen
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "z" || got[1].Status != gate.StatusWarn {
		t.Fatalf("policy saw %+v", got)
	}
}
