package store

import (
	"context"
	"fmt"
	"time"
)

// writeQueue lets one transaction of this process at a time ask SQLite for
// the write lock. Without it every waiting transaction holds a connection
// and polls the lock from SQLite's busy handler, whose sleeps grow to
// 100 ms: with hundreds of writers at once (concurrent promotion requests)
// the unlucky ones keep losing and fail with SQLITE_BUSY after the busy
// timeout although the lock was free most of the time. Queued here, writers
// wait on a channel, are woken first come first served the moment the lock
// is handed on, and take no connection while they wait. Other processes on
// the same file still meet the busy timeout.
//
// A transaction that waits longer than the busy timeout gives up as SQLite
// would, so that a writer that (wrongly) opens a second transaction while it
// holds one fails instead of hanging.
type writeQueue struct {
	slot chan struct{}
	wait time.Duration
}

func newWriteQueue(wait time.Duration) *writeQueue {
	return &writeQueue{slot: make(chan struct{}, 1), wait: wait}
}

// acquire waits for this process's turn to write; done hands it on.
func (q *writeQueue) acquire(ctx context.Context) (done func(), err error) {
	t := time.NewTimer(q.wait)
	defer t.Stop()
	select {
	case q.slot <- struct{}{}:
		return func() { <-q.slot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("store: waited %s for the SQLite write lock (database is locked)", q.wait)
	}
}
