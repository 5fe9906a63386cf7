package policy

import (
	"context"
	"errors"
	"testing"
	"time"
)

// kevPolicy is the example policy of gate.md §3.
const kevPolicy = `package stella.release

deny contains {"code": "kev-in-prod", "message": sprintf("%s is known-exploited", [f.advisoryId])} if {
	input.environment.tier == "production"
	some f in input.findings
	f.active
	f.kev != null
}
`

var cutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testInput is a cut-down stella.gate.input/v1 document, built from Go types
// the way the gate builds its own.
type testInput struct {
	Schema      string        `json:"schema"`
	ClockCutoff time.Time     `json:"clockCutoff"`
	Environment testEnv       `json:"environment"`
	Findings    []testFinding `json:"findings"`
}

type testEnv struct {
	Name string `json:"name"`
	Tier string `json:"tier"`
}

type testFinding struct {
	AdvisoryID string   `json:"advisoryId"`
	Severity   string   `json:"severity"`
	Active     bool     `json:"active"`
	KEV        *testKEV `json:"kev"`
}

type testKEV struct {
	DateAdded time.Time `json:"dateAdded"`
}

func smallInput(tier string) testInput {
	return testInput{
		Schema:      "stella.gate.input/v1",
		ClockCutoff: cutoff,
		Environment: testEnv{Name: "prod", Tier: tier},
		Findings: []testFinding{
			{AdvisoryID: "CVE-2026-0001", Severity: "critical", Active: true, KEV: &testKEV{DateAdded: cutoff.AddDate(0, 0, -20)}},
			{AdvisoryID: "CVE-2026-0002", Severity: "high", Active: false, KEV: &testKEV{DateAdded: cutoff}},
			{AdvisoryID: "CVE-2026-0003", Severity: "low", Active: true},
		},
	}
}

func mustBundle(t testing.TB, files map[string]string) *Bundle {
	t.Helper()
	m := make(map[string][]byte, len(files))
	for p, c := range files {
		m[p] = []byte(c)
	}
	b, err := FromFiles(m)
	if err != nil {
		t.Fatalf("FromFiles: %v", err)
	}
	return b
}

func mustPrepare(t testing.TB, files map[string]string, opts ...Option) *Prepared {
	t.Helper()
	p, err := Prepare(context.Background(), mustBundle(t, files), opts...)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return p
}

// wantKind fails unless err is an *Error of kind k that errors.Is matches.
func wantKind(t testing.TB, err error, k Kind) *Error {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *policy.Error of kind %s", err, err, k)
	}
	if pe.Kind != k {
		t.Fatalf("kind = %s, want %s (error: %v)", pe.Kind, k, err)
	}
	if !errors.Is(err, k.sentinel()) {
		t.Fatalf("errors.Is(err, %v) = false", k.sentinel())
	}
	return pe
}
