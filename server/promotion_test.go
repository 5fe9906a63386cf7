package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
)

const promotionFields = `id status reason requestedBy requestedAt decisions finalDecision
	release { name digest } environment { name }
	approvals { approverId action comment at } evidence { id type contentHash keyId }`

func TestPromotionsOverGraphQL_SQLite(t *testing.T) { promotionsOverGraphQL(t, "") }

func TestPromotionsOverGraphQL_PostgreSQL(t *testing.T) {
	promotionsOverGraphQL(t, testenv.PostgresDSN(t))
}

// promotionsOverGraphQL takes a release through dev (no approvals: deployed
// at once), stage (one approval) and prod (two, separation of duties).
func promotionsOverGraphQL(t *testing.T, dsn string) {
	ctx := context.Background()
	deployer := &release.InProcessDeployer{}
	e := newEnv(t, dsn, func(c *server.Config) { c.Deployer = deployer })
	digest := e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "stage", orderIndex: 1, tier: staging, requiredApprovals: 1, approverGroups: ["approver"]}) { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 2, tier: production, requiredApprovals: 2, approverGroups: ["approver", "admin"], requireSeparationOfDuties: true}) { id } }`, nil)
	token := func(name string, role auth.Role) string {
		_, tok, err := e.srv.CreateToken(ctx, server.DefaultTenant, name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ci, alice, bob, viewer := token("ci", auth.RoleReleaser), token("alice", auth.RoleApprover), token("bob", auth.RoleApprover), token("reader", auth.RoleViewer)

	request := `mutation($r: String!, $e: String!, $why: String) { requestPromotion(release: $r, environment: $e, reason: $why) { ` + promotionFields + ` } }`
	approve := `mutation($id: ID!, $c: String) { approvePromotion(id: $id, comment: $c) { ` + promotionFields + ` } }`

	// dev: no approvals, no findings: deployed at once, with its evidence.
	dev := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "dev", "why": "first"}), "requestPromotion")
	if path(dev, "status") != "deployed" || path(dev, "requestedBy") != "ci" || path(dev, "release", "digest") == "" ||
		path(dev, "environment", "name") != "dev" || len(path(dev, "decisions").([]any)) < 2 || path(dev, "reason") != "first" {
		t.Fatalf("dev = %v", dev)
	}
	if ev := path(dev, "evidence").([]any); len(ev) == 0 || path(ev[0], "contentHash") == "" || path(ev[0], "keyId") == "" {
		t.Fatalf("dev evidence = %v", ev)
	}
	_ = digest
	if d := deployer.Deployments(); len(d) != 1 || d[0].PromotionID != path(dev, "id") {
		t.Fatalf("deployments = %+v", d)
	}

	// stage: waits for one approval, which a viewer or the releaser cannot give.
	stage := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "stage"}), "requestPromotion")
	if path(stage, "status") != "pending_approval" {
		t.Fatalf("stage = %v", stage)
	}
	if r := e.gql(viewer, approve, map[string]any{"id": path(stage, "id")}); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer approves: %+v", r.Errors)
	}
	stage = path(e.ok(alice, approve, map[string]any{"id": path(stage, "id"), "c": "lgtm"}), "approvePromotion")
	if path(stage, "status") != "deployed" || len(path(stage, "approvals").([]any)) != 1 ||
		path(stage, "approvals").([]any)[0].(map[string]any)["approverId"] != "alice" {
		t.Fatalf("approved stage = %v", stage)
	}

	// prod: the requester may not approve their own promotion.
	prod := path(e.ok(e.admin, request, map[string]any{"r": "myapp-v1", "e": "prod"}), "requestPromotion")
	if path(prod, "status") != "pending_approval" {
		t.Fatalf("prod = %v", prod)
	}
	r := e.gql(e.admin, approve, map[string]any{"id": path(prod, "id")})
	if r.code() != "PRECONDITION" || r.Errors[0].Extensions["reason"] != "SOD_VIOLATION" {
		t.Fatalf("requester approves: %+v", r.Errors)
	}
	e.ok(alice, approve, map[string]any{"id": path(prod, "id")})
	prod = path(e.ok(bob, approve, map[string]any{"id": path(prod, "id")}), "approvePromotion")
	if path(prod, "status") != "deployed" {
		t.Fatalf("prod after two approvals = %v", prod)
	}

	// Every decision is kept: the last one is the pre-deploy decision, with
	// both approvals, made inside the claim's transaction.
	ds := path(prod, "decisions").([]any)
	last := path(e.ok(viewer, `query($d: String!) { decisionRecord(digest: $d) { phase decision promotionId approvals { approverId } } }`,
		map[string]any{"d": ds[len(ds)-1]}), "decisionRecord")
	if path(last, "phase") != "PRE_DEPLOY" || path(last, "decision") != "ALLOW" || path(last, "promotionId") != path(prod, "id") ||
		len(path(last, "approvals").([]any)) != 2 {
		t.Fatalf("pre-deploy record = %v", last)
	}

	// A rejection needs a comment; cancelling a deployed promotion conflicts.
	if r := e.gql(alice, `mutation($id: ID!) { rejectPromotion(id: $id, comment: " ") { id } }`, map[string]any{"id": path(prod, "id")}); len(r.Errors) == 0 {
		t.Fatal("reject without a comment succeeded")
	}
	if r := e.gql(ci, `mutation($id: ID!) { cancelPromotion(id: $id) { id } }`, map[string]any{"id": path(prod, "id")}); r.code() != "CONFLICT" {
		t.Fatalf("cancel deployed: %+v", r.Errors)
	}

	// Lists, narrowed and paged; a single one by id.
	list := `query($f: PromotionFilter, $n: Int, $a: String) { promotions(filter: $f, first: $n, after: $a) {
		nodes { id status environment { name } } pageInfo { hasNextPage endCursor } } }`
	all := path(e.ok(viewer, list, nil), "promotions")
	if len(path(all, "nodes").([]any)) != 3 {
		t.Fatalf("promotions = %v", all)
	}
	page := path(e.ok(viewer, list, map[string]any{"n": 2}), "promotions")
	if len(path(page, "nodes").([]any)) != 2 || path(page, "pageInfo", "hasNextPage") != true {
		t.Fatalf("page = %v", page)
	}
	rest := path(e.ok(viewer, list, map[string]any{"n": 2, "a": path(page, "pageInfo", "endCursor")}), "promotions")
	if len(path(rest, "nodes").([]any)) != 1 {
		t.Fatalf("rest = %v", rest)
	}
	only := path(e.ok(viewer, list, map[string]any{"f": map[string]any{"environment": "prod", "status": "deployed", "release": "myapp-v1"}}), "promotions", "nodes").([]any)
	if len(only) != 1 || path(only[0], "id") != path(prod, "id") {
		t.Fatalf("prod promotions = %v", only)
	}
	got := path(e.ok(viewer, `query($id: ID!) { promotion(id: $id) { `+promotionFields+` } }`, map[string]any{"id": path(prod, "id")}), "promotion")
	if path(got, "status") != "deployed" || len(path(got, "approvals").([]any)) != 2 {
		t.Fatalf("promotion = %v", got)
	}
	e.assertNoSecretsLeaked()
}

// A single-connection :memory: database would wait for itself in the
// pre-deploy decision: the server runs no promotions there and says so.
func TestPromotionsOffInMemory(t *testing.T) {
	e := newEnv(t, ":memory:")
	if e.srv.Promotions() != nil {
		t.Fatal("promotions on :memory:")
	}
	r := e.gql(e.admin, `{ promotions { nodes { id } } }`, nil)
	if r.code() != "PRECONDITION" || r.Errors[0].Extensions["reason"] != "PROMOTIONS_UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "does not run promotions") {
		t.Fatalf("promotions on :memory: = %+v", r)
	}
}

// The evidence key is created on first start next to the sealing key
// (mode 0600) and read, unchanged, on the next.
func TestEvidenceKeyCreatedOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := server.Config{DB: filepath.Join(dir, "stella.db")}
	key := filepath.Join(dir, "stella.evidence.key")
	var first []byte
	for i := range 2 {
		srv, err := server.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv.Close()
		fi, err := os.Stat(key)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("evidence key: %v, %v", fi, err)
		}
		raw, _ := os.ReadFile(key)
		if i == 0 {
			first = raw
		} else if string(raw) != string(first) {
			t.Fatal("evidence key changed on restart")
		}
	}
}
