package store

import (
	"context"
	"testing"

	"github.com/stella-ops/stella/release"
)

// A saved template version is immutable: the database itself refuses to
// change or remove it.
func TestWorkflowTemplatesAreAppendOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		tpl := &release.WorkflowTemplate{TenantID: "acme", Digest: "sha256:00", Source: []byte(`{"name":"x","nodes":[]}`), CreatedBy: "ann"}
		tpl.Name, tpl.Version = "x", 1
		if err := db.AppendWorkflowTemplate(ctx, tpl); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE workflow_templates SET body = '{}'",
			"DELETE FROM workflow_templates",
		} {
			if _, err := db.Bun().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: not refused", q)
			}
		}
		if db.Dialect() == DialectPostgres {
			if _, err := db.Bun().ExecContext(ctx, "TRUNCATE workflow_templates"); err == nil {
				t.Error("TRUNCATE: not refused")
			}
		}
		got, err := db.GetWorkflowTemplate(ctx, "acme", "x", 1)
		if err != nil || string(got.Source) != string(tpl.Source) {
			t.Fatalf("after refused changes: %+v %v", got, err)
		}
	})
}
