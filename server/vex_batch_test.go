package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/graph"
	"github.com/stella-ops/stella/graph/generated"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/vex"
)

// countingVEX counts the queries a vex.Store answers.
type countingVEX struct {
	vex.Store
	statements, registry atomic.Int64
}

func (c *countingVEX) Statements(ctx context.Context, tenant string, f vex.StatementFilter) ([]vex.Statement, error) {
	c.statements.Add(1)
	return c.Store.Statements(ctx, tenant, f)
}

func (c *countingVEX) Registry(ctx context.Context, tenant string) (*vex.Registry, error) {
	c.registry.Add(1)
	return c.Store.Registry(ctx, tenant)
}

func (c *countingVEX) reset() { c.statements.Store(0); c.registry.Store(0) }

// opensslOSV is a Debian record of an advisory DSA-<n>-1 (alias
// CVE-2024-<n>) affecting the openssl of debianImage.
func opensslOSV(n int) string {
	return fmt.Sprintf(`{"schema_version": "1.6.0", "id": "DSA-%d-1", "aliases": ["CVE-2024-%d"], "modified": "2024-02-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}]}]}`, n, n)
}

// openVEXDoc is an OpenVEX document by author, identified by id, with the
// given statements (JSON objects).
func openVEXDoc(id, author string, ts time.Time, stmts ...string) string {
	return fmt.Sprintf(`{"@context": "https://openvex.dev/ns/v0.2.0", "@id": %q, "author": %q, "timestamp": %q, "version": 1,
  "statements": [%s]}`, id, author, ts.Format(time.RFC3339), strings.Join(stmts, ","))
}

func vexStmt(vuln, product, sub, status string) string {
	prod := fmt.Sprintf(`{"@id": %q}`, product)
	if sub != "" {
		prod = fmt.Sprintf(`{"@id": %q, "subcomponents": [{"@id": %q}]}`, product, sub)
	}
	extra := ""
	switch status {
	case "not_affected":
		extra = `, "justification": "vulnerable_code_not_in_execute_path"`
	case "affected":
		extra = `, "action_statement": "upgrade"`
	}
	return fmt.Sprintf(`{"vulnerability": {"name": %q}, "products": [%s], "status": %q%s}`, vuln, prod, status, extra)
}

// gqlHandler serves GraphQL as the admin of DefaultTenant.
func gqlHandler(h http.Handler) func(t *testing.T, query string, vars map[string]any) []byte {
	tok := &auth.Token{ID: "t", TenantID: server.DefaultTenant, Name: "test", Role: auth.RoleAdmin}
	return func(t *testing.T, query string, vars map[string]any) []byte {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(graph.WithPrincipal(req.Context(), tok)))
		var out struct {
			Data   json.RawMessage `json:"data"`
			Errors []any           `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("%s\n= %s", query, rec.Body.Bytes())
		}
		return out.Data
	}
}

func TestVEXBatchedFindings_SQLite(t *testing.T) { vexBatchedFindings(t, newEnv(t, "")) }

func TestVEXBatchedFindings_PostgreSQL(t *testing.T) {
	vexBatchedFindings(t, newEnv(t, testenv.PostgresDSN(t)))
}

// vexBatchedFindings checks that the verdicts of a release's findings,
// read in one statements query and one registry query per operation, are
// byte for byte those of the per-finding path (two queries per finding).
func vexBatchedFindings(t *testing.T, e *env) {
	image := e.scannedRelease("batch-v1")
	e.importOSV(debianOSV, advisory.Enrichment{})
	e.importOSV(zlibOSV, advisory.Enrichment{})
	const n = 12
	for i := range n {
		e.importOSV(opensslOSV(9000+i), advisory.Enrichment{})
	}
	pkgs := map[string]string{}
	for _, f := range path(e.ok(e.admin, `{ release(key: "batch-v1") { findings { advisoryId purl } } }`, nil), "release", "findings").([]any) {
		pkgs[path(f, "advisoryId").(string)] = path(f, "purl").(string)
	}
	openssl, zlib := pkgs["CVE-2024-0727"], pkgs["CVE-2023-45853"]
	if len(pkgs) != n+2 || openssl == "" || zlib == "" {
		t.Fatalf("findings = %v, want %d", pkgs, n+2)
	}

	// Several issuers and documents: image-level claims narrowed to the
	// package, package-level claims, claims by alias, a conflict, a
	// superseded revision, and claims about nothing in the release.
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var vendor, vendor2, distro, other []string
	for i := range n {
		cve, dsa := fmt.Sprintf("CVE-2024-%d", 9000+i), fmt.Sprintf("DSA-%d-1", 9000+i)
		switch i % 4 {
		case 0:
			vendor = append(vendor, vexStmt(cve, image, openssl, "not_affected"))
			distro = append(distro, vexStmt(dsa, openssl, "", "affected"))
		case 1:
			vendor = append(vendor, vexStmt(cve, image, openssl, "affected"))
			vendor2 = append(vendor2, vexStmt(cve, image, openssl, "not_affected"))
		case 2:
			distro = append(distro, vexStmt(dsa, strings.Split(openssl, "@")[0], "", "fixed"))
		}
		other = append(other, vexStmt(cve, "sha256:"+strings.Repeat("ab", 32), openssl, "not_affected"))
	}
	vendor = append(vendor, vexStmt("CVE-2024-0727", image, openssl, "under_investigation"))
	vendor2 = append(vendor2, vexStmt("CVE-2024-0727", image, openssl, "not_affected"))
	distro = append(distro, vexStmt("DSA-9999-1", zlib, "", "not_affected"), vexStmt("CVE-2023-45853", image, zlib, "affected"))
	docs := []string{
		openVEXDoc("https://vendor.example/vex/1", "Vendor", ts, vendor...),
		openVEXDoc("https://vendor.example/vex/1", "Vendor", ts.Add(48*time.Hour), vendor2...), // revision 2 supersedes 1
		openVEXDoc("https://distro.example/vex/1", "Distro", ts.Add(24*time.Hour), distro...),
		openVEXDoc("https://other.example/vex/1", "Other", ts, other...),
	}
	e.ok(e.admin, `mutation($in: VexIssuerInput!) { registerVEXIssuer(input: $in) { changed } }`,
		map[string]any{"in": map[string]any{"id": "distro", "name": "Distro", "class": "distro"}})
	for _, d := range docs {
		e.ok(e.admin, `mutation($d: String!) { importVEX(document: $d) { digest } }`, map[string]any{"d": d})
	}

	// The same resolvers behind two handlers: graph.NewHandler, which
	// batches, and a bare one without the per-operation memo, which takes
	// the per-finding path.
	count := &countingVEX{Store: e.srv.Store()}
	now := ts.Add(30 * 24 * time.Hour)
	res := &graph.Resolver{Catalog: e.srv.Catalog(), Tokens: e.srv.Store(), SBOMs: e.srv.Store(), Advisories: e.srv.Store(),
		VEX: count, Now: func() time.Time { return now }}
	batched := gqlHandler(graph.NewHandler(res, slog.New(slog.DiscardHandler)))
	bare := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: res, Directives: generated.DirectiveRoot{
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, _ auth.Role) (any, error) { return next(ctx) }}}))
	bare.AddTransport(transport.POST{})
	perFinding := gqlHandler(bare)

	const verdicts = `vex { status justification suppressed confidence conflict consensusDigest
		consensus { schema status conflict confidence justification cutoff registryDigest inputs consensusDigest
			subject { product package vulnerability aliases }
			claims { issuer class documentDigest statementDigest status justification timestamp provenance coverage
				replayability baseTrust strength freshness score inTopSet dropped flags } } }
		later: vex(cutoff: $c) { consensusDigest status confidence }`
	releaseQ := `query($c: Time) { release(key: "batch-v1") { findings { advisoryId purl imageDigest ` + verdicts + ` } } }`
	vars := map[string]any{"c": now.Add(400 * 24 * time.Hour).Format(time.RFC3339)}

	count.reset()
	want := perFinding(t, releaseQ, vars)
	before := [2]int64{count.statements.Load(), count.registry.Load()}
	count.reset()
	got := batched(t, releaseQ, vars)
	after := [2]int64{count.statements.Load(), count.registry.Load()}
	if !bytes.Equal(got, want) {
		t.Fatalf("batched verdicts differ from per-finding ones:\nbatched:     %s\nper-finding: %s", got, want)
	}
	findings := 2 * (n + 2) // two vex fields per finding
	t.Logf("release of %d findings, 2 vex fields each: statements+registry queries per-finding %v, batched %v", n+2, before, after)
	if before != [2]int64{int64(findings), int64(findings)} || after != [2]int64{1, 1} {
		t.Fatalf("queries (statements, registry): per-finding %v, batched %v; want %d each and 1 each", before, after, findings)
	}
	// The verdicts say something: every status the documents give.
	for _, s := range []string{`"not_affected"`, `"affected"`, `"fixed"`, `"unknown"`, `"superseded"`} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("no verdict has %s: %s", s, got)
		}
	}

	// findings(sbom:) batches the same way.
	var sb struct {
		Release struct {
			Sboms []struct {
				Sbom *struct{ ContentDigest string } `json:"sbom"`
			} `json:"sboms"`
		} `json:"release"`
	}
	if err := json.Unmarshal(batched(t, `{ release(key: "batch-v1") { sboms { sbom { contentDigest } } } }`, nil), &sb); err != nil ||
		len(sb.Release.Sboms) == 0 || sb.Release.Sboms[0].Sbom == nil {
		t.Fatalf("sboms = %+v, %v", sb, err)
	}
	sbomQ := `query($s: String!, $c: Time) { findings(sbom: $s) { advisoryId ` + verdicts + ` } }`
	vars["s"] = sb.Release.Sboms[0].Sbom.ContentDigest
	count.reset()
	want = perFinding(t, sbomQ, vars)
	count.reset()
	got = batched(t, sbomQ, vars)
	if !bytes.Equal(got, want) || count.statements.Load() != 1 || count.registry.Load() != 1 {
		t.Fatalf("findings(sbom) batched: %d statements, %d registry queries; equal = %v", count.statements.Load(), count.registry.Load(), bytes.Equal(got, want))
	}
}
