package testenv

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
)

func TestPostgresDSNGivesAFreshDatabaseAndDropsIt(t *testing.T) {
	admin := PostgresAdminDSN(t)
	ctx := context.Background()
	var name string
	t.Run("use", func(t *testing.T) {
		dsn := PostgresDSN(t)
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, "stella_test_") {
			t.Fatalf("database %q is not a test database", name)
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var tables int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("a fresh database has %d tables", tables)
		}
	})
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var left int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("database %s was not dropped after the test", name)
	}
}
