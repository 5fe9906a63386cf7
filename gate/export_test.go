package gate

import "github.com/open-policy-agent/opa/v1/ast"

// What the external tests (package gate_test) need of the package's
// internals. They are external so that they can use the built-in types of
// gate/builtin and the fixtures of gate/internal/fixture, both of which
// import gate.

// Clone is in.clone: a copy deep enough to normalize.
func Clone(in *Input) *Input { return in.clone() }

// RegoValue is in.regoValue: the Input as the value OPA evaluates.
func RegoValue(in *Input) ast.Value { return in.regoValue() }
