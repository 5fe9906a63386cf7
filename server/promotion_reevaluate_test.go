package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

func TestVEXImportReevaluatesPromotions_SQLite(t *testing.T) { vexImportReevaluates(t, "") }

func TestVEXImportReevaluatesPromotions_PostgreSQL(t *testing.T) {
	vexImportReevaluates(t, testenv.PostgresDSN(t))
}

// vexImportReevaluates: a prod promotion waits for its approval. An
// advisory listed in KEV reaches the store outside the server (as "stella
// advisory import" writes it): nothing moves yet, and evaluatePromotion is
// the releaser's to call. A VEX import then evaluates the pending
// promotions again: its not_affected statement, from an issuer the tenant
// does not know, suppresses the KEV finding with too little confidence for
// prod, and the promotion is rejected, audited as the importer's doing.
func vexImportReevaluates(t *testing.T, dsn string) {
	ctx := context.Background()
	e := newEnv(t, dsn)
	digest := e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 0, tier: production, requiredApprovals: 1, approverGroups: ["approver"]}) { id } }`, nil)
	_, ci, err := e.srv.CreateToken(ctx, server.DefaultTenant, "ci", auth.RoleReleaser, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, viewer, err := e.srv.CreateToken(ctx, server.DefaultTenant, "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	p := path(e.ok(ci, `mutation { requestPromotion(release: "myapp-v1", environment: "prod") { id status notBefore } }`, nil), "requestPromotion")
	if path(p, "status") != "pending_approval" || path(p, "notBefore") != nil { // only an approval can move it
		t.Fatalf("prod = %v", p)
	}
	id := path(p, "id")
	e.importOSV(debianOSV, advisory.Enrichment{KEV: map[string]advisory.KEV{"CVE-2024-0727": {DateAdded: "2024-02-01", DueDate: "2024-02-22"}}})
	status := `query($id: ID!) { promotion(id: $id) { status decisions finalDecision } }`
	if got := path(e.ok(viewer, status, map[string]any{"id": id}), "promotion", "status"); got != "pending_approval" {
		t.Fatalf("after an import outside the server = %v", got)
	}
	evaluate := `mutation($id: ID!) { evaluatePromotion(id: $id) { status } }`
	if r := e.gql(viewer, evaluate, map[string]any{"id": id}); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer re-evaluates: %+v", r.Errors)
	}
	if r := e.gql(ci, evaluate, map[string]any{"id": "no-such-promotion"}); r.code() != "NOT_FOUND" {
		t.Fatalf("re-evaluating an unknown promotion: %+v", r.Errors)
	}

	e.ok(ci, `mutation($d: String!) { importVEX(document: $d) { inserted } }`,
		map[string]any{"d": openVEXFor(digest, time.Now().UTC().Add(-time.Hour).Truncate(time.Second))})
	got := path(e.ok(viewer, status, map[string]any{"id": id}), "promotion")
	if path(got, "status") != "rejected" {
		t.Fatalf("after the VEX import = %v", got)
	}
	rec := path(e.ok(viewer, `query($d: String!) { decisionRecord(digest: $d) { decision reasonCodes } }`,
		map[string]any{"d": path(got, "finalDecision")}), "decisionRecord")
	if path(rec, "decision") != "DENY" || !slices.Contains(strs(path(rec, "reasonCodes")), "vex-trust.low-confidence") {
		t.Fatalf("final decision = %v", rec)
	}
	audit := path(e.ok(e.admin, `query($id: String!) { auditLog(filter: {entityId: $id}) { nodes { actor action } } }`,
		map[string]any{"id": id}), "auditLog", "nodes").([]any)
	last := audit[0]
	if path(last, "actor") != "ci" || path(last, "action") != "promotion.decision_deny" {
		t.Fatalf("audit = %v", audit)
	}
	// Nothing is pending any more: a manual sweep evaluates none.
	if n := path(e.ok(ci, `mutation { evaluatePendingPromotions }`, nil), "evaluatePendingPromotions"); n != 0.0 {
		t.Fatalf("evaluatePendingPromotions = %v", n)
	}
}
