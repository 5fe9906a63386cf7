package store

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/release"
)

// Hundreds of writers of one process at once, each with a read-then-write
// transaction, queue in the process (writeQueue) rather than polling
// SQLite's lock: every one commits, none is lost. (Before the queue, 1,000
// concurrent promotion requests failed by the hundred with "database is
// locked"; bench/promotions.sh measures it.)
func TestSQLiteWritersQueueInProcess(t *testing.T) {
	ctx := context.Background()
	db := openDSN(t, filepath.Join(t.TempDir(), "stella.db"))
	const writers = 400
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			errs <- db.InTx(ctx, func(tx release.Store) error {
				p, err := tx.ListAudit(ctx, "acme", release.AuditFilter{}, release.ListOptions{First: 1})
				if err != nil {
					return err
				}
				return tx.AppendAudit(ctx, &release.AuditEntry{ID: newID(), TenantID: "acme", Actor: "w",
					Action: "x", EntityType: "t", EntityID: p.EndCursor(), At: fixedTime()})
			})
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed == 1 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d writers failed", failed, writers)
	}
	n := 0
	for opts := (release.ListOptions{First: release.MaxPageSize}); ; {
		p, err := db.ListAudit(ctx, "acme", release.AuditFilter{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if !p.HasNext {
			break
		}
		opts.After = p.EndCursor()
	}
	if n != writers {
		t.Errorf("%d audit entries, want %d", n, writers)
	}
}

// A transaction opened on the pool while this process already writes
// (a bug: it should reuse the outer one) waits for the busy timeout and
// fails, as SQLite would, instead of hanging.
func TestSQLiteNestedPoolTransactionFails(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "stella.db"), WithBusyTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Transact(ctx, func(*Tx) error {
		return db.Transact(ctx, func(*Tx) error { return nil })
	})
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("nested pool transaction: %v, want a locked database", err)
	}
	// The queue is free again afterwards.
	if err := db.Transact(ctx, func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}
