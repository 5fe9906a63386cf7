package vex

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/testenv"
)

func readFile(t *testing.T, path string) *Document {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Read(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// claimDigest is the digest of what a statement claims. Fields that differ
// by nature between formats are cleared: the format and document digest,
// and the source vocabulary (sourceStatus, sourceJustification).
func claimDigest(t *testing.T, s Statement) string {
	t.Helper()
	s.Format, s.DocumentDigest, s.SourceStatus, s.SourceJustification = "", "", "", ""
	d, err := s.ComputeDigest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSameClaimInThreeFormatsNormalizesAlike(t *testing.T) {
	want := Statement{
		Issuer:          "unknown:Example Corp",
		Vulnerability:   "CVE-2023-44487",
		Aliases:         []string{"GHSA-qppj-fm5r-hxr3"},
		Product:         Product{Ref: "pkg:golang/golang.org%2Fx%2Fnet@v0.17.0"},
		Status:          StatusNotAffected,
		Justification:   JustificationCodeNotInExecutePath,
		ImpactStatement: "The HTTP/2 server is never started.",
		Timestamp:       time.Date(2023, 10, 12, 9, 0, 0, 0, time.UTC),
	}
	wantDigest := claimDigest(t, want)
	formats := map[string]Format{"openvex.json": FormatOpenVEX, "csaf.json": FormatCSAF, "cyclonedx.json": FormatCycloneDX}
	for file, format := range formats {
		d := readFile(t, filepath.Join("testdata", "sameclaim", file))
		if d.Format != format || len(d.Statements) != 1 {
			t.Fatalf("%s: format %s with %d statements (warnings %v), want %s with 1", file, d.Format, len(d.Statements), d.Warnings, format)
		}
		s := d.Statements[0]
		if s.Format != format || s.DocumentDigest != d.ContentHash || s.SourceStatus == "" {
			t.Errorf("%s: document fields not stamped: %+v", file, s)
		}
		if got := claimDigest(t, s); got != wantDigest {
			t.Errorf("%s: claim differs:\n got %+v\nwant %+v", file, s, want)
		}
	}
}

func TestConformanceExamplesIngest(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "conformance", "openvex", "examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		testenv.Require(t, "the shared conformance folder", "no OpenVEX examples in "+dir)
	}
	for _, f := range files {
		d := readFile(t, f)
		if d.Format != FormatOpenVEX || len(d.Statements) == 0 {
			t.Errorf("%s: %s with %d statements (warnings %v)", f, d.Format, len(d.Statements), d.Warnings)
		}
		for _, s := range d.Statements {
			if s.Timestamp.IsZero() || (s.Product.Ref == "" && len(d.Warnings) == 0) || s.Digest == "" || !strings.HasPrefix(s.Issuer, "unknown:") {
				t.Errorf("%s: incomplete statement %+v", f, s)
			}
		}
	}
}

func TestOpenVEXLegacyAndInheritance(t *testing.T) {
	doc := `{"@context":"https://openvex.dev/ns","author":"A","timestamp":"2023-01-02T03:04:05+02:00","version":"1",
	"statements":[{"vulnerability":"ghsa-xxxx-yyyy-zzzz","products":["pkg:OCI/app@sha256%3Aab?arch=amd64&os=linux","SHA256:AB"],
	"subcomponents":["pkg:golang/golang.org%2Fx%2Fnet@v0.17.0"],"status":"affected","action_statement":"update"}]}`
	stmts, err := ReadOpenVEX(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 {
		t.Fatalf("got %d statements, want 2", len(stmts))
	}
	refs := map[string]bool{}
	for _, s := range stmts {
		refs[s.Product.Ref] = true
		if s.Vulnerability != "GHSA-xxxx-yyyy-zzzz" || !s.Timestamp.Equal(time.Date(2023, 1, 2, 1, 4, 5, 0, time.UTC)) ||
			len(s.Product.Subcomponents) != 1 || s.Product.Subcomponents[0] != "pkg:golang/golang.org%2Fx%2Fnet@v0.17.0" {
			t.Errorf("statement %+v", s)
		}
	}
	if !refs["pkg:oci/app@sha256:ab?arch=amd64&os=linux"] || !refs["sha256:ab"] {
		t.Errorf("refs not normalized: %v", refs)
	}
}

func TestStatusMapping(t *testing.T) {
	cases := []struct {
		table map[string]Status
		src   string
		want  Status
	}{
		{openVEXStatus, "affected", StatusAffected},
		{openVEXStatus, "not_affected", StatusNotAffected},
		{openVEXStatus, "fixed", StatusFixed},
		{openVEXStatus, "under_investigation", StatusUnderInvestigation},
		{csafStatus, "known_affected", StatusAffected},
		{csafStatus, "first_affected", StatusAffected},
		{csafStatus, "last_affected", StatusAffected},
		{csafStatus, "known_not_affected", StatusNotAffected},
		{csafStatus, "fixed", StatusFixed},
		{csafStatus, "first_fixed", StatusFixed},
		{csafStatus, "under_investigation", StatusUnderInvestigation},
		{cycloneDXStatus, "exploitable", StatusAffected},
		{cycloneDXStatus, "not_affected", StatusNotAffected},
		{cycloneDXStatus, "false_positive", StatusNotAffected},
		{cycloneDXStatus, "resolved", StatusFixed},
		{cycloneDXStatus, "resolved_with_pedigree", StatusFixed},
		{cycloneDXStatus, "in_triage", StatusUnderInvestigation},
	}
	for _, c := range cases {
		if got := c.table[c.src]; got != c.want {
			t.Errorf("%s: got %q, want %q", c.src, got, c.want)
		}
	}
	for _, notAStatement := range []string{"recommended", "unknown"} {
		if _, ok := csafStatus[notAStatement]; ok {
			t.Errorf("csaf %q must not be a statement", notAStatement)
		}
	}
}

func TestJustificationMapping(t *testing.T) {
	cdx := map[string]Justification{
		"requires_dependency":             JustificationComponentNotPresent,
		"code_not_present":                JustificationCodeNotPresent,
		"code_not_reachable":              JustificationCodeNotInExecutePath,
		"requires_configuration":          JustificationCodeCannotBeControlled,
		"requires_environment":            JustificationCodeCannotBeControlled,
		"protected_by_compiler":           JustificationInlineMitigationsAlreadyExist,
		"protected_at_runtime":            JustificationInlineMitigationsAlreadyExist,
		"protected_at_perimeter":          JustificationInlineMitigationsAlreadyExist,
		"protected_by_mitigating_control": JustificationInlineMitigationsAlreadyExist,
	}
	if len(cdx) != len(cycloneDXJustification) {
		t.Errorf("cyclonedx table has %d entries, want %d", len(cycloneDXJustification), len(cdx))
	}
	for src, want := range cdx {
		if got := cycloneDXJustification[src]; got != want {
			t.Errorf("cyclonedx %s: got %q, want %q", src, got, want)
		}
	}
	for src, got := range openVEXJustification { // OpenVEX and CSAF labels are the normalized names
		if string(got) != src {
			t.Errorf("openvex/csaf %s maps to %q", src, got)
		}
	}
	if len(openVEXJustification) != 5 {
		t.Errorf("openvex table has %d entries, want 5", len(openVEXJustification))
	}
}

func TestCycloneDXFalsePositiveHasNoJustification(t *testing.T) {
	bom := `{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"bom-ref":"a","purl":"pkg:npm/a@1"}],
	"vulnerabilities":[{"id":"CVE-1-2","analysis":{"state":"false_positive","justification":"code_not_present"},"affects":[{"ref":"urn:cdx:x/1#a"}]}]}`
	stmts, err := ReadCycloneDX(strings.NewReader(bom))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 1 || stmts[0].Status != StatusNotAffected || stmts[0].Justification != "" || stmts[0].Product.Ref != "pkg:npm/a@1" {
		t.Fatalf("got %+v", stmts)
	}
}

func TestCSAFRelationshipAndRecommended(t *testing.T) {
	doc := `{"document":{"category":"csaf_vex","publisher":{"name":"P"},"tracking":{"current_release_date":"2024-01-01T00:00:00Z"}},
	"product_tree":{"full_product_names":[{"product_id":"img","product_identification_helper":{"purl":"pkg:oci/app@sha256%3Aab"}},
	{"product_id":"lib","product_identification_helper":{"purl":"pkg:npm/lib@1"}}],
	"relationships":[{"category":"default_component_of","product_reference":"lib","relates_to_product_reference":"img","full_product_name":{"product_id":"lib-in-img"}}],
	"product_groups":[{"group_id":"g","product_ids":["lib-in-img"]}]},
	"vulnerabilities":[{"cve":"CVE-1-2","product_status":{"known_affected":["lib-in-img"],"recommended":["lib"]},
	"remediations":[{"category":"vendor_fix","details":"upgrade lib","group_ids":["g"]}]}]}`
	stmts, err := ReadCSAF(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 1 {
		t.Fatalf("got %d statements, want 1: %+v", len(stmts), stmts)
	}
	s := stmts[0]
	if s.Product.Ref != "pkg:oci/app@sha256:ab" || len(s.Product.Subcomponents) != 1 || s.Product.Subcomponents[0] != "pkg:npm/lib@1" ||
		s.Status != StatusAffected || s.ActionStatement != "upgrade lib" {
		t.Errorf("got %+v", s)
	}
}

func TestReadRejectsUnknownDocuments(t *testing.T) {
	for _, doc := range []string{`{}`, `[]`, `{"@context":"https://example.com"}`, `{"bomFormat":"CycloneDX","specVersion":"1.3","vulnerabilities":[]}`} {
		if _, err := Read(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: no error", doc)
		}
	}
}
