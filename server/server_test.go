package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

const (
	registryPassword = "hunter2-registry-password"
	targetSecret     = "tls-private-key-material"
)

// syncBuffer is a log sink the server writes to from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a running server with an admin token and a real registry beside it.
type env struct {
	t        *testing.T
	srv      *server.Server
	http     *httptest.Server
	admin    string
	registry string
	logs     *syncBuffer
	bodies   strings.Builder // every response body, to check for leaked secrets
	dbPath   string
}

// newEnv starts a server on dsn (empty: a SQLite file); configure adjusts
// its configuration.
func newEnv(t *testing.T, dsn string, configure ...func(*server.Config)) *env {
	t.Helper()
	logs := &syncBuffer{}
	dir := t.TempDir()
	dbPath := dsn
	if dsn == "" {
		dbPath = filepath.Join(dir, "stella.db")
	}
	cfg := server.Config{DB: dbPath, KeyFile: filepath.Join(dir, "stella.key"),
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	admin, err := srv.Bootstrap(context.Background())
	if err != nil || !strings.HasPrefix(admin, auth.TokenPrefix) {
		t.Fatalf("bootstrap = %q, %v", admin, err)
	}
	if again, err := srv.Bootstrap(context.Background()); err != nil || again != "" {
		t.Fatalf("second bootstrap = %q, %v; want nothing once tokens exist", again, err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	return &env{t: t, srv: srv, http: hs, admin: admin, registry: strings.TrimPrefix(reg.URL, "http://"), logs: logs, dbPath: dbPath}
}

type gqlResponse struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
}

func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (e *env) post(token string, body []byte) *gqlResponse {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	e.bodies.Write(raw)
	out := &gqlResponse{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		e.t.Fatalf("response %d is not JSON: %s", resp.StatusCode, raw)
	}
	return out
}

func (e *env) gql(token, query string, vars map[string]any) *gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return e.post(token, body)
}

// ok runs an operation that must succeed and returns its data.
func (e *env) ok(token, query string, vars map[string]any) map[string]any {
	e.t.Helper()
	r := e.gql(token, query, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("%s\nerrors: %+v", query, r.Errors)
	}
	return r.Data
}

func (e *env) push(repo, tag string) string {
	e.t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	ref, _ := name.ParseReference(e.registry+"/"+repo+":"+tag, name.Insecure)
	if err := remote.Write(ref, img); err != nil {
		e.t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func TestReleaseFlowOverGraphQL_SQLite(t *testing.T) { releaseFlow(t, newEnv(t, "")) }

func TestReleaseFlowOverGraphQL_PostgreSQL(t *testing.T) {
	releaseFlow(t, newEnv(t, testenv.PostgresDSN(t)))
}

func releaseFlow(t *testing.T, e *env) {
	first := e.push("team/api", "v2.3.1")

	for i, env := range []map[string]any{
		{"name": "prod", "orderIndex": 2, "tier": "production", "requiredApprovals": 2, "requireSeparationOfDuties": true},
		{"name": "dev", "orderIndex": 0, "tier": "development"},
		{"name": "stage", "orderIndex": 1, "tier": "staging", "requiredApprovals": 1},
	} {
		e.ok(e.admin, `mutation($in: EnvironmentInput!) { createEnvironment(input: $in) { id } }`, map[string]any{"in": env})
		_ = i
	}
	envs := e.ok(e.admin, `{ environments { nodes { name orderIndex isProduction } } }`, nil)
	nodes := path(envs, "environments", "nodes").([]any)
	if len(nodes) != 3 || path(nodes[0], "name") != "dev" || path(nodes[2], "name") != "prod" || path(nodes[2], "isProduction") != true {
		t.Fatalf("environments = %v, want dev, stage, prod in order with prod production", nodes)
	}

	e.ok(e.admin, `mutation($in: TargetInput!) { registerTarget(input: $in) { id secretKeys } }`, map[string]any{"in": map[string]any{
		"name": "web-1", "environment": "prod", "type": "docker_host",
		"connection": []any{map[string]any{"key": "socket", "value": "/var/run/docker.sock"}},
		"secrets":    []any{map[string]any{"key": "tlsKey", "value": targetSecret}},
	}})
	r := e.gql(e.admin, `mutation { deleteEnvironment(key: "prod") { id } }`, nil)
	if r.code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, `"prod"`) {
		t.Fatalf("deleting prod with a target = %+v, want CONFLICT naming prod", r.Errors)
	}
	if got := e.ok(e.admin, `{ environment(key: "prod") { name } }`, nil); path(got, "environment", "name") != "prod" {
		t.Fatal("prod was deleted by a refused delete")
	}

	in := e.ok(e.admin, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { name hasCredential healthStatus config { endpoint authMode } } }`,
		map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": e.registry, "insecure": true,
			"credential": map[string]any{"username": "robot", "password": registryPassword}}})
	if path(in, "createIntegration", "hasCredential") != true || path(in, "createIntegration", "healthStatus") != "unknown" {
		t.Fatalf("integration = %v", in)
	}
	tested := e.ok(e.admin, `mutation { testIntegration(key: "hub") { healthStatus lastHealthMessage } }`, nil)
	if path(tested, "testIntegration", "healthStatus") != "healthy" {
		t.Fatalf("tested integration = %v", tested)
	}
	e.ok(e.admin, `mutation($in: ComponentInput!) { createComponent(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "api", "imageRepository": "team/api", "registry": "hub", "versioning": map[string]any{"type": "semver"}}})
	synced := e.ok(e.admin, `mutation { syncComponentVersions(key: "api") { added { tag digest } unchanged } }`, nil)
	if added := path(synced, "syncComponentVersions", "added").([]any); len(added) != 1 || path(added[0], "digest") != first {
		t.Fatalf("sync = %v", synced)
	}

	e.ok(e.admin, `mutation { createRelease(input: {name: "myapp-v2.3.1"}) { id status } }`, nil)
	r = e.gql(e.admin, `mutation { addReleaseComponent(release: "myapp-v2.3.1", input: {component: "api", tag: "v9.9.9"}) { id } }`, nil)
	if r.code() != "VALIDATION" || !strings.Contains(r.Errors[0].Message, "v9.9.9") {
		t.Fatalf("unknown tag = %+v, want VALIDATION naming the tag", r.Errors)
	}
	if fields, _ := r.Errors[0].Extensions["fields"].([]any); len(fields) != 1 || path(fields[0], "field") != "tag" {
		t.Fatalf("unknown tag fields = %v, want the tag field", r.Errors[0].Extensions)
	}
	e.ok(e.admin, `mutation { addReleaseComponent(release: "myapp-v2.3.1", input: {component: "api", tag: "v2.3.1"}) { id } }`, nil)
	fin := e.ok(e.admin, `mutation { finalizeRelease(key: "myapp-v2.3.1") { status digest manifest components { digest ref tag } } }`, nil)
	rel := path(fin, "finalizeRelease")
	digest, _ := path(rel, "digest").(string)
	if path(rel, "status") != "finalized" || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("finalized = %v", rel)
	}
	if comps := path(rel, "components").([]any); path(comps[0], "digest") != first {
		t.Fatalf("pinned digest = %v, want %s", comps, first)
	}

	// The tag moves; the release and its digest do not.
	if second := e.push("team/api", "v2.3.1"); second == first {
		t.Fatal("random images collided")
	}
	e.ok(e.admin, `mutation { syncComponentVersions(key: "api") { unchanged } }`, nil)
	after := e.ok(e.admin, `{ release(key: "myapp-v2.3.1") { digest components { digest } } }`, nil)
	if path(after, "release", "digest") != digest || path(path(after, "release", "components").([]any)[0], "digest") != first {
		t.Fatalf("release after the tag moved = %v", after)
	}
	r = e.gql(e.admin, `mutation { addReleaseComponent(release: "myapp-v2.3.1", input: {component: "api", tag: "v2.3.1"}) { id } }`, nil)
	if r.code() != "CONFLICT" {
		t.Fatalf("editing a finalized release = %+v, want CONFLICT", r.Errors)
	}

	// Filters: by component, by image digest, by status, by name.
	e.ok(e.admin, `mutation { createRelease(input: {name: "other-v1"}) { id } }`, nil)
	for filter, want := range map[string]int{
		`{component: "api"}`: 1, `{digest: "` + first + `"}`: 1, `{digest: "` + digest + `"}`: 1,
		`{status: draft}`: 1, `{nameContains: "MYAPP"}`: 1, `{}`: 2, `{createdAfter: "2999-01-01T00:00:00Z"}`: 0,
	} {
		got := e.ok(e.admin, `{ releases(filter: `+filter+`) { nodes { name } } }`, nil)
		if n := len(path(got, "releases", "nodes").([]any)); n != want {
			t.Errorf("releases(filter: %s) = %d, want %d: %v", filter, n, want, got)
		}
	}

	// Every mutation is audited.
	audit := e.ok(e.admin, `{ auditLog(first: 500) { nodes { action actor } } }`, nil)
	actions := map[string]bool{}
	for _, n := range path(audit, "auditLog", "nodes").([]any) {
		actions[path(n, "action").(string)] = true
		if path(n, "action") != "token.create" && path(n, "actor") != "bootstrap-admin" {
			t.Errorf("audit actor = %v", path(n, "actor"))
		}
	}
	for _, a := range []string{"environment.create", "target.register", "integration.create", "integration.test", "component.create",
		"component.sync", "release.create", "release.add_component", "release.finalize"} {
		if !actions[a] {
			t.Errorf("no audit entry for %s (have %v)", a, actions)
		}
	}

	e.assertNoSecretsLeaked()
}

func (e *env) assertNoSecretsLeaked() {
	e.t.Helper()
	for _, s := range []string{registryPassword, targetSecret} {
		if strings.Contains(e.bodies.String(), s) {
			e.t.Errorf("a GraphQL response contains the secret %q", s)
		}
		if strings.Contains(e.logs.String(), s) {
			e.t.Errorf("the log contains the secret %q", s)
		}
	}
	if strings.Contains(e.logs.String(), e.admin) {
		e.t.Error("the log contains the admin token")
	}
	if strings.HasPrefix(e.dbPath, "postgres") {
		return
	}
	for _, p := range []string{e.dbPath, e.dbPath + "-wal"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			e.t.Fatal(err)
		}
		for _, s := range []string{registryPassword, targetSecret} {
			if bytes.Contains(raw, []byte(s)) {
				e.t.Errorf("%s holds %q in plaintext", filepath.Base(p), s)
			}
		}
	}
}

func TestRolesAndTenants(t *testing.T) {
	e := newEnv(t, "")
	created := e.ok(e.admin, `mutation { createApiToken(input: {name: "carol", role: viewer}) { secret token { role tenant } } }`, nil)
	viewer, _ := path(created, "createApiToken", "secret").(string)
	if path(created, "createApiToken", "token", "role") != "viewer" || !strings.HasPrefix(viewer, auth.TokenPrefix) {
		t.Fatalf("created token = %v", created)
	}
	if r := e.gql(viewer, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer mutating = %+v, want FORBIDDEN", r.Errors)
	}
	if r := e.gql(viewer, `{ environments { nodes { id } } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("viewer reading = %+v", r.Errors)
	}
	if r := e.gql("", `{ environments { nodes { id } } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous = %+v, want UNAUTHENTICATED", r.Errors)
	}
	if r := e.gql("stl_not-a-real-token", `{ viewer { name } }`, nil); r.Status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" {
		t.Fatalf("bad token = %d %+v, want 401 UNAUTHENTICATED", r.Status, r.Errors)
	}

	env := e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	envID := path(env, "createEnvironment", "id").(string)
	_, other, err := e.srv.CreateToken(context.Background(), "globex", "bob", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{envID, "dev"} {
		if r := e.gql(other, `query($k: String!) { environment(key: $k) { id } }`, map[string]any{"k": key}); r.code() != "NOT_FOUND" {
			t.Fatalf("tenant globex reading acme's %s = %+v, want NOT_FOUND", key, r.Errors)
		}
	}
	if r := e.gql(other, `{ environments { nodes { id } } }`, nil); len(path(r.Data, "environments", "nodes").([]any)) != 0 {
		t.Fatal("tenant globex lists the default tenant's environments")
	}
	// The same name is free in another tenant.
	e.ok(other, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)

	tok := path(created, "createApiToken", "token").(map[string]any)
	_ = tok
	list := e.ok(e.admin, `{ apiTokens { id name } }`, nil)
	var carol string
	for _, tk := range path(list, "apiTokens").([]any) {
		if path(tk, "name") == "carol" {
			carol = path(tk, "id").(string)
		}
	}
	e.ok(e.admin, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, map[string]any{"id": carol})
	if r := e.gql(viewer, `{ viewer { name } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token = %d, want 401", r.Status)
	}
}

func TestMalformedInputIsValidationNeverInternal(t *testing.T) {
	e := newEnv(t, "")
	for name, body := range map[string]string{
		"unknown enum":     `{"query":"mutation { createEnvironment(input: {name: \"dev\", orderIndex: 0, tier: live}) { id } }"}`,
		"missing argument": `{"query":"mutation { createEnvironment(input: {name: \"dev\"}) { id } }"}`,
		"syntax error":     `{"query":"{ environments { "}`,
		"wrong variable":   `{"query":"query($k: String!) { environment(key: $k) { id } }","variables":{"k":{"a":1}}}`,
		"unknown field":    `{"query":"{ environments { nodes { password } } }"}`,
		"bad time":         `{"query":"{ releases(filter: {createdAfter: \"yesterday\"}) { nodes { id } } }"}`,
		"page too large":   `{"query":"{ releases(first: 100000) { nodes { id } } }"}`,
		"invalid name":     `{"query":"mutation { createRelease(input: {name: \"Bad Name!\"}) { id } }"}`,
		"not json":         `{"query": `,
	} {
		r := e.post(e.admin, []byte(body))
		if r.code() != "VALIDATION" || r.Status >= 500 {
			t.Errorf("%s: status %d code %q (%+v), want VALIDATION", name, r.Status, r.code(), r.Errors)
		}
	}
}

func TestOperationsEndpoints(t *testing.T) {
	e := newEnv(t, "")
	e.ok(e.admin, `{ environments { nodes { id } } }`, nil)
	for path, want := range map[string]string{
		"/healthz":   "ok",
		"/readyz":    "ready",
		"/metrics":   `stella_graphql_requests_total{operation="environments",outcome="ok",type="query"} 1`,
		"/graphiql/": "<html",
	} {
		resp, err := http.Get(e.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), want) {
			t.Errorf("GET %s = %d, want 200 containing %q; got %.300s", path, resp.StatusCode, want, raw)
		}
	}
	if !strings.Contains(e.logs.String(), `"msg":"http request"`) {
		t.Error("requests are not logged as structured lines")
	}
	if strings.Contains(e.logs.String(), "Bearer") {
		t.Error("the log contains an Authorization header")
	}
}
