package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/vex"
)

// Dialect names returned by (*DB).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	*store
	bun           *bun.DB
	migrated      []string // migrations this Open applied, for tests
	riverMigrated []string // River's migrations this Open applied, for tests
}

var (
	_ release.Store = (*DB)(nil)
	_ auth.Store    = (*DB)(nil)

	// A Tx writes everything DB writes.
	_ release.Store   = (*Tx)(nil)
	_ auth.Store      = (*Tx)(nil)
	_ sbom.Store      = (*Tx)(nil)
	_ vex.Store       = (*Tx)(nil)
	_ advisory.Store  = (*Tx)(nil)
	_ record.Store    = (*Tx)(nil)
	_ exception.Store = (*Tx)(nil)
)

// store holds the queries. It runs them either on the pool or, inside InTx,
// on one transaction.
type store struct {
	db      bun.IDB
	dialect string
	inTx    bool
	writers *writeQueue // SQLite: this process's writers queue here; nil on PostgreSQL
}

func newDB(b *bun.DB) *DB {
	d := DialectSQLite
	if b.Dialect().Name().String() == "pg" {
		d = DialectPostgres
	}
	return &DB{store: &store{db: b, dialect: d}, bun: b}
}

// Close closes the connection pool.
func (d *DB) Close() error { return d.bun.Close() }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.bun.PingContext(ctx) }

// Dialect returns "sqlite" or "postgres".
func (d *DB) Dialect() string { return d.dialect }

// Bun returns the underlying bun database, for packages that keep their own tables.
func (d *DB) Bun() *bun.DB { return d.bun }

// Tx is the store bound to one transaction: every method of DB, with writes
// that commit or roll back together. A change made outside release.Service
// (a gate decision, an exception, a VEX document, an API token) writes its
// rows and appends its audit entry through the same Tx, so that no change is
// kept without its entry and no entry without its change.
type Tx struct{ *store }

// Transact runs fn in one transaction and hands it the Tx. InTx does the
// same for release.Service, which needs only a release.Store; Transact is
// for everyone else. Nested transactions reuse the outer one.
func (d *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	return d.inTxStore(ctx, func(s *store) error { return fn(&Tx{s}) })
}

// InTx runs fn in one transaction. A store already bound to a transaction
// reuses it, so nested calls commit or roll back with the outermost one.
func (s *store) InTx(ctx context.Context, fn func(tx release.Store) error) error {
	return s.inTxStore(ctx, func(tx *store) error { return fn(tx) })
}

func (s *store) inTxStore(ctx context.Context, fn func(tx *store) error) error {
	if s.inTx {
		return fn(s)
	}
	if s.writers != nil {
		done, err := s.writers.acquire(ctx)
		if err != nil {
			return err
		}
		defer done()
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(&store{db: tx, dialect: s.dialect, inTx: true, writers: s.writers})
	})
}

// RunInTx runs fn in one transaction of the bun database, for packages that
// keep their own tables (the workflow runner hands tx.Tx to River to insert
// jobs in it). On SQLite it waits in this process's writer queue like every
// store transaction.
func (d *DB) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	if d.writers != nil {
		done, err := d.writers.acquire(ctx)
		if err != nil {
			return err
		}
		defer done()
	}
	return d.bun.RunInTx(ctx, nil, fn)
}
