package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/stella-ops/stella/store"
)

// riverDriver returns River's driver on the store's pool. On PostgreSQL it
// adds a pgx pool for LISTEN alone, made from the store pool's own
// connection settings: River then hears of a new job when the transaction
// that inserted it commits, instead of at its next poll. close releases it.
func riverDriver(db *store.DB) (driver riverdriver.Driver[*sql.Tx], close func(), err error) {
	sqldb := db.Bun().DB
	if db.Dialect() != store.DialectPostgres {
		return store.RiverDriver(sqldb, db.Dialect()), func() {}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("runner: connect: %w", err)
	}
	defer conn.Close()
	var connString string
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		connString = c.Conn().Config().ConnString()
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("runner: PostgreSQL settings for LISTEN: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, nil, fmt.Errorf("runner: PostgreSQL settings for LISTEN: %w", err)
	}
	// River takes one connection for LISTEN and keeps it.
	cfg.MinConns, cfg.MaxConns = 0, 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("runner: PostgreSQL pool for LISTEN: %w", err)
	}
	return riverdatabasesql.NewWithPgxListener(sqldb, pool), pool.Close, nil
}
