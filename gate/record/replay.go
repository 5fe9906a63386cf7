package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/internal/canon"
)

// Outcome is the verdict of a replay (gate.md §8.2).
type Outcome string

// Replay outcomes.
const (
	Match    Outcome = "match"
	Mismatch Outcome = "mismatch"
	Failed   Outcome = "failed"
)

// ReplayResult explains a replay.
type ReplayResult struct {
	Outcome Outcome
	// Reason says why a replay failed.
	Reason string
	// RecordedHash and ReplayedHash are the determinismHash values.
	RecordedHash, ReplayedHash string
	// Diff lists what the decision changed: decision, reasonCodes and,
	// per gate, status and reason codes.
	Diff []Difference
	// ChangedInputs names the inputs fields (e.g. "advisorySnapshotId")
	// whose digest differs from the record's, sorted.
	ChangedInputs []string
	// Decision is the replayed record (nil when failed).
	Decision *gate.Decision
}

// Difference is one field that differs between record and replay.
type Difference struct {
	Field    string `json:"field"` // "decision", "reasonCodes", "gates.<id>.status", …
	Recorded string `json:"recorded"`
	Replayed string `json:"replayed"`
}

// Option configures Replay.
type Option func(*options)

type options struct {
	engine    []gate.Option
	input     *gate.Input
	inputs    *gate.InputDigests
	overrides map[string]string
}

// WithEngine passes options to the engine Replay builds, for the gate
// types, defaults or direct gates a record was decided with. The engine
// starts from the built-in types (package gate/builtin), the stored
// configuration and policy bundles and the record's engine version; these
// options come last, so gate.WithTypes replaces the built-ins.
func WithEngine(opts ...gate.Option) Option {
	return func(o *options) { o.engine = append(o.engine, opts...) }
}

// WithReplayInput replays on an Input rebuilt from raw sources (SBOMs,
// advisory snapshot, VEX statements) instead of the stored one, with the
// digests of those sources. Any digest that differs from the record is
// named in ChangedInputs and makes the outcome mismatch. The recorded
// clockCutoff still applies.
func WithInput(in *gate.Input, inputs gate.InputDigests) Option {
	return func(o *options) { o.input, o.inputs = in, &inputs }
}

// WithOverride substitutes one stored input by digest for a what-if
// replay: field is inputDocumentDigest, gateConfigDigest, policyDigest
// or exceptionsDigest, and the substitute must be resolvable.
func WithOverride(field, digest string) Option {
	return func(o *options) {
		if o.overrides == nil {
			o.overrides = map[string]string{}
		}
		o.overrides[field] = digest
	}
}

var overridable = []string{"exceptionsDigest", "gateConfigDigest", "inputDocumentDigest", "policyDigest"}

// Replay re-runs the engine on a record's inputs, resolved by digest, with
// its clockCutoff and the built-in gate types ([WithEngine] for others),
// and compares the outcome (gate.md §8). The error is for misuse only; an
// input that cannot be resolved or does not match its digest gives
// outcome failed.
func Replay(ctx context.Context, rec *gate.Decision, r Resolver, opts ...Option) (ReplayResult, error) {
	if rec == nil || r == nil {
		return ReplayResult{}, errors.New("record: Replay: nil record or resolver")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for f := range o.overrides {
		if !slices.Contains(overridable, f) {
			return ReplayResult{}, fmt.Errorf("record: Replay: input %q cannot be overridden (one of %s)", f, strings.Join(overridable, ", "))
		}
	}
	res := ReplayResult{RecordedHash: rec.DeterminismHash}
	fail := func(format string, args ...any) (ReplayResult, error) {
		res.Outcome, res.Reason = Failed, fmt.Sprintf(format, args...)
		return res, nil
	}
	if err := rec.CheckDigests(); err != nil {
		return fail("record: %v", err)
	}
	pick := func(field, recorded string) string {
		if d, ok := o.overrides[field]; ok {
			return d
		}
		return recorded
	}

	in := o.input
	if in == nil {
		raw, err := resolve(ctx, r, pick("inputDocumentDigest", rec.Inputs.InputDocumentDigest))
		if err != nil {
			return fail("input document: %v", err)
		}
		if in, err = gate.UnmarshalReplayInput(raw); err != nil {
			return fail("input document: %v", err)
		}
	}
	at := *in // the engine copies the Input before it normalizes it
	at.ClockCutoff = rec.ClockCutoff

	eopts := []gate.Option{gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults),
		gate.WithEngineVersion(rec.EngineVersion)}
	if d := pick("gateConfigDigest", rec.Inputs.GateConfigDigest); d != "" {
		cfg, err := loadConfig(ctx, r, d)
		if err != nil {
			return fail("gate configuration: %v", err)
		}
		eopts = append(eopts, gate.WithConfig(cfg))
	}
	if d := pick("policyDigest", rec.Inputs.PolicyDigest); d != "" {
		bundles, err := loadBundles(ctx, r, d)
		if err != nil {
			return fail("policy: %v", err)
		}
		eopts = append(eopts, gate.WithPolicies(bundles...))
	}
	var exdoc gate.ExceptionsDocument
	raw, err := resolve(ctx, r, pick("exceptionsDigest", rec.Inputs.ExceptionsDigest))
	if err != nil {
		return fail("exceptions: %v", err)
	}
	if err := jsonStrict(raw, &exdoc); err != nil {
		return fail("exceptions: %v", err)
	}
	if o.input == nil {
		// Approvals live in the Input; the stored list must still be there.
		if _, err := resolve(ctx, r, rec.Inputs.ApprovalsDigest); err != nil {
			return fail("approvals: %v", err)
		}
	}

	eng, err := gate.NewEngine(ctx, append(eopts, o.engine...)...)
	if err != nil {
		return fail("engine: %v", err)
	}
	meta := gate.DecideMeta{Tenant: rec.Tenant, PromotionID: rec.PromotionID, Inputs: rec.Inputs,
		Exceptions: exdoc.Exceptions, Revocations: exdoc.Revocations}
	if o.inputs != nil {
		meta.Inputs = *o.inputs
	}
	// Derived digests are recomputed from what was resolved.
	meta.Inputs.GateConfigDigest, meta.Inputs.PolicyDigest = "", ""
	meta.Inputs.ExceptionsDigest, meta.Inputs.ApprovalsDigest, meta.Inputs.InputDocumentDigest = "", "", ""
	got, err := eng.Decide(ctx, &at, meta)
	if err != nil {
		return ReplayResult{}, err
	}
	res.Decision, res.ReplayedHash = got, got.DeterminismHash
	res.ChangedInputs, err = changedInputs(rec.Inputs, got.Inputs)
	if err != nil {
		return ReplayResult{}, err
	}
	res.Diff = diffDecisions(rec, got)
	res.Outcome = Match
	if got.DeterminismHash != rec.DeterminismHash || len(res.ChangedInputs) > 0 {
		res.Outcome = Mismatch
	}
	return res, nil
}

func loadConfig(ctx context.Context, r Resolver, digest string) (gate.Config, error) {
	raw, err := resolve(ctx, r, digest)
	if err != nil {
		return gate.Config{}, err
	}
	var cfg gate.Config
	if err := jsonStrict(raw, &cfg); err != nil {
		return gate.Config{}, err
	}
	if d, err := cfg.Digest(); err != nil || d != digest {
		return gate.Config{}, fmt.Errorf("%w: configuration %s re-hashes as %s", ErrDigestMismatch, digest, d)
	}
	return cfg, nil
}

// loadBundles resolves policyDigest: one bundle's manifest, or the sorted
// list of bundle digests when several policy gates were configured.
func loadBundles(ctx context.Context, r Resolver, digest string) ([]*policy.Bundle, error) {
	raw, err := resolve(ctx, r, digest)
	if err != nil {
		return nil, err
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		b, err := LoadBundle(ctx, r, digest)
		if err != nil {
			return nil, err
		}
		return []*policy.Bundle{b}, nil
	}
	out := make([]*policy.Bundle, 0, len(list))
	for _, d := range list {
		b, err := LoadBundle(ctx, r, d)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// changedInputs names the inputs fields whose values differ.
func changedInputs(a, b gate.InputDigests) ([]string, error) {
	am, err := fieldsOf(a)
	if err != nil {
		return nil, err
	}
	bm, err := fieldsOf(b)
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range am {
		if !reflect.DeepEqual(am[k], bm[k]) {
			out = append(out, k)
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func fieldsOf(in gate.InputDigests) (map[string]any, error) {
	raw, err := canon.Marshal(in)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}

// diffDecisions lists field-level differences of outcome and gates.
func diffDecisions(a, b *gate.Decision) []Difference {
	var out []Difference
	add := func(field, x, y string) {
		if x != y {
			out = append(out, Difference{Field: field, Recorded: x, Replayed: y})
		}
	}
	add("decision", string(a.Decision), string(b.Decision))
	add("mode", string(a.Mode), string(b.Mode))
	add("reasonCodes", strings.Join(a.ReasonCodes, ","), strings.Join(b.ReasonCodes, ","))
	ga, gb := gatesByID(a.Gates), gatesByID(b.Gates)
	ids := slices.Sorted(maps.Keys(ga))
	for id := range gb {
		if _, ok := ga[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		x, inA := ga[id]
		y, inB := gb[id]
		switch {
		case !inA:
			add("gates."+id, "", "present")
		case !inB:
			add("gates."+id, "present", "")
		default:
			add("gates."+id+".status", string(x.Status), string(y.Status))
			add("gates."+id+".reasonCodes", strings.Join(x.ReasonCodes, ","), strings.Join(y.ReasonCodes, ","))
			if !reflect.DeepEqual(x.Details, y.Details) {
				out = append(out, Difference{Field: "gates." + id + ".details", Recorded: "…", Replayed: "…"})
			}
		}
	}
	return out
}

func gatesByID(gs []gate.GateRecord) map[string]gate.GateRecord {
	m := make(map[string]gate.GateRecord, len(gs))
	for _, g := range gs {
		m[g.ID] = g
	}
	return m
}
