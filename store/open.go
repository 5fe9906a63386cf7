package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// idleConns is how many idle connections the pool keeps for reuse.
const idleConns = 16

// Option tunes Open.
type Option func(*options)

type options struct {
	maxOpenConns int
	busyTimeout  time.Duration
}

// WithMaxOpenConns caps the connection pool (0 keeps database/sql's default).
func WithMaxOpenConns(n int) Option { return func(o *options) { o.maxOpenConns = n } }

// WithBusyTimeout sets how long a SQLite writer waits for the write lock (default 10 s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// Open connects to the database named by dsn, applies any pending migrations
// and returns a ready store. A dsn starting with postgres:// or postgresql://
// selects PostgreSQL; anything else is a SQLite file path, a file: URI or
// ":memory:".
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{busyTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	var (
		sqldb *sql.DB
		bdb   *bun.DB
		name  string
		err   error
	)
	if isPostgres(dsn) {
		name = "PostgreSQL database " + redact(dsn)
		if sqldb, err = sql.Open("pgx", dsn); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", name, err)
		}
		bdb = bun.NewDB(sqldb, pgdialect.New())
	} else {
		name = fmt.Sprintf("SQLite database %q", dsn)
		sqlitePath, memory := sqliteDSN(dsn, o.busyTimeout)
		if sqldb, err = sql.Open("sqlite", sqlitePath); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", name, err)
		}
		if memory {
			// Each connection to :memory: is a separate database: keep exactly one.
			sqldb.SetMaxOpenConns(1)
		}
		bdb = bun.NewDB(sqldb, sqlitedialect.New())
	}
	// database/sql keeps 2 idle connections by default: with more concurrent
	// users (workflow nodes, requests) each query beyond them would open a
	// connection, on PostgreSQL a new server process.
	sqldb.SetMaxIdleConns(idleConns)
	db := newDB(bdb)
	if db.dialect == DialectSQLite {
		db.writers = newWriteQueue(o.busyTimeout)
	}
	if err := db.Ping(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("store: cannot reach %s: %w", name, err)
	}
	applied, river, err := runMigrations(ctx, bdb, db.dialect)
	if err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", name, err)
	}
	db.migrated, db.riverMigrated = applied, river
	if err := db.Optimize(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("store: optimize %s: %w", name, err)
	}
	// Only now: migrating PostgreSQL holds one connection for its lock and needs another.
	if o.maxOpenConns > 0 {
		sqldb.SetMaxOpenConns(o.maxOpenConns)
		sqldb.SetMaxIdleConns(min(o.maxOpenConns, idleConns))
	}
	return db, nil
}

// Optimize refreshes the query planner's statistics where they are stale.
// SQLite has no autovacuum to do it: without statistics its planner may walk
// every release in page order instead of looking up a handful by digest. The
// server calls Optimize at start and then periodically; PostgreSQL's
// autovacuum needs no help.
func (d *DB) Optimize(ctx context.Context) error {
	if d.dialect != DialectSQLite {
		return nil
	}
	// analysis_limit bounds the rows ANALYZE samples per index; 0x10002 checks
	// every table, not only those this connection has used.
	_, err := d.bun.ExecContext(ctx, "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")
	return err
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqliteDSN adds the connection settings Stella relies on: a busy timeout and
// immediate transactions so that concurrent writers queue instead of failing
// with SQLITE_BUSY on lock upgrade, WAL so that readers do not block the
// writer, and enforced foreign keys. It reports whether the database is in memory.
func sqliteDSN(dsn string, busy time.Duration) (string, bool) {
	memory := dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") || strings.Contains(dsn, "mode=memory")
	if dsn == ":memory:" {
		dsn = "file::memory:"
	}
	params := url.Values{}
	params.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	if !memory {
		params.Add("_pragma", "journal_mode(WAL)")
	}
	params.Add("_pragma", "foreign_keys(1)")
	params.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + params.Encode(), memory
}

// redact hides the password of a PostgreSQL URL so that errors can name the database.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		// Unparseable: show only the scheme, since the rest may hold a password.
		scheme, _, _ := strings.Cut(dsn, "://")
		return scheme + "://(unparseable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
