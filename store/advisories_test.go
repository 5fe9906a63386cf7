package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	advisorytest "github.com/stella-ops/stella/advisory/storetest"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/sbom"
)

func TestAdvisoryStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		advisorytest.Run(t, func(t *testing.T) advisory.Store { return open(t) })
	})
}

// Observations are evidence: the database itself refuses to change them.
func TestAdvisoryObservationsAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		if _, err := db.Append(ctx, "acme", []advisory.Observation{advisorytest.Obs("osv", "X-1", "a")}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE advisory_observations SET content_hash = 'sha256:x'",
			"DELETE FROM advisory_observations",
		} {
			if _, err := db.Bun().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: not refused", q)
			}
		}
		if db.Dialect() == DialectPostgres {
			if _, err := db.Bun().ExecContext(ctx, "TRUNCATE advisory_observations"); err == nil {
				t.Error("TRUNCATE: not refused")
			}
		}
	})
}

// vulndb reads every Go advisory of vulndb's data/osv from the module cache,
// skipping (or, under CI=true, failing) when the module is absent.
func vulndb(tb testing.TB) []advisory.Observation {
	tb.Helper()
	obs, err := osv.ReadPath(testenv.VulndbOSV(tb))
	if err != nil {
		tb.Fatalf("reading vulndb: %v", err)
	}
	return obs
}

func countRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	n, err := db.Bun().NewSelect().Table(table).Where("tenant_id = ?", "acme").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// Every Go advisory is ingested with no rejects; ingesting again adds no
// rows; the effective view is built from the stored observations.
func TestAdvisoryVulndbIngest(t *testing.T) {
	obs := vulndb(t)
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		start := time.Now()
		res, err := db.Append(ctx, "acme", obs)
		if err != nil {
			t.Fatal(err)
		}
		first := time.Since(start)
		if res.Appended != len(obs) || res.Skipped != 0 {
			t.Fatalf("first ingest: appended %d, skipped %d of %d", res.Appended, res.Skipped, len(obs))
		}
		rows := countRows(t, db, "advisory_observations")
		start = time.Now()
		res, err = db.Append(ctx, "acme", obs)
		if err != nil {
			t.Fatal(err)
		}
		second := time.Since(start)
		if res.Appended != 0 || res.Skipped != len(obs) {
			t.Fatalf("second ingest: appended %d, skipped %d", res.Appended, res.Skipped)
		}
		if n := countRows(t, db, "advisory_observations"); n != rows || n != len(obs) {
			t.Fatalf("rows after the second ingest: %d, want %d", n, rows)
		}
		start = time.Now()
		r, err := advisory.Rebuild(ctx, db, "acme", advisory.Precedence{}, advisory.Enrichment{})
		if err != nil {
			t.Fatal(err)
		}
		rebuild := time.Since(start)
		if r.Snapshot.Observations != len(obs) || len(r.Changed) != len(r.After) {
			t.Fatalf("rebuild: %d observations, %d changed of %d", r.Snapshot.Observations, len(r.Changed), len(r.After))
		}
		if e, err := db.Effective(ctx, "acme", "GO-2022-0969"); err != nil || !strings.HasPrefix(e.ID, "CVE-") {
			t.Fatalf("GO-2022-0969 by alias: %+v, %v", e, err)
		}
		t.Logf("%d records: first ingest %v (%.0f records/s), second %v (%.0f records/s, 0 rows); merge+store %d groups %v",
			len(obs), first.Round(time.Millisecond), float64(len(obs))/first.Seconds(),
			second.Round(time.Millisecond), float64(len(obs))/second.Seconds(), len(r.After), rebuild.Round(time.Millisecond))
	})
}

// BenchmarkAdvisoryIngest appends every Go advisory to a fresh SQLite store
// per iteration (the parse is outside the timer).
func BenchmarkAdvisoryIngest(b *testing.B) {
	obs := vulndb(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db := openDSN(b, filepath.Join(b.TempDir(), "stella.db"))
		b.StartTimer()
		if _, err := db.Append(ctx, "acme", obs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(obs)*b.N)/b.Elapsed().Seconds(), "records/s")
}

// Re-evaluation: the SBOMs holding a package of a changed advisory are found
// through the stored package rows.
func TestAdvisoryAffectedSBOMs(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		for i, p := range []sbom.Package{
			{Identity: "pkg:golang/example.com/GO-2024-0001@v1.0.0", Type: "golang", Namespace: "example.com", Name: "GO-2024-0001", Version: "v1.0.0"},
			{Identity: "pkg:golang/example.com/other@v1.0.0", Type: "golang", Namespace: "example.com", Name: "other", Version: "v1.0.0"},
		} {
			d := "sha256:" + strings.Repeat(string(rune('a'+i)), 64)
			if err := db.PutSBOM(ctx, &sbom.Record{TenantID: "acme", ContentDigest: d, ImageDigest: d, ImageName: "r.io/app",
				Format: "cyclonedx-json@1.7", Document: []byte("{}"), Packages: []sbom.Package{p}, CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		before, err := advisory.Merge([]advisory.Observation{advisorytest.Obs("osv", "GO-2024-0001", "one"), advisorytest.Obs("osv", "GO-2024-0002", "two")}, advisory.Precedence{})
		if err != nil {
			t.Fatal(err)
		}
		after, err := advisory.Merge([]advisory.Observation{advisorytest.Obs("osv", "GO-2024-0001", "one, corrected"), advisorytest.Obs("osv", "GO-2024-0002", "two")}, advisory.Precedence{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := advisory.AffectedSBOMs(ctx, db, "acme", before, after)
		if err != nil || len(got) != 1 || got[0] != "sha256:"+strings.Repeat("a", 64) {
			t.Fatalf("got %v, %v", got, err)
		}
		if got, err := advisory.AffectedSBOMs(ctx, db, "acme", after, after); err != nil || len(got) != 0 {
			t.Fatalf("nothing changed: got %v, %v", got, err)
		}
	})
}
