package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

// debianOSV is a Debian-style OSV record: openssl of Debian 12 fixed in
// 3.0.13-1~deb12u1, under a DSA id with a CVE alias.
const debianOSV = `{
  "schema_version": "1.6.0",
  "id": "DSA-5621-1",
  "aliases": ["CVE-2024-0727"],
  "summary": "openssl: denial of service via null dereference in PKCS12 parsing",
  "details": "Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.",
  "published": "2024-01-26T00:00:00Z",
  "modified": "2024-02-01T00:00:00Z",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
  "affected": [{
    "package": {"ecosystem": "Debian:12", "name": "openssl"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}]
  }],
  "references": [{"type": "ADVISORY", "url": "https://www.debian.org/security/2024/dsa-5621"}]
}`

// zlibOSV affects the zlib1g binary of both images (source package zlib).
const zlibOSV = `{
  "schema_version": "1.6.0",
  "id": "DSA-9999-1",
  "aliases": ["CVE-2023-45853"],
  "summary": "zlib: integer overflow in zipOpenNewFileInZip4_64",
  "modified": "2024-03-01T00:00:00Z",
  "affected": [{
    "package": {"ecosystem": "Debian:12", "name": "zlib"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-2"}]}]
  }]
}`

// importOSV appends one OSV record for the default tenant and rebuilds its
// effective view, as `stella advisory import` does.
func (e *env) importOSV(doc string, enr advisory.Enrichment) {
	e.t.Helper()
	ctx := context.Background()
	obs, err := osv.Read(strings.NewReader(doc))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.srv.Store().Append(ctx, server.DefaultTenant, obs); err != nil {
		e.t.Fatal(err)
	}
	if _, err := advisory.Rebuild(ctx, e.srv.Store(), server.DefaultTenant, advisory.Precedence{}, enr); err != nil {
		e.t.Fatal(err)
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestAdvisoriesAndFindingsOverGraphQL(t *testing.T) {
	e := newEnv(t, "")
	oldDigest := e.pushImage("team/api", "v1.0.0", debianImage(t, "3.0.11-1~deb12u1"))
	e.pushImage("team/api", "v1.1.0", debianImage(t, "3.0.13-1~deb12u1"))
	e.ok(e.admin, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": e.registry, "insecure": true}})
	e.ok(e.admin, `mutation { createComponent(input: {name: "api", imageRepository: "team/api", registry: "hub"}) { id } }`, nil)
	sboms := map[string]string{} // release → SBOM content digest
	for _, r := range []struct{ name, tag string }{{"myapp-v1.0.0", "v1.0.0"}, {"myapp-v1.1.0", "v1.1.0"}} {
		e.ok(e.admin, `mutation($n: String!) { createRelease(input: {name: $n}) { id } }`, map[string]any{"n": r.name})
		e.ok(e.admin, `mutation($n: String!, $t: String!) { addReleaseComponent(release: $n, input: {component: "api", tag: $t}) { id } }`, map[string]any{"n": r.name, "t": r.tag})
		e.ok(e.admin, `mutation($n: String!) { finalizeRelease(key: $n) { id } }`, map[string]any{"n": r.name})
		s := e.ok(e.admin, `mutation($n: String!) { scanRelease(key: $n) { sboms { sbom { contentDigest } } } }`, map[string]any{"n": r.name})
		sboms[r.name] = path(path(s, "scanRelease", "sboms").([]any)[0], "sbom", "contentDigest").(string)
	}
	_, viewer, err := e.srv.CreateToken(context.Background(), server.DefaultTenant, "reader", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}

	releaseFindings := `query($n: String!) { release(key: $n) { findings {
		sbom imageDigest purl packageKey { ecosystem name } installedVersion advisoryId aliases fixedVersions
		severity { type vector score rating source } kev { dateAdded } epss { score percentile }
		evidence { rangeType decision events { introduced fixed } } advisory { id summary } } } }`
	// Before any import there is nothing to match against.
	if f := e.ok(viewer, releaseFindings, map[string]any{"n": "myapp-v1.0.0"}); len(path(f, "release", "findings").([]any)) != 0 {
		t.Fatalf("findings with no advisories = %v", f)
	}
	if s := e.ok(viewer, `{ advisorySnapshot { id } }`, nil); s["advisorySnapshot"] != nil {
		t.Fatalf("snapshot before any import = %v", s)
	}

	e.importOSV(debianOSV, advisory.Enrichment{
		KEV:  map[string]advisory.KEV{"CVE-2024-0727": {DateAdded: "2024-02-15"}},
		EPSS: map[string]advisory.EPSS{"CVE-2024-0727": {Score: 0.00123, Percentile: 0.4567, ModelVersion: "v2023.03.01", ScoreDate: "2024-03-01"}},
	})

	// The old openssl is affected; the fixed one is not.
	got := path(e.ok(viewer, releaseFindings, map[string]any{"n": "myapp-v1.0.0"}), "release", "findings").([]any)
	if len(got) != 1 {
		t.Fatalf("findings of myapp-v1.0.0 = %v, want one", got)
	}
	f := got[0]
	if path(f, "advisoryId") != "CVE-2024-0727" || path(f, "installedVersion") != "3.0.11-1~deb12u1" ||
		!slices.Equal(strs(path(f, "fixedVersions")), []string{"3.0.13-1~deb12u1"}) ||
		!slices.Equal(strs(path(f, "aliases")), []string{"DSA-5621-1"}) {
		t.Fatalf("finding = %v", f)
	}
	if path(f, "sbom") != sboms["myapp-v1.0.0"] || path(f, "imageDigest") != oldDigest ||
		!strings.HasPrefix(path(f, "purl").(string), "pkg:deb/debian/openssl@3.0.11-1~deb12u1") ||
		path(f, "packageKey", "ecosystem") != "Debian:12" || path(f, "packageKey", "name") != "openssl" {
		t.Fatalf("finding's component = %v", f)
	}
	if path(f, "severity", "type") != "CVSS_V3" || path(f, "severity", "score") != 7.5 || path(f, "severity", "rating") != "high" ||
		path(f, "severity", "source") != "osv" || path(f, "severity", "vector") != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" {
		t.Fatalf("finding's severity = %v", path(f, "severity"))
	}
	if path(f, "kev", "dateAdded") != "2024-02-15" || path(f, "epss", "percentile") != 0.4567 {
		t.Fatalf("finding's enrichment = kev %v epss %v", path(f, "kev"), path(f, "epss"))
	}
	if path(f, "evidence", "rangeType") != "ECOSYSTEM" || !strings.Contains(path(f, "evidence", "decision").(string), "3.0.11-1~deb12u1") ||
		path(f, "advisory", "id") != "CVE-2024-0727" || !strings.HasPrefix(path(f, "advisory", "summary").(string), "openssl:") {
		t.Fatalf("finding's evidence and advisory = %v", f)
	}
	if f := e.ok(viewer, releaseFindings, map[string]any{"n": "myapp-v1.1.0"}); len(path(f, "release", "findings").([]any)) != 0 {
		t.Fatalf("findings of the fixed release = %v", f)
	}
	byDigest := e.ok(viewer, `query($d: String!) { findings(sbom: $d) { advisoryId installedVersion } }`, map[string]any{"d": sboms["myapp-v1.0.0"]})
	if l := path(byDigest, "findings").([]any); len(l) != 1 || path(l[0], "advisoryId") != "CVE-2024-0727" {
		t.Fatalf("findings by SBOM digest = %v", l)
	}
	if r := e.gql(viewer, `{ findings(sbom: "sha256:0000") { advisoryId } }`, nil); r.code() != "NOT_FOUND" {
		t.Fatalf("findings of an unknown SBOM = %+v, want NOT_FOUND", r.Errors)
	}

	// An advisory by its alias, with the merged record.
	adv := e.ok(viewer, `{ advisory(id: "DSA-5621-1") { id aliases summary details published modified withdrawn digest
		severity { rating score source } severities { source rating }
		affected { ecosystem name purl ranges { type events { introduced fixed lastAffected limit } } versions fixedVersions fixState source }
		references { type url sources } kev { dateAdded ransomware } epss { score modelVersion }
		sources { source upstreamId observationId contentHash rank } provenance { pointer source decisionReason }
		conflicts { code values { key value } } } }`, nil)
	a := path(adv, "advisory")
	if path(a, "id") != "CVE-2024-0727" || !slices.Equal(strs(path(a, "aliases")), []string{"DSA-5621-1"}) ||
		path(a, "published") != "2024-01-26T00:00:00Z" || path(a, "withdrawn") != false ||
		!strings.HasPrefix(path(a, "digest").(string), "sha256:") || path(a, "severity", "rating") != "high" {
		t.Fatalf("advisory by alias = %v", a)
	}
	aff := path(a, "affected").([]any)
	if len(aff) != 1 || path(aff[0], "ecosystem") != "Debian:12" || path(aff[0], "name") != "openssl" || path(aff[0], "fixState") != "fixed" ||
		!slices.Equal(strs(path(aff[0], "fixedVersions")), []string{"3.0.13-1~deb12u1"}) {
		t.Fatalf("affected = %v", aff)
	}
	rng := path(aff[0], "ranges").([]any)
	if len(rng) != 1 || path(rng[0], "type") != "ECOSYSTEM" || path(path(rng[0], "events").([]any)[1], "fixed") != "3.0.13-1~deb12u1" {
		t.Fatalf("ranges = %v", rng)
	}
	if src := path(a, "sources").([]any); len(src) != 1 || path(src[0], "upstreamId") != "DSA-5621-1" || path(src[0], "source") != "osv" {
		t.Fatalf("sources = %v", src)
	}
	if refs := path(a, "references").([]any); len(refs) != 1 || path(refs[0], "url") != "https://www.debian.org/security/2024/dsa-5621" {
		t.Fatalf("references = %v", refs)
	}
	if path(a, "kev", "dateAdded") != "2024-02-15" || path(a, "epss", "modelVersion") != "v2023.03.01" || len(path(a, "provenance").([]any)) == 0 {
		t.Fatalf("enrichment and provenance = %v", a)
	}
	if r := e.gql(viewer, `{ advisory(id: "CVE-1999-0001") { id } }`, nil); r.code() != "NOT_FOUND" {
		t.Fatalf("unknown advisory = %+v, want NOT_FOUND", r.Errors)
	}
	byPkg := e.ok(viewer, `{ hit: advisories(ecosystem: "Debian:12", name: "openssl") { id } miss: advisories(ecosystem: "Debian:11", name: "openssl") { id } }`, nil)
	if h := path(byPkg, "hit").([]any); len(h) != 1 || path(h[0], "id") != "CVE-2024-0727" || len(path(byPkg, "miss").([]any)) != 0 {
		t.Fatalf("advisories by package = %v", byPkg)
	}

	// Re-evaluation: both images hold openssl, so both SBOMs must be matched again.
	reeval := `query($ids: [String!]!) { sbomsAffectedBy(advisoryIds: $ids) { snapshot { id observations } advisories unknown sboms } }`
	re := path(e.ok(viewer, reeval, map[string]any{"ids": []string{"DSA-5621-1", "CVE-2024-0727", "CVE-1999-0001"}}), "sbomsAffectedBy")
	want := []string{sboms["myapp-v1.0.0"], sboms["myapp-v1.1.0"]}
	slices.Sort(want)
	if !slices.Equal(strs(path(re, "sboms")), want) || !slices.Equal(strs(path(re, "advisories")), []string{"CVE-2024-0727"}) ||
		!slices.Equal(strs(path(re, "unknown")), []string{"CVE-1999-0001"}) ||
		!strings.HasPrefix(path(re, "snapshot", "id").(string), "sha256:") || path(re, "snapshot", "observations") != 1.0 {
		t.Fatalf("sbomsAffectedBy = %v", re)
	}
	snap := path(re, "snapshot", "id")

	// A new import changes the snapshot; the next request matches the new view.
	e.importOSV(zlibOSV, advisory.Enrichment{})
	got = path(e.ok(viewer, releaseFindings, map[string]any{"n": "myapp-v1.1.0"}), "release", "findings").([]any)
	if len(got) != 1 || path(got[0], "advisoryId") != "CVE-2023-45853" || path(got[0], "installedVersion") != "1:1.2.13.dfsg-1" || path(got[0], "severity") != nil {
		t.Fatalf("findings of myapp-v1.1.0 after the zlib import = %v", got)
	}
	if n := len(path(e.ok(viewer, releaseFindings, map[string]any{"n": "myapp-v1.0.0"}), "release", "findings").([]any)); n != 2 {
		t.Fatalf("myapp-v1.0.0 has %d findings after the zlib import, want 2", n)
	}
	if s := e.ok(viewer, `{ advisorySnapshot { id observations } }`, nil); path(s, "advisorySnapshot", "id") == snap || path(s, "advisorySnapshot", "observations") != 2.0 {
		t.Fatalf("snapshot after the second import = %v, was %v", s, snap)
	}

	// Authentication and tenant isolation.
	if r := e.gql("", `{ advisories(ecosystem: "Debian:12", name: "openssl") { id } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous = %+v, want UNAUTHENTICATED", r.Errors)
	}
	_, other, err := e.srv.CreateToken(context.Background(), "globex", "bob", auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ advisory(id: "CVE-2024-0727") { id } }`,
		`{ release(key: "myapp-v1.0.0") { findings { advisoryId } } }`,
		`{ findings(sbom: "` + sboms["myapp-v1.0.0"] + `") { advisoryId } }`,
	} {
		if r := e.gql(other, q, nil); r.code() != "NOT_FOUND" {
			t.Fatalf("tenant globex: %s = %+v, want NOT_FOUND", q, r.Errors)
		}
	}
	iso := e.ok(other, `{ advisories(ecosystem: "Debian:12", name: "openssl") { id } advisorySnapshot { id }
		sbomsAffectedBy(advisoryIds: ["CVE-2024-0727"]) { snapshot { id } advisories unknown sboms } }`, nil)
	if len(path(iso, "advisories").([]any)) != 0 || iso["advisorySnapshot"] != nil || len(path(iso, "sbomsAffectedBy", "sboms").([]any)) != 0 ||
		!slices.Equal(strs(path(iso, "sbomsAffectedBy", "unknown")), []string{"CVE-2024-0727"}) || path(iso, "sbomsAffectedBy", "snapshot") != nil {
		t.Fatalf("tenant globex sees the default tenant's advisories: %v", iso)
	}
}
