package gate_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/internal/fixture"
	"github.com/stella-ops/stella/gate/policy"
)

// benchInput is engFixture's release with n findings spread over
// severities, KEV listings, EPSS scores and VEX verdicts.
func benchInput(n int) *gate.Input {
	in := fixture.Input()
	severities := []advisory.Rating{"low", "medium", "high", "critical", "none"}
	vexStatus := []string{"affected", "not_affected", "under_investigation", "unknown", "fixed"}
	in.Findings = make([]gate.Finding, n)
	for i := range in.Findings {
		cvss := float64(i%100) / 10
		f := gate.Finding{
			ID: fmt.Sprintf("sha256:%064x", i), AdvisoryID: fmt.Sprintf("CVE-2026-%05d", i/2),
			Aliases:   []string{fmt.Sprintf("GHSA-%04x", i)},
			Component: gate.FindingRef{Name: []string{"api", "web"}[i%2], Purl: fmt.Sprintf("pkg:npm/pkg-%d@1.0.%d", i%700, i%7)},
			Severity:  severities[i%len(severities)], CVSS: &cvss, FixState: []string{"fixed", "not-fixed"}[i%2], FixedVersions: []string{},
			EPSS: &gate.EPSS{Score: float64(i%1000) / 1000, Percentile: 0.5, ModelVersion: "v2025.03.14"},
			VEX:  &gate.VEX{Status: vexStatus[i%len(vexStatus)], Confidence: 0.9, ConsensusDigest: fixture.VEXC},
		}
		if i%97 == 0 {
			f.KEV = &gate.KEV{DateAdded: "2026-02-25", DueDate: "2026-03-20"}
		}
		f.Active = f.VEX.Status != "not_affected" && f.VEX.Status != "fixed"
		in.Findings[i] = f
	}
	in.EPSSSnapshot = fixture.Snapshot
	return in
}

// BenchmarkDecide10kFindings20Rules is one whole decision (issue 6): the
// default built-in gates plus EPSS and the twenty-rule policy of
// gate/policy/testdata/release, over a release with 10,000 findings (and,
// for scale, 1,000), including the canonical stored input, the record and
// their digests.
func BenchmarkDecide10kFindings20Rules(b *testing.B) {
	bundle, err := policy.Load("policy/testdata/release")
	if err != nil {
		b.Fatal(err)
	}
	cfg := builtin.DefaultConfig()
	cfg.Gates = append(cfg.Gates,
		gate.GateConfig{ID: builtin.TypeEPSS, Type: builtin.TypeEPSS},
		gate.GateConfig{ID: gate.TypePolicy, Type: gate.TypePolicy, Settings: map[string]any{"bundle": bundle.Digest()}})
	eng, err := gate.NewEngine(context.Background(), fixture.Builtins(gate.WithConfig(cfg), gate.WithPolicies(bundle))...)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) { benchDecide(b, eng, benchInput(n)) })
	}
}

func benchDecide(b *testing.B, eng *gate.Engine, in *gate.Input) {
	meta := fixture.Meta()
	ctx := context.Background()
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		d, err := eng.Decide(ctx, in, meta)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if d.Decision != gate.Deny {
			b.Fatalf("decision %s, want deny", d.Decision)
		}
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
