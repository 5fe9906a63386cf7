package gate

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/internal/yamljson"
)

// GateConfig configures one gate instance (gate.md §1.2). Environments
// maps an environment name or tier to settings merged over Settings.
type GateConfig struct {
	ID           string                    `json:"id"`
	Type         string                    `json:"type"`
	Settings     map[string]any            `json:"settings,omitempty"`
	Environments map[string]map[string]any `json:"environments,omitempty"`
}

// Config is the gate configuration of a tenant or an environment.
type Config struct {
	Gates []GateConfig `json:"gates"`
}

// ResolvedGate is a gate configuration for one environment: the type's
// defaults, the configured settings, the tier override and the name
// override, merged in that order.
type ResolvedGate struct {
	ID       string
	Type     string
	Settings map[string]any
}

var gateIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ParseConfig reads a configuration from YAML or JSON (JSON is YAML).
// Numbers become float64 and maps map[string]any, as encoding/json gives
// them, so a configuration means the same whichever syntax it came in.
// It checks structure only; see [Config.Validate] for gate types.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	if err := yamljson.Unmarshal(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("gate: config: %w", err)
	}
	if err := cfg.check(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// LoadConfig reads a configuration file and validates it against types,
// as [Config.Validate] does.
func LoadConfig(path string, types map[string]Factory) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("gate: config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Validate(types); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// check validates what needs no knowledge of gate types.
func (c Config) check() error {
	seen := map[string]bool{}
	var errs []error
	for i, g := range c.Gates {
		switch {
		case !gateIDPattern.MatchString(g.ID):
			errs = append(errs, fmt.Errorf("gates[%d]: id %q must match %s", i, g.ID, gateIDPattern))
		case seen[g.ID]:
			errs = append(errs, fmt.Errorf("gates[%d]: duplicate id %q", i, g.ID))
		}
		seen[g.ID] = true
		if g.Type == "" {
			errs = append(errs, fmt.Errorf("gates[%d] (%s): type is required", i, g.ID))
		}
		for env := range g.Environments {
			if strings.TrimSpace(env) == "" {
				errs = append(errs, fmt.Errorf("gates[%d] (%s): empty environment key", i, g.ID))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gate: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// Validate checks the configuration against the gate types (for the
// built-in ones, builtin.Types()): every type must be known and its
// factory must accept the base settings and every environment override.
// The policy type is always known; with nil types it is the only one.
func (c Config) Validate(types map[string]Factory) error {
	if err := c.check(); err != nil {
		return err
	}
	reg := newRegistry(types, nil)
	if _, ok := reg.types[TypePolicy]; !ok {
		reg.types = cloneTypes(reg.types)
		reg.types[TypePolicy] = validatePolicySettings
	}
	var errs []error
	for _, g := range c.Gates {
		f, ok := reg.types[g.Type]
		if !ok {
			errs = append(errs, fmt.Errorf("gate %s: unknown type %q", g.ID, g.Type))
			continue
		}
		envs := append([]string{""}, slices.Sorted(maps.Keys(g.Environments))...)
		for _, env := range envs {
			settings := reg.settings(g, env, env)
			if _, err := f(g.ID, settings); err != nil {
				where := "settings"
				if env != "" {
					where = "environments." + env
				}
				errs = append(errs, fmt.Errorf("gate %s: %s: %w", g.ID, where, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gate: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// Canonical returns the configuration's canonical JSON with gates sorted
// by id: the order gates are listed in does not change what they decide.
func (c Config) Canonical() ([]byte, error) {
	sorted := Config{Gates: slices.Clone(c.Gates)}
	if sorted.Gates == nil {
		sorted.Gates = []GateConfig{}
	}
	slices.SortFunc(sorted.Gates, func(a, b GateConfig) int { return strings.Compare(a.ID, b.ID) })
	return canon.Marshal(sorted)
}

// Digest is "sha256:" of [Config.Canonical].
func (c Config) Digest() (string, error) {
	b, err := c.Canonical()
	if err != nil {
		return "", err
	}
	return canon.SHA256(b), nil
}

// Resolve returns the gates for an environment with settings merged:
// type defaults, then settings, then the override keyed by the tier,
// then the one keyed by the environment name (the most specific wins).
// defaults gives each type's defaults (builtin.Defaults for the built-in
// types; nil: none).
func (c Config) Resolve(env Environment, defaults DefaultsFunc) []ResolvedGate {
	reg := newRegistry(nil, defaults)
	out := make([]ResolvedGate, 0, len(c.Gates))
	for _, g := range c.Gates {
		out = append(out, ResolvedGate{ID: g.ID, Type: g.Type, Settings: reg.settings(g, env.Tier, env.Name)})
	}
	slices.SortFunc(out, func(a, b ResolvedGate) int { return strings.Compare(a.ID, b.ID) })
	return out
}
