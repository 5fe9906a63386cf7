package gate

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func engDecide(t *testing.T, in *Input, opts ...Option) *Decision {
	t.Helper()
	eng, err := NewEngine(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(context.Background(), in, engMeta())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func engGateByID(t *testing.T, d *Decision, id string) GateRecord {
	t.Helper()
	for _, g := range d.Gates {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no gate %q in %+v", id, d.Gates)
	return GateRecord{}
}

// Acceptance 9: a gate that panics, errors or times out denies.
func TestGateErrorPanicTimeoutDeny(t *testing.T) {
	var released atomic.Bool
	defer released.Store(true)
	d := engDecide(t, engFixture(), WithGateTimeout(50*time.Millisecond), WithGates(
		engStatus("ok", StatusPass), engPanics("panics"), engErrors("errors"), engSleeps("sleeps"), engStuck("stuck", &released)))
	if d.Decision != Deny {
		t.Fatalf("decision %s, want deny", d.Decision)
	}
	for id, code := range map[string]string{"panics": "gate.error", "errors": "gate.error", "sleeps": "gate.timeout", "stuck": "gate.timeout"} {
		g := engGateByID(t, d, id)
		if g.Status != StatusFail || !slices.Equal(g.ReasonCodes, []string{code}) {
			t.Errorf("%s: %s %v, want fail [%s]", id, g.Status, g.ReasonCodes, code)
		}
	}
	if !slices.Equal(d.ReasonCodes, []string{"gate.error", "gate.timeout"}) {
		t.Errorf("reasonCodes %v", d.ReasonCodes)
	}
	if g := engGateByID(t, d, "ok"); g.Status != StatusPass {
		t.Errorf("every gate is evaluated: ok is %s", g.Status)
	}
}

// Acceptance 12: pending only when nothing fails.
func TestPendingAndDenyAggregation(t *testing.T) {
	d := engDecide(t, engFixture(), WithGates(engStatus("a", StatusPass), engStatus("w", StatusWarn, "w.note"), engStatus("approvals", StatusPending, "approvals.missing")))
	if d.Decision != Pending || !slices.Equal(d.PendingOn, []string{"approvals"}) {
		t.Fatalf("decision %s pendingOn %v, want pending [approvals]", d.Decision, d.PendingOn)
	}
	if !slices.Equal(d.ReasonCodes, []string{"approvals.missing", "w.note"}) {
		t.Errorf("reasonCodes %v: warnings are carried, sorted", d.ReasonCodes)
	}
	d = engDecide(t, engFixture(), WithGates(engStatus("f", StatusFail, "f.bad"), engStatus("approvals", StatusPending, "approvals.missing")))
	if d.Decision != Deny || !slices.Equal(d.PendingOn, []string{"approvals"}) {
		t.Fatalf("fail + pending: %s %v, want deny", d.Decision, d.PendingOn)
	}
	d = engDecide(t, engFixture(), WithGates(engStatus("w", StatusWarn, "w.note")))
	if d.Decision != Allow {
		t.Fatalf("warn only: %s, want allow", d.Decision)
	}
}

func TestUnknownGateTypeFails(t *testing.T) {
	cfg := Config{Gates: []GateConfig{{ID: "mystery", Type: "no-such-type"}}}
	d := engDecide(t, engFixture(), WithConfig(cfg))
	g := engGateByID(t, d, "mystery")
	if d.Decision != Deny || g.Status != StatusFail || !slices.Equal(g.ReasonCodes, []string{"gate.unknown"}) {
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
	cfg := Config{Gates: []GateConfig{{ID: "kev", Type: "kev"}}}
	d := engDecide(t, engFixture(), WithConfig(cfg))
	if g := engGateByID(t, d, "kev"); d.Decision != Deny || !slices.Equal(g.ReasonCodes, []string{"gate.unknown"}) {
		t.Fatalf("%s %+v, want deny with gate.unknown", d.Decision, g)
	}
	if err := cfg.Validate(nil); err == nil {
		t.Fatal("Validate without types accepts kev")
	}
	if rs := cfg.Resolve(Environment{Name: "prod", Tier: "production"}, nil); len(rs) != 1 || len(rs[0].Settings) != 0 {
		t.Fatalf("Resolve without defaults: %+v", rs)
	}
	policyOnly := Config{Gates: []GateConfig{{ID: "rego", Type: TypePolicy, Settings: map[string]any{"bundle": engSnapshot}}}}
	if err := policyOnly.Validate(nil); err != nil {
		t.Fatalf("the policy type is always known: %v", err)
	}
}

func TestInvalidStatusFails(t *testing.T) {
	d := engDecide(t, engFixture(), WithGates(engStatus("odd", Status("maybe"))))
	if g := engGateByID(t, d, "odd"); g.Status != StatusFail || g.ReasonCodes[0] != "gate.error" {
		t.Fatalf("%+v", g)
	}
}

func TestEmptyGateListAllowsUnverified(t *testing.T) {
	in := engFixture()
	in.SBOM.Digests = nil // missing inputs do not matter without gates
	d := engDecide(t, in, WithConfig(Config{}))
	if d.Decision != Allow || d.Mode != Unverified || len(d.ReasonCodes) != 0 {
		t.Fatalf("%s %s %v, want allow unverified", d.Decision, d.Mode, d.ReasonCodes)
	}
}

func TestVerifiedModeMissingInputsDeny(t *testing.T) {
	in := engFixture()
	in.SBOM.Digests = in.SBOM.Digests[:1]
	in.ImagesWithoutSBOM = []string{in.Release.Components[len(in.Release.Components)-1].Image}
	in.Findings[0].VEX = nil
	eng, err := NewEngine(context.Background(), WithGates(engStatus("ok", StatusPass)), WithConfig(Config{Gates: []GateConfig{
		{ID: "rego", Type: TypePolicy, Settings: map[string]any{"bundle": engSnapshot}}}}))
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.Decide(context.Background(), in, DecideMeta{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"input.advisory-snapshot-missing", "input.policy-bundle-missing", "input.sbom-missing", "input.vex-consensus-missing", "policy.bundle-missing"}
	if d.Decision != Deny || d.Mode != Verified || !slices.Equal(d.ReasonCodes, want) {
		t.Fatalf("%s %s %v, want deny %v", d.Decision, d.Mode, d.ReasonCodes, want)
	}
}

// Acceptance 13: same input twice, and shuffled, gives the same bytes.
func TestDecisionDeterminism(t *testing.T) {
	opts := []Option{WithEngineVersion("test"), WithGates(engCritical("crit"), engStatus("a", StatusWarn, "a.w"), engStatus("b", StatusPass))}
	d1 := engDecide(t, engFixture(), opts...)
	d2 := engDecide(t, engFixture(), opts...)
	b1, _ := d1.Canonical()
	b2, _ := d2.Canonical()
	if !bytes.Equal(b1, b2) {
		t.Fatalf("two runs differ:\n%s\n%s", b1, b2)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		in := engFixture()
		r.Shuffle(len(in.Findings), func(i, j int) { in.Findings[i], in.Findings[j] = in.Findings[j], in.Findings[i] })
		r.Shuffle(len(in.Approvals), func(i, j int) { in.Approvals[i], in.Approvals[j] = in.Approvals[j], in.Approvals[i] })
		r.Shuffle(len(in.Release.Components), func(i, j int) {
			in.Release.Components[i], in.Release.Components[j] = in.Release.Components[j], in.Release.Components[i]
		})
		slices.Reverse(in.Findings[0].Aliases)
		d := engDecide(t, in, opts...)
		b, _ := d.Canonical()
		if d.DeterminismHash != d1.DeterminismHash || d.RecordDigest != d1.RecordDigest || !bytes.Equal(b, b1) {
			t.Fatalf("shuffled input changed the record:\n%s\n%s", b1, b)
		}
	}
	if err := d1.CheckDigests(); err != nil {
		t.Fatal(err)
	}
	if d1.Decision != Deny || engGateByID(t, d1, "crit").Details["findings"] == nil {
		t.Fatalf("fixture should deny on its critical: %s", b1)
	}
}

func TestDecideDoesNotModifyCallerInput(t *testing.T) {
	in := engFixture()
	before, _ := MarshalReplayInput(in)
	engDecide(t, in, WithGates(engStatus("a", StatusPass)))
	after, _ := MarshalReplayInput(in)
	if !bytes.Equal(before, after) || in.Findings[0].AdvisoryID != "CVE-2026-9999" {
		t.Fatal("Decide changed the caller's Input")
	}
}

func TestDuplicateGateIDsRejected(t *testing.T) {
	if _, err := NewEngine(context.Background(), WithConfig(Config{Gates: []GateConfig{{ID: "kev", Type: "kev"}}}), WithGates(engStatus("kev", StatusPass))); err == nil {
		t.Fatal("duplicate id accepted")
	}
}

func TestPolicyGateSeesOtherGatesLast(t *testing.T) {
	// A direct gate of the policy type is still ordered last; here a test
	// gate stands in to prove the engine fills Input.Gates for it.
	seen := make(chan []GateSummary, 1)
	last := engGate{id: "a-policy", typ: TypePolicy, eval: func(_ context.Context, in *Input) (Result, error) {
		seen <- slices.Clone(in.Gates)
		return Result{Status: StatusPass}, nil
	}}
	engDecide(t, engFixture(), WithGates(last, engStatus("z", StatusWarn, "z.w"), engStatus("b", StatusPass)))
	got := <-seen
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "z" || got[1].Status != StatusWarn {
		t.Fatalf("policy saw %+v", got)
	}
}
