package gate

// DefaultsFunc returns the default settings of a gate type for an
// environment tier (some defaults, like vex-trust's minConfidence, differ
// by tier). It returns nil for a type without defaults.
type DefaultsFunc func(typ, tier string) map[string]any

// registry is the set of gate types an engine or a validation knows.
type registry struct {
	types    map[string]Factory
	defaults DefaultsFunc
}

// newRegistry knows types (nil: none) with defaults (nil: none). Built-in
// types come from the caller (package gate/builtin), so gate itself
// knows no type but the policy type its engine and validation add.
func newRegistry(types map[string]Factory, defaults DefaultsFunc) registry {
	if types == nil {
		types = map[string]Factory{}
	}
	if defaults == nil {
		defaults = noDefaults
	}
	return registry{types: types, defaults: defaults}
}

func noDefaults(string, string) map[string]any { return nil }

// settings merges, each over the previous: the type's defaults for the
// tier, the configured settings, the tier override, the name override.
func (r registry) settings(g GateConfig, tier, name string) map[string]any {
	out := mergeSettings(nil, r.defaults(g.Type, tier))
	out = mergeSettings(out, g.Settings)
	if tier != "" {
		out = mergeSettings(out, g.Environments[tier])
	}
	if name != "" && name != tier {
		out = mergeSettings(out, g.Environments[name])
	}
	return out
}

// mergeSettings deep-merges over into a copy of base: nested maps merge
// key by key, anything else (lists included) replaces. Neither argument
// is modified, so defaults and configs can be shared.
func mergeSettings(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = cloneValue(v)
	}
	for k, v := range over {
		if om, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = mergeSettings(bm, om)
				continue
			}
		}
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return mergeSettings(nil, t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}
