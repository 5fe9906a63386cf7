package builtin

import (
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
)

// aliasGroups partitions vulnerability ids into alias groups: a finding
// links its advisory id with each of its aliases, and linked ids form one
// group (advisory.md §3.1), whatever order the links arrive in.
type aliasGroups struct {
	parent map[string]string
	key    map[string]string // root → group key, filled by keys
}

func newAliasGroups(findings ...[]gate.Finding) *aliasGroups {
	g := &aliasGroups{parent: map[string]string{}}
	for _, fs := range findings {
		for i := range fs {
			g.add(fs[i].AdvisoryID)
			for _, a := range fs[i].Aliases {
				g.union(fs[i].AdvisoryID, a)
			}
		}
	}
	g.keys()
	return g
}

func (g *aliasGroups) add(id string) {
	if _, ok := g.parent[id]; !ok {
		g.parent[id] = id
	}
}

func (g *aliasGroups) find(id string) string {
	g.add(id)
	for g.parent[id] != id {
		g.parent[id] = g.parent[g.parent[id]]
		id = g.parent[id]
	}
	return id
}

func (g *aliasGroups) union(a, b string) {
	ra, rb := g.find(a), g.find(b)
	if ra != rb {
		g.parent[rb] = ra
	}
}

// keys names every group by its primary id (advisory.GroupKey).
func (g *aliasGroups) keys() {
	members := map[string][]string{}
	for id := range g.parent {
		r := g.find(id)
		members[r] = append(members[r], id)
	}
	g.key = map[string]string{}
	for r, ids := range members {
		slices.Sort(ids)
		g.key[r] = advisory.GroupKey(ids)
	}
}

// of returns the group key of a finding.
func (g *aliasGroups) of(f *gate.Finding) string {
	if k, ok := g.key[g.find(f.AdvisoryID)]; ok {
		return k
	}
	return f.AdvisoryID
}

// packageKey identifies a package across versions: the purl without
// version, qualifiers and subpath, so an upgraded package is the same
// package. Without a purl the component name stands in.
func packageKey(f *gate.Finding) string {
	p := f.Component.Purl
	if p == "" {
		return "component:" + f.Component.Name
	}
	p, _, _ = strings.Cut(p, "#")
	p, _, _ = strings.Cut(p, "?")
	p, _, _ = strings.Cut(p, "@") // "@" in a namespace is percent-encoded
	return p
}
