package server_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
)

// gatesYAML makes the openssl finding (high, KEV-listed) deny in
// production and only warn in development, through per-environment
// settings alone. vex-trust accepts the low confidence an unsigned upload
// by an unknown author earns, so a not_affected VEX can flip production.
const gatesYAML = `
gates:
  - id: security
    type: security-thresholds
    settings: {failSeverity: high}
    environments:
      development: {failSeverity: critical}
  - id: kev
    type: kev
    settings: {allowGracePeriod: false}
    environments:
      development: {allowGracePeriod: true, graceDays: 36500, blockPastDueDate: false}
  - id: vex-trust
    type: vex-trust
    environments:
      production: {minConfidence: 0.1}
`

func withGates(t *testing.T, yaml string) func(*server.Config) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gates.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *server.Config) { c.GatesFile = p }
}

// withClock fixes the server's clock (Config.Now, which reaches the GraphQL
// resolver as Resolver.Now) at now.
func withClock(now time.Time) func(*server.Config) {
	return func(c *server.Config) { c.Now = func() time.Time { return now } }
}

// The server's clock is fixed at cutoff: decideRelease always decides at
// the server's clock, and the dry runs ask for the same instant.
func TestGatesOverGraphQL_SQLite(t *testing.T) {
	cutoff := time.Now().UTC().Truncate(time.Second)
	gatesOverGraphQL(t, newEnv(t, "", withGates(t, gatesYAML), withClock(cutoff)), cutoff)
}

func TestGatesOverGraphQL_PostgreSQL(t *testing.T) {
	cutoff := time.Now().UTC().Truncate(time.Second)
	gatesOverGraphQL(t, newEnv(t, testenv.PostgresDSN(t), withGates(t, gatesYAML), withClock(cutoff)), cutoff)
}

const decisionFields = `decision mode phase promotionId reasonCodes pendingOn
	gates { id type status reasonCodes message details notBefore }
	release { id name digest } environment { id name tier }
	inputs { sbomDigests advisorySnapshotId vexConsensusDigests issuerRegistryDigest policyDigest gateConfigDigest
		exceptionsDigest approvalsDigest baselineReleaseDigest inputDocumentDigest }
	inputsHash determinismHash recordDigest clockCutoff engineVersion exceptions
	approvals { approverId } record
	explain { gate type status reasonCodes message findings { id advisoryId component purl severity cvss fixState
		kev kevDateAdded epssScore vexStatus vexConfidence vexConsensusDigest exception active } }`

// scannedRelease pushes a Debian image with an openssl that
// CVE-2024-0727 affects as team/api:v1.0.0, makes it the only component
// (api, through the registry integration hub) of a finalized release and
// scans it. It returns the image digest.
func (e *env) scannedRelease(name string) string {
	e.t.Helper()
	digest := e.pushImage("team/api", "v1.0.0", debianImage(e.t, "3.0.11-1~deb12u1"))
	e.ok(e.admin, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": e.registry, "insecure": true}})
	e.ok(e.admin, `mutation { createComponent(input: {name: "api", imageRepository: "team/api", registry: "hub"}) { id } }`, nil)
	vars := map[string]any{"r": name}
	e.ok(e.admin, `mutation($r: String!) { createRelease(input: {name: $r}) { id } }`, vars)
	e.ok(e.admin, `mutation($r: String!) { addReleaseComponent(release: $r, input: {component: "api", tag: "v1.0.0"}) { id } }`, vars)
	e.ok(e.admin, `mutation($r: String!) { finalizeRelease(key: $r) { id } }`, vars)
	e.ok(e.admin, `mutation($r: String!) { scanRelease(key: $r) { reused } }`, vars)
	return digest
}

func gatesOverGraphQL(t *testing.T, e *env, cutoff time.Time) {
	ctx := context.Background()
	digest := e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "prod", orderIndex: 2, tier: production}) { id } }`, nil)
	e.importOSV(debianOSV, advisory.Enrichment{KEV: map[string]advisory.KEV{
		"CVE-2024-0727": {DateAdded: "2024-02-01", DueDate: "2024-02-22"}}})
	_, viewer, err := e.srv.CreateToken(ctx, server.DefaultTenant, "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, releaser, err := e.srv.CreateToken(ctx, server.DefaultTenant, "ci", auth.RoleReleaser, "test")
	if err != nil {
		t.Fatal(err)
	}

	evaluate := `query($r: String!, $e: String!, $c: Time) { evaluateRelease(release: $r, environment: $e, cutoff: $c) { ` + decisionFields + ` } }`
	decide := `mutation($r: String!, $e: String!) { decideRelease(release: $r, environment: $e) { ` + decisionFields + ` } }`
	vars := func(env string) map[string]any {
		return map[string]any{"r": "myapp-v1", "e": env, "c": cutoff.Format(time.RFC3339)}
	}
	decideVars := func(env string) map[string]any { return map[string]any{"r": "myapp-v1", "e": env} }

	// A dry run, as a viewer: production denies the high KEV finding.
	prod := path(e.ok(viewer, evaluate, vars("prod")), "evaluateRelease")
	if path(prod, "decision") != "DENY" || path(prod, "mode") != "VERIFIED" || path(prod, "phase") != "REQUEST" ||
		!slices.Contains(strs(path(prod, "reasonCodes")), "security-thresholds.severity-exceeded") ||
		!slices.Contains(strs(path(prod, "reasonCodes")), "kev.listed") ||
		path(prod, "environment", "tier") != "production" || path(prod, "release", "name") != "myapp-v1" ||
		path(prod, "clockCutoff") != cutoff.Format(time.RFC3339) {
		t.Fatalf("prod = %v", prod)
	}
	in := path(prod, "inputs")
	if len(strs(path(in, "sbomDigests"))) != 1 || !strings.HasPrefix(path(in, "advisorySnapshotId").(string), "sha256:") ||
		len(strs(path(in, "vexConsensusDigests"))) != 1 || path(in, "issuerRegistryDigest") == "" ||
		path(in, "baselineReleaseDigest") != nil || path(in, "gateConfigDigest") == "" {
		t.Fatalf("inputs = %v", in)
	}
	// The record field is the canonical record, whose digests check out.
	rec, err := gate.ParseDecision([]byte(path(prod, "record").(string)))
	if err != nil || rec.RecordDigest != path(prod, "recordDigest") || rec.Tenant != server.DefaultTenant {
		t.Fatalf("record = %v, %v", rec, err)
	}
	// Explain names the finding behind each failing gate.
	ex := path(prod, "explain").([]any)
	if len(ex) != 2 || path(ex[0], "gate") != "kev" || path(ex[1], "gate") != "security" {
		t.Fatalf("explain = %v", ex)
	}
	for _, g := range ex {
		fs := path(g, "findings").([]any)
		if len(fs) != 1 || path(fs[0], "advisoryId") != "CVE-2024-0727" || path(fs[0], "kev") != true ||
			path(fs[0], "kevDateAdded") != "2024-02-01" || path(fs[0], "severity") != "high" || path(fs[0], "cvss") != 7.5 ||
			path(fs[0], "vexStatus") != "unknown" || path(fs[0], "active") != true || path(fs[0], "component") != "api" {
			t.Fatalf("explained %v: %v", path(g, "gate"), fs)
		}
	}
	for _, g := range path(prod, "gates").([]any) {
		if path(g, "status") == "FAIL" && !strings.Contains(path(g, "details").(string), "CVE-2024-0727") {
			t.Fatalf("gate details = %v", g)
		}
	}
	// Development allows the same release with warnings.
	dev := path(e.ok(viewer, evaluate, vars("dev")), "evaluateRelease")
	if path(dev, "decision") != "ALLOW" || len(path(dev, "explain").([]any)) != 2 || path(dev, "inputs", "gateConfigDigest") != path(in, "gateConfigDigest") {
		t.Fatalf("dev = %v", dev)
	}
	// A dry run stores nothing, and the same dry run gives the same record.
	records := `query($r: String, $e: String) { decisionRecords(release: $r, environment: $e) { nodes { recordDigest decision record } edges { cursor } pageInfo { hasNextPage } } }`
	if n := path(e.ok(viewer, records, nil), "decisionRecords", "nodes").([]any); len(n) != 0 {
		t.Fatalf("records after dry runs = %v", n)
	}
	if again := path(e.ok(viewer, evaluate, vars("prod")), "evaluateRelease"); path(again, "record") != path(prod, "record") {
		t.Fatal("the same dry run gave different record bytes")
	}

	// Deciding needs the releaser role.
	if r := e.gql(viewer, decide, decideVars("prod")); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer deciding = %+v, want FORBIDDEN", r.Errors)
	}
	// A stored decision cannot be dated: the schema refuses a cut-off, and
	// nothing is stored.
	backdated := `mutation($r: String!, $e: String!, $c: Time) { decideRelease(release: $r, environment: $e, cutoff: $c) { recordDigest } }`
	if r := e.gql(releaser, backdated, map[string]any{"r": "myapp-v1", "e": "prod", "c": "2024-02-01T00:00:00Z"}); r.code() != "VALIDATION" ||
		!strings.Contains(r.Errors[0].Message, `Unknown argument "cutoff"`) || r.Data != nil {
		t.Fatalf("decideRelease with a cutoff = %d %+v, want the schema's VALIDATION refusal", r.Status, r.Errors)
	}
	if n := path(e.ok(viewer, records, nil), "decisionRecords", "nodes").([]any); len(n) != 0 {
		t.Fatalf("records after a refused decision = %v", n)
	}
	// The requester is part of the input: the releaser's dry run at the
	// server's clock is the record the releaser's decision stores, byte
	// for byte.
	dry := path(e.ok(releaser, evaluate, vars("prod")), "evaluateRelease")
	denied := path(e.ok(releaser, decide, decideVars("prod")), "decideRelease")
	if path(denied, "record") != path(dry, "record") || path(denied, "determinismHash") != path(prod, "determinismHash") ||
		path(denied, "clockCutoff") != cutoff.Format(time.RFC3339) {
		t.Fatalf("decideRelease differs from the dry run:\n%v\n%v", path(denied, "record"), path(dry, "record"))
	}
	allowed := path(e.ok(releaser, decide, decideVars("dev")), "decideRelease")
	deniedDigest, allowedDigest := path(denied, "recordDigest").(string), path(allowed, "recordDigest").(string)

	// Listed by release and by environment, newest first; read back by digest.
	list := func(v map[string]any) []string {
		var out []string
		for _, n := range path(e.ok(viewer, records, v), "decisionRecords", "nodes").([]any) {
			out = append(out, path(n, "recordDigest").(string))
		}
		return out
	}
	if got := list(map[string]any{"r": "myapp-v1"}); len(got) != 2 || !slices.Contains(got, deniedDigest) || !slices.Contains(got, allowedDigest) {
		t.Fatalf("records of myapp-v1 = %v", got)
	}
	if got := list(map[string]any{"e": "prod"}); !slices.Equal(got, []string{deniedDigest}) {
		t.Fatalf("records of prod = %v", got)
	}
	if got := list(map[string]any{"r": "myapp-v1", "e": "dev"}); !slices.Equal(got, []string{allowedDigest}) {
		t.Fatalf("records of myapp-v1 in dev = %v", got)
	}
	one := `query($d: String!) { decisionRecord(digest: $d) { ` + decisionFields + ` } }`
	stored := path(e.ok(viewer, one, map[string]any{"d": deniedDigest}), "decisionRecord")
	if path(stored, "record") != path(denied, "record") || path(stored, "decision") != "DENY" {
		t.Fatalf("stored record = %v", stored)
	}
	// Explain works on the stored record too, from the stored input document.
	if ex := path(stored, "explain").([]any); len(ex) != 2 || len(path(ex[0], "findings").([]any)) != 1 {
		t.Fatalf("stored explain = %v", ex)
	}
	if r := e.gql(viewer, one, map[string]any{"d": "sha256:" + strings.Repeat("0", 64)}); r.code() != "NOT_FOUND" {
		t.Fatalf("unknown record = %+v, want NOT_FOUND", r.Errors)
	}
	// Deciding the same thing again stores nothing new.
	e.ok(releaser, decide, decideVars("prod"))
	if got := list(nil); len(got) != 2 {
		t.Fatalf("records after a repeated decision = %v", got)
	}
	audit := path(e.ok(e.admin, `{ auditLog(first: 100) { nodes { action entityId } } }`, nil), "auditLog", "nodes").([]any)
	decided := 0
	for _, a := range audit {
		if path(a, "action") == "gate.decide" {
			decided++
		}
	}
	if decided != 2 {
		t.Fatalf("%d gate.decide audit entries, want 2", decided)
	}

	// The stored record replays from the store's inputs.
	sd, err := e.srv.Store().Decision(ctx, server.DefaultTenant, deniedDigest)
	if err != nil {
		t.Fatal(err)
	}
	res, err := record.Replay(ctx, sd.Decision, e.srv.Store().GateInputs(server.DefaultTenant))
	if err != nil || res.Outcome != record.Match {
		t.Fatalf("replay = %+v, %v", res, err)
	}

	// VEX says not_affected: production flips to allow, in a new record;
	// both are kept.
	e.ok(releaser, `mutation($d: String!) { importVEX(document: $d) { digest } }`,
		map[string]any{"d": openVEXFor(digest, cutoff.Add(-24*time.Hour))})
	flipped := path(e.ok(releaser, decide, decideVars("prod")), "decideRelease")
	if path(flipped, "decision") != "ALLOW" || path(flipped, "recordDigest") == deniedDigest {
		t.Fatalf("prod after VEX = %v", flipped)
	}
	if got := list(map[string]any{"e": "prod"}); !slices.Equal(got, []string{path(flipped, "recordDigest").(string), deniedDigest}) {
		t.Fatalf("records of prod after VEX = %v", got)
	}

	// Bad arguments name themselves.
	for _, c := range []struct {
		vars map[string]any
		code string
	}{
		{map[string]any{"r": "nope", "e": "prod"}, "NOT_FOUND"},
		{map[string]any{"r": "myapp-v1", "e": "nope"}, "NOT_FOUND"},
		{map[string]any{"r": " ", "e": "prod"}, "VALIDATION"},
		{map[string]any{"r": "myapp-v1", "e": ""}, "VALIDATION"},
	} {
		if r := e.gql(viewer, evaluate, c.vars); r.code() != c.code {
			t.Fatalf("evaluateRelease(%v) = %+v, want %s", c.vars, r.Errors, c.code)
		}
	}

	// A component without an SBOM: verified mode denies, fail closed.
	e.ok(e.admin, `mutation { createComponent(input: {name: "worker", imageRepository: "team/worker", registry: "hub"}) { id } }`, nil)
	e.push("team/worker", "v1")
	e.ok(e.admin, `mutation { createRelease(input: {name: "myapp-v2"}) { id } }`, nil)
	e.ok(e.admin, `mutation { addReleaseComponent(release: "myapp-v2", input: {component: "worker", tag: "v1"}) { id } }`, nil)
	if r := e.gql(viewer, evaluate, map[string]any{"r": "myapp-v2", "e": "dev"}); r.code() != "VALIDATION" {
		t.Fatalf("a draft release = %+v, want VALIDATION", r.Errors)
	}
	e.ok(e.admin, `mutation { finalizeRelease(key: "myapp-v2") { id } }`, nil)
	unscanned := path(e.ok(viewer, evaluate, map[string]any{"r": "myapp-v2", "e": "dev"}), "evaluateRelease")
	if path(unscanned, "decision") != "DENY" || !slices.Contains(strs(path(unscanned, "reasonCodes")), "input.sbom-missing") {
		t.Fatalf("unscanned release = %v", unscanned)
	}
	// One scanned image beside an unscanned one still denies: every image
	// needs its SBOM, not just one of them.
	e.ok(e.admin, `mutation { createRelease(input: {name: "myapp-v3"}) { id } }`, nil)
	e.ok(e.admin, `mutation { addReleaseComponent(release: "myapp-v3", input: {component: "api", tag: "v1.0.0"}) { id } }`, nil)
	e.ok(e.admin, `mutation { addReleaseComponent(release: "myapp-v3", input: {component: "worker", tag: "v1"}) { id } }`, nil)
	e.ok(e.admin, `mutation { finalizeRelease(key: "myapp-v3") { id } }`, nil)
	partial := path(e.ok(viewer, evaluate, map[string]any{"r": "myapp-v3", "e": "dev"}), "evaluateRelease")
	if path(partial, "decision") != "DENY" || !slices.Contains(strs(path(partial, "reasonCodes")), "input.sbom-missing") {
		t.Fatalf("release with one of two images scanned = %v", partial)
	}

	// With myapp-v1 deployed in dev, it is the baseline of a decision there.
	ids := e.ok(viewer, `{ release(key: "myapp-v1") { id application digest } environment(key: "dev") { id } }`, nil)
	if err := e.srv.Store().SetCurrentRelease(ctx, server.DefaultTenant, release.CurrentRelease{
		EnvironmentID: path(ids, "environment", "id").(string), Application: path(ids, "release", "application").(string),
		ReleaseID: path(ids, "release", "id").(string)}); err != nil {
		t.Fatal(err)
	}
	if b := path(e.ok(viewer, evaluate, vars("dev")), "evaluateRelease", "inputs", "baselineReleaseDigest"); b != path(ids, "release", "digest") {
		t.Fatalf("baseline = %v, want %v", b, path(ids, "release", "digest"))
	}

	// Another tenant sees none of it.
	_, globex, err := e.srv.CreateToken(ctx, "globex", "bob", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	if n := path(e.ok(globex, records, nil), "decisionRecords", "nodes").([]any); len(n) != 0 {
		t.Fatalf("another tenant lists %v", n)
	}
	if r := e.gql(globex, one, map[string]any{"d": deniedDigest}); r.code() != "NOT_FOUND" {
		t.Fatalf("another tenant reads a record: %+v", r.Errors)
	}
	if r := e.gql(globex, evaluate, vars("prod")); r.code() != "NOT_FOUND" {
		t.Fatalf("another tenant evaluates a release: %+v", r.Errors)
	}
}
