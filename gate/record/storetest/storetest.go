// Package storetest checks that a record.Store behaves as the interface
// says. Every implementation runs it:
//
//	storetest.Run(t, func(t *testing.T) record.Store { return openMyStore(t) })
package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
)

// Cutoff is the clock cut-off of the first record Decide makes.
var Cutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Decide returns a sealed record (with its canonical bytes) for release
// rel in environment env, decided at cutoff by an engine without gates.
func Decide(t testing.TB, tenant, rel, env string, cutoff time.Time) (*gate.Decision, []byte) {
	t.Helper()
	eng, err := gate.NewEngine(context.Background(), gate.WithEngineVersion("storetest"))
	if err != nil {
		t.Fatal(err)
	}
	in := &gate.Input{Phase: gate.PhaseRequest, ClockCutoff: cutoff,
		Release:     gate.Release{ID: "rel-" + rel, Name: rel, Digest: "sha256:" + hex64(rel)},
		Environment: gate.Environment{ID: "env-" + env, Name: env, Tier: "production"}, TargetEnvironment: env}
	d, err := eng.Decide(context.Background(), in, gate.DecideMeta{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := d.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return d, raw
}

func hex64(s string) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 64)
	for i := range out {
		out[i] = digits[(int(s[i%len(s)])+i)%16]
	}
	return string(out)
}

// Run runs the suite; open returns a new, empty store.
func Run(t *testing.T, open func(t *testing.T) record.Store) {
	t.Run("AppendIsIdempotentByRecordDigest", func(t *testing.T) { appendIdempotent(t, open(t)) })
	t.Run("RefusesRecordsThatDoNotMatchTheirDigests", func(t *testing.T) { refusesBadRecords(t, open(t)) })
	t.Run("ListsNewestFirstByReleaseAndEnvironment", func(t *testing.T) { lists(t, open(t)) })
	t.Run("TenantsAreIsolated", func(t *testing.T) { tenants(t, open(t)) })
}

func appendIdempotent(t *testing.T, s record.Store) {
	ctx := context.Background()
	d, raw := Decide(t, "acme", "shop-1", "prod", Cutoff)
	ok, err := s.AppendDecision(ctx, "acme", d, raw)
	if err != nil || !ok {
		t.Fatalf("first append = %v, %v; want inserted", ok, err)
	}
	ok, err = s.AppendDecision(ctx, "acme", d, raw)
	if err != nil || ok {
		t.Fatalf("second append = %v, %v; want nothing inserted, no error", ok, err)
	}
	got, err := s.Decision(ctx, "acme", d.RecordDigest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Raw, raw) || got.Decision.RecordDigest != d.RecordDigest || got.CreatedAt.IsZero() {
		t.Fatalf("stored record differs:\n%s\nwant\n%s", got.Raw, raw)
	}
	if again, _ := got.Decision.Canonical(); !bytes.Equal(again, raw) {
		t.Fatal("the parsed record does not re-encode to the stored bytes")
	}
	page, err := s.Decisions(ctx, "acme", record.Filter{}, record.PageOptions{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list after two appends = %v, %v; want one record", page, err)
	}
	if _, err := s.Decision(ctx, "acme", "sha256:"+hex64("nope")); !errors.Is(err, record.ErrDecisionNotFound) {
		t.Fatalf("unknown digest = %v, want ErrDecisionNotFound", err)
	}
}

func refusesBadRecords(t *testing.T, s record.Store) {
	ctx := context.Background()
	d, raw := Decide(t, "acme", "shop-1", "prod", Cutoff)
	tampered := *d
	tampered.Decision = gate.Deny
	traw, _ := tampered.Canonical()
	if _, err := s.AppendDecision(ctx, "acme", &tampered, traw); err == nil {
		t.Error("a record whose digests do not match was stored")
	}
	if _, err := s.AppendDecision(ctx, "acme", d, append(bytes.Clone(raw), ' ')); err == nil {
		t.Error("bytes other than the canonical record were stored")
	}
	if _, err := s.AppendDecision(ctx, "globex", d, raw); err == nil {
		t.Error("a record of tenant acme was stored for globex")
	}
	if p, err := s.Decisions(ctx, "acme", record.Filter{}, record.PageOptions{}); err != nil || len(p.Items) != 0 {
		t.Fatalf("after refused appends: %v, %v", p, err)
	}
}

func lists(t *testing.T, s record.Store) {
	ctx := context.Background()
	type rec struct{ rel, env string }
	recs := []rec{{"shop-1", "prod"}, {"shop-1", "dev"}, {"shop-2", "prod"}, {"shop-2", "dev"}, {"shop-1", "prod"}}
	var digests []string // in append order; cut-offs increase
	byDigest := map[string]*gate.Decision{}
	for i, r := range recs {
		d, raw := Decide(t, "acme", r.rel, r.env, Cutoff.Add(time.Duration(i)*time.Hour))
		if _, err := s.AppendDecision(ctx, "acme", d, raw); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.RecordDigest)
		byDigest[d.RecordDigest] = d
	}
	list := func(f record.Filter) []string {
		t.Helper()
		var out []string
		after := ""
		for range 10 {
			p, err := s.Decisions(ctx, "acme", f, record.PageOptions{First: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != len(p.Cursors) {
				t.Fatalf("%d items, %d cursors", len(p.Items), len(p.Cursors))
			}
			for _, it := range p.Items {
				out = append(out, it.Decision.RecordDigest)
			}
			if !p.HasNext {
				return out
			}
			after = p.Cursors[len(p.Cursors)-1]
		}
		t.Fatal("paging does not end")
		return nil
	}
	pick := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, digests[i])
		}
		return out
	}
	for name, c := range map[string]struct {
		f    record.Filter
		want []string
	}{
		"all":              {record.Filter{}, pick(4, 3, 2, 1, 0)},
		"release id":       {record.Filter{ReleaseID: "rel-shop-1"}, pick(4, 1, 0)},
		"release digest":   {record.Filter{ReleaseDigest: byDigest[digests[2]].Release.Digest}, pick(3, 2)},
		"environment name": {record.Filter{Environment: "dev"}, pick(3, 1)},
		"environment id":   {record.Filter{Environment: "env-prod"}, pick(4, 2, 0)},
		"both":             {record.Filter{ReleaseID: "rel-shop-2", Environment: "prod"}, pick(2)},
		"none":             {record.Filter{ReleaseID: "rel-nope"}, nil},
	} {
		if got := list(c.f); !equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", name, got, c.want)
		}
	}
	if _, err := s.Decisions(ctx, "acme", record.Filter{}, record.PageOptions{After: "not-a-cursor"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
}

func tenants(t *testing.T, s record.Store) {
	ctx := context.Background()
	d, raw := Decide(t, "acme", "shop-1", "prod", Cutoff)
	if _, err := s.AppendDecision(ctx, "acme", d, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decision(ctx, "globex", d.RecordDigest); !errors.Is(err, record.ErrDecisionNotFound) {
		t.Fatalf("another tenant reads the record: %v", err)
	}
	if p, err := s.Decisions(ctx, "globex", record.Filter{}, record.PageOptions{}); err != nil || len(p.Items) != 0 {
		t.Fatalf("another tenant lists %v, %v", p, err)
	}
	// The same record content may be decided in another tenant: its digest
	// differs (the tenant is in the record), and both are kept.
	g, graw := Decide(t, "globex", "shop-1", "prod", Cutoff)
	if ok, err := s.AppendDecision(ctx, "globex", g, graw); err != nil || !ok || g.RecordDigest == d.RecordDigest {
		t.Fatalf("globex append = %v, %v", ok, err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
