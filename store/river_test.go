package store

import (
	"context"
	"testing"
)

// River's schema comes with Open on both databases, beside Stella's own
// migrations and recorded in River's table, not in stella_migrations.
func TestOpenAppliesRiversSchemaOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		db := open(t)
		if len(db.riverMigrated) == 0 {
			t.Fatal("a new database applied no River migration")
		}
		ctx := context.Background()
		var jobs, recorded, stella int
		if err := db.Bun().QueryRowContext(ctx, `SELECT count(*) FROM river_job`).Scan(&jobs); err != nil {
			t.Fatalf("river_job: %v", err)
		}
		if err := db.Bun().QueryRowContext(ctx, `SELECT count(*) FROM river_migration`).Scan(&recorded); err != nil {
			t.Fatalf("river_migration: %v", err)
		}
		if recorded != len(db.riverMigrated) {
			t.Errorf("river_migration holds %d versions, Open applied %v", recorded, db.riverMigrated)
		}
		if err := db.Bun().QueryRowContext(ctx, `SELECT count(*) FROM `+migrationsTable+` WHERE name LIKE 'river%'`).Scan(&stella); err != nil {
			t.Fatal(err)
		}
		if stella != 0 {
			t.Errorf("%d River versions recorded among Stella's migrations", stella)
		}
		_, river, err := runMigrations(ctx, db.Bun(), db.Dialect())
		if err != nil || len(river) != 0 {
			t.Errorf("migrating again applied River %v (%v)", river, err)
		}
	})
}
