package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

// The server's clock is fixed, so a manual statement's timestamp (the
// resolver's clock) is known and repeating it gives the same document.
func TestManualVEXOverGraphQL_SQLite(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	manualVEXOverGraphQL(t, newEnv(t, "", withClock(now)), now)
}

func TestManualVEXOverGraphQL_PostgreSQL(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	manualVEXOverGraphQL(t, newEnv(t, testenv.PostgresDSN(t), withClock(now)), now)
}

const addVEXStatement = `mutation($in: AddVexStatementInput!) { addVEXStatement(input: $in) {
	digest statementCount inserted document { format author upstreamId revision raw
		statements { issuer format product vulnerability status justification impactStatement timestamp } } } }`

func manualVEXOverGraphQL(t *testing.T, e *env, now time.Time) {
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
	in := map[string]any{"product": strings.ToUpper(digest[:7]) + digest[7:], "vulnerability": "cve-2024-0727", "status": "not_affected",
		"justification": "vulnerable_code_not_in_execute_path", "impactStatement": "PKCS12 files are never parsed."}

	// Adding needs the releaser role.
	if r := e.gql(viewer, addVEXStatement, map[string]any{"in": in}); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer adding = %+v, want FORBIDDEN", r.Errors)
	}
	// Refused statements are VALIDATION naming the input field; nothing is written.
	for _, c := range []struct {
		name, field string
		change      func(map[string]any)
	}{
		{"not_affected bare", "input.justification", func(m map[string]any) { delete(m, "justification"); m["impactStatement"] = " " }},
		{"unknown justification", "input.justification", func(m map[string]any) { m["justification"] = "because" }},
		{"product a tag", "input.product", func(m map[string]any) { m["product"] = "team/api:v1.0.0" }},
		{"no vulnerability", "input.vulnerability", func(m map[string]any) { m["vulnerability"] = " " }},
		{"subcomponent not a purl", "input.subcomponents", func(m map[string]any) { m["subcomponents"] = []string{"openssl"} }},
	} {
		bad := map[string]any{}
		for k, v := range in {
			bad[k] = v
		}
		c.change(bad)
		r := e.gql(releaser, addVEXStatement, map[string]any{"in": bad})
		var fields []any
		if len(r.Errors) > 0 {
			fields, _ = r.Errors[0].Extensions["fields"].([]any)
		}
		if r.code() != "VALIDATION" || len(fields) != 1 || path(fields[0], "field") != c.field {
			t.Fatalf("%s = %+v, want VALIDATION on %s", c.name, r.Errors, c.field)
		}
	}
	// An unknown status is refused by the schema itself.
	if r := e.gql(releaser, addVEXStatement, map[string]any{"in": map[string]any{"product": digest, "vulnerability": "CVE-2024-0727",
		"status": "exploitable"}}); r.code() != "VALIDATION" {
		t.Fatalf("status exploitable = %+v, want VALIDATION", r.Errors)
	}
	if n := path(e.ok(viewer, `{ vexDocuments { nodes { digest } } }`, nil), "vexDocuments", "nodes").([]any); len(n) != 0 {
		t.Fatalf("refused statements were stored: %v", n)
	}

	add := path(e.ok(releaser, addVEXStatement, map[string]any{"in": in}), "addVEXStatement")
	docDigest, _ := path(add, "digest").(string)
	st, _ := path(add, "document", "statements").([]any)
	if !strings.HasPrefix(docDigest, "sha256:") || path(add, "inserted") != true || path(add, "statementCount") != 1.0 ||
		path(add, "document", "format") != "manual" || path(add, "document", "author") != "default internal" ||
		path(add, "document", "upstreamId") != nil || len(st) != 1 ||
		!strings.Contains(path(add, "document", "raw").(string), `"@context":"https://openvex.dev/ns/v0.2.0"`) {
		t.Fatalf("addVEXStatement = %v", add)
	}
	if path(st[0], "issuer") != "unknown:default internal" || path(st[0], "format") != "manual" || path(st[0], "product") != digest ||
		path(st[0], "vulnerability") != "CVE-2024-0727" || path(st[0], "timestamp") != now.Format(time.RFC3339) {
		t.Fatalf("statement = %v", st[0])
	}
	// The same statement again: the same document, nothing written.
	again := path(e.ok(releaser, addVEXStatement, map[string]any{"in": in}), "addVEXStatement")
	if path(again, "inserted") != false || path(again, "digest") != docDigest {
		t.Fatalf("second add = %v, want inserted=false with digest %s", again, docDigest)
	}

	// The consensus scores it as a manual entry: P 0.10, R 0.20 (vex.md
	// §4.1); exact image C 1; justified M 0.8; made now, F 1.
	findings := `{ release(key: "myapp-v1") { findings { advisoryId purl
		vex { status justification suppressed confidence consensusDigest } } } }`
	fs := path(e.ok(viewer, findings, nil), "release", "findings").([]any)
	if len(fs) != 1 || path(fs[0], "advisoryId") != "CVE-2024-0727" {
		t.Fatalf("findings = %v, want the openssl one", fs)
	}
	consensus := `query($p: String, $k: String!, $v: String!) { vexConsensus(product: $p, package: $k, vulnerability: $v) {
		status conflict confidence consensusDigest claims { issuer class format documentDigest provenance coverage replayability
			baseTrust strength freshness score inTopSet dropped } } }`
	c := path(e.ok(viewer, consensus, map[string]any{"p": digest, "k": path(fs[0], "purl"), "v": "CVE-2024-0727"}), "vexConsensus")
	claims, _ := path(c, "claims").([]any)
	if path(c, "status") != "not_affected" || len(claims) != 1 {
		t.Fatalf("vexConsensus = %v", c)
	}
	cl := claims[0]
	if path(cl, "format") != "manual" || path(cl, "issuer") != "unknown:default internal" || path(cl, "class") != "hub" ||
		path(cl, "documentDigest") != docDigest || path(cl, "provenance") != 0.1 || path(cl, "replayability") != 0.2 ||
		path(cl, "coverage") != 1.0 || path(cl, "baseTrust") != 0.435 || path(cl, "strength") != 0.8 ||
		path(cl, "freshness") != 1.0 || path(cl, "score") != 0.348 || path(cl, "inTopSet") != true || path(cl, "dropped") != nil {
		t.Fatalf("claim = %v", cl)
	}
	// The finding carries the verdict: suppressed, kept.
	v := path(fs[0], "vex")
	if path(v, "status") != "not_affected" || path(v, "suppressed") != true || path(v, "confidence") != 0.348 ||
		path(v, "justification") != "vulnerable_code_not_in_execute_path" || path(v, "consensusDigest") != path(c, "consensusDigest") {
		t.Fatalf("finding's verdict = %v, want the consensus %v", v, c)
	}

	// Once the tenant registers an internal issuer, manual statements are
	// its. Its affected claim ties with the earlier not_affected one (same
	// P, C, R, M, F), so both are in the top set: affected, with conflict.
	e.ok(e.admin, `mutation { registerVEXIssuer(input: {id: "platform", name: "Platform team", class: internal}) { changed } }`, nil)
	in["status"], in["actionStatement"] = "affected", "Upgrade openssl to 3.0.13."
	delete(in, "justification")
	delete(in, "impactStatement")
	aff := path(e.ok(releaser, addVEXStatement, map[string]any{"in": in}), "addVEXStatement")
	if path(aff, "inserted") != true || path(aff, "document", "author") != "Platform team" ||
		path(path(aff, "document", "statements").([]any)[0], "issuer") != "platform" {
		t.Fatalf("add with an internal issuer = %v", aff)
	}
	c = path(e.ok(viewer, consensus, map[string]any{"p": digest, "k": path(fs[0], "purl"), "v": "CVE-2024-0727"}), "vexConsensus")
	if path(c, "status") != "affected" || path(c, "conflict") != true || path(c, "claims").([]any)[0].(map[string]any)["class"] != "internal" {
		t.Fatalf("consensus with the internal issuer's claim = %v", c)
	}

	// Each insertion is audited; the repeat is not.
	audit := path(e.ok(e.admin, `{ auditLog(first: 100) { nodes { action entityId } } }`, nil), "auditLog", "nodes").([]any)
	n := 0
	for _, a := range audit {
		if path(a, "action") == "vex.add" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("vex.add audit entries = %d, want 2: %v", n, audit)
	}
}
