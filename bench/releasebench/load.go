package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/store"
)

// loadResult describes the bulk load (or its skipping).
type loadResult struct {
	Skipped        bool    `json:"skipped"`
	Existing       int     `json:"existingReleases"`
	Releases       int     `json:"releasesLoaded"`
	ComponentRows  int     `json:"componentRowsLoaded"`
	Seconds        float64 `json:"seconds"`
	ReleasesPerSec float64 `json:"releasesPerSec"`
	RowsPerSec     float64 `json:"rowsPerSec"` // releases + release_components rows
}

func countReleases(ctx context.Context, db *store.DB) (int, error) {
	n, err := db.Bun().NewSelect().TableExpr("releases").Where("tenant_id = ?", benchTenant).Count(ctx)
	return int(n), err
}

// load fills the bench tenant with n releases unless it already holds at least
// n. A partial earlier load is removed first, so the data always comes from one
// seed. The dataset is walked in full either way: the filters need its probes.
func load(ctx context.Context, db *store.DB, ds *dataset, batch, workers int, progress bool) (loadResult, error) {
	var res loadResult
	have, err := countReleases(ctx, db)
	if err != nil {
		return res, err
	}
	res.Existing = have
	if have >= ds.n {
		res.Skipped = true
		for {
			r, err := ds.Next()
			if err != nil || r == nil {
				return res, err
			}
		}
	}
	if have > 0 {
		fmt.Fprintf(os.Stderr, "releasebench: tenant %q holds %d of %d releases; deleting them and reloading\n", benchTenant, have, ds.n)
		for _, t := range []string{"release_components", "releases"} {
			if _, err := db.Bun().NewDelete().TableExpr(t).Where("tenant_id = ?", benchTenant).Exec(ctx); err != nil {
				return res, fmt.Errorf("clear %s: %w", t, err)
			}
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*release.Release, workers)
	var (
		done, comps atomic.Int64
		wg          sync.WaitGroup
		errOnce     sync.Once
		firstErr    error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue // drain
				}
				err := db.InTx(ctx, func(tx release.Store) error {
					for _, r := range b {
						if err := tx.CreateRelease(ctx, r); err != nil {
							return fmt.Errorf("create release %s: %w", r.Name, err)
						}
					}
					return nil
				})
				if err != nil {
					fail(err)
					continue
				}
				n := 0
				for _, r := range b {
					n += len(r.Components)
				}
				comps.Add(int64(n))
				done.Add(int64(len(b)))
			}
		}()
	}
	stopProgress := make(chan struct{})
	var progressWG sync.WaitGroup
	if progress {
		progressWG.Add(1)
		go func() {
			defer progressWG.Done()
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					fmt.Fprint(os.Stderr, "\r\033[K")
					return
				case <-t.C:
					d := done.Load()
					fmt.Fprintf(os.Stderr, "\r\033[Kloading releases: %d/%d (%.0f/s)", d, ds.n, float64(d)/time.Since(start).Seconds())
				}
			}
		}()
	}
	var genErr error
	for ctx.Err() == nil {
		b := make([]*release.Release, 0, batch)
		for len(b) < batch {
			r, err := ds.Next()
			if err != nil {
				genErr = err
				break
			}
			if r == nil {
				break
			}
			b = append(b, r)
		}
		if genErr != nil || len(b) == 0 {
			break
		}
		select {
		case batches <- b:
		case <-ctx.Done():
		}
	}
	close(batches)
	wg.Wait()
	close(stopProgress)
	progressWG.Wait()
	if genErr != nil {
		return res, genErr
	}
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	secs := time.Since(start).Seconds()
	res.Releases, res.ComponentRows, res.Seconds = int(done.Load()), int(comps.Load()), secs
	res.ReleasesPerSec = float64(res.Releases) / secs
	res.RowsPerSec = float64(res.Releases+res.ComponentRows) / secs
	return res, nil
}

// analyze refreshes the planner statistics after a bulk load.
func analyze(ctx context.Context, db *store.DB) error {
	_, err := db.Bun().ExecContext(ctx, "ANALYZE")
	return err
}
