package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/store"
)

const (
	gateDir    = "testdata/gate"
	gateCutoff = "2026-03-01T12:00:00Z"
)

// gateDB imports the gate fixtures (one critical advisory, its KEV
// listing) into a fresh store.
func gateDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "stella.db")
	for _, args := range [][]string{
		{"advisory", "import", gateDir + "/osv", "--db", db},
		{"advisory", "import", gateDir + "/kev.json", "--source", "kev", "--db", db},
	} {
		if out, code := run(t, "", "", args...); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
	}
	return db
}

func gateEval(t *testing.T, db, env, record string, extra ...string) (*gate.Decision, string, int) {
	t.Helper()
	args := append([]string{"gate", "eval", "dir:" + scanFixture, "--db", db, "--config", gateDir + "/gates.yaml",
		"--env", env, "--cutoff", gateCutoff, "--name", "oldmod-v1", "-o", "json"}, extra...)
	if record != "" {
		args = append(args, "--record", record)
	}
	out, code := run(t, "", "", args...)
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("gate eval %v: exit %d, no record: %s", args, code, out)
	}
	var dec gate.Decision
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&dec); err != nil {
		t.Fatalf("gate eval: %v\n%s", err, out)
	}
	return &dec, out, code
}

func gateOf(t *testing.T, dec *gate.Decision, id string) gate.GateRecord {
	t.Helper()
	for _, g := range dec.Gates {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no gate %q in %+v", id, dec.Gates)
	return gate.GateRecord{}
}

func TestGateEvalPerEnvironmentAndVEX(t *testing.T) {
	db := gateDB(t)
	dir := t.TempDir()

	prod, out, code := gateEval(t, db, "prod", filepath.Join(dir, "prod.json"))
	if code != ExitDeny || prod.Decision != gate.Deny {
		t.Fatalf("prod: exit %d, decision %s: %s", code, prod.Decision, out)
	}
	for _, want := range []string{"kev.grace-expired", "kev.past-due", "aggregate.critical-exceeded"} {
		if !strings.Contains(strings.Join(prod.ReasonCodes, " "), want) {
			t.Errorf("prod reasons %v lack %s", prod.ReasonCodes, want)
		}
	}

	dev, out, code := gateEval(t, db, "dev", filepath.Join(dir, "dev.json"))
	if code != ExitOK || dev.Decision != gate.Allow {
		t.Fatalf("dev: exit %d, decision %s: %s", code, dev.Decision, out)
	}
	if s := gateOf(t, dev, "kev").Status; s != gate.StatusWarn {
		t.Errorf("dev kev = %s, want warn (in grace)", s)
	}

	vexd, out, code := gateEval(t, db, "prod", filepath.Join(dir, "prod-vex.json"),
		"--vex", gateDir+"/not-affected.openvex.json", "--vex-issuers", gateDir+"/issuers.yaml")
	if code != ExitOK || vexd.Decision != gate.Allow {
		t.Fatalf("prod with VEX not_affected: exit %d, decision %s: %s", code, vexd.Decision, out)
	}
	if vexd.RecordDigest == prod.RecordDigest || vexd.Inputs.IssuerRegistryDigest == prod.Inputs.IssuerRegistryDigest {
		t.Error("the VEX decision shares the first record's digests")
	}
	// Both prod records are kept.
	for _, f := range []string{"prod.json", "prod-vex.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := gate.ParseDecision(raw)
		if err != nil || rec.CheckDigests() != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestGateEvalIsDeterministic(t *testing.T) {
	db := gateDB(t)
	dir := t.TempDir()
	a, _, _ := gateEval(t, db, "prod", filepath.Join(dir, "a.json"))
	b, _, _ := gateEval(t, db, "prod", filepath.Join(dir, "b.json"))
	ra, _ := os.ReadFile(filepath.Join(dir, "a.json"))
	rb, _ := os.ReadFile(filepath.Join(dir, "b.json"))
	if !bytes.Equal(ra, rb) || a.DeterminismHash != b.DeterminismHash {
		t.Fatalf("two evaluations differ:\n%s\n%s", ra, rb)
	}
}

func TestGateEvalFailsClosedOnBrokenPolicy(t *testing.T) {
	db := gateDB(t)
	dec, out, code := gateEval(t, db, "dev", "", "--policy", gateDir+"/bad-policy")
	if code != ExitDeny || dec.Decision != gate.Deny {
		t.Fatalf("broken policy: exit %d, decision %s: %s", code, dec.Decision, out)
	}
	if g := gateOf(t, dec, "policy"); g.Status != gate.StatusFail || !strings.Contains(strings.Join(g.ReasonCodes, " "), "policy.compile-error") {
		t.Errorf("policy gate = %+v, want fail with policy.compile-error", g)
	}

	// A working policy: its deny code becomes a reason code in prod.
	dec, out, code = gateEval(t, db, "prod", "", "--policy", gateDir+"/policy")
	if code != ExitDeny || !strings.Contains(strings.Join(dec.ReasonCodes, " "), "policy.kev-in-prod") {
		t.Fatalf("policy deny: exit %d: %s", code, out)
	}
}

func TestGateReplay(t *testing.T) {
	db := gateDB(t)
	dir := t.TempDir()
	recordPath := filepath.Join(dir, "prod.json")
	key, _ := testKeyPair(t)
	if _, out, code := gateEval(t, db, "prod", recordPath, "--policy", gateDir+"/policy", "--sign-key", key); code != ExitDeny {
		t.Fatalf("eval: exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "prod.dsse.json")); err != nil {
		t.Errorf("signed recordPath missing: %v", err)
	}

	out, code := run(t, "", "", "gate", "replay", recordPath, "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"outcome": "match"`) {
		t.Fatalf("replay: exit %d: %s", code, out)
	}

	// Explain names the finding behind each failing gate.
	out, code = run(t, "", "", "gate", "explain", recordPath)
	if code != ExitOK || !strings.Contains(out, "kev (kev): fail") || !strings.Contains(out, "CVE-2026-0001") ||
		!strings.Contains(out, "pkg:golang/gopkg.in/yaml.v2@v2.2.2") || !strings.Contains(out, "since 2026-01-10") {
		t.Fatalf("explain: exit %d:\n%s", code, out)
	}

	// One changed advisory byte: mismatch naming the advisory snapshot.
	inputs := record.InputsDir(recordPath)
	src, _, err := loadSources(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	p, err := record.NewDirCAS(inputs).Path(src.Advisories)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Replace(raw, []byte("remote code execution"), []byte("remote code executioN"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, "", "", "gate", "replay", recordPath, "-o", "json")
	if code != ExitMismatch || !strings.Contains(out, `"advisorySnapshotId"`) {
		t.Fatalf("replay after an advisory edit: exit %d, want %d naming advisorySnapshotId: %s", code, ExitMismatch, out)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	// A deleted input: failed, exit 3.
	cfg, err := record.NewDirCAS(inputs).Path(src.Gates)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "", "", "gate", "replay", recordPath); code != ExitIntegrity {
		t.Errorf("replay without an input: exit %d, want %d: %s", code, ExitIntegrity, out)
	}
}

// shopImages are the images of the stored release shop-v1.
var shopImages = map[string]string{"api": "sha256:" + strings.Repeat("a1", 32), "worker": "sha256:" + strings.Repeat("b2", 32)}

// storeShop stores release shop-v1 (images api and worker) in db, with
// the SBOM of each image named in withSBOM. Each SBOM is of the scan
// fixture under the image's name, so their contents differ.
func storeShop(t *testing.T, db string, withSBOM ...string) *release.Release {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	rel := &release.Release{
		ID: "rel-1", TenantID: "default", Application: "shop", Name: "shop-v1", Status: release.StatusFinalized,
		Digest: "sha256:" + strings.Repeat("c3", 32), CreatedBy: "ci", CreatedAt: now, UpdatedAt: now, FinalizedAt: &now, Version: 1,
		Components: []release.ReleaseComponent{
			{ComponentID: "c-api", Name: "api", Repository: "registry.example/shop/api", Digest: shopImages["api"], Tag: "v1", Role: "primary"},
			{ComponentID: "c-worker", Name: "worker", Repository: "registry.example/shop/worker", Digest: shopImages["worker"], Tag: "v1", Role: "sidecar"},
		},
	}
	if err := s.CreateRelease(ctx, rel); err != nil {
		t.Fatal(err)
	}
	for _, name := range withSBOM {
		storeShopSBOM(t, s, name)
	}
	return rel
}

// storeShopSBOM generates and stores the SBOM of one image of shop-v1.
func storeShopSBOM(t *testing.T, s *store.DB, name string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name+".cdx.json")
	if out, code := run(t, "", "", "sbom", "generate", "dir:"+scanFixture, "--name", name, "-f", file); code != ExitOK {
		t.Fatalf("sbom generate: exit %d: %s", code, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, format, err := codec.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	digest, err := sbom.ContentDigest(raw)
	if err != nil {
		t.Fatal(err)
	}
	err = s.PutSBOM(context.Background(), &sbom.Record{TenantID: "default", ContentDigest: digest, ImageDigest: shopImages[name], ImageName: "shop/" + name,
		Format: string(format), Document: raw, Packages: sbom.Packages(doc), CreatedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGateEvalStoredRelease(t *testing.T) {
	ctx := context.Background()
	db := gateDB(t)
	rel := storeShop(t, db, "api")
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

	eval := func(env string) (*gate.Decision, string, int) {
		out, code := run(t, "", "", "gate", "eval", "release:shop-v1", "--db", db, "--config", gateDir+"/gates.yaml",
			"--env", env, "--cutoff", gateCutoff, "-o", "json")
		var dec gate.Decision
		if err := json.NewDecoder(strings.NewReader(out[strings.Index(out, "{"):])).Decode(&dec); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return &dec, out, code
	}
	// The worker image has no stored SBOM: deny, whatever the gates say.
	dec, out, code := eval("dev")
	if code != ExitDeny || !strings.Contains(strings.Join(dec.ReasonCodes, " "), "input.sbom-missing") {
		t.Fatalf("release without every SBOM: exit %d: %s", code, out)
	}
	if dec.Release.Digest != rel.Digest || dec.Release.ID != "rel-1" {
		t.Errorf("record release = %+v", dec.Release)
	}

	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	storeShopSBOM(t, s, "worker")
	s.Close()
	dec, out, code = eval("dev")
	if code != ExitOK || dec.Decision != gate.Allow || len(dec.Inputs.SBOMDigests) != 2 {
		t.Fatalf("release with both SBOMs in dev: exit %d: %s", code, out)
	}
	// The store's exceptions apply: prod denies until an approver waives
	// the vulnerability.
	if dec, out, code := eval("prod"); code != ExitDeny || len(dec.Exceptions) != 0 {
		t.Fatalf("prod before the exception: exit %d: %s", code, out)
	}
	s, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	waiver := exception.Exception{ID: "ex-1", Tenant: "default", Scope: exception.Scope{Vulnerability: "CVE-2026-0001", Environments: []string{"prod"}},
		Effect: exception.Suppress, Justification: "not reachable in shop", Owner: "team-shop", ApprovedBy: "secops",
		CreatedAt: now, ExpiresAt: now.Add(90 * 24 * time.Hour)}
	if err := s.AppendException(ctx, "default", waiver); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if dec, out, code := eval("prod"); code != ExitOK || len(dec.Exceptions) != 1 || dec.Exceptions[0].ID != "ex-1" {
		t.Fatalf("prod with a stored exception: exit %d: %s", code, out)
	}

	// aggregate counts the advisory found in both images once.
	if d := gateOf(t, dec, "aggregate").Details; fmt.Sprint(d["counts"]) != "map[critical:1 high:0 low:0 medium:0]" {
		t.Errorf("aggregate details = %v", d)
	}
}

// The CLI and the server decide a stored release through one path: for
// the same store, gates, requester and cut-off their records are the same
// bytes.
func TestGateEvalMatchesServerRecord(t *testing.T) {
	ctx := context.Background()
	db := gateDB(t)
	storeShop(t, db, "api", "worker")
	s, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	env := &release.Environment{ID: "env-prod", TenantID: "default", Name: "prod", DisplayName: "prod", OrderIndex: 2, Tier: release.TierProduction,
		FreezeWindows: []release.FreezeWindow{{ID: "fw-1", Start: now.AddDate(0, 2, 0), End: now.AddDate(0, 3, 0), Reason: "spring freeze"}},
		CreatedAt:     now, UpdatedAt: now, Version: 1}
	if err := s.CreateEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	waiver := exception.Exception{ID: "ex-1", Tenant: "default", Scope: exception.Scope{Vulnerability: "CVE-2026-0001", Environments: []string{"prod"}},
		Effect: exception.Downgrade, DowngradeTo: "high", Justification: "not reachable in shop", Owner: "team-shop", ApprovedBy: "secops",
		CreatedAt: now, ExpiresAt: now.Add(90 * 24 * time.Hour)}
	if err := s.AppendException(ctx, "default", waiver); err != nil {
		t.Fatal(err)
	}
	s.Close()

	cutoff, _ := time.Parse(time.RFC3339, gateCutoff)
	srv, err := server.New(ctx, server.Config{DB: db, GatesFile: gateDir + "/gates.yaml", Now: func() time.Time { return cutoff }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	token, err := srv.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	graphql := func(query string, vars map[string]any) json.RawMessage {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res struct {
			Data   json.RawMessage
			Errors []json.RawMessage
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || len(res.Errors) > 0 {
			t.Fatalf("%s: %v %s", query, err, res.Errors)
		}
		return res.Data
	}
	// A stored VEX statement takes part in both decisions.
	doc, err := os.ReadFile(gateDir + "/not-affected.openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	graphql(`mutation($d: String!) { importVEX(document: $d) { statementCount } }`, map[string]any{"d": string(doc)})
	var res struct {
		DecideRelease struct{ RecordDigest string }
	}
	if err := json.Unmarshal(graphql(`mutation { decideRelease(release: "shop-v1", environment: "prod") { recordDigest } }`, nil), &res); err != nil {
		t.Fatal(err)
	}
	stored, err := srv.Store().Decision(ctx, server.DefaultTenant, res.DecideRelease.RecordDigest)
	if err != nil {
		t.Fatal(err)
	}

	record := filepath.Join(t.TempDir(), "shop-prod.json")
	out, code := run(t, "", "", "gate", "eval", "release:shop-v1", "--db", db, "--config", gateDir+"/gates.yaml",
		"--env", "prod", "--cutoff", gateCutoff, "--requester", "bootstrap-admin", "--record", record)
	if code != ExitDeny && code != ExitOK {
		t.Fatalf("gate eval: exit %d: %s", code, out)
	}
	cli, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if got := bytes.TrimSuffix(cli, []byte("\n")); !bytes.Equal(got, stored.Raw) {
		t.Fatalf("the CLI's record differs from the server's:\nCLI:    %s\nserver: %s", got, stored.Raw)
	}
	if len(stored.Decision.Exceptions) != 1 || stored.Decision.Environment.ID != "env-prod" || len(stored.Decision.Inputs.VEXConsensusDigests) == 0 {
		t.Errorf("the record does not name the stored exception, environment and VEX: %s", stored.Raw)
	}
	// The CLI's record replays offline from the inputs it kept.
	if out, code := run(t, "", "", "gate", "replay", record); code != ExitOK {
		t.Fatalf("replay: exit %d: %s", code, out)
	}
}
