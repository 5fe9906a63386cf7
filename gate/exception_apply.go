package gate

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultExceptionMaxDays caps how long an exception may last (gate.md §5.1).
const DefaultExceptionMaxDays = 180

// ValidateException checks an exception before it is stored: the scope
// names a vulnerability, expiresAt is set and at most maxDays (0: the
// default 180) after createdAt, the approver is not the owner, and a
// downgrade names a lower severity.
func ValidateException(e Exception, maxDays int) error {
	if maxDays <= 0 {
		maxDays = DefaultExceptionMaxDays
	}
	var errs []error
	if e.ID == "" {
		errs = append(errs, errors.New("id is required"))
	}
	if e.Scope.Vulnerability == "" {
		errs = append(errs, errors.New("scope.vulnerability is required"))
	}
	if e.Owner == "" {
		errs = append(errs, errors.New("owner is required"))
	}
	if e.ApprovedBy == "" {
		errs = append(errs, errors.New("approvedBy is required"))
	} else if e.ApprovedBy == e.Owner {
		errs = append(errs, errors.New("the approver may not be the owner"))
	}
	if strings.TrimSpace(e.Justification) == "" {
		errs = append(errs, errors.New("justification is required"))
	}
	switch {
	case e.CreatedAt.IsZero():
		errs = append(errs, errors.New("createdAt is required"))
	case e.ExpiresAt.IsZero():
		errs = append(errs, errors.New("expiresAt is required"))
	case !e.ExpiresAt.After(e.CreatedAt):
		errs = append(errs, errors.New("expiresAt must be after createdAt"))
	case e.ExpiresAt.Sub(e.CreatedAt) > time.Duration(maxDays)*24*time.Hour:
		errs = append(errs, fmt.Errorf("expiresAt is more than %d days after createdAt", maxDays))
	}
	switch e.Effect {
	case EffectSuppress:
		if e.DowngradeTo != "" {
			errs = append(errs, errors.New("downgradeTo is only for effect downgrade"))
		}
	case EffectDowngrade:
		if _, ok := e.DowngradeTo.Rank(); !ok {
			errs = append(errs, fmt.Errorf("downgradeTo %q is not a severity", e.DowngradeTo))
		}
	default:
		errs = append(errs, fmt.Errorf("effect %q is not suppress or downgrade", e.Effect))
	}
	if len(errs) > 0 {
		return fmt.Errorf("gate: exception %s: %w", e.ID, errors.Join(errs...))
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
