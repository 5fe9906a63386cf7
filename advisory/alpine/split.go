package alpine

import (
	"encoding/json"
	"fmt"

	"github.com/stella-ops/stella/advisory"
)

// Split turns one (branch, package) observation into one observation per
// vulnerability id, for stores and merges that group observations by their
// primary identifier and read one advisory per observation: upstream id
// "<distroversion>/<name>/<id>", primary identifier the id, Advisory the
// per-id advisory of [Advisories], and raw content the secdb document
// narrowed to the secfixes entries naming that id (hashed on its own).
func Split(o advisory.Observation) ([]advisory.Observation, error) {
	doc, branch, pkgs, verr := parse(o.Content.Raw)
	if verr != nil {
		return nil, verr
	}
	if len(pkgs) != 1 {
		return nil, &advisory.ValidationError{Feed: SourceID, ID: o.Upstream.ID, Field: "packages", Msg: fmt.Sprintf("observation content holds %d packages, want 1", len(pkgs))}
	}
	fixes, name, verr := secfixes(pkgs[0], branch, "packages[0]")
	if verr != nil {
		return nil, verr
	}
	advs, err := Advisories(o)
	if err != nil {
		return nil, err
	}
	out := make([]advisory.Observation, 0, len(advs))
	for _, a := range advs {
		narrowed := map[string][]string{}
		for _, f := range fixes {
			if f.ID == a.ID {
				narrowed[f.Version] = append(narrowed[f.Version], f.ID)
			}
		}
		pkg, err := json.Marshal([]any{map[string]any{"pkg": map[string]any{"name": name, "secfixes": narrowed}}})
		if err != nil {
			return nil, err
		}
		one := make(map[string]json.RawMessage, len(doc))
		for k, v := range doc {
			one[k] = v
		}
		one["packages"] = pkg
		raw, err := json.Marshal(one)
		if err != nil {
			return nil, err
		}
		x, err := advisory.Part(o, raw, a)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
