package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/evidence/auditpack"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/tenant"
)

func TestEvidencePack_SQLite(t *testing.T) { evidencePack(t, "") }

func TestEvidencePack_PostgreSQL(t *testing.T) { evidencePack(t, testenv.PostgresDSN(t)) }

// getPack fetches a promotion's audit pack over HTTP.
func (e *env) getPack(token, id string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/v1/promotions/"+id+"/evidence-pack", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func errorCode(t *testing.T, body []byte) (string, string) {
	t.Helper()
	var r gqlResponse
	if err := json.Unmarshal(body, &r); err != nil || len(r.Errors) == 0 {
		t.Fatalf("not a GraphQL error: %s", body)
	}
	reason, _ := r.Errors[0].Extensions["reason"].(string)
	return r.code(), reason
}

// evidencePack promotes a scanned release (one finding, a policy bundle
// loaded) to dev and exports its audit pack: the same bytes twice, verified
// with nothing but the served public key, holding every record, SBOM, VEX
// consensus, exception log and policy file behind its packets.
func evidencePack(t *testing.T, dsn string) {
	ctx := context.Background()
	// A fixed clock: the exception below is active from the second it is created.
	now := time.Now().UTC().Truncate(time.Second)
	e := newEnv(t, dsn, withClock(now), func(c *server.Config) { c.PolicyDirs = []string{"../stella/testdata/gate/policy"} })
	e.scannedRelease("myapp-v1")
	e.importOSV(debianOSV, advisory.Enrichment{})
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "stage", orderIndex: 1, tier: staging, requiredApprovals: 1, approverGroups: ["approver"]}) { id } }`, nil)
	_, viewer, err := e.srv.CreateToken(ctx, server.DefaultTenant, "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	// An exception the dev decisions apply to the openssl finding.
	exc := path(e.ok(e.admin, `mutation($in: ExceptionInput!) { createException(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"vulnerability": "CVE-2024-0727", "environments": []string{"dev"}, "justification": "not reachable in dev",
		"owner": "team-api", "expiresAt": now.Add(24 * time.Hour).Format(time.RFC3339)}}), "createException", "id").(string)
	request := `mutation($e: String!) { requestPromotion(release: "myapp-v1", environment: $e) { id status decisions evidence { id } } }`
	dev := path(e.ok(e.admin, request, map[string]any{"e": "dev"}), "requestPromotion")
	if path(dev, "status") != "deployed" {
		t.Fatalf("dev = %v", dev)
	}
	id := path(dev, "id").(string)

	key := path(e.ok(viewer, `{ evidenceKey { keyId algorithm publicKeyPem } }`, nil), "evidenceKey")
	v, err := attest.ParseVerifier([]byte(path(key, "publicKeyPem").(string)))
	if err != nil || v.KeyID() != path(key, "keyId") || v.Algorithm() != path(key, "algorithm") {
		t.Fatalf("evidenceKey = %v: %v", key, err)
	}
	if strings.Contains(path(key, "publicKeyPem").(string), "PRIVATE") {
		t.Fatal("evidenceKey serves a private key")
	}
	trust := attest.Trust{Verifiers: []attest.Verifier{v}}

	// Each packet, saved as GraphQL gives it, verifies with the served key.
	for _, p := range path(dev, "evidence").([]any) {
		got := path(e.ok(viewer, `query($id: ID!) { evidencePacket(id: $id) { id promotionId predicateType subjects { name digest } envelope packet } }`,
			map[string]any{"id": path(p, "id")}), "evidencePacket")
		info, err := evidence.Verify(ctx, []byte(path(got, "packet").(string)), trust)
		if err != nil || path(got, "promotionId") != id || path(got, "predicateType") != info.Type.PredicateType() ||
			len(path(got, "subjects").([]any)) != len(info.Subjects) {
			t.Fatalf("packet %v: %v", got, err)
		}
		if _, err := evidence.Verify(ctx, []byte(path(got, "envelope").(string)), trust); err != nil {
			t.Fatalf("bare envelope: %v", err)
		}
	}

	status, pack := e.getPack(viewer, id)
	if status != http.StatusOK {
		t.Fatalf("GET evidence-pack = %d %s", status, pack)
	}
	if _, again := e.getPack(viewer, id); !bytes.Equal(pack, again) {
		t.Fatal("the same promotion exported twice gave different bytes")
	}
	verified, err := evidence.VerifyPack(ctx, bytes.NewReader(pack), trust)
	if err != nil {
		t.Fatalf("VerifyPack with the served key: %v", err)
	}
	if len(verified.Packets) != len(path(dev, "evidence").([]any)) {
		t.Fatalf("pack packets = %d, promotion has %v", len(verified.Packets), path(dev, "evidence"))
	}
	files, err := archive.ReadAll(bytes.NewReader(pack), evidence.MaxPackSize)
	if err != nil {
		t.Fatal(err)
	}
	// The library gathers the same contents without the HTTP server.
	c, err := auditpack.Gather(tenant.WithScope(ctx, tenant.Scope{Tenant: server.DefaultTenant, Actor: "auditor"}), e.srv.Store(), id)
	if err != nil || len(c.Packets)+len(c.Files) != len(verified.Manifest.Entries) {
		t.Fatalf("Gather: %d packets, %d files, %v; the pack lists %d", len(c.Packets), len(c.Files), err, len(verified.Manifest.Entries))
	}
	if _, err := auditpack.Gather(tenant.WithScope(ctx, tenant.Scope{Tenant: "other", Actor: "auditor"}), e.srv.Store(), id); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("Gather in another tenant: %v", err)
	}
	has := func(p string) []byte {
		t.Helper()
		b, ok := files[p]
		if !ok {
			names := make([]string, 0, len(files))
			for n := range files {
				names = append(names, n)
			}
			t.Fatalf("pack lacks %s; it has %v", p, names)
		}
		return b
	}
	hex := func(d string) string { return strings.TrimPrefix(d, "sha256:") }
	var named []string
	for _, p := range verified.Packets {
		named = append(named, p.Content.Why.DecisionRecordDigest)
	}
	for _, d := range path(dev, "decisions").([]any) {
		named = append(named, d.(string))
	}
	policyFiles := 0
	for n := range files {
		if strings.HasPrefix(n, "policy/") && strings.HasSuffix(n, "/release.rego") {
			policyFiles++
		}
	}
	if policyFiles != 1 {
		t.Fatalf("policy files: %d", policyFiles)
	}
	findings := 0
	for _, d := range named {
		var rec struct {
			RecordDigest string
			Exceptions   []struct{ ID string }
			Inputs       struct {
				SBOMDigests          []string
				ExceptionsDigest     string
				PolicyDigest         string
				IssuerRegistryDigest string
			}
		}
		if err := json.Unmarshal(has("records/decisions/"+hex(d)+".json"), &rec); err != nil || rec.RecordDigest != d {
			t.Fatalf("record %s: %+v %v", d, rec, err)
		}
		for _, s := range rec.Inputs.SBOMDigests {
			has("sboms/" + hex(s) + ".json")
		}
		if len(rec.Inputs.SBOMDigests) != 1 || rec.Inputs.PolicyDigest == "" {
			t.Fatalf("record inputs = %+v", rec.Inputs)
		}
		if len(rec.Exceptions) != 1 || rec.Exceptions[0].ID != exc {
			t.Fatalf("record %s applied exceptions %+v, want %s", d, rec.Exceptions, exc)
		}
		if ex := has("records/exceptions/" + hex(rec.Inputs.ExceptionsDigest) + ".json"); !strings.Contains(string(ex), `"id":"`+exc+`"`) {
			t.Fatalf("exceptions = %s", ex)
		}
		var vx struct {
			RecordDigest, IssuerRegistryDigest string
			Verdicts                           []struct{ AdvisoryID, Status, ConsensusDigest string }
		}
		if err := json.Unmarshal(has("vex/"+hex(d)+".json"), &vx); err != nil || vx.RecordDigest != d || vx.IssuerRegistryDigest != rec.Inputs.IssuerRegistryDigest {
			t.Fatalf("vex of %s: %+v %v", d, vx, err)
		}
		for _, x := range vx.Verdicts {
			if x.Status == "" || !strings.HasPrefix(x.ConsensusDigest, "sha256:") {
				t.Fatalf("verdict %+v", x)
			}
		}
		findings += len(vx.Verdicts)
	}
	if findings == 0 {
		t.Fatal("no VEX consensus in the pack: the imported advisory found nothing")
	}

	// A promotion with no packet yet has no pack; anonymous callers and
	// other tenants get none either.
	stage := path(e.ok(e.admin, request, map[string]any{"e": "stage"}), "requestPromotion")
	if path(stage, "status") != "pending_approval" {
		t.Fatalf("stage = %v", stage)
	}
	if status, body := e.getPack(viewer, path(stage, "id").(string)); status != http.StatusConflict {
		t.Fatalf("pending promotion: %d %s", status, body)
	} else if code, reason := errorCode(t, body); code != "PRECONDITION" || reason != "NO_EVIDENCE" {
		t.Fatalf("pending promotion: %s %s", code, reason)
	}
	if status, body := e.getPack("", id); status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d %s", status, body)
	}
	_, other, err := e.srv.CreateToken(ctx, "other", "auditor", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := e.getPack(other, id); status != http.StatusNotFound {
		t.Fatalf("other tenant: %d %s", status, body)
	} else if code, _ := errorCode(t, body); code != "NOT_FOUND" {
		t.Fatalf("other tenant: %s", body)
	}
	if r := e.gql(other, `query($id: ID!) { evidencePacket(id: $id) { id } }`,
		map[string]any{"id": path(dev, "evidence").([]any)[0].(map[string]any)["id"]}); r.code() != "NOT_FOUND" {
		t.Fatalf("other tenant's packet: %+v", r)
	}
	e.assertNoSecretsLeaked()
}
