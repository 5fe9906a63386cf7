package record

import (
	"context"
	"errors"
	"time"

	"github.com/stella-ops/stella/gate"
)

// Store keeps decision records append-only, per tenant (gate.md §7:
// "Records are append-only"). Implementations run the conformance suite in
// gate/record/storetest.
type Store interface {
	// AppendDecision stores a sealed record with its canonical bytes (as
	// gate.Decision.Canonical returns them). It is idempotent by
	// recordDigest: appending the same record again stores nothing and
	// reports false. A record whose bytes do not match its digests is
	// refused.
	AppendDecision(ctx context.Context, tenant string, d *gate.Decision, raw []byte) (inserted bool, err error)
	// Decisions lists the tenant's records matching f, newest first by
	// clockCutoff, then by time of storage, then by recordDigest.
	Decisions(ctx context.Context, tenant string, f Filter, page PageOptions) (*Page, error)
	// Decision returns one record by recordDigest, or an error wrapping
	// ErrDecisionNotFound.
	Decision(ctx context.Context, tenant, recordDigest string) (*Stored, error)
}

// ErrDecisionNotFound is returned for an unknown record digest.
var ErrDecisionNotFound = errors.New("record: decision record not found")

// Filter narrows Decisions; empty fields match everything.
type Filter struct {
	ReleaseID     string
	ReleaseDigest string
	// Environment matches the record's environment id or name.
	Environment string
}

// PageOptions asks for one page of a list: at most First items (0: the
// store's default) after the cursor After.
type PageOptions struct {
	First int
	After string
}

// Page is one page of records with a cursor per item.
type Page struct {
	Items   []Stored
	Cursors []string
	HasNext bool
}

// Stored is a record as stored: the parsed record, its exact canonical
// bytes and when it was appended.
type Stored struct {
	Decision  *gate.Decision
	Raw       []byte
	CreatedAt time.Time
}
