package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

// The server's clock is fixed at cutoff: exceptions are created and
// revoked at it, and the dry runs ask for it unless they look past expiry.
func TestExceptionsOverGraphQL_SQLite(t *testing.T) {
	cutoff := time.Now().UTC().Truncate(time.Second)
	exceptionsOverGraphQL(t, newEnv(t, "", withGates(t, gatesYAML), withClock(cutoff)), cutoff)
}

func TestExceptionsOverGraphQL_PostgreSQL(t *testing.T) {
	cutoff := time.Now().UTC().Truncate(time.Second)
	exceptionsOverGraphQL(t, newEnv(t, testenv.PostgresDSN(t), withGates(t, gatesYAML), withClock(cutoff)), cutoff)
}

const exceptionFields = `id vulnerability packageKey component releaseName environments effect downgradeTo
	justification owner approvedBy createdAt expiresAt revokedAt revokedBy active`

func exceptionsOverGraphQL(t *testing.T, e *env, cutoff time.Time) {
	ctx := context.Background()
	e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 2, tier: production}) { id } }`, nil)
	e.importOSV(debianOSV, advisory.Enrichment{KEV: map[string]advisory.KEV{
		"CVE-2024-0727": {DateAdded: "2024-02-01", DueDate: "2024-02-22"}}})
	token := func(name string, role auth.Role) string {
		t.Helper()
		_, secret, err := e.srv.CreateToken(ctx, server.DefaultTenant, name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	viewer, releaser, approver := token("reader", auth.RoleViewer), token("ci", auth.RoleReleaser), token("sec-lead", auth.RoleApprover)

	evaluate := `query($c: Time) { evaluateRelease(release: "myapp-v1", environment: "prod", cutoff: $c) {
		decision reasonCodes exceptions inputs { exceptionsDigest } explain { findings { advisoryId exception active } } } }`
	at := func(c time.Time) map[string]any { return map[string]any{"c": c.Format(time.RFC3339)} }
	decision := func(c time.Time) map[string]any {
		t.Helper()
		return path(e.ok(viewer, evaluate, at(c)), "evaluateRelease").(map[string]any)
	}

	// Production denies the high, KEV-listed openssl finding.
	denied := decision(cutoff)
	if path(denied, "decision") != "DENY" || len(path(denied, "exceptions").([]any)) != 0 {
		t.Fatalf("prod before any exception = %v", denied)
	}

	create := `mutation($in: ExceptionInput!) { createException(input: $in) { ` + exceptionFields + ` } }`
	expires := cutoff.Add(30 * 24 * time.Hour)
	input := func(change func(in map[string]any)) map[string]any {
		in := map[string]any{"vulnerability": "CVE-2024-0727", "environments": []string{"prod"}, "effect": "SUPPRESS",
			"justification": "openssl PKCS12 parsing is not reachable from the api", "owner": "team-api",
			"expiresAt": expires.Format(time.RFC3339)}
		if change != nil {
			change(in)
		}
		return map[string]any{"in": in}
	}

	// Only approvers (and admins) create exceptions.
	for name, tok := range map[string]string{"releaser": releaser, "viewer": viewer} {
		if r := e.gql(tok, create, input(nil)); r.code() != "FORBIDDEN" {
			t.Fatalf("%s creating an exception = %+v, want FORBIDDEN", name, r.Errors)
		}
	}
	// The rules of gate.md §5 name the field at fault.
	for _, c := range []struct {
		name, field string
		change      func(in map[string]any)
	}{
		{"approver is the owner", "owner", func(in map[string]any) { in["owner"] = "sec-lead" }},
		{"expiry past 180 days", "expiresAt", func(in map[string]any) {
			in["expiresAt"] = cutoff.Add(181 * 24 * time.Hour).Format(time.RFC3339)
		}},
		{"expiry in the past", "expiresAt", func(in map[string]any) { in["expiresAt"] = cutoff.Add(-time.Hour).Format(time.RFC3339) }},
		{"no justification", "justification", func(in map[string]any) { in["justification"] = " " }},
		{"downgrade to nothing", "downgradeTo", func(in map[string]any) { in["effect"] = "DOWNGRADE" }},
		{"no vulnerability", "vulnerability", func(in map[string]any) { in["vulnerability"] = " " }},
		{"an empty environment", "environments", func(in map[string]any) { in["environments"] = []string{"prod", ""} }},
	} {
		r := e.gql(approver, create, input(c.change))
		fields, _ := func() ([]any, bool) {
			if len(r.Errors) == 0 {
				return nil, false
			}
			f, ok := r.Errors[0].Extensions["fields"].([]any)
			return f, ok
		}()
		if r.code() != "VALIDATION" || len(fields) != 1 || path(fields[0], "field") != c.field {
			t.Fatalf("%s = %+v, want VALIDATION on %s", c.name, r.Errors, c.field)
		}
		// The message speaks of the input, not of the stored exception.
		if msg := r.Errors[0].Message; !strings.HasPrefix(msg, "invalid input: "+c.field+": ") {
			t.Fatalf("%s: message %q", c.name, msg)
		}
	}
	// A missing expiry is refused by the schema itself.
	if r := e.gql(approver, create, input(func(in map[string]any) { delete(in, "expiresAt") })); r.code() != "VALIDATION" {
		t.Fatalf("no expiry = %+v, want VALIDATION", r.Errors)
	}
	if n := path(e.ok(viewer, `{ exceptions { id } }`, nil), "exceptions").([]any); len(n) != 0 {
		t.Fatalf("refused exceptions were stored: %v", n)
	}

	// An approver creates a suppress exception: approvedBy is the caller,
	// createdAt the server's clock, the id generated.
	x := path(e.ok(approver, create, input(nil)), "createException")
	id, _ := path(x, "id").(string)
	if id == "" || path(x, "approvedBy") != "sec-lead" || path(x, "owner") != "team-api" || path(x, "effect") != "SUPPRESS" ||
		path(x, "createdAt") != cutoff.Format(time.RFC3339) || path(x, "expiresAt") != expires.Format(time.RFC3339) ||
		path(x, "active") != true || path(x, "revokedAt") != nil || !slices.Equal(strs(path(x, "environments")), []string{"prod"}) {
		t.Fatalf("created exception = %v", x)
	}
	// An admin may create one too; one for another vulnerability is in the
	// log but applies to nothing.
	other := path(e.ok(e.admin, create, input(func(in map[string]any) { in["vulnerability"] = "CVE-2099-0001" })), "createException")

	// Production now allows, and the record lists the applied exception.
	allowed := decision(cutoff)
	if path(allowed, "decision") != "ALLOW" {
		t.Fatalf("prod with the exception = %v", allowed)
	}
	applied := path(allowed, "exceptions").([]any)
	if len(applied) != 1 {
		t.Fatalf("record exceptions = %v, want the one applied", applied)
	}
	var rx exception.Exception
	if err := json.Unmarshal([]byte(applied[0].(string)), &rx); err != nil || rx.ID != id || rx.ApprovedBy != "sec-lead" ||
		rx.Effect != exception.Suppress || rx.Scope.Vulnerability != "CVE-2024-0727" {
		t.Fatalf("record exception = %s, %v", applied[0], err)
	}
	if path(allowed, "inputs", "exceptionsDigest") == path(denied, "inputs", "exceptionsDigest") {
		t.Fatal("exceptionsDigest does not change with the exception log")
	}
	// A stored decision says the same, and replays from the store.
	releaserDecision := path(e.ok(releaser, `mutation { decideRelease(release: "myapp-v1", environment: "prod") { decision exceptions recordDigest } }`, nil), "decideRelease")
	if path(releaserDecision, "decision") != "ALLOW" || len(path(releaserDecision, "exceptions").([]any)) != 1 {
		t.Fatalf("stored decision = %v", releaserDecision)
	}
	sd, err := e.srv.Store().Decision(ctx, server.DefaultTenant, path(releaserDecision, "recordDigest").(string))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := record.Replay(ctx, sd.Decision, e.srv.Store().GateInputs(server.DefaultTenant)); err != nil || res.Outcome != record.Match {
		t.Fatalf("replay = %+v, %v", res, err)
	}

	// At expiry the finding counts again, without anyone touching it.
	if expired := decision(expires); path(expired, "decision") != "DENY" || len(path(expired, "exceptions").([]any)) != 0 {
		t.Fatalf("prod at expiry = %v", expired)
	}
	if before := decision(expires.Add(-time.Second)); path(before, "decision") != "ALLOW" {
		t.Fatalf("prod just before expiry = %v", before)
	}
	list := `query($a: Time) { exceptions(activeAt: $a) { ` + exceptionFields + ` } }`
	now := path(e.ok(viewer, list, nil), "exceptions").([]any)
	later := path(e.ok(viewer, list, map[string]any{"a": expires.Format(time.RFC3339)}), "exceptions").([]any)
	if len(now) != 2 || len(later) != 2 || path(now[0], "active") != true || path(later[0], "active") != false {
		t.Fatalf("exceptions now = %v, at expiry = %v", now, later)
	}
	if ids := []string{path(now[0], "id").(string), path(now[1], "id").(string)}; !slices.Contains(ids, id) || !slices.Contains(ids, path(other, "id").(string)) {
		t.Fatalf("listed ids = %v", ids)
	}

	// Revoking needs the approver role too, and takes effect at once.
	revoke := `mutation($id: String!) { revokeException(id: $id) { ` + exceptionFields + ` } }`
	if r := e.gql(releaser, revoke, map[string]any{"id": id}); r.code() != "FORBIDDEN" {
		t.Fatalf("releaser revoking = %+v, want FORBIDDEN", r.Errors)
	}
	revoked := path(e.ok(approver, revoke, map[string]any{"id": id}), "revokeException")
	if path(revoked, "revokedBy") != "sec-lead" || path(revoked, "revokedAt") != cutoff.Format(time.RFC3339) ||
		path(revoked, "active") != false || path(revoked, "owner") != "team-api" {
		t.Fatalf("revoked exception = %v", revoked)
	}
	if again := decision(cutoff); path(again, "decision") != "DENY" || len(path(again, "exceptions").([]any)) != 0 {
		t.Fatalf("prod after revocation = %v", again)
	}
	if r := e.gql(approver, revoke, map[string]any{"id": id}); r.code() != "CONFLICT" {
		t.Fatalf("revoking twice = %+v, want CONFLICT", r.Errors)
	}
	if r := e.gql(approver, revoke, map[string]any{"id": "nope"}); r.code() != "NOT_FOUND" {
		t.Fatalf("revoking an unknown exception = %+v, want NOT_FOUND", r.Errors)
	}
	if r := e.gql(approver, create, input(nil)); len(r.Errors) != 0 {
		t.Fatalf("a new exception after a revocation = %+v", r.Errors)
	}

	// Both mutations are audited.
	audit := path(e.ok(e.admin, `{ auditLog(first: 100) { nodes { action entityId } } }`, nil), "auditLog", "nodes").([]any)
	counts := map[string]int{}
	for _, a := range audit {
		counts[path(a, "action").(string)]++
	}
	if counts["gate.exception.create"] != 3 || counts["gate.exception.revoke"] != 1 {
		t.Fatalf("audit = %v", counts)
	}

	// Another tenant sees none of it.
	_, globex, err := e.srv.CreateToken(ctx, "globex", "bob", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	if n := path(e.ok(globex, `{ exceptions { id } }`, nil), "exceptions").([]any); len(n) != 0 {
		t.Fatalf("another tenant lists %v", n)
	}
	if r := e.gql(globex, revoke, map[string]any{"id": id}); r.code() != "NOT_FOUND" {
		t.Fatalf("another tenant revokes: %+v", r.Errors)
	}
}
