package graph

import "github.com/stella-ops/stella/internal/canon"

// canonicalJSON renders a template's free-form part (inputs, outputs, a
// node's config or condition) as canonical JSON, so that the same template
// always reads back byte for byte the same.
func canonicalJSON(v any) (*string, error) {
	b, err := canon.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
