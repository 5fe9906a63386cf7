package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

// openVEXFor is an OpenVEX document by Example Corp saying the openssl of
// image is not affected by CVE-2024-0727, dated ts.
func openVEXFor(image string, ts time.Time) string {
	return fmt.Sprintf(`{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/api-1",
  "author": "Example Corp",
  "timestamp": %q,
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2024-0727"},
    "products": [{"@id": %q, "subcomponents": [{"@id": "pkg:deb/debian/openssl@3.0.11-1~deb12u1"}]}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "PKCS12 files are never parsed."
  }]
}`, ts.Format(time.RFC3339), image)
}

func TestVEXOverGraphQL_SQLite(t *testing.T) { vexOverGraphQL(t, newEnv(t, "")) }

func TestVEXOverGraphQL_PostgreSQL(t *testing.T) {
	vexOverGraphQL(t, newEnv(t, testenv.PostgresDSN(t)))
}

func vexOverGraphQL(t *testing.T, e *env) {
	ctx := context.Background()
	digest := e.scannedRelease("myapp-v1")
	e.importOSV(debianOSV, advisory.Enrichment{})
	_, viewer, err := e.srv.CreateToken(ctx, server.DefaultTenant, "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, releaser, err := e.srv.CreateToken(ctx, server.DefaultTenant, "ci", auth.RoleReleaser, "test")
	if err != nil {
		t.Fatal(err)
	}

	findings := `query($c: Time) { release(key: "myapp-v1") { findings { advisoryId purl imageDigest
		vex(cutoff: $c) { status justification suppressed confidence conflict consensusDigest consensus { inputs } } } } }`
	fs := path(e.ok(viewer, findings, nil), "release", "findings").([]any)
	if len(fs) != 1 || path(fs[0], "advisoryId") != "CVE-2024-0727" {
		t.Fatalf("findings = %v, want the openssl one", fs)
	}
	pkg := path(fs[0], "purl").(string)
	if v := path(fs[0], "vex"); path(v, "status") != "unknown" || path(v, "suppressed") != false || path(v, "confidence") != 0.0 {
		t.Fatalf("verdict with no VEX = %v, want unknown and active", v)
	}

	// Importing needs the releaser role; a viewer is refused.
	ts := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	doc := openVEXFor(digest, ts)
	importVEX := `mutation($d: String!) { importVEX(document: $d) { digest statementCount inserted document { format author upstreamId revision } } }`
	if r := e.gql(viewer, importVEX, map[string]any{"d": doc}); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer importing = %+v, want FORBIDDEN", r.Errors)
	}
	imp := path(e.ok(releaser, importVEX, map[string]any{"d": doc}), "importVEX")
	docDigest, _ := path(imp, "digest").(string)
	if !strings.HasPrefix(docDigest, "sha256:") || path(imp, "statementCount") != 1.0 || path(imp, "inserted") != true ||
		path(imp, "document", "format") != "openvex" || path(imp, "document", "upstreamId") != "https://example.com/vex/api-1" {
		t.Fatalf("importVEX = %v", imp)
	}
	// The same document again, reformatted: same content hash, nothing written.
	again := path(e.ok(releaser, importVEX, map[string]any{"d": strings.ReplaceAll(doc, "\n", " ")}), "importVEX")
	if path(again, "inserted") != false || path(again, "digest") != docDigest {
		t.Fatalf("second import = %v, want inserted=false with the same digest", again)
	}

	// Bad documents are VALIDATION on "document", and write nothing.
	for _, bad := range []string{"", "not json", `{"hello": "world"}`, `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "bogus"}]}`} {
		r := e.gql(releaser, importVEX, map[string]any{"d": bad})
		if r.code() != "VALIDATION" {
			t.Fatalf("importVEX(%q) = %+v, want VALIDATION", bad, r.Errors)
		}
		if f, _ := r.Errors[0].Extensions["fields"].([]any); len(f) != 1 || path(f[0], "field") != "document" {
			t.Fatalf("importVEX(%q) fields = %v, want document", bad, r.Errors[0].Extensions)
		}
	}
	docs := path(e.ok(viewer, `{ vexDocuments(first: 10) { nodes { digest statementCount } pageInfo { hasNextPage } } }`, nil), "vexDocuments")
	if n := path(docs, "nodes").([]any); len(n) != 1 || path(n[0], "digest") != docDigest {
		t.Fatalf("documents = %v, want only the one imported", docs)
	}
	one := path(e.ok(viewer, `query($d: String!) { vexDocument(digest: $d) { digest raw statements {
		digest issuer vulnerability product subcomponents status justification impactStatement sourceStatus timestamp signed verified } } }`,
		map[string]any{"d": docDigest}), "vexDocument")
	st := path(one, "statements").([]any)
	if path(one, "raw") != doc || len(st) != 1 || path(st[0], "issuer") != "unknown:Example Corp" || path(st[0], "product") != digest ||
		path(st[0], "status") != "not_affected" || path(st[0], "justification") != "vulnerable_code_not_in_execute_path" ||
		path(st[0], "timestamp") != ts.Format(time.RFC3339) || path(st[0], "signed") != false {
		t.Fatalf("vexDocument = %v", one)
	}
	if r := e.gql(viewer, `{ vexDocument(digest: "sha256:0000") { digest } }`, nil); r.code() != "NOT_FOUND" {
		t.Fatalf("unknown document = %+v, want NOT_FOUND", r.Errors)
	}

	// The consensus, asked by the advisory's alias: resolved to the group.
	cutoff := ts.Add(90 * 24 * time.Hour)
	consensus := `query($p: String, $k: String!, $v: String!, $c: Time) { vexConsensus(product: $p, package: $k, vulnerability: $v, cutoff: $c) {
		schema subject { product package vulnerability aliases } status conflict confidence justification
		settings { weights { provenance coverage replayability } minScore delta halfLife floor latticeVersion }
		cutoff registryDigest inputs consensusDigest
		claims { issuer class format documentDigest statementDigest status justification timestamp
			provenance coverage replayability baseTrust strength freshness score inTopSet dropped flags } } }`
	c := path(e.ok(viewer, consensus, map[string]any{"p": digest, "k": pkg, "v": "DSA-5621-1", "c": cutoff.Format(time.RFC3339)}), "vexConsensus")
	if path(c, "status") != "not_affected" || path(c, "conflict") != false || path(c, "justification") != "vulnerable_code_not_in_execute_path" ||
		path(c, "schema") != "stella.vex.consensus/v1" || path(c, "subject", "vulnerability") != "CVE-2024-0727" ||
		path(c, "cutoff") != cutoff.Format(time.RFC3339) || !strings.HasPrefix(path(c, "consensusDigest").(string), "sha256:") ||
		path(c, "settings", "weights", "provenance") != 0.45 || path(c, "settings", "halfLife") != 90.0 {
		t.Fatalf("vexConsensus = %v", c)
	}
	claims := path(c, "claims").([]any)
	if len(claims) != 1 {
		t.Fatalf("claims = %v", claims)
	}
	cl := claims[0]
	// Unsigned upload by an unknown author: P 0.10; exact package C 1;
	// versioned OpenVEX R 0.6; justified not_affected M 0.8; 90 days F 0.5.
	if path(cl, "issuer") != "unknown:Example Corp" || path(cl, "class") != "hub" || path(cl, "documentDigest") != docDigest ||
		path(cl, "provenance") != 0.1 || path(cl, "coverage") != 1.0 || path(cl, "replayability") != 0.6 || path(cl, "strength") != 0.8 ||
		path(cl, "freshness") != 0.5 || path(cl, "baseTrust") != 0.515 || path(cl, "score") != 0.206 || path(cl, "inTopSet") != true ||
		path(cl, "dropped") != nil || path(c, "confidence") != 0.206 {
		t.Fatalf("claim = %v", cl)
	}
	// Another image holds no claim: unknown.
	other := "sha256:" + strings.Repeat("0", 64)
	if u := path(e.ok(viewer, consensus, map[string]any{"p": other, "k": pkg, "v": "CVE-2024-0727"}), "vexConsensus"); path(u, "status") != "unknown" {
		t.Fatalf("consensus for another image = %v", u)
	}
	for _, bad := range []map[string]any{{"k": "openssl", "v": "CVE-2024-0727"}, {"k": pkg, "v": " "}} {
		if r := e.gql(viewer, consensus, bad); r.code() != "VALIDATION" {
			t.Fatalf("vexConsensus(%v) = %+v, want VALIDATION", bad, r.Errors)
		}
	}

	// The finding now carries the verdict: suppressed, kept in the list.
	fs = path(e.ok(viewer, findings, map[string]any{"c": cutoff.Format(time.RFC3339)}), "release", "findings").([]any)
	v := path(fs[0], "vex")
	if len(fs) != 1 || path(v, "status") != "not_affected" || path(v, "suppressed") != true || path(v, "conflict") != false ||
		path(v, "justification") != "vulnerable_code_not_in_execute_path" || path(v, "confidence") != 0.206 ||
		path(v, "consensusDigest") != path(c, "consensusDigest") {
		t.Fatalf("finding's verdict = %v, want the consensus %v", v, c)
	}
	// With the default cut-off (now) the day-old claim is fresher still.
	if v := path(path(e.ok(viewer, findings, nil), "release", "findings").([]any)[0], "vex"); path(v, "suppressed") != true ||
		path(v, "confidence").(float64) <= 0.206 {
		t.Fatalf("verdict as of now = %v", v)
	}

	// Issuers: admin only; each change is a registry version.
	register := `mutation($in: VexIssuerInput!) { registerVEXIssuer(input: $in) { changed
		issuer { id name class scope keys { keyId validFrom } provenanceOverride requireSignatureForNotAffected }
		registry { version digest issuers { id } } } }`
	in := map[string]any{"id": "example", "name": "Example Corp", "class": "vendor", "scope": []string{"pkg:deb/"},
		"keys": []any{map[string]any{"keyId": "k1", "algorithm": "ed25519", "validFrom": "2024-01-01T00:00:00Z"}}}
	if r := e.gql(releaser, register, map[string]any{"in": in}); r.code() != "FORBIDDEN" {
		t.Fatalf("releaser registering an issuer = %+v, want FORBIDDEN", r.Errors)
	}
	reg := path(e.ok(e.admin, register, map[string]any{"in": in}), "registerVEXIssuer")
	if path(reg, "changed") != true || path(reg, "registry", "version") != "1" || path(reg, "issuer", "class") != "vendor" ||
		path(path(reg, "issuer", "keys").([]any)[0], "validFrom") != "2024-01-01T00:00:00Z" {
		t.Fatalf("registerVEXIssuer = %v", reg)
	}
	if same := path(e.ok(e.admin, register, map[string]any{"in": in}), "registerVEXIssuer"); path(same, "changed") != false ||
		path(same, "registry", "version") != "1" {
		t.Fatalf("registering the same issuer again = %v", same)
	}
	in["provenanceOverride"] = 2.0
	if r := e.gql(e.admin, register, map[string]any{"in": in}); r.code() != "VALIDATION" {
		t.Fatalf("provenanceOverride 2 = %+v, want VALIDATION", r.Errors)
	}
	is := path(e.ok(viewer, `{ vexIssuers { id name class } vexRegistry { version digest } }`, nil), "vexIssuers").([]any)
	if len(is) != 1 || path(is[0], "id") != "example" {
		t.Fatalf("vexIssuers = %v", is)
	}
	// The consensus records the registry it was computed with.
	c2 := path(e.ok(viewer, consensus, map[string]any{"p": digest, "k": pkg, "v": "CVE-2024-0727", "c": cutoff.Format(time.RFC3339)}), "vexConsensus")
	if path(c2, "registryDigest") != path(reg, "registry", "digest") || path(c2, "status") != "not_affected" {
		t.Fatalf("consensus after registering = %v", c2)
	}

	// Another tenant sees none of it.
	_, globex, err := e.srv.CreateToken(ctx, "globex", "bob", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	g := e.ok(globex, `{ vexDocuments { nodes { digest } } vexIssuers { id } }`, nil)
	if len(path(g, "vexDocuments", "nodes").([]any)) != 0 || len(path(g, "vexIssuers").([]any)) != 0 {
		t.Fatalf("another tenant sees %v", g)
	}
}
