package record

import (
	"maps"
	"slices"

	"github.com/stella-ops/stella/gate"
)

// Explanation is one gate that did not pass, with the findings its
// details name, resolved against the decision's Input (gate.md §8.3).
type Explanation struct {
	Gate     gate.GateRecord
	Findings []gate.Finding // in the order the details name them
}

// Explain lists, for every gate of d that did not pass, the findings of in
// that the gate's details refer to (objects carrying advisoryId and purl,
// and component when given). in is the Input the decision was made on,
// e.g. loaded with gate.UnmarshalReplayInput; with nil, gates come without
// findings.
func Explain(d *gate.Decision, in *gate.Input) []Explanation {
	type key struct{ advisory, component, purl string }
	byKey := map[key]*gate.Finding{}
	if in != nil {
		for i := range in.Findings {
			f := &in.Findings[i]
			byKey[key{f.AdvisoryID, f.Component.Name, f.Component.Purl}] = f
		}
	}
	out := []Explanation{}
	for _, g := range d.Gates {
		if g.Status == gate.StatusPass {
			continue
		}
		e := Explanation{Gate: g, Findings: []gate.Finding{}}
		seen := map[key]bool{}
		walkFindingRefs(g.Details, func(m map[string]any) {
			k := key{str(m["advisoryId"]), str(m["component"]), str(m["purl"])}
			if f := byKey[k]; f != nil && !seen[k] {
				seen[k] = true
				e.Findings = append(e.Findings, *f)
			}
		})
		out = append(out, e)
	}
	return out
}

// walkFindingRefs calls fn for every object in v that names a finding,
// visiting map keys in sorted order so the result is deterministic.
func walkFindingRefs(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["advisoryId"].(string); ok {
			if _, ok := x["purl"].(string); ok {
				fn(x)
				return
			}
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			walkFindingRefs(x[k], fn)
		}
	case []any:
		for _, e := range x {
			walkFindingRefs(e, fn)
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
