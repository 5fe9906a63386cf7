// Package testenv lets tests find the real services they need. A test whose
// service is absent skips with a clear message, so that `go test ./...` passes
// on a bare laptop, but fails when CI=true, so that CI can never go green by
// skipping.
//
//	dsn := testenv.PostgresDSN(t) // a fresh, empty database, dropped after the test
//	testenv.Require(t, "Docker", "STELLA_TEST_DOCKER is unset")
//	dpkg := testenv.Tool(t, "dpkg", "Debian package dpkg")
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// Tool returns the path of a command on PATH, or stops the test as Require
// does. hint says how to install it.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Require(t, name, "it is not on PATH; "+hint)
	}
	return path
}

// VulndbVersion is the golang.org/x/vulndb module whose data/osv the
// real-advisory tests read. .ci/run and stella/testdata/peer-tools.sh
// download the same version:
//
//	go mod download golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018
const VulndbVersion = "v0.0.0-20261105234957-e22db6528018"

// VulndbOSV returns vulndb's data/osv directory in the module cache, or stops
// the test as Require does when the module is not downloaded.
func VulndbOSV(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "golang.org", "x", "vulndb@"+VulndbVersion, "data", "osv")
	if _, err := os.Stat(dir); err != nil {
		Require(t, "golang.org/x/vulndb", "not in the module cache; run: go mod download golang.org/x/vulndb@"+VulndbVersion)
	}
	return dir
}

// PostgresAdminDSN returns the admin DSN from STELLA_TEST_POSTGRES_DSN, or
// stops the test as Require does.
func PostgresAdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		Require(t, "PostgreSQL", "set "+PostgresEnv+" (e.g. postgres://stella:stella@127.0.0.1:5432/postgres?sslmode=disable) to run these tests")
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
