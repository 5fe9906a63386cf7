package vex

import (
	"math"
	"testing"
	"time"
)

func ptr(v float64) *float64 { return &v }

func TestBaseTrustWorkedNumbers(t *testing.T) {
	w := DefaultSettings().Weights
	bt := BaseTrust(w, 1, 0.75, 0.6)
	if math.Abs(bt-0.8325) > 1e-9 {
		t.Fatalf("BaseTrust(1, 0.75, 0.6) = %v, want 0.8325", bt)
	}
	cutoff := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f, future := Freshness(cutoff.AddDate(0, 0, -90), cutoff, 90, 0.2)
	if math.Abs(f-0.5) > 1e-9 || future {
		t.Fatalf("F(90 days) = %v (future %v), want 0.5", f, future)
	}
	score := round6(float64(float64(bt*0.8) * f))
	if math.Abs(score-0.333) > 1e-9 {
		t.Fatalf("ClaimScore = %v, want 0.333", score)
	}
}

func TestFreshnessFloorAndFuture(t *testing.T) {
	cutoff := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if f, _ := Freshness(cutoff.AddDate(0, 0, -365), cutoff, 90, 0.2); f != 0.2 {
		t.Errorf("F(365 days) = %v, want floor 0.2", f)
	}
	f, future := Freshness(cutoff.AddDate(0, 0, 1), cutoff, 90, 0.2)
	if f != 1 || !future {
		t.Errorf("F(-1 day) = %v future=%v, want 1 and future", f, future)
	}
}

func TestProvenance(t *testing.T) {
	cutoff := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ts := cutoff.AddDate(0, -1, 0)
	vendor := Issuer{ID: "acme", Class: ClassVendor, Keys: []IssuerKey{
		{KeyID: "k1"},
		{KeyID: "k2", RevokedAt: cutoff.AddDate(0, 0, -1)},
		{Identity: "release@acme.example"},
	}}
	signed := func(key string, tsa bool) Statement {
		return Statement{Timestamp: ts, Format: FormatOpenVEX,
			Signature: Signature{Signed: true, Verified: true, KeyID: key, Timestamped: tsa}}
	}
	cases := []struct {
		name string
		is   Issuer
		s    Statement
		want float64
	}{
		{"verified+timestamped", vendor, signed("k1", true), 1.0},
		{"verified, no timestamp", vendor, signed("k1", false), 0.75},
		{"certificate identity", vendor, signed("release@acme.example", true), 1.0},
		{"revoked key falls back to pinned", vendor, signed("k2", true), 0.40},
		{"key not in registry", vendor, signed("other", true), 0.40},
		{"unsigned registered", vendor, Statement{Format: FormatCSAF}, 0.40},
		{"manual upload", vendor, Statement{Format: FormatManual}, 0.10},
		{"unknown issuer", (*Registry)(nil).Lookup("unknown:bob"), signed("k1", true), 0.10},
		{"override", Issuer{ID: "x", ProvenanceOverride: ptr(0.9)}, Statement{}, 0.9},
	}
	for _, c := range cases {
		if got := Provenance(c.is, c.s, cutoff); got != c.want {
			t.Errorf("%s: P = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestStrength(t *testing.T) {
	cases := []struct {
		s    Statement
		want float64
	}{
		{Statement{Status: StatusNotAffected, EvidenceRefs: []string{"sha256:x"}}, 1.0},
		{Statement{Status: StatusNotAffected, Justification: JustificationCodeNotPresent}, 0.8},
		{Statement{Status: StatusNotAffected, ImpactStatement: "not reachable"}, 0.8},
		{Statement{Status: StatusNotAffected}, 0.6},
		{Statement{Status: StatusAffected, ActionStatement: "upgrade"}, 0.8},
		{Statement{Status: StatusAffected}, 0.6},
		{Statement{Status: StatusFixed}, 0.8},
		{Statement{Status: StatusFixed, EvidenceRefs: []string{"sha256:x"}}, 1.0},
		{Statement{Status: StatusUnderInvestigation}, 0.4},
	}
	for _, c := range cases {
		if got := Strength(c.s); got != c.want {
			t.Errorf("Strength(%+v) = %v, want %v", c.s, got, c.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	a := Issuer{ID: "a", Class: ClassVendor, Keys: []IssuerKey{{KeyID: "k"}}, Scope: []string{"pkg:npm/a", "pkg:npm/b"}}
	b := Issuer{ID: "b", Class: ClassDistro, Replayability: ptr(1)}
	r1, err := NewRegistry("1", a, b)
	if err != nil {
		t.Fatal(err)
	}
	a.Scope = []string{"pkg:npm/b", "pkg:npm/a"}
	r2, err := NewRegistry("1", b, a)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Digest() != r2.Digest() {
		t.Error("registry digest depends on issuer or scope order")
	}
	if is, ok := r1.ByKey("k"); !ok || is.ID != "a" {
		t.Errorf("ByKey(k) = %v, %v", is.ID, ok)
	}
	if u := r1.Lookup("unknown:someone"); u.Class != ClassHub || u.Registered() {
		t.Errorf("unknown issuer = %+v, want unregistered hub", u)
	}
	for _, bad := range [][]Issuer{
		{a, a},
		{{ID: "c", Class: "bogus"}},
		{{ID: "unknown:x", Class: ClassHub}},
		{{ID: "d", Class: ClassHub, ProvenanceOverride: ptr(2)}},
	} {
		if _, err := NewRegistry("1", bad...); err == nil {
			t.Errorf("NewRegistry(%+v) accepted", bad)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	if _, err := NewConsensus(nil, WithWeights(Weights{P: 0.5, C: 0.35, R: 0.2})); err == nil {
		t.Error("weights summing to 1.05 accepted")
	}
	if _, err := NewConsensus(nil, WithWeights(Weights{P: 0.5, C: 0.3, R: 0.2})); err != nil {
		t.Errorf("valid weights rejected: %v", err)
	}
	if _, err := NewConsensus(nil, WithHalfLife(0)); err == nil {
		t.Error("zero half-life accepted")
	}
}
