package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/release"
)

// Dialect names returned by (*DB).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	*store
	bun      *bun.DB
	migrated []string // migrations this Open applied, for tests
}

var (
	_ release.Store = (*DB)(nil)
	_ auth.Store    = (*DB)(nil)
)

// store holds the queries. It runs them either on the pool or, inside InTx,
// on one transaction.
type store struct {
	db      bun.IDB
	dialect string
	inTx    bool
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

// InTx runs fn in one transaction. A store already bound to a transaction
// reuses it, so nested calls commit or roll back with the outermost one.
func (s *store) InTx(ctx context.Context, fn func(tx release.Store) error) error {
	return s.inTxStore(ctx, func(tx *store) error { return fn(tx) })
}

func (s *store) inTxStore(ctx context.Context, fn func(tx *store) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(&store{db: tx, dialect: s.dialect, inTx: true})
	})
}
