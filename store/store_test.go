package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/auth/authtest"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/storetest"
	"github.com/stella-ops/stella/sbom"
	sbomtest "github.com/stella-ops/stella/sbom/storetest"
)

// backends opens a fresh store on each database the tests can reach: SQLite
// always, PostgreSQL when STELLA_TEST_POSTGRES_DSN is set (required when CI=true).
var backends = []struct {
	name string
	open func(t *testing.T) *DB
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

func openSQLite(t *testing.T) *DB {
	t.Helper()
	return openDSN(t, filepath.Join(t.TempDir(), "stella.db"))
}

func openPostgres(t *testing.T) *DB {
	t.Helper()
	return openDSN(t, testenv.PostgresDSN(t))
}

func openDSN(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

// eachBackend runs fn once per database; PostgreSQL's presence is checked
// once, so that a missing server gives one skip rather than one per subtest.
func eachBackend(t *testing.T, fn func(t *testing.T, open func(t *testing.T) *DB)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "postgres" {
				testenv.PostgresAdminDSN(t)
			}
			fn(t, b.open)
		})
	}
}

func TestReleaseStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		storetest.Run(t, func(t *testing.T) release.Store { return open(t) })
	})
}

func TestAuthStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		authtest.Run(t, func(t *testing.T) auth.Store { return open(t) })
	})
}

func TestSBOMStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		sbomtest.Run(t, func(t *testing.T) sbom.Store { return open(t) })
	})
}

func TestPromotionStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		storetest.RunPromotions(t, func(t *testing.T) storetest.PromotionStore { return open(t) })
		t.Run("AuditedChanges", func(t *testing.T) {
			storetest.RunAudited(t, func(t *testing.T) (release.Store, storetest.Transact[*Tx]) {
				db := open(t)
				return db, db.Transact
			}, storetest.PromotionChanges[*Tx]()...)
		})
	})
}

func TestWorkflowTemplateStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		storetest.RunWorkflowTemplates(t, func(t *testing.T) storetest.WorkflowTemplateStore { return open(t) })
	})
}
