package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/seal"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func fixedTime() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC) }

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stella.db")
	key := make([]byte, seal.KeySize)
	_, _ = rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(`{"username":"ci","password":"hunter2"}`)
	sealed, err := box.Seal(secret, []byte("integration:hub"))
	if err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.migrated) != len(migrations()) {
		t.Errorf("a new database applied %v, want all %d migrations", db.migrated, len(migrations()))
	}
	in := &release.Integration{ID: newID(), TenantID: "acme", Name: "hub", Type: release.IntegrationOCI,
		Sealed: sealed, HealthStatus: release.HealthUnknown, CreatedAt: fixedTime(), UpdatedAt: fixedTime(), Version: 1}
	if err := db.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(db.migrated) != 0 {
		t.Errorf("reopening applied migrations again: %v", db.migrated)
	}
	var recorded int
	if err := db.Bun().NewSelect().Table(migrationsTable).ColumnExpr("count(*)").Scan(ctx, &recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != len(migrations()) {
		t.Errorf("%d migrations recorded, want %d", recorded, len(migrations()))
	}
	got, err := db.GetIntegration(ctx, "acme", "hub")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sealed, sealed) || !got.HasCredential {
		t.Fatalf("sealed credential came back as %x (has=%v), want %x", got.Sealed, got.HasCredential, sealed)
	}
	plain, err := box.Open(got.Sealed, []byte("integration:hub"))
	if err != nil || !bytes.Equal(plain, secret) {
		t.Errorf("the stored ciphertext no longer opens: %q, %v", plain, err)
	}
}

func TestAppendOnlyTables(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		if err := db.AppendAudit(ctx, &release.AuditEntry{ID: newID(), TenantID: "acme", Actor: "ann",
			Action: "release.create", EntityType: "release", EntityID: "r1", At: fixedTime()}); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendVersions(ctx, []release.VersionEntry{{ID: newID(), TenantID: "acme", ComponentID: "c",
			Tag: "v1", Digest: "sha256:00", ResolvedAt: fixedTime(), Source: "auto"}}); err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			"UPDATE audit_entries SET actor = 'mallory'",
			"DELETE FROM audit_entries",
			"UPDATE version_entries SET digest = 'sha256:ff'",
			"DELETE FROM version_entries",
		}
		if err := db.PutSBOM(ctx, &sbom.Record{TenantID: "acme", ContentDigest: "sha256:11", ImageDigest: "sha256:22",
			Format: "cyclonedx-json@1.7", Document: []byte("{}"), CreatedAt: fixedTime(),
			Packages: []sbom.Package{{Identity: "pkg:npm/x@1", Type: "npm", Name: "x", Version: "1"}}}); err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, "UPDATE sboms SET document = 'x'", "DELETE FROM sboms",
			"UPDATE sbom_packages SET version = '2'", "DELETE FROM sbom_packages")
		if db.Dialect() == DialectPostgres {
			stmts = append(stmts, "TRUNCATE audit_entries", "TRUNCATE version_entries", "TRUNCATE sboms CASCADE")
		}
		for _, q := range stmts {
			_, err := db.Bun().ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: got %v, want the append-only trigger to refuse it", q, err)
			}
		}
		var actor, dig string
		if err := db.Bun().QueryRowContext(ctx, "SELECT actor FROM audit_entries").Scan(&actor); err != nil || actor != "ann" {
			t.Errorf("audit entry after refused changes: %q, %v", actor, err)
		}
		if err := db.Bun().QueryRowContext(ctx, "SELECT digest FROM version_entries").Scan(&dig); err != nil || dig != "sha256:00" {
			t.Errorf("version entry after refused changes: %q, %v", dig, err)
		}
	})
}

// The schema refuses to delete what other rows still depend on, even if a
// caller skipped the usage check.
func TestDeleteInUse(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		now := fixedTime()
		env := &release.Environment{ID: newID(), TenantID: "acme", Name: "prod", Tier: release.TierProduction, CreatedAt: now, UpdatedAt: now, Version: 1}
		idle := &release.Environment{ID: newID(), TenantID: "acme", Name: "dev", OrderIndex: 1, Tier: release.TierDevelopment, CreatedAt: now, UpdatedAt: now, Version: 1}
		tgt := &release.Target{ID: newID(), TenantID: "acme", Name: "web-1", EnvironmentID: env.ID, Type: release.TargetDockerHost, CreatedAt: now, UpdatedAt: now, Version: 1}
		hub := &release.Integration{ID: newID(), TenantID: "acme", Name: "hub", Type: release.IntegrationOCI, CreatedAt: now, UpdatedAt: now, Version: 1}
		api := &release.Component{ID: newID(), TenantID: "acme", Name: "api", RegistryIntegrationID: hub.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
		rel := &release.Release{ID: newID(), TenantID: "acme", Name: "shop-v1", Application: "shop", Status: release.StatusDraft, CreatedAt: now, UpdatedAt: now, Version: 1}
		for _, err := range []error{
			db.CreateEnvironment(ctx, env), db.CreateEnvironment(ctx, idle), db.CreateTarget(ctx, tgt),
			db.CreateIntegration(ctx, hub), db.CreateComponent(ctx, api), db.CreateRelease(ctx, rel),
			db.SetCurrentRelease(ctx, "acme", release.CurrentRelease{EnvironmentID: idle.ID, Application: "shop", ReleaseID: rel.ID}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		for what, err := range map[string]error{
			"environment with a target":          db.DeleteEnvironment(ctx, "acme", env.ID),
			"environment with a current release": db.DeleteEnvironment(ctx, "acme", idle.ID),
			"integration used by a component":    db.DeleteIntegration(ctx, "acme", hub.ID),
			"release current in an environment":  db.DeleteRelease(ctx, "acme", rel.ID),
		} {
			var ce *fault.ConflictError
			if !errors.As(err, &ce) {
				t.Errorf("delete %s: got %v, want a ConflictError", what, err)
			}
		}
		if err := db.SetCurrentRelease(ctx, "acme", release.CurrentRelease{EnvironmentID: idle.ID, Application: "shop", ReleaseID: newID()}); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("current release that does not exist: got %v, want not found", err)
		}
	})
}

func TestOpenForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{":memory:", filepath.Join(dir, "plain.db"), "file:" + filepath.Join(dir, "uri.db") + "?cache=private"} {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if db.Dialect() != DialectSQLite {
			t.Errorf("%s: dialect %q", dsn, db.Dialect())
		}
		env := &release.Environment{ID: newID(), TenantID: "acme", Name: "dev", Tier: release.TierDevelopment, CreatedAt: fixedTime(), UpdatedAt: fixedTime(), Version: 1}
		if err := db.CreateEnvironment(ctx, env); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if _, err := db.GetEnvironment(ctx, "acme", "dev"); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		// The settings concurrent writers depend on are in force on every connection.
		var fk, busy int
		var journal string
		conn := db.Bun()
		if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("%s: foreign_keys = %d, %v", dsn, fk, err)
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy != 10000 {
			t.Errorf("%s: busy_timeout = %d, %v", dsn, busy, err)
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil || (dsn != ":memory:" && journal != "wal") {
			t.Errorf("%s: journal_mode = %q, %v", dsn, journal, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "stella.db")
	_, err := Open(ctx, missingDir)
	if err == nil || !strings.Contains(err.Error(), missingDir) || !strings.Contains(err.Error(), "SQLite") {
		t.Errorf("SQLite in a missing directory: got %v, want an error naming the file", err)
	}

	// Nothing listens on port 1; the password must not leak into the error.
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = Open(short, "postgres://stella:s3cr3t-pw@127.0.0.1:1/stella?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("unreachable PostgreSQL: got %v, want an error naming the server", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("the error shows the password: %v", err)
	}
	_, err = Open(ctx, "postgres://stella:s3cr3t-pw@127.0.0.1:5432/stella?sslmode=bogus")
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("bad PostgreSQL DSN: got %v, want an error without the password", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgresql://h/db?password=pw&user=u":      "postgresql://h/db?password=xxxxx&user=u",
		"postgres://u:p w@h/%zz":                    "postgres://(unparseable URL)",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// Two handles on one SQLite file, each with several goroutines doing
// read-then-write transactions: with immediate transactions they queue on the
// write lock instead of failing with SQLITE_BUSY on a lock upgrade.
func TestSQLiteConcurrentHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stella.db")
	dbs := []*DB{openDSN(t, path), openDSN(t, path)}
	const perHandle, writes = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*perHandle*writes)
	for _, db := range dbs {
		for range perHandle {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range writes {
					errs <- db.InTx(ctx, func(tx release.Store) error {
						p, err := tx.ListAudit(ctx, "acme", release.AuditFilter{}, release.ListOptions{First: 1})
						if err != nil {
							return err
						}
						return tx.AppendAudit(ctx, &release.AuditEntry{ID: newID(), TenantID: "acme", Actor: "w",
							Action: "x", EntityType: "t", EntityID: p.EndCursor(), At: fixedTime()})
					})
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := dbs[0].ListAudit(ctx, "acme", release.AuditFilter{}, release.ListOptions{First: release.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(dbs) * perHandle * writes; len(p.Items) != want {
		t.Errorf("%d audit entries, want %d", len(p.Items), want)
	}
}
