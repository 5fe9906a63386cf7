package vex

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
)

func TestApplySuppressesNotAffectedAndKeepsAffected(t *testing.T) {
	f, err := os.Open("../stella/testdata/vex-openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	findings := []advisory.Finding{
		{Package: "pkg:golang/gopkg.in/yaml.v2@v2.2.2", AdvisoryID: "TEST-0001", Aliases: []string{"CVE-0000-0001"}},
		{Package: "pkg:golang/golang.org/x/text@v0.3.0", AdvisoryID: "TEST-0002"},
		{Package: "pkg:golang/golang.org/x/net@v0.1.0", AdvisoryID: "TEST-0009"},
	}
	cutoff := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	got, err := Apply(context.Background(), findings, doc.Statements, nil, "", cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(findings) {
		t.Fatalf("got %d applied findings, want %d (suppressed findings must be kept)", len(got), len(findings))
	}
	for i, a := range got {
		if a.Finding.AdvisoryID != findings[i].AdvisoryID {
			t.Errorf("finding %d = %s, want %s (order kept)", i, a.Finding.AdvisoryID, findings[i].AdvisoryID)
		}
	}
	if a := got[0]; !a.Suppressed || a.Verdict.Status != StatusNotAffected || a.Verdict.Justification != "vulnerable_code_not_in_execute_path" || a.Verdict.Digest == "" {
		t.Errorf("not_affected finding: suppressed=%v status=%s justification=%q digest=%q", a.Suppressed, a.Verdict.Status, a.Verdict.Justification, a.Verdict.Digest)
	}
	if a := got[1]; a.Suppressed || a.Verdict.Status != StatusAffected {
		t.Errorf("affected finding: suppressed=%v status=%s", a.Suppressed, a.Verdict.Status)
	}
	if a := got[2]; a.Suppressed || a.Verdict.Status != StatusUnknown || a.Verdict.Confidence != 0 {
		t.Errorf("finding without statements: suppressed=%v status=%s confidence=%v", a.Suppressed, a.Verdict.Status, a.Verdict.Confidence)
	}
}
