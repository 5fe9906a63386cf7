package gate

import (
	"context"
	"errors"
	"time"
)

// RecordStore keeps decision records append-only, per tenant (gate.md §7:
// "Records are append-only"). Implementations run the conformance suite in
// gate/storetest.
type RecordStore interface {
	// AppendDecision stores a sealed record with its canonical bytes (as
	// Decision.Canonical returns them). It is idempotent by recordDigest:
	// appending the same record again stores nothing and reports false.
	// A record whose bytes do not match its digests is refused.
	AppendDecision(ctx context.Context, tenant string, d *Decision, raw []byte) (inserted bool, err error)
	// Decisions lists the tenant's records matching f, newest first by
	// clockCutoff, then by time of storage, then by recordDigest.
	Decisions(ctx context.Context, tenant string, f DecisionFilter, page PageOptions) (*DecisionPage, error)
	// Decision returns one record by recordDigest, or an error wrapping
	// ErrRecordNotFound.
	Decision(ctx context.Context, tenant, recordDigest string) (*StoredDecision, error)
}

// ErrRecordNotFound is returned for an unknown record digest.
var ErrRecordNotFound = errors.New("gate: decision record not found")

// DecisionFilter narrows Decisions; empty fields match everything.
type DecisionFilter struct {
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

// DecisionPage is one page of records with a cursor per item.
type DecisionPage struct {
	Items   []StoredDecision
	Cursors []string
	HasNext bool
}

// StoredDecision is a record as stored: the parsed record, its exact
// canonical bytes and when it was appended.
type StoredDecision struct {
	Decision  *Decision
	Raw       []byte
	CreatedAt time.Time
}
