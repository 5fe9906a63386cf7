package gate_test

import (
	"testing"

	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/policy"
)

func TestWithPolicyGates(t *testing.T) {
	bundle := func(src string) *policy.Bundle {
		b, err := policy.FromFiles(map[string][]byte{"p.rego": []byte("package stella.release\n\ndeny contains {\"code\": \"x\", \"message\": \"" + src + "\"} if false\n")})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := bundle("a"), bundle("b")
	one := builtin.DefaultConfig().WithPolicyGates(a)
	if g := one.Gates[len(one.Gates)-1]; g.ID != "policy" || g.Settings["bundle"] != a.Digest() || len(one.Gates) != len(builtin.DefaultConfig().Gates)+1 {
		t.Fatalf("one bundle: %+v", one.Gates)
	}
	// Already named: nothing added; two new ones get distinct ids.
	if again := one.WithPolicyGates(a); len(again.Gates) != len(one.Gates) {
		t.Errorf("a named bundle got a second gate: %+v", again.Gates)
	}
	two := builtin.DefaultConfig().WithPolicyGates(a, b, a)
	ids := map[string]bool{}
	for _, g := range two.Gates[len(builtin.DefaultConfig().Gates):] {
		ids[g.ID] = true
	}
	if len(ids) != 2 || ids["policy"] {
		t.Errorf("two bundles: %+v", two.Gates)
	}
	if err := two.Validate(builtin.Types()); err != nil {
		t.Errorf("configuration with policy gates does not validate: %v", err)
	}
}
