package gate_test

import (
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
)

// builtins prepends to opts the engine options that give it the built-in
// gate types and their defaults, as package decide does.
func builtins(opts ...gate.Option) []gate.Option {
	return append([]gate.Option{gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults)}, opts...)
}
