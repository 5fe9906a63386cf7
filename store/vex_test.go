package store

import (
	"context"
	"testing"
	"time"

	"github.com/stella-ops/stella/vex"
	vextest "github.com/stella-ops/stella/vex/storetest"
)

func TestVEXStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		vextest.Run(t, func(t *testing.T) vex.Store { return open(t) })
	})
}

// VEX documents, their statements and the issuer registry are evidence: the
// database itself refuses to change them.
func TestVEXTablesAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		d := vextest.OpenVEX(t, "", "a", vextest.ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		if _, err := db.AppendDocument(ctx, "acme", d, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveIssuer(ctx, "acme", vex.Issuer{ID: "vendor", Name: "Vendor", Class: vex.ClassVendor}, time.Now()); err != nil {
			t.Fatal(err)
		}
		for table, set := range map[string]string{
			"vex_documents":                 "author = 'x'",
			"vex_statements":                "status = 'affected'",
			"vex_statement_vulnerabilities": "vulnerability = 'x'",
			"vex_statement_products":        "product_key = 'x'",
			"vex_registry_versions":         "digest = 'x'",
			"vex_issuers":                   "issuer = '{}'",
		} {
			if countRows(t, db, table) == 0 {
				t.Fatalf("%s: no rows to change", table)
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
		}
		if n := countRows(t, db, "vex_statements"); n != 1 {
			t.Fatalf("vex_statements has %d rows after refused changes, want 1", n)
		}
	})
}
