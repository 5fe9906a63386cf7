package gate

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/internal/canon"
)

// DefaultGateTimeout bounds one gate's evaluation (gate.md §6.2).
const DefaultGateTimeout = 10 * time.Second

// Engine evaluates gates and writes decision records. It is safe for
// concurrent use: one engine serves every environment of a configuration.
type Engine struct {
	cfg      *Config
	cfgBytes []byte
	cfgHash  string
	direct   []Gate
	reg      registry
	bundles  map[string]*policy.Bundle
	prepared map[string]preparedPolicy
	timeout  time.Duration
	version  string
}

// preparedPolicy is a bundle ready to evaluate, or why it is not.
type preparedPolicy struct {
	p   *policy.Prepared
	err error
}

// Option configures an Engine.
type Option func(*engineOptions)

type engineOptions struct {
	cfg      *Config
	direct   []Gate
	types    map[string]Factory
	defaults DefaultsFunc
	bundles  []*policy.Bundle
	timeout  time.Duration
	version  string
}

// WithConfig sets the gate configuration; gates are resolved per
// environment at each decision.
func WithConfig(cfg Config) Option { return func(o *engineOptions) { o.cfg = &cfg } }

// WithGates adds ready-made gate instances, evaluated in every environment
// beside the configured ones.
func WithGates(gs ...Gate) Option {
	return func(o *engineOptions) { o.direct = append(o.direct, gs...) }
}

// WithTypes sets the gate types configured gates may name, keyed by type
// name. Without it the engine knows only the policy type, which is always
// its own; a configured gate of any other type fails with gate.unknown.
// Package gate/builtin provides the built-in types:
//
//	gate.NewEngine(ctx, gate.WithConfig(cfg), gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults))
//
// Add plugin types to builtin.Types() to extend them.
func WithTypes(types map[string]Factory) Option {
	return func(o *engineOptions) { o.types = types }
}

// WithDefaults sets the source of per-type default settings that
// [Config.Resolve] merges under the configured ones (default: none);
// builtin.Defaults for the built-in types.
func WithDefaults(d DefaultsFunc) Option { return func(o *engineOptions) { o.defaults = d } }

// WithPolicies makes policy bundles available to policy gates by digest.
// Each is prepared once, in NewEngine; one that does not compile fails
// every policy gate that names it.
func WithPolicies(bundles ...*policy.Bundle) Option {
	return func(o *engineOptions) { o.bundles = append(o.bundles, bundles...) }
}

// WithGateTimeout bounds each gate's evaluation (default 10 s).
func WithGateTimeout(d time.Duration) Option { return func(o *engineOptions) { o.timeout = d } }

// WithEngineVersion sets the engineVersion written into records (default:
// the module version from the build info).
func WithEngineVersion(v string) Option { return func(o *engineOptions) { o.version = v } }

// NewEngine builds an engine and prepares every policy bundle once; ctx
// bounds the preparation. It fails on a configuration that does not
// validate structurally, duplicate gate ids, or a bad option; unknown gate
// types are not an error here but fail with gate.unknown at decision time.
func NewEngine(ctx context.Context, opts ...Option) (*Engine, error) {
	o := engineOptions{timeout: DefaultGateTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		return nil, errors.New("gate: gate timeout must be positive")
	}
	e := &Engine{direct: o.direct, timeout: o.timeout, version: o.version}
	if e.version == "" {
		e.version = moduleVersion()
	}
	types := cloneTypes(o.types)
	types[TypePolicy] = e.policyFactory
	e.reg = newRegistry(types, o.defaults)

	ids := map[string]bool{}
	if o.cfg != nil {
		if err := o.cfg.check(); err != nil {
			return nil, err
		}
		b, err := o.cfg.Canonical()
		if err != nil {
			return nil, err
		}
		e.cfg, e.cfgBytes, e.cfgHash = o.cfg, b, canon.SHA256(b)
		for _, g := range o.cfg.Gates {
			ids[g.ID] = true
		}
	}
	for _, g := range o.direct {
		if g == nil {
			return nil, errors.New("gate: nil gate")
		}
		if ids[g.ID()] {
			return nil, fmt.Errorf("gate: duplicate gate id %q", g.ID())
		}
		ids[g.ID()] = true
	}
	e.bundles = map[string]*policy.Bundle{}
	e.prepared = map[string]preparedPolicy{}
	for _, b := range o.bundles {
		if b == nil {
			return nil, errors.New("gate: nil policy bundle")
		}
		if _, ok := e.prepared[b.Digest()]; ok {
			continue
		}
		p, err := policy.Prepare(ctx, b)
		e.bundles[b.Digest()] = b
		e.prepared[b.Digest()] = preparedPolicy{p: p, err: err}
	}
	return e, nil
}

func cloneTypes(m map[string]Factory) map[string]Factory {
	out := make(map[string]Factory, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// moduleVersion is the stella module's version from the build info, so a
// record says which code decided.
func moduleVersion() string {
	const mod = "github.com/stella-ops/stella"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == mod {
			return mod + "@" + bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == mod {
				return mod + "@" + d.Version
			}
		}
	}
	return mod + "@(devel)"
}

// slot is one gate to evaluate, or the result it already has because it
// could not be built.
type slot struct {
	id, typ string
	gate    Gate
	preset  *Result
}

// slots resolves the configured gates for env and adds the direct ones,
// sorted by id.
func (e *Engine) slots(env Environment) []slot {
	var out []slot
	if e.cfg != nil {
		for _, rg := range e.cfg.Resolve(env, e.reg.defaults) {
			s := slot{id: rg.ID, typ: rg.Type}
			f, ok := e.reg.types[rg.Type]
			switch {
			case !ok:
				s.preset = &Result{Status: StatusFail, ReasonCodes: []string{"gate.unknown"},
					Message: fmt.Sprintf("unknown gate type %q", rg.Type)}
			default:
				g, err := f(rg.ID, rg.Settings)
				if err != nil {
					s.preset = &Result{Status: StatusFail, ReasonCodes: []string{"gate.error"},
						Message: "invalid settings: " + err.Error()}
				} else {
					s.gate = g
				}
			}
			out = append(out, s)
		}
	}
	for _, g := range e.direct {
		s := slot{id: g.ID(), typ: g.Type(), gate: g}
		if g.Type() == "" {
			s.gate, s.preset = nil, &Result{Status: StatusFail, ReasonCodes: []string{"gate.unknown"}, Message: "gate has no type"}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b slot) int { return strings.Compare(a.id, b.id) })
	return out
}
