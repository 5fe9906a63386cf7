package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/internal/canon"
)

// DecideMeta is what a decision needs beyond the Input.
type DecideMeta struct {
	Tenant      string
	PromotionID string
	// Inputs names the sources the Input was built from. The engine fills
	// what it can derive itself (SBOM and VEX consensus digests when
	// empty, policy, gate configuration, exceptions, approvals, baseline
	// and the Input document) and keeps the rest: advisorySnapshotId and
	// issuerRegistryDigest come only from here.
	Inputs InputDigests
	// Exceptions and Revocations are the exception log the findings were
	// built against; their digest is recorded as exceptionsDigest.
	Exceptions  []exception.Exception
	Revocations []exception.Revocation
}

// DecideOption sets how one decision is made.
type DecideOption func(*decideOptions)

type decideOptions struct{ store InputStore }

// InputStore is where a decision's inputs are kept by digest: Put stores
// b and returns "sha256:" of the bytes. record.CAS is one, and record.Replay
// reads the inputs back from it.
type InputStore interface {
	Put(ctx context.Context, b []byte) (string, error)
}

// KeepInputs writes every input the decision names by digest into store
// (the Input document, configuration, policy bundles, exceptions,
// approvals), so the record can be replayed from the store alone.
func KeepInputs(store InputStore) DecideOption { return func(o *decideOptions) { o.store = store } }

// Decide evaluates every gate for the Input's target environment and
// returns the sealed decision record. Gate failures of any kind are
// results, not errors; an error means the call itself was wrong (no
// Input, no cut-off, a cancelled context, a store that cannot be written).
func (e *Engine) Decide(ctx context.Context, in *Input, meta DecideMeta, opts ...DecideOption) (*Decision, error) {
	var o decideOptions
	for _, opt := range opts {
		opt(&o)
	}
	if in == nil {
		return nil, errors.New("gate: Decide: nil input")
	}
	if in.ClockCutoff.IsZero() {
		return nil, errors.New("gate: Decide: input has no clockCutoff")
	}
	in = in.clone()
	in.Gates = nil // the engine's to fill
	in.Normalize()

	inputs, err := e.inputDigests(ctx, in, meta, o.store)
	if err != nil {
		return nil, err
	}

	slots := e.slots(in.Environment)
	results, err := e.evaluate(ctx, in, slots)
	if err != nil {
		return nil, err
	}

	d := &Decision{
		Schema:        DecisionSchema,
		Tenant:        meta.Tenant,
		PromotionID:   meta.PromotionID,
		Phase:         in.Phase,
		Release:       ReleaseRef{ID: in.Release.ID, Name: in.Release.Name, Digest: in.Release.Digest},
		Environment:   EnvironmentRef{ID: in.Environment.ID, Name: in.Environment.Name, Tier: in.Environment.Tier},
		Mode:          Verified,
		PendingOn:     []string{},
		Gates:         results,
		Approvals:     countedApprovals(in, results),
		Exceptions:    appliedExceptions(in.Findings),
		Inputs:        inputs,
		ClockCutoff:   in.ClockCutoff,
		EngineVersion: e.version,
	}
	var codes []string
	if len(slots) == 0 {
		d.Mode = Unverified
	} else {
		codes = missingInputs(in, inputs, slots)
	}
	d.Decision = aggregate(results, len(codes) > 0)
	for _, r := range results {
		if r.Status == StatusPending {
			d.PendingOn = append(d.PendingOn, r.ID)
		}
		if r.Status != StatusPass {
			codes = append(codes, r.ReasonCodes...)
		}
	}
	d.ReasonCodes = sortedUnique(codes)
	if err := d.seal(); err != nil {
		return nil, err
	}
	return d, nil
}

// countedApprovals are the approvals the approvals gates counted (gate.md
// §7): valid records by the approvers those gates list as having approved
// or rejected. Ignored records (requester under SoD, ineligible, another
// digest, system actors) stay out of the record.
func countedApprovals(in *Input, results []GateRecord) []Approval {
	counted := map[string]bool{}
	for _, r := range results {
		if r.Type != approvalsType {
			continue
		}
		for _, key := range []string{"approvedBy", "rejectedBy"} {
			ids, _ := r.Details[key].([]any)
			for _, id := range ids {
				if s, ok := id.(string); ok {
					counted[s] = true
				}
			}
		}
	}
	out := []Approval{}
	for _, a := range in.Approvals {
		if counted[a.ApproverID] && CheckApproval(in.Environment, in.Requester.ID, a, in.Release.Digest) == nil {
			out = append(out, a)
		}
	}
	return out
}

// aggregate applies §6.3: any fail (or a missing input) denies, else any
// pending waits, else allow. Warnings never change the outcome.
func aggregate(rs []GateRecord, missing bool) Outcome {
	out := Allow
	if missing {
		return Deny
	}
	for _, r := range rs {
		switch r.Status {
		case StatusFail:
			return Deny
		case StatusPending:
			out = Pending
		}
	}
	return out
}

// evaluate runs every slot: ordinary gates concurrently, then policy
// gates with the others' results in Input.Gates. Results are sorted by
// id, so concurrency never shows in the record.
func (e *Engine) evaluate(ctx context.Context, in *Input, slots []slot) ([]GateRecord, error) {
	out := make([]GateRecord, len(slots))
	var first, last []int
	for i, s := range slots {
		if s.typ == TypePolicy {
			last = append(last, i)
		} else {
			first = append(first, i)
		}
	}
	if err := e.runAll(ctx, in, slots, first, out); err != nil {
		return nil, err
	}
	if len(last) > 0 {
		pin := *in
		pin.Gates = make([]GateSummary, 0, len(first))
		for _, i := range first {
			r := out[i]
			pin.Gates = append(pin.Gates, GateSummary{ID: r.ID, Status: r.Status, ReasonCodes: r.ReasonCodes})
		}
		if err := e.runAll(ctx, &pin, slots, last, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *Engine) runAll(ctx context.Context, in *Input, slots []slot, idx []int, out []GateRecord) error {
	var wg sync.WaitGroup
	for _, i := range idx {
		wg.Go(func() {
			s := slots[i]
			r := Result{}
			if s.preset != nil {
				r = *s.preset
			} else {
				r = e.run(ctx, s.gate, in)
			}
			out[i] = record(s, r)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("gate: decision abandoned: %w", err)
	}
	return nil
}

// run evaluates one gate, turning an error, a panic or a timeout into a
// failing result (§6.2). A gate that ignores its context is abandoned,
// not waited for.
func (e *Engine) run(ctx context.Context, g Gate, in *Input) Result {
	gctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	type outcome struct {
		res Result
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- outcome{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		r, err := g.Evaluate(gctx, in)
		ch <- outcome{r, err}
	}()
	timedOut := Result{Status: StatusFail, ReasonCodes: []string{"gate.timeout"},
		Message: fmt.Sprintf("gate did not finish within %s", e.timeout)}
	select {
	case o := <-ch:
		if o.err != nil {
			if errors.Is(o.err, context.DeadlineExceeded) && errors.Is(gctx.Err(), context.DeadlineExceeded) {
				return timedOut
			}
			return Result{Status: StatusFail, ReasonCodes: []string{"gate.error"}, Message: o.err.Error()}
		}
		return o.res
	case <-gctx.Done():
		return timedOut
	}
}

// record turns a result into its record form, failing results the record
// could not carry faithfully.
func record(s slot, r Result) GateRecord {
	gr := GateRecord{ID: s.id, Type: s.typ, Status: r.Status, ReasonCodes: sortedUnique(r.ReasonCodes), Message: r.Message}
	switch r.Status {
	case StatusPass, StatusWarn, StatusFail, StatusPending:
	default:
		return GateRecord{ID: s.id, Type: s.typ, Status: StatusFail, ReasonCodes: []string{"gate.error"},
			Message: fmt.Sprintf("gate returned status %q", r.Status)}
	}
	if len(r.Details) > 0 {
		d, err := plainDetails(r.Details)
		if err != nil {
			return GateRecord{ID: s.id, Type: s.typ, Status: StatusFail, ReasonCodes: []string{"gate.error"},
				Message: "details are not canonical JSON: " + err.Error()}
		}
		gr.Details = d
	}
	if r.Status == StatusPending && r.NotBefore != nil {
		t := canonTime(*r.NotBefore)
		gr.NotBefore = &t
	}
	return gr
}

// appliedExceptions lists the exceptions that won for some finding, by id.
func appliedExceptions(fs []Finding) []exception.Exception {
	out := []exception.Exception{}
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Exception != nil && !seen[f.Exception.ID] {
			seen[f.Exception.ID] = true
			out = append(out, *f.Exception)
		}
	}
	slices.SortFunc(out, func(a, b exception.Exception) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// plainDetails round-trips details through JSON so the record holds plain
// values (float64, []any, map[string]any) and decodes back equal.
func plainDetails(d map[string]any) (map[string]any, error) {
	raw, err := canon.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}
