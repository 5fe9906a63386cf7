package vex

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Index groups statements by vulnerability id and alias, so the statements
// about one alias group are found without scanning them all. Apply builds
// one per call; without it, applying n statements to m findings costs n×m
// comparisons. An Index is read-only once built and safe for concurrent use.
type Index struct {
	stmts []Statement
	byID  map[string][]int // ASCII-lower-cased id or alias → positions in stmts
	// folded holds the positions of statements with a non-ASCII id or
	// alias: Unicode case folding (strings.EqualFold, which matchesVuln
	// uses) can equate them with ASCII ids, so they are always candidates.
	folded []int
}

// NewIndex indexes stmts; the slice is kept, not copied.
func NewIndex(stmts []Statement) *Index {
	x := &Index{stmts: stmts, byID: make(map[string][]int, len(stmts))}
	for i, s := range stmts {
		nonASCII := false
		for _, id := range append([]string{s.Vulnerability}, s.Aliases...) {
			if !isASCII(id) {
				nonASCII = true
				continue
			}
			k := strings.ToLower(id)
			if p := x.byID[k]; len(p) == 0 || p[len(p)-1] != i { // an alias repeating the id
				x.byID[k] = append(p, i)
			}
		}
		if nonASCII {
			x.folded = append(x.folded, i)
		}
	}
	return x
}

// Lookup returns, in input order and each once, the statements whose
// vulnerability or one of whose aliases may be in group: every statement
// matchesVuln accepts, and possibly a few it rejects, which Evaluate drops.
func (x *Index) Lookup(group []string) []Statement {
	var pos []int
	for _, g := range group {
		if !isASCII(g) {
			return x.stmts // a folded non-ASCII id may equal anything: no shortcut
		}
		pos = append(pos, x.byID[strings.ToLower(g)]...)
	}
	pos = append(pos, x.folded...)
	slices.Sort(pos)
	pos = slices.Compact(pos)
	out := make([]Statement, len(pos))
	for i, p := range pos {
		out[i] = x.stmts[p]
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
