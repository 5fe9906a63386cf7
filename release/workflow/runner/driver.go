package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
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

// kickDriver is River's driver with a listener that also hears this
// process's own hand-offs. River learns of a new job from a notification
// (SQLite: a table polled every 50 ms; PostgreSQL: NOTIFY) or at its next
// poll; the runner knows the moment its transaction committed a job and
// kicks its own producer at once.
type kickDriver struct {
	riverdriver.Driver[*sql.Tx]
	kicks chan struct{}
}

func newKickDriver(d riverdriver.Driver[*sql.Tx]) *kickDriver {
	return &kickDriver{Driver: d, kicks: make(chan struct{}, 1)}
}

func (d *kickDriver) GetListener(p *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &kickListener{Listener: d.Driver.GetListener(p), kicks: d.kicks}
}

// kick tells this process's producer that a job was committed.
func (d *kickDriver) kick() {
	select {
	case d.kicks <- struct{}{}:
	default: // one pending kick fetches every committed job
	}
}

// kickNotification is what River's own insert notification for the queue says.
var kickNotification = &riverdriver.Notification{Topic: "river_insert", Payload: `{"queue":"` + queue + `"}`}

type kickListener struct {
	riverdriver.Listener
	kicks chan struct{}
}

// WaitForNotification returns the inner listener's next notification, or an
// insert notification when kicked first. A kick interrupts the inner wait by
// cancelling it, as River's notifier itself does to change subscriptions.
func (l *kickListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	select {
	case <-l.kicks:
		return kickNotification, nil
	default:
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var kicked atomic.Bool
	done := make(chan struct{})
	go func() {
		select {
		case <-l.kicks:
			kicked.Store(true)
			cancel()
		case <-done:
		}
	}()
	n, err := l.Listener.WaitForNotification(inner)
	close(done)
	if !kicked.Load() {
		return n, err
	}
	if err == nil {
		// A real notification came first: deliver it, keep the kick for the next wait.
		select {
		case l.kicks <- struct{}{}:
		default:
		}
		return n, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return kickNotification, nil
}
