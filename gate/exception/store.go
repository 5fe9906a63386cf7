package exception

import (
	"context"
	"errors"
	"time"
)

// Store keeps a tenant's exception log append-only (gate.md §5.2):
// exceptions and the revocations appended after them. Nothing is edited or
// deleted; an expired exception simply stops being active. Implementations
// run the conformance suite in gate/exception/storetest.
type Store interface {
	// AppendException stores a new exception after Validate (with the
	// default cap of DefaultMaxDays) accepts it. Ids are unique per
	// tenant: a second exception with the same id is refused with an
	// error wrapping ErrConflict. An exception naming another tenant is
	// refused.
	AppendException(ctx context.Context, tenant string, e Exception) error
	// AppendRevocation appends a revocation of an existing exception. An
	// unknown exception gives an error wrapping ErrNotFound; revoking an
	// exception twice one wrapping ErrConflict.
	AppendRevocation(ctx context.Context, tenant string, r Revocation) error
	// Exceptions returns the tenant's whole log: exceptions sorted by
	// createdAt then id, revocations by at then exceptionId.
	Exceptions(ctx context.Context, tenant string) ([]Exception, []Revocation, error)
	// Exception returns one exception and its revocation (nil when it is
	// not revoked), or an error wrapping ErrNotFound.
	Exception(ctx context.Context, tenant, id string) (*Exception, *Revocation, error)
}

var (
	// ErrNotFound is returned for an unknown exception id.
	ErrNotFound = errors.New("exception: not found")
	// ErrConflict is returned for a duplicate exception id or a second
	// revocation of one exception.
	ErrConflict = errors.New("exception: conflict")
)

// LogAt is the exception log as known at cutoff: the exceptions created
// and the revocations made at or before it. Later entries cannot change a
// decision at cutoff (gate.md §5.3), and leaving them out keeps a
// decision's exceptionsDigest the same however often that instant is
// re-evaluated.
func LogAt(exs []Exception, revs []Revocation, cutoff time.Time) ([]Exception, []Revocation) {
	var outX []Exception
	for _, e := range exs {
		if !e.CreatedAt.After(cutoff) {
			outX = append(outX, e)
		}
	}
	var outR []Revocation
	for _, rv := range revs {
		if !rv.At.After(cutoff) {
			outR = append(outR, rv)
		}
	}
	return outX, outR
}
