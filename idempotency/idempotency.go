package idempotency

import (
	"context"
	"fmt"
	"time"
	"unicode"

	"github.com/stella-ops/stella/fault"
)

// TTL is how long a key answers repeats: a key first used at t is live
// before t+TTL and expired from then on, when its next use is a first use
// again.
const TTL = 24 * time.Hour

// MaxKeyLen bounds a key; a UUID or a hash fits with room to spare.
const MaxKeyLen = 255

// Key names one use of a key: the same string sent by another actor, in
// another tenant or to another mutation is another key.
type Key struct {
	Tenant, Actor string
	Mutation      string // the mutation's field name, e.g. requestPromotion
	Key           string // what the client sent
}

// Request is what a use of a key asks for: the digests of the mutation's
// arguments (without the key) and of the fields selected from its result.
type Request struct {
	Key
	Arguments string
	Selection string
}

// State is where a reserved key is.
type State string

const (
	// Pending: the first use is running.
	Pending State = "pending"
	// Done: the first use succeeded; its result is kept (unless it had
	// errors in its nested fields, see Record.Result).
	Done State = "done"
)

// Record is a key's first use as stored.
type Record struct {
	Request
	// Token tells the reservation that wrote the record from a later one
	// that took over the key after it expired.
	Token string
	State State
	// Result is the mutation field's JSON result; nil when the mutation
	// succeeded but parts of its result failed, so there is no whole
	// result to give again.
	Result    []byte
	CreatedAt time.Time
}

// Store keeps the records. Its methods must be safe for concurrent use by
// several processes: of two reservations of one key, exactly one wins.
type Store interface {
	// ReserveIdempotencyKey records r as Pending under token, created at
	// at, unless a record of r.Key created after cutoff (at minus TTL)
	// exists; it returns that record then, and nil when it reserved the
	// key (an expired record is replaced).
	ReserveIdempotencyKey(ctx context.Context, r Request, token string, at, cutoff time.Time) (*Record, error)
	// CompleteIdempotencyKey marks the reservation Done with its result
	// (nil: not kept). A *fault.ConflictError when the reservation is no
	// longer token's.
	CompleteIdempotencyKey(ctx context.Context, k Key, token string, result []byte) error
	// ReleaseIdempotencyKey deletes token's Pending reservation of k, so
	// that the key can be used again; a no-op when it is not token's.
	ReleaseIdempotencyKey(ctx context.Context, k Key, token string) error
	// PurgeIdempotencyKeys deletes the records created at or before
	// cutoff and returns how many it deleted.
	PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error)
}

// ValidKey checks a key as a client sent it: 1 to MaxKeyLen bytes, no
// control characters. Its error names the field idempotencyKey.
func ValidKey(key string) error {
	const field = "idempotencyKey"
	if key == "" || len(key) > MaxKeyLen {
		return fault.Invalid(field, "an idempotency key has 1 to %d bytes, not %d", MaxKeyLen, len(key))
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return fault.Invalid(field, "an idempotency key has no control characters")
		}
	}
	return nil
}

// Replay decides what repeat r of the key that rec holds gets: the first
// result when r asks for what the first use asked, a *fault.ConflictError
// otherwise.
func (rec *Record) Replay(r Request) ([]byte, error) {
	conflict := func(format string, args ...any) error {
		return &fault.ConflictError{Kind: "idempotency key", Key: r.Key.Key, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case rec.State == Pending:
		return nil, conflict("a request with this key is still in progress; repeat it once that one has finished")
	case rec.Arguments != r.Arguments:
		return nil, conflict("it was first used with other arguments to %s; a different request needs a new key", r.Mutation)
	case rec.Selection != r.Selection:
		return nil, conflict("it was first used with other fields selected from %s's result; repeat the request as first sent", r.Mutation)
	case rec.Result == nil:
		return nil, conflict("%s succeeded with this key, but parts of its result failed, so it was not kept; read the result instead", r.Mutation)
	}
	return rec.Result, nil
}
