package advisory

import (
	"slices"
	"strings"
)

// unionFind groups identifiers: every observation links its primary id with
// each of its aliases (advisory.md §3.1). The partition it produces depends
// only on the set of links, never on their order.
type unionFind struct {
	index  map[string]int
	parent []int
	size   []int
}

func newUnionFind() *unionFind { return &unionFind{index: map[string]int{}} }

func (u *unionFind) id(s string) int {
	if i, ok := u.index[s]; ok {
		return i
	}
	i := len(u.parent)
	u.index[s] = i
	u.parent = append(u.parent, i)
	u.size = append(u.size, 1)
	return i
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]] // path halving
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(u.id(a)), u.find(u.id(b))
	if ra == rb {
		return
	}
	if u.size[ra] < u.size[rb] {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
}

// groups returns every connected set of identifiers, each sorted, keyed by
// its root.
func (u *unionFind) groups() map[int][]string {
	out := map[int][]string{}
	for s, i := range u.index {
		r := u.find(i)
		out[r] = append(out[r], s)
	}
	for _, g := range out {
		slices.Sort(g)
	}
	return out
}

// GroupKey is the primary id of an alias group (advisory.md §3.1 rule 2):
// the smallest CVE id in byte order if the group has one, else the smallest
// GHSA id, else the smallest id. ids must be sorted.
func GroupKey(ids []string) string {
	for _, prefix := range []string{"CVE-", "GHSA-"} {
		for _, id := range ids {
			if strings.HasPrefix(id, prefix) {
				return id
			}
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
