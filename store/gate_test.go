package store

import (
	"context"
	"errors"
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/record"
	recordtest "github.com/stella-ops/stella/gate/record/storetest"
)

func TestGateRecordStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		recordtest.Run(t, func(t *testing.T) record.Store { return open(t) })
	})
}

// The inputs store is content-addressed per tenant, and a record decided
// with it replays from it.
func TestGateInputsReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		cas := db.GateInputs("acme")
		d1, err := cas.Put(ctx, []byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		if d2, err := cas.Put(ctx, []byte("hello")); err != nil || d2 != d1 {
			t.Fatalf("second put = %s, %v", d2, err)
		}
		if b, err := cas.Get(ctx, d1); err != nil || string(b) != "hello" {
			t.Fatalf("get = %q, %v", b, err)
		}
		if _, err := db.GateInputs("globex").Get(ctx, d1); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("another tenant reads the input: %v", err)
		}

		cfg, err := gate.ParseConfig([]byte(`gates: [{id: security, type: security-thresholds}, {id: freeze, type: freeze-window}]`))
		if err != nil {
			t.Fatal(err)
		}
		known := []gate.Option{gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults)}
		eng, err := gate.NewEngine(ctx, append(known, gate.WithConfig(cfg))...)
		if err != nil {
			t.Fatal(err)
		}
		in := &gate.Input{Phase: gate.PhaseRequest, ClockCutoff: recordtest.Cutoff,
			Release:     gate.Release{ID: "r", Name: "shop-1", Digest: "sha256:" + string(make64('a'))},
			Environment: gate.Environment{ID: "e", Name: "prod", Tier: "production"}, TargetEnvironment: "prod"}
		rec, err := eng.Decide(ctx, in, gate.DecideMeta{Tenant: "acme", Inputs: gate.InputDigests{AdvisorySnapshotID: "sha256:" + string(make64('b'))}}, gate.KeepInputs(cas))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := rec.Canonical()
		if _, err := db.AppendDecision(ctx, "acme", rec, raw); err != nil {
			t.Fatal(err)
		}
		stored, err := db.Decision(ctx, "acme", rec.RecordDigest)
		if err != nil {
			t.Fatal(err)
		}
		res, err := record.Replay(ctx, stored.Decision, db.GateInputs("acme"))
		if err != nil || res.Outcome != record.Match {
			t.Fatalf("replay = %+v, %v", res, err)
		}
		if res, _ := record.Replay(ctx, stored.Decision, db.GateInputs("globex")); res.Outcome != record.Failed {
			t.Fatalf("replay from another tenant's inputs = %s, want failed", res.Outcome)
		}
	})
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}

// Decision records and their inputs are evidence: the database refuses to
// change them.
func TestGateTablesAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		d, raw := recordtest.Decide(t, "acme", "shop-1", "prod", recordtest.Cutoff)
		if _, err := db.AppendDecision(ctx, "acme", d, raw); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GateInputs("acme").Put(ctx, []byte("input")); err != nil {
			t.Fatal(err)
		}
		for table, set := range map[string]string{"gate_decisions": "decision = 'allow'", "gate_inputs": "digest = 'x'"} {
			if countRows(t, db, table) == 0 {
				t.Fatalf("%s: no rows to change", table)
			}
			for _, q := range []string{"UPDATE " + table + " SET " + set, "DELETE FROM " + table} {
				if _, err := db.Bun().ExecContext(ctx, q); err == nil {
					t.Errorf("%s: not refused", q)
				}
			}
			if db.Dialect() == DialectPostgres {
				if _, err := db.Bun().ExecContext(ctx, "TRUNCATE "+table); err == nil {
					t.Errorf("TRUNCATE %s: not refused", table)
				}
			}
			if countRows(t, db, table) != 1 {
				t.Errorf("%s changed", table)
			}
		}
	})
}
