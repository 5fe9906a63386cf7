package gate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/internal/canon"
)

// TypePolicy is the Rego policy gate type (gate.md §2, §3). The engine
// provides it, because it needs the engine's prepared bundles, and always
// evaluates it last with the other gates' results in Input.Gates.
const TypePolicy = "policy"

var digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// policyGate evaluates one prepared bundle. A bundle the engine was not
// given, or that did not compile, fails: a policy never allows by
// default.
type policyGate struct {
	id, bundle string
	prepared   *policy.Prepared
	prepErr    error
}

// policyFactory builds policy gates bound to the engine's bundles.
// Settings: {"bundle": "sha256:…"}.
func (e *Engine) policyFactory(id string, settings map[string]any) (Gate, error) {
	digest, err := policyBundleSetting(settings)
	if err != nil {
		return nil, err
	}
	g := &policyGate{id: id, bundle: digest}
	if pp, ok := e.prepared[digest]; ok {
		g.prepared, g.prepErr = pp.p, pp.err
	}
	return g, nil
}

// validatePolicySettings is the policy factory configuration validation
// uses: it checks settings without needing bundles.
func validatePolicySettings(id string, settings map[string]any) (Gate, error) {
	digest, err := policyBundleSetting(settings)
	if err != nil {
		return nil, err
	}
	return &policyGate{id: id, bundle: digest}, nil
}

func policyBundleSetting(settings map[string]any) (string, error) {
	for k := range settings {
		if k != "bundle" {
			return "", fmt.Errorf("policy: unknown setting %q", k)
		}
	}
	d, _ := settings["bundle"].(string)
	if !digestPattern.MatchString(d) {
		return "", fmt.Errorf("policy: setting bundle must be a sha256:<64 hex> bundle digest, got %v", settings["bundle"])
	}
	return d, nil
}

func (g *policyGate) ID() string    { return g.id }
func (g *policyGate) Type() string  { return TypePolicy }
func (g *policyGate) missing() bool { return g.prepared == nil && g.prepErr == nil }

// Evaluate runs the bundle on the Input; deny fails with policy.<code>,
// warn warns, and any error fails with its policy reason code.
func (g *policyGate) Evaluate(ctx context.Context, in *Input) (Result, error) {
	if g.prepErr != nil {
		return policyFailure(g.prepErr), nil
	}
	if g.prepared == nil {
		return Result{Status: StatusFail, ReasonCodes: []string{"policy.bundle-missing"},
			Message: "policy bundle " + g.bundle + " is not available"}, nil
	}
	out, err := g.prepared.Eval(ctx, in.regoValue(), in.ClockCutoff)
	if err != nil {
		return policyFailure(err), nil
	}
	details := map[string]any{"bundle": g.bundle, "deny": rulesDetail(out.Deny), "warn": rulesDetail(out.Warn)}
	switch {
	case len(out.Deny) > 0:
		return Result{Status: StatusFail, ReasonCodes: ruleCodes(out.Deny), Message: ruleMessages(out.Deny), Details: details}, nil
	case len(out.Warn) > 0:
		return Result{Status: StatusWarn, ReasonCodes: ruleCodes(out.Warn), Message: ruleMessages(out.Warn), Details: details}, nil
	}
	return Result{Status: StatusPass, ReasonCodes: []string{}, Message: "policy allows", Details: details}, nil
}

// policyFailure maps an evaluation or preparation error to a failing
// result; an error policy does not classify is gate.error.
func policyFailure(err error) Result {
	code := "gate.error"
	var pe *policy.Error
	if errors.As(err, &pe) {
		code = pe.ReasonCode()
	}
	return Result{Status: StatusFail, ReasonCodes: []string{code}, Message: err.Error()}
}

func ruleCodes(rs []policy.Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = "policy." + r.Code
	}
	return sortedUnique(out)
}

func ruleMessages(rs []policy.Rule) string {
	ms := make([]string, 0, len(rs))
	for _, r := range rs {
		ms = append(ms, r.Message)
	}
	return strings.Join(slices.Compact(ms), "; ")
}

func rulesDetail(rs []policy.Rule) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = map[string]any{"code": r.Code, "message": r.Message}
	}
	return out
}

// policyDigests lists the bundle digests the environment's policy gates
// name, sorted.
func (e *Engine) policyDigests(env Environment) []string {
	var ds []string
	if e.cfg == nil {
		return nil
	}
	for _, rg := range e.cfg.Resolve(env, e.reg.defaults) {
		if rg.Type != TypePolicy {
			continue
		}
		if d, err := policyBundleSetting(rg.Settings); err == nil {
			ds = append(ds, d)
		}
	}
	for _, g := range e.direct {
		if pg, ok := g.(*policyGate); ok {
			ds = append(ds, pg.bundle)
		}
	}
	return sortedUnique(ds)
}

// policyDigest is inputs.policyDigest: the one bundle's digest, the
// digest of the sorted list when several gates name bundles, "" for none.
func (e *Engine) policyDigest(env Environment) string {
	ds := e.policyDigests(env)
	switch len(ds) {
	case 0:
		return ""
	case 1:
		return ds[0]
	}
	d, err := canon.Digest(ds)
	if err != nil {
		return ""
	}
	return d
}

// BundleManifest is the stored form of a policy bundle: its bytes hash to
// the bundle digest, and each file is stored under "sha256:<hex>".
type BundleManifest struct {
	Files []BundleFile `json:"files"`
}

// BundleFile is one file of a stored bundle.
type BundleFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // lowercase hex, no prefix
}

func (e *Engine) storePolicies(ctx context.Context, store InputStore, env Environment) error {
	ds := e.policyDigests(env)
	if len(ds) > 1 {
		raw, err := canon.Marshal(ds)
		if err != nil {
			return err
		}
		if _, err := store.Put(ctx, raw); err != nil {
			return err
		}
	}
	for _, d := range ds {
		b, ok := e.bundles[d]
		if !ok {
			continue
		}
		if err := StoreBundle(ctx, store, b); err != nil {
			return err
		}
	}
	return nil
}

// StoreBundle writes a policy bundle into store: each file, then the
// manifest whose digest is the bundle digest (record.LoadBundle reads it
// back).
func StoreBundle(ctx context.Context, store InputStore, b *policy.Bundle) error {
	files := b.Files()
	m := BundleManifest{Files: []BundleFile{}}
	for _, p := range b.Paths() {
		d, err := store.Put(ctx, files[p])
		if err != nil {
			return err
		}
		m.Files = append(m.Files, BundleFile{Path: p, SHA256: strings.TrimPrefix(d, "sha256:")})
	}
	raw, err := canon.Marshal(m)
	if err != nil {
		return err
	}
	d, err := store.Put(ctx, raw)
	if err != nil {
		return err
	}
	if d != b.Digest() {
		return fmt.Errorf("gate: stored bundle manifest %s does not match bundle digest %s", d, b.Digest())
	}
	return nil
}
