package exception

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Target is a finding as exception scopes see it.
type Target struct {
	IDs         []string // the advisory id and its aliases
	PackageKey  string   // ecosystem/name
	Purl        string
	Component   string // release component name
	ReleaseName string
	Environment string // target environment name
}

// Winner picks the exception that applies to t at cutoff (gate.md §5.5):
// among the active ones whose scope covers t, the most specific, then the
// latest createdAt, then the smallest id. It returns a copy, or nil when
// none applies.
func Winner(t Target, cutoff time.Time, exs []Exception, revs []Revocation) *Exception {
	var best *Exception
	for i := range exs {
		e := &exs[i]
		if !e.Scope.covers(t) || !e.ActiveAt(cutoff, revs) {
			continue
		}
		if best == nil || compare(e, best) < 0 {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	w := *best
	w.Scope.Environments = slices.Clone(w.Scope.Environments)
	return &w
}

// specificity orders scopes for §5.5: component + release + package beats
// package beats vulnerability only. Weights keep partial scopes between
// those (a package scope with a component beats one without).
func (s Scope) specificity() int {
	n := 0
	if s.PackageKey != "" {
		n += 4
	}
	if s.Component != "" {
		n += 2
	}
	if s.ReleaseName != "" {
		n++
	}
	return n
}

func (s Scope) covers(t Target) bool {
	if !slices.Contains(t.IDs, s.Vulnerability) {
		return false
	}
	if s.PackageKey != "" && s.PackageKey != t.PackageKey && s.PackageKey != t.Purl {
		return false
	}
	if s.Component != "" && s.Component != t.Component {
		return false
	}
	if s.ReleaseName != "" && s.ReleaseName != t.ReleaseName {
		return false
	}
	return len(s.Environments) == 0 || slices.Contains(s.Environments, t.Environment)
}

// compare sorts the winner first.
func compare(a, b *Exception) int {
	return cmp.Or(
		cmp.Compare(b.Scope.specificity(), a.Scope.specificity()),
		b.CreatedAt.Compare(a.CreatedAt),
		strings.Compare(a.ID, b.ID),
	)
}
