// Package testenv lets tests find the real services they need. A test whose
// service is absent skips with a clear message, so that `go test ./...` passes
// on a bare laptop, but fails when CI=true, so that CI can never go green by
// skipping.
//
//	dsn := testenv.PostgresDSN(t) // a fresh, empty database, dropped after the test
//	testenv.Require(t, "Docker", "STELLA_TEST_DOCKER is unset")
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresEnv names the variable holding an admin DSN (a postgres:// URL of a
// role allowed to create databases).
const PostgresEnv = "STELLA_TEST_POSTGRES_DSN"

// InCI reports whether the tests run in CI (CI=true), where absent services fail.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require stops a test that needs a service which is not available: it skips
// locally and fails under CI=true. why says what is missing and how to provide it.
func Require(t testing.TB, service, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true: %s is required: %s", service, why)
	}
	t.Skipf("%s is not available (%s); skipping", service, why)
}

// PostgresAdminDSN returns the admin DSN from STELLA_TEST_POSTGRES_DSN, or
// stops the test as Require does.
func PostgresAdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		if InCI() {
			t.Fatalf("CI=true: %s is required", PostgresEnv)
		}
		t.Skipf("PostgreSQL is not available: set %s (e.g. postgres://stella:stella@127.0.0.1:5432/postgres?sslmode=disable) to run these tests", PostgresEnv)
	}
	return dsn
}

// PostgresDSN creates a fresh, empty database for this test and returns its
// DSN. The database is dropped (with FORCE, closing leftover connections)
// when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := PostgresAdminDSN(t)
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", PostgresEnv)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open PostgreSQL %s: %v", u.Redacted(), err)
	}
	defer db.Close()

	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "stella_test_" + hex.EncodeToString(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// template0: a pristine database, and no clash with sessions on template1.
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		t.Fatalf("create test database on %s: %v", u.Redacted(), err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})

	u.Path = "/" + name
	return u.String()
}
