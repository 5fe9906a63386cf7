package server_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
)

func TestIdempotencyKeysOverGraphQL_SQLite(t *testing.T) { idempotencyKeysOverGraphQL(t, "") }

func TestIdempotencyKeysOverGraphQL_PostgreSQL(t *testing.T) {
	idempotencyKeysOverGraphQL(t, testenv.PostgresDSN(t))
}

// holdingDeployer holds deployments into the environment named "hold"
// until release is closed, telling started when one begins; others it
// records and reports as succeeded at once.
type holdingDeployer struct {
	release.InProcessDeployer
	started chan struct{}
	release chan struct{}
}

func (d *holdingDeployer) Deploy(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment) error {
	if env.Name == "hold" {
		d.started <- struct{}{}
		<-d.release
	}
	return d.InProcessDeployer.Deploy(ctx, p, rel, env)
}

// idempotencyKeysOverGraphQL holds release.md §7.3: a repeat with the same
// key, tenant, actor and mutation within 24 h returns the first result;
// other arguments → CONFLICT.
func idempotencyKeysOverGraphQL(t *testing.T, dsn string) {
	ctx := context.Background()
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	deployer := &holdingDeployer{started: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, dsn, func(c *server.Config) { c.Now, c.Deployer = clock, deployer })
	e.scannedRelease("myapp-v1")
	for _, in := range []string{
		`{name: "dev", orderIndex: 0, tier: development, requirePreviousEnvironment: false}`,
		`{name: "hold", orderIndex: 1, tier: development, requirePreviousEnvironment: false}`,
		`{name: "stage", orderIndex: 2, tier: staging, requiredApprovals: 1, approverGroups: ["approver"], requirePreviousEnvironment: false}`,
		`{name: "prod", orderIndex: 3, tier: production, requiredApprovals: 1, approverGroups: ["approver"], requirePreviousEnvironment: false}`,
	} {
		e.ok(e.admin, `mutation { createEnvironment(input: `+in+`) { id } }`, nil)
	}
	token := func(name string, role auth.Role) string {
		_, tok, err := e.srv.CreateToken(ctx, server.DefaultTenant, name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ci, ci2, alice := token("ci", auth.RoleReleaser), token("ci2", auth.RoleReleaser), token("alice", auth.RoleApprover)

	request := `mutation($r: String!, $e: String!, $k: String) { requestPromotion(release: $r, environment: $e, idempotencyKey: $k) { ` + promotionFields + ` } }`
	promotionsTo := func(env string) []any {
		return path(e.ok(e.admin, `query($f: PromotionFilter) { promotions(filter: $f) { nodes { id } } }`,
			map[string]any{"f": map[string]any{"environment": env}}), "promotions", "nodes").([]any)
	}
	audited := func(action, id string) int {
		return len(path(e.ok(e.admin, `query($f: AuditFilter) { auditLog(filter: $f) { nodes { id } } }`,
			map[string]any{"f": map[string]any{"action": action, "entityId": id}}), "auditLog", "nodes").([]any))
	}
	conflict := func(r *gqlResponse, want string) {
		t.Helper()
		if r.code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, want) {
			t.Fatalf("errors = %+v; want CONFLICT saying %q", r.Errors, want)
		}
	}

	// The same key twice: one promotion, one audit entry of its request,
	// and the second answer is the first, byte for byte.
	first := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "stage", "k": "k1"}), "requestPromotion")
	again := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "stage", "k": "k1"}), "requestPromotion")
	id, _ := path(first, "id").(string)
	if id == "" || path(first, "status") != "pending_approval" || !jsonEqual(first, again) {
		t.Fatalf("repeat = %v\nfirst = %v", again, first)
	}
	if ps := promotionsTo("stage"); len(ps) != 1 {
		t.Fatalf("stage promotions = %v; want the one", ps)
	}
	if n := audited("promotion.request", id); n != 1 {
		t.Fatalf("%d audit entries of the request; want 1", n)
	}

	// The same key with other arguments, or other fields selected: CONFLICT
	// naming the key. Without a key, the same request runs (and conflicts
	// with the promotion it would duplicate).
	conflict(e.gql(ci, request, map[string]any{"r": "myapp-v1", "e": "dev", "k": "k1"}), `idempotency key "k1": it was first used with other arguments to requestPromotion`)
	conflict(e.gql(ci, `mutation { requestPromotion(release: "myapp-v1", environment: "stage", idempotencyKey: "k1") { id } }`, nil), "other fields selected")
	if r := e.gql(ci, request, map[string]any{"r": "myapp-v1", "e": "stage"}); r.code() != "CONFLICT" || strings.Contains(r.Errors[0].Message, "idempotency") {
		t.Fatalf("request without a key: %+v; want the one-open-promotion conflict", r.Errors)
	}
	// Variables or literals, spacing: the same request is the same.
	lit := path(e.ok(ci, `mutation { requestPromotion(release: "myapp-v1",
		environment: "stage", idempotencyKey: "k1") { `+promotionFields+` } }`, nil), "requestPromotion")
	if !jsonEqual(lit, first) {
		t.Fatalf("the same request written with literals = %v", lit)
	}

	// Another actor's key of the same name is its own.
	dev := path(e.ok(ci2, request, map[string]any{"r": "myapp-v1", "e": "dev", "k": "k1"}), "requestPromotion")
	if path(dev, "id") == id || path(dev, "status") != "deployed" || path(dev, "requestedBy") != "ci2" {
		t.Fatalf("ci2's k1 = %v", dev)
	}

	// A failed mutation leaves its key free: the retry runs.
	if r := e.gql(ci, request, map[string]any{"r": "myapp-v1", "e": "qa", "k": "k2"}); r.code() != "NOT_FOUND" {
		t.Fatalf("promotion to a missing environment: %+v", r.Errors)
	}
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "qa", orderIndex: 4, tier: development, requirePreviousEnvironment: false}) { id } }`, nil)
	if qa := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "qa", "k": "k2"}), "requestPromotion"); path(qa, "status") != "deployed" {
		t.Fatalf("retry after the failure = %v", qa)
	}

	// An approval repeated with its key is one approval, answered twice alike.
	approve := `mutation($id: ID!, $k: String) { approvePromotion(id: $id, comment: "lgtm", idempotencyKey: $k) { ` + promotionFields + ` } }`
	a1 := path(e.ok(alice, approve, map[string]any{"id": id, "k": "a1"}), "approvePromotion")
	a2 := path(e.ok(alice, approve, map[string]any{"id": id, "k": "a1"}), "approvePromotion")
	if path(a1, "status") != "deployed" || len(path(a1, "approvals").([]any)) != 1 || !jsonEqual(a1, a2) {
		t.Fatalf("approve twice with one key: %v then %v", a1, a2)
	}

	// While the first use of a key is running, a repeat is a CONFLICT; it
	// gets the result once the first has finished.
	type answer struct{ data map[string]any }
	done := make(chan answer)
	go func() {
		r := e.gql(ci, request, map[string]any{"r": "myapp-v1", "e": "hold", "k": "k-hold"})
		done <- answer{r.Data}
	}()
	<-deployer.started
	conflict(e.gql(ci, request, map[string]any{"r": "myapp-v1", "e": "hold", "k": "k-hold"}), "still in progress")
	close(deployer.release)
	held := path((<-done).data, "requestPromotion")
	if path(held, "status") != "deployed" {
		t.Fatalf("held promotion = %v", held)
	}
	if r := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "hold", "k": "k-hold"}), "requestPromotion"); !jsonEqual(r, held) {
		t.Fatalf("repeat after the first finished = %v", r)
	}

	// Keys on two mutations of one operation: VALIDATION, nothing runs.
	two := `mutation { a: cancelPromotion(id: "x", idempotencyKey: "c1") { id } b: cancelPromotion(id: "y", idempotencyKey: "c2") { id } }`
	if r := e.gql(ci, two, nil); r.code() != "VALIDATION" {
		t.Fatalf("two keyed mutations: %+v", r.Errors)
	}
	if r := e.gql(ci, request, map[string]any{"r": "myapp-v1", "e": "dev", "k": strings.Repeat("x", 256)}); r.code() != "VALIDATION" {
		t.Fatalf("an overlong key: %+v", r.Errors)
	}

	// 24 h: until then the key answers with its first result (the promotion
	// as it was requested, though it has been cancelled since); from then
	// on it is free and the request runs again.
	prod := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "prod", "k": "k3"}), "requestPromotion")
	e.ok(ci, `mutation($id: ID!) { cancelPromotion(id: $id, idempotencyKey: "c3") { id } }`, map[string]any{"id": path(prod, "id")})
	now.Add(int64(24*time.Hour - time.Nanosecond))
	if r := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "prod", "k": "k3"}), "requestPromotion"); !jsonEqual(r, prod) || path(r, "status") != "pending_approval" {
		t.Fatalf("repeat within 24 h = %v; want the first result %v", r, prod)
	}
	now.Add(int64(time.Nanosecond))
	prod2 := path(e.ok(ci, request, map[string]any{"r": "myapp-v1", "e": "prod", "k": "k3"}), "requestPromotion")
	if path(prod2, "id") == path(prod, "id") || path(prod2, "status") != "pending_approval" {
		t.Fatalf("after 24 h = %v; want a new promotion", prod2)
	}
	if ps := promotionsTo("prod"); len(ps) != 2 {
		t.Fatalf("prod promotions = %v; want the cancelled one and the new one", ps)
	}
}

// jsonEqual compares two decoded JSON values.
func jsonEqual(a, b any) bool { return a != nil && reflect.DeepEqual(a, b) }
