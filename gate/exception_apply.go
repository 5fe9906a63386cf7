package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
)

// DefaultExceptionMaxDays caps how long an exception may last (gate.md §5.1).
const DefaultExceptionMaxDays = 180

// ValidateException checks an exception before it is stored: the scope
// names a vulnerability (and no empty environment), expiresAt is set and at
// most maxDays (0: the default 180) after createdAt, the approver is not the
// owner, and a downgrade names a severity. A refusal wraps a
// *fault.ValidationError listing every field at fault by its JSON path
// ("scope.vulnerability", "expiresAt"), so callers can point at the input.
func ValidateException(e Exception, maxDays int) error {
	if maxDays <= 0 {
		maxDays = DefaultExceptionMaxDays
	}
	var fields []fault.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, fault.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if e.ID == "" {
		bad("id", "is required")
	}
	if e.Scope.Vulnerability == "" {
		bad("scope.vulnerability", "is required")
	}
	if slices.ContainsFunc(e.Scope.Environments, func(env string) bool { return strings.TrimSpace(env) == "" }) {
		bad("scope.environments", "names must not be empty")
	}
	if strings.TrimSpace(e.Justification) == "" {
		bad("justification", "is required")
	}
	switch {
	case e.Owner == "":
		bad("owner", "is required")
	case e.Owner == e.ApprovedBy:
		bad("owner", "the approver (%s) may not be the owner", e.ApprovedBy)
	}
	if e.ApprovedBy == "" {
		bad("approvedBy", "is required")
	}
	switch {
	case e.CreatedAt.IsZero():
		bad("createdAt", "is required")
	case e.ExpiresAt.IsZero():
		bad("expiresAt", "is required")
	case !e.ExpiresAt.After(e.CreatedAt):
		bad("expiresAt", "must be after createdAt (%s)", e.CreatedAt.UTC().Format(time.RFC3339))
	case e.ExpiresAt.Sub(e.CreatedAt) > time.Duration(maxDays)*24*time.Hour:
		bad("expiresAt", "must be at most %d days after createdAt (%s)", maxDays, e.CreatedAt.UTC().Format(time.RFC3339))
	}
	switch e.Effect {
	case EffectSuppress:
		if e.DowngradeTo != "" {
			bad("downgradeTo", "is only for effect downgrade")
		}
	case EffectDowngrade:
		if _, ok := e.DowngradeTo.Rank(); !ok {
			bad("downgradeTo", "%q is not one of critical, high, medium, low, none", e.DowngradeTo)
		}
	default:
		bad("effect", "%q is not suppress or downgrade", e.Effect)
	}
	if len(fields) > 0 {
		return fmt.Errorf("gate: exception %s: %w", e.ID, &fault.ValidationError{Fields: fields})
	}
	return nil
}

// ActiveAt reports whether the exception is in force at cutoff:
// createdAt ≤ cutoff < expiresAt and no revocation of it at or before
// cutoff. Revocations of other exceptions are ignored.
func (e Exception) ActiveAt(cutoff time.Time, revocations []Revocation) bool {
	if cutoff.Before(e.CreatedAt) || !cutoff.Before(e.ExpiresAt) {
		return false
	}
	for _, r := range revocations {
		if r.ExceptionID == e.ID && !r.At.After(cutoff) {
			return false
		}
	}
	return true
}

// specificity orders scopes for §5.5: component + release + package beats
// package beats vulnerability only. Weights keep partial scopes between
// those (a package scope with a component beats one without).
func (s ExceptionScope) specificity() int {
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

// exceptionTarget is what an exception scope is matched against.
type exceptionTarget struct {
	ids         []string // advisory id and aliases
	packageKey  string   // ecosystem/name
	purl        string
	component   string
	releaseName string
	environment string
}

func (s ExceptionScope) matches(t exceptionTarget) bool {
	if !slices.Contains(t.ids, s.Vulnerability) {
		return false
	}
	if s.PackageKey != "" && s.PackageKey != t.packageKey && s.PackageKey != t.purl {
		return false
	}
	if s.Component != "" && s.Component != t.component {
		return false
	}
	if s.ReleaseName != "" && s.ReleaseName != t.releaseName {
		return false
	}
	return len(s.Environments) == 0 || slices.Contains(s.Environments, t.environment)
}

// winningException picks the exception that applies to t (§5.5): among
// active matching ones, the most specific, then the latest createdAt,
// then the smallest id. It returns nil when none applies.
func winningException(t exceptionTarget, cutoff time.Time, exs []Exception, revs []Revocation) *Exception {
	var best *Exception
	for i := range exs {
		e := &exs[i]
		if !e.Scope.matches(t) || !e.ActiveAt(cutoff, revs) {
			continue
		}
		if best == nil || compareExceptions(e, best) < 0 {
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

// compareExceptions sorts the winner first.
func compareExceptions(a, b *Exception) int {
	return cmp.Or(
		cmp.Compare(b.Scope.specificity(), a.Scope.specificity()),
		b.CreatedAt.Compare(a.CreatedAt),
		strings.Compare(a.ID, b.ID),
	)
}
