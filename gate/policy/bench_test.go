package policy

import (
	"context"
	"slices"
	"testing"
	"time"
)

func prepareRelease(b *testing.B) *Prepared {
	b.Helper()
	bundle, err := Load(releasePolicyDir)
	if err != nil {
		b.Fatal(err)
	}
	p, err := Prepare(context.Background(), bundle)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// reportLatency adds p50 and p99 of the per-evaluation times.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Nanoseconds()) / 1e6 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func benchEval(b *testing.B, p *Prepared, input any) {
	ctx := context.Background()
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		out, err := p.Eval(ctx, input, cutoff)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if !out.Denied() {
			b.Fatal("the release policy denied nothing")
		}
	}
	reportLatency(b, lat)
}

// BenchmarkEval20Rules10kFindings is one policy decision as the gate makes
// it: a Go input value (JSON-encoded inside Eval) with 10,000 findings,
// evaluated by the twenty-rule policy of testdata/release.
func BenchmarkEval20Rules10kFindings(b *testing.B) {
	benchEval(b, prepareRelease(b), releaseInput(10_000, 1, "production"))
}

// BenchmarkEval20Rules1kFindings is the same decision for a smaller release.
func BenchmarkEval20Rules1kFindings(b *testing.B) {
	benchEval(b, prepareRelease(b), releaseInput(1_000, 1, "production"))
}

// BenchmarkEval20Rules10kFindingsParsedInput leaves out the input
// conversion, to show what it costs.
func BenchmarkEval20Rules10kFindingsParsedInput(b *testing.B) {
	in, err := inputValue(releaseInput(10_000, 1, "production"))
	if err != nil {
		b.Fatal(err)
	}
	benchEval(b, prepareRelease(b), in)
}

// BenchmarkInputConversion10kFindings is the JSON round trip alone.
func BenchmarkInputConversion10kFindings(b *testing.B) {
	in := releaseInput(10_000, 1, "production")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inputValue(in); err != nil {
			b.Fatal(err)
		}
	}
}
