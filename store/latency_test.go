package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release"
)

// seedReleases bulk-inserts n releases of tenant "acme" with two components
// each, spread over 10 applications, 3 statuses and 50 component names.
func seedReleases(tb testing.TB, db *DB, n int) (last releaseRow) {
	tb.Helper()
	ctx := context.Background()
	statuses := []release.Status{release.StatusFinalized, release.StatusDraft, release.StatusDeprecated}
	start := fixedTime()
	const batch = 2000
	err := db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for from := 0; from < n; from += batch {
			var rels []releaseRow
			var comps []releaseComponentRow
			for i := from; i < min(from+batch, n); i++ {
				at := start.Add(time.Duration(i) * time.Second)
				r := releaseRow{TenantID: "acme", ID: newID(), Application: fmt.Sprintf("app%d", i%10),
					Name: fmt.Sprintf("app%d-v%d", i%10, i), Status: string(statuses[i%3]),
					Digest: fmt.Sprintf("sha256:r%062d", i), CreatedAt: at, UpdatedAt: at, Version: 1}
				rels = append(rels, r)
				for j := range 2 {
					comps = append(comps, releaseComponentRow{TenantID: "acme", ReleaseID: r.ID, Position: j,
						ComponentID: "c", Name: fmt.Sprintf("comp%d", (i+j*7)%50), Repository: "r",
						Digest: fmt.Sprintf("sha256:c%d%061d", j, i)})
				}
			}
			if _, err := tx.NewInsert().Model(&rels).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&comps).Exec(ctx); err != nil {
				return err
			}
			last = rels[len(rels)-1]
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Bun().ExecContext(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	return last
}

// TestReleaseListLatency checks that a filtered first page of releases stays
// fast on SQLite with 100k releases: the indexes must answer every filter.
func TestReleaseListLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100k releases")
	}
	const n = 100_000
	db := openDSN(t, filepath.Join(t.TempDir(), "stella.db"))
	seedStart := time.Now()
	seedReleases(t, db, n)
	t.Logf("seeded %d releases in %v", n, time.Since(seedStart).Round(time.Millisecond))

	after := fixedTime().Add(n / 2 * time.Second)
	// Indexed filters must stay well under the budget. A name substring scans
	// newest first until a page is full, and a creation window sorts the rows
	// in the window by id: their cost grows with the data, so they are
	// measured and logged but not held to it.
	filters := []struct {
		name    string
		f       release.ReleaseFilter
		indexed bool
	}{
		{"none", release.ReleaseFilter{}, true},
		{"application", release.ReleaseFilter{Application: "app3"}, true},
		{"status", release.ReleaseFilter{Status: release.StatusDeprecated}, true},
		{"component", release.ReleaseFilter{Component: "comp17"}, true},
		{"rare component", release.ReleaseFilter{Component: "comp-none"}, true},
		{"component digest", release.ReleaseFilter{Digest: fmt.Sprintf("sha256:c1%061d", 12345)}, true},
		{"release digest", release.ReleaseFilter{Digest: fmt.Sprintf("sha256:r%062d", 99)}, true},
		{"app+status+component", release.ReleaseFilter{Application: "app1", Status: release.StatusFinalized, Component: "comp8"}, true},
		{"unmatched app+status", release.ReleaseFilter{Application: "nope", Status: release.StatusDraft}, true},
		{"created in one hour", release.ReleaseFilter{CreatedAfter: &after, CreatedBefore: ptrTime(after.Add(time.Hour))}, false},
		{"created after, wide", release.ReleaseFilter{CreatedAfter: ptrTime(fixedTime())}, true},
		{"created before the middle", release.ReleaseFilter{CreatedBefore: &after}, false},
		{"name deep in history", release.ReleaseFilter{NameContains: "V777"}, false},
	}
	const runs = 50
	ctx := context.Background()
	for _, tc := range filters {
		var took []time.Duration
		for range runs {
			start := time.Now()
			if _, err := db.ListReleases(ctx, "acme", tc.f, release.ListOptions{}); err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		p99 := took[len(took)*99/100]
		t.Logf("%-26s p50 %8v  p99 %8v", tc.name, took[len(took)/2].Round(time.Microsecond), p99.Round(time.Microsecond))
		if tc.indexed && p99 > 50*time.Millisecond {
			t.Errorf("filter %q: p99 %v over 50ms", tc.name, p99)
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
