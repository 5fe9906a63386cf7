package exception

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
)

// DefaultMaxDays caps how long an exception may last (gate.md §5.1).
const DefaultMaxDays = 180

// Validate checks an exception before it is stored: the scope
// names a vulnerability (and no empty environment), expiresAt is set and at
// most maxDays (0: the default 180) after createdAt, the approver is not the
// owner, and a downgrade names a severity. A refusal wraps a
// *fault.ValidationError listing every field at fault by its JSON path
// ("scope.vulnerability", "expiresAt"), so callers can point at the input.
func Validate(e Exception, maxDays int) error {
	if maxDays <= 0 {
		maxDays = DefaultMaxDays
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
	case Suppress:
		if e.DowngradeTo != "" {
			bad("downgradeTo", "is only for effect downgrade")
		}
	case Downgrade:
		if _, ok := e.DowngradeTo.Rank(); !ok {
			bad("downgradeTo", "%q is not one of critical, high, medium, low, none", e.DowngradeTo)
		}
	default:
		bad("effect", "%q is not suppress or downgrade", e.Effect)
	}
	if len(fields) > 0 {
		return fmt.Errorf("exception %s: %w", e.ID, &fault.ValidationError{Fields: fields})
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
