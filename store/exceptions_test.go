package store

import (
	"context"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate/exception"
	exceptiontest "github.com/stella-ops/stella/gate/exception/storetest"
)

func TestGateExceptionStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		exceptiontest.Run(t, func(t *testing.T) exception.Store { return open(t) })
	})
}

// Exceptions and their revocations are evidence: the database refuses to
// change them, whatever the store API offers.
func TestGateExceptionTablesAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		if err := db.AppendException(ctx, "acme", exceptiontest.Exception("acme", "x-1", "CVE-2024-0001", exceptiontest.Cutoff)); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendRevocation(ctx, "acme", exception.Revocation{ExceptionID: "x-1", RevokedBy: "carol", At: exceptiontest.Cutoff.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for table, set := range map[string]string{"gate_exceptions": "owner = 'mallory'", "gate_exception_revocations": "revoked_by = 'mallory'"} {
			if countRows(t, db, table) != 1 {
				t.Fatalf("%s: want one row to change", table)
			}
			for _, q := range []string{"UPDATE " + table + " SET " + set, "DELETE FROM " + table} {
				if _, err := db.Bun().ExecContext(ctx, q); err == nil {
					t.Errorf("%s: not refused", q)
				}
			}
			if db.Dialect() == DialectPostgres {
				if _, err := db.Bun().ExecContext(ctx, "TRUNCATE "+table+" CASCADE"); err == nil {
					t.Errorf("TRUNCATE %s: not refused", table)
				}
			}
			if countRows(t, db, table) != 1 {
				t.Errorf("%s changed", table)
			}
		}
		e, r, err := db.Exception(ctx, "acme", "x-1")
		if err != nil || e.Owner != "alice" || r == nil || r.RevokedBy != "carol" {
			t.Fatalf("after refused changes: %+v %+v %v", e, r, err)
		}
	})
}
