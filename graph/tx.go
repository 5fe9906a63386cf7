package graph

import (
	"context"
	"errors"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/vex"
)

// Tx is the server's store bound to one transaction: the stores a mutation
// outside release.Service writes to, and the audit log its entry goes to.
// Writing both through one Tx is what keeps a change from landing without
// its audit entry, or an entry without its change.
type Tx interface {
	release.AuditLog
	auth.Store
	sbom.Store
	vex.Store
	record.Store
	exception.Store
}

// TxFunc runs fn in one transaction: fn's writes commit together when it
// returns nil and roll back together otherwise.
type TxFunc func(ctx context.Context, fn func(tx Tx) error) error

// Transactions adapts a store's own transaction method, whose transaction is
// a concrete type, to a TxFunc:
//
//	resolver.InTx = graph.Transactions(db.Transact) // db is a *store.DB
func Transactions[T Tx](transact func(ctx context.Context, fn func(tx T) error) error) TxFunc {
	return func(ctx context.Context, fn func(tx Tx) error) error {
		return transact(ctx, func(tx T) error { return fn(tx) })
	}
}

// errNoTx answers mutations outside the catalog on a resolver that cannot
// write them together with their audit entries.
var errNoTx = errors.New("this server cannot write changes with their audit entries (no InTx, or no Catalog)")

// audit is the audit entry of one change (see release.Service.RecordAudit).
type audit struct {
	action, entityType, entityID string
	before, after                any
}

// write runs fn in one transaction and appends, in the same transaction, the
// audit entry fn returns. fn returns a nil entry when it changed nothing (an
// idempotent append that found its row already there): nothing is audited
// then. No audit log, no write: without InTx or Catalog write fails closed.
func (r *Resolver) write(ctx context.Context, fn func(tx Tx) (*audit, error)) error {
	if r.InTx == nil || r.Catalog == nil {
		return errNoTx
	}
	return r.InTx(ctx, func(tx Tx) error {
		a, err := fn(tx)
		if err != nil || a == nil {
			return err
		}
		return r.Catalog.RecordAudit(ctx, tx, a.action, a.entityType, a.entityID, a.before, a.after)
	})
}
