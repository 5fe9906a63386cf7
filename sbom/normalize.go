package sbom

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// MaxWarnings caps the warnings of one scan; the cap itself is reported.
const MaxWarnings = 50

// Normalize puts a document in canonical form: components merged by identity
// (evidence unioned), every slice sorted by its declared key and deduplicated,
// warnings capped. It returns an error naming a component that has neither or
// both of purl and key. Normalize is idempotent.
func Normalize(d *Document) error {
	merged := map[string]*Component{}
	var order []string
	for i := range d.Components {
		c := d.Components[i]
		if (c.PURL == "") == (c.Key == "") {
			return fmt.Errorf("sbom: component %q %q must have exactly one of purl and key", c.Name, c.Version)
		}
		id := c.Identity()
		if m, ok := merged[id]; ok {
			mergeInto(m, &c)
			continue
		}
		merged[id] = &c
		order = append(order, id)
	}
	d.Components = d.Components[:0]
	for _, id := range order {
		c := merged[id]
		normalizeComponent(c)
		d.Components = append(d.Components, *c)
	}
	slices.SortFunc(d.Components, func(a, b Component) int { return strings.Compare(a.Identity(), b.Identity()) })

	deps := map[string]map[string]bool{}
	for _, dep := range d.Dependencies {
		if deps[dep.Ref] == nil {
			deps[dep.Ref] = map[string]bool{}
		}
		for _, on := range dep.DependsOn {
			deps[dep.Ref][on] = true
		}
	}
	d.Dependencies = d.Dependencies[:0]
	for ref, on := range deps {
		d.Dependencies = append(d.Dependencies, Dependency{Ref: ref, DependsOn: sortedKeys(on)})
	}
	slices.SortFunc(d.Dependencies, func(a, b Dependency) int { return strings.Compare(a.Ref, b.Ref) })

	slices.SortFunc(d.Layers, func(a, b Layer) int { return cmp.Compare(a.Index, b.Index) })
	d.Properties = sortProperties(d.Properties)
	d.Warnings = normalizeWarnings(d.Warnings)
	if d.Components == nil {
		d.Components = []Component{}
	}
	if d.Dependencies == nil {
		d.Dependencies = []Dependency{}
	}
	if d.Layers == nil {
		d.Layers = []Layer{}
	}
	return nil
}

// mergeInto unions the evidence of the same package found twice.
func mergeInto(dst, src *Component) {
	dst.Licenses = append(dst.Licenses, src.Licenses...)
	dst.Hashes = append(dst.Hashes, src.Hashes...)
	dst.Locations = append(dst.Locations, src.Locations...)
	dst.CPEs = append(dst.CPEs, src.CPEs...)
	dst.Properties = append(dst.Properties, src.Properties...)
	dst.FoundBy = append(dst.FoundBy, src.FoundBy...)
	if dst.Source == nil {
		dst.Source = src.Source
	}
	if dst.Introduced == nil || (src.Introduced != nil && src.Introduced.Index < dst.Introduced.Index) {
		dst.Introduced = src.Introduced
	}
	if dst.FirstSeen == nil {
		dst.FirstSeen = src.FirstSeen
	}
}

func normalizeComponent(c *Component) {
	c.Licenses = sortUnique(c.Licenses, func(a, b License) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.Expression, b.Expression), strings.Compare(a.Name, b.Name))
	})
	for i := range c.Hashes {
		c.Hashes[i].Value = strings.ToLower(c.Hashes[i].Value)
	}
	c.Hashes = sortUnique(c.Hashes, func(a, b Hash) int {
		return cmp.Or(strings.Compare(a.Algorithm, b.Algorithm), strings.Compare(a.Value, b.Value))
	})
	for i := range c.Locations {
		c.Locations[i].Path = CleanPath(c.Locations[i].Path)
	}
	c.Locations = sortUnique(c.Locations, func(a, b Location) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.DiffID, b.DiffID))
	})
	c.CPEs = sortUnique(c.CPEs, strings.Compare)
	c.FoundBy = sortUnique(c.FoundBy, strings.Compare)
	c.Properties = sortProperties(c.Properties)
}

// CleanPath makes an evidence path rootfs-relative: forward slashes, no leading
// "/" or "./".
func CleanPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	for strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "/"), "./")
	}
	return p
}

func sortProperties(p []Property) []Property {
	return sortUnique(p, func(a, b Property) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
}

func normalizeWarnings(w []Warning) []Warning {
	w = sortUnique(w, func(a, b Warning) int {
		return cmp.Or(strings.Compare(a.Code, b.Code), strings.Compare(a.Message, b.Message))
	})
	if len(w) > MaxWarnings {
		dropped := len(w) - MaxWarnings
		w = append(w[:MaxWarnings:MaxWarnings], Warning{Code: "warnings-capped", Message: fmt.Sprintf("%d more warnings were dropped", dropped)})
	}
	return w
}

// sortUnique sorts s by cmpFn and drops equal neighbours; never nil.
func sortUnique[T any](s []T, cmpFn func(a, b T) int) []T {
	slices.SortFunc(s, cmpFn)
	s = slices.CompactFunc(s, func(a, b T) bool { return cmpFn(a, b) == 0 })
	if s == nil {
		return []T{}
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
