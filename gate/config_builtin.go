package gate

// builtinTypes binds configuration and the engine to the built-in gate
// registry plus the policy type, which the engine provides (its factory
// here only checks settings; the engine replaces it with one bound to its
// prepared bundles).
func builtinTypes() map[string]Factory {
	types := Builtins()
	types[TypePolicy] = validatePolicySettings
	return types
}

// builtinDefaults ignores the tier: built-ins with tier-dependent
// defaults (vex-trust) resolve them at evaluation time.
func builtinDefaults(typ, _ string) map[string]any { return Defaults(typ) }
