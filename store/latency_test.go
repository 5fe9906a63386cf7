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
					comps = append(comps, releaseComponentRow{TenantID: "acme", ReleaseID: r.ID, Position: j, CreatedAt: at,
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

// BenchmarkListReleases measures a filtered first page of releases on SQLite
// with 100k releases, per filter: go test ./store -bench ListReleases -benchtime 200x.
// The figures for the whole server path are in bench/ (bench/README.md).
func BenchmarkListReleases(b *testing.B) {
	const n = 100_000
	db := openDSN(b, filepath.Join(b.TempDir(), "stella.db"))
	seedReleases(b, db, n)
	after := fixedTime().Add(n / 2 * time.Second)
	filters := []struct {
		name string
		f    release.ReleaseFilter
	}{
		{"none", release.ReleaseFilter{}},
		{"application", release.ReleaseFilter{Application: "app3"}},
		{"status", release.ReleaseFilter{Status: release.StatusDeprecated}},
		{"component", release.ReleaseFilter{Component: "comp17"}},
		{"rare_component", release.ReleaseFilter{Component: "comp-none"}},
		{"component_digest", release.ReleaseFilter{Digest: fmt.Sprintf("sha256:c1%061d", 12345)}},
		{"release_digest", release.ReleaseFilter{Digest: fmt.Sprintf("sha256:r%062d", 99)}},
		{"app_status_component", release.ReleaseFilter{Application: "app1", Status: release.StatusFinalized, Component: "comp8"}},
		{"created_one_hour", release.ReleaseFilter{CreatedAfter: &after, CreatedBefore: ptrTime(after.Add(time.Hour))}},
		{"created_before_middle", release.ReleaseFilter{CreatedBefore: &after}},
		{"name_deep_in_history", release.ReleaseFilter{NameContains: "V777"}},
		{"name_common", release.ReleaseFilter{NameContains: "app3-v"}},
		{"name_short", release.ReleaseFilter{NameContains: "v9"}},
	}
	ctx := context.Background()
	for _, tc := range filters {
		b.Run(tc.name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if _, err := db.ListReleases(ctx, "acme", tc.f, release.ListOptions{}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
