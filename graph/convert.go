package graph

import (
	"sort"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
)

// listOptions turns Relay arguments into a page request.
func listOptions(first *int, after *string) (release.ListOptions, error) {
	var o release.ListOptions
	if first != nil {
		if *first < 0 || *first > release.MaxPageSize {
			return o, fault.Invalid("first", "must be between 0 and %d", release.MaxPageSize)
		}
		o.First = *first
	}
	o.After = deref(after)
	return o, nil
}

func pageInfo[T any](p *release.Page[T]) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: p.HasNext}
	if c := p.EndCursor(); c != "" {
		pi.EndCursor = &c
	}
	return pi
}

// edges pairs each item of a page with its cursor.
func edges[T, E any](p *release.Page[T], edge func(cursor string, node *T) E) []E {
	out := make([]E, len(p.Items))
	for i := range p.Items {
		out[i] = edge(p.Cursors[i], &p.Items[i])
	}
	return out
}

func keyValues(m map[string]string) []model.KeyValue {
	out := make([]model.KeyValue, 0, len(m))
	for k, v := range m {
		out = append(out, model.KeyValue{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// keyMap turns input pairs into a map; a repeated key is a validation error.
func keyMap(field string, in []model.KeyValueInput) (map[string]string, error) {
	if in == nil {
		return nil, nil
	}
	m := make(map[string]string, len(in))
	for _, kv := range in {
		if kv.Key == "" {
			return nil, fieldError(field, "keys must not be empty")
		}
		if _, dup := m[kv.Key]; dup {
			return nil, fieldError(field, "key %q is given twice", kv.Key)
		}
		m[kv.Key] = kv.Value
	}
	return m, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
