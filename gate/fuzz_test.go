package gate_test

import (
	"context"
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/internal/fixture"
)

// Parsers of outside data: gate configuration files, decision records and
// stored inputs read back for replay. Each must refuse bad input with an
// error, never panic, and what it accepts must survive a round trip.

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("gates:\n  - {id: kev, type: kev, environments: {development: {graceDays: 30}}}\n"))
	f.Add([]byte(`{"gates":[{"id":"policy","type":"policy","settings":{"bundle":"sha256:00"}}]}`))
	f.Add([]byte("gates: [{id: x}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := gate.ParseConfig(b)
		if err != nil {
			return
		}
		_ = cfg.Validate(builtin.Types())
		d1, err := cfg.Digest()
		if err != nil {
			return
		}
		raw, err := cfg.Canonical()
		if err != nil {
			t.Fatalf("digest but no canonical form: %v", err)
		}
		again, err := gate.ParseConfig(raw)
		if err != nil {
			t.Fatalf("canonical config does not parse: %v\n%s", err, raw)
		}
		if d2, _ := again.Digest(); d1 != d2 {
			t.Fatalf("round trip changed the digest: %s %s", d1, d2)
		}
	})
}

func FuzzParseDecision(f *testing.F) {
	eng, err := gate.NewEngine(context.Background(), fixture.Builtins(gate.WithConfig(builtin.DefaultConfig()))...)
	if err != nil {
		f.Fatal(err)
	}
	d, err := eng.Decide(context.Background(), fixture.Input(), fixture.Meta())
	if err != nil {
		f.Fatal(err)
	}
	raw, err := d.Canonical()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"schema":"stella.gate.decision/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := gate.ParseDecision(b)
		if err != nil {
			return
		}
		if err := rec.CheckDigests(); err != nil {
			t.Fatalf("accepted a record whose digests do not check: %v", err)
		}
	})
}

func FuzzUnmarshalReplayInput(f *testing.F) {
	in := fixture.Input()
	in.Normalize()
	raw, err := gate.MarshalReplayInput(in)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"document":{"schema":"stella.gate.input/v1"},"environment":{},"confirmations":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := gate.UnmarshalReplayInput(b)
		if err != nil {
			return
		}
		if _, err := gate.MarshalReplayInput(in); err != nil {
			t.Fatalf("a stored input read back does not store again: %v", err)
		}
	})
}
