package csaf

import (
	"encoding/json"
	"fmt"

	"github.com/stella-ops/stella/advisory"
)

// Split turns an observation of a document with several vulnerabilities
// into one observation per vulnerability, for stores and merges that group
// observations by their primary identifier and read one advisory per
// observation: upstream id "<tracking id>/<CVE>", primary identifier the
// CVE (the tracking id stays in the advisory's related ids, so the CVEs of
// one RHSA do not fuse into one alias group), Advisory the per-CVE advisory
// of [Advisories], and raw content the document with only that
// vulnerability (hashed on its own). A document with one vulnerability or
// none is returned as it is.
func Split(o advisory.Observation) ([]advisory.Observation, error) {
	advs, err := Advisories(o)
	if err != nil {
		return nil, err
	}
	if len(advs) <= 1 {
		return []advisory.Observation{o}, nil
	}
	var doc map[string]json.RawMessage
	var vulns []json.RawMessage
	if err := json.Unmarshal(o.Content.Raw, &doc); err != nil {
		return nil, fmt.Errorf("csaf: %s: %w", o.Upstream.ID, err)
	}
	if err := json.Unmarshal(doc["vulnerabilities"], &vulns); err != nil || len(vulns) != len(advs) {
		return nil, fmt.Errorf("csaf: %s: vulnerabilities do not match the parsed document", o.Upstream.ID)
	}
	out := make([]advisory.Observation, 0, len(advs))
	for i, a := range advs {
		one := make(map[string]json.RawMessage, len(doc))
		for k, v := range doc {
			one[k] = v
		}
		list, err := json.Marshal([]json.RawMessage{vulns[i]})
		if err != nil {
			return nil, err
		}
		one["vulnerabilities"] = list
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
