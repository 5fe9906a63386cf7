package gate

import (
	"slices"
	"strings"

	"github.com/stella-ops/stella/gate/policy"
)

// WithPolicyGates returns c with a policy gate for every bundle that no
// policy gate of c names yet, so loading a bundle is enough to evaluate it:
// id "policy" for a single such bundle, "policy-<first 12 hex of its
// digest>" for several. Gates c already has are left as they are.
func (c Config) WithPolicyGates(bundles ...*policy.Bundle) Config {
	named := map[string]bool{}
	for _, g := range c.Gates {
		if g.Type == TypePolicy {
			if d, err := policyBundleSetting(g.Settings); err == nil {
				named[d] = true
			}
		}
	}
	var add []*policy.Bundle
	for _, b := range bundles {
		if !named[b.Digest()] {
			named[b.Digest()] = true
			add = append(add, b)
		}
	}
	out := Config{Gates: slices.Clone(c.Gates)}
	for _, b := range add {
		id := TypePolicy
		if len(add) > 1 {
			id += "-" + strings.TrimPrefix(b.Digest(), "sha256:")[:12]
		}
		out.Gates = append(out.Gates, GateConfig{ID: id, Type: TypePolicy, Settings: map[string]any{"bundle": b.Digest()}})
	}
	return out
}
