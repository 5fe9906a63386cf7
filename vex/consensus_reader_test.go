package vex

import (
	"context"
	"strings"
	"testing"
	"time"
)

// govulncheckVEX is shaped like `govulncheck -format openvex` output: a
// placeholder product whose subcomponents carry percent-encoded purls.
const govulncheckVEX = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "govulncheck/vex:1234",
  "author": "Unknown Author",
  "timestamp": "2026-05-01T00:00:00Z",
  "version": 1,
  "tooling": "https://pkg.go.dev/golang.org/x/vuln/cmd/govulncheck",
  "statements": [
    {
      "vulnerability": {"@id": "https://pkg.go.dev/vuln/GO-2023-2102", "name": "GO-2023-2102",
        "aliases": ["CVE-2023-39325", "GHSA-4374-p667-p6c8"]},
      "products": [{"@id": "Unknown Product",
        "subcomponents": [{"@id": "pkg:golang/golang.org%2Fx%2Fnet@v0.17.0"}]}],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path",
      "impact_statement": "Govulncheck determined that the vulnerable code isn't called"
    },
    {
      "vulnerability": {"@id": "https://pkg.go.dev/vuln/GO-2024-2687", "name": "GO-2024-2687",
        "aliases": ["CVE-2023-45288"]},
      "products": [{"@id": "Unknown Product",
        "subcomponents": [{"@id": "pkg:golang/golang.org%2Fx%2Fnet@v0.17.0"}]}],
      "status": "affected"
    }
  ]
}`

func TestConsensusOverGovulncheckVEX(t *testing.T) {
	stmts, err := ReadOpenVEX(strings.NewReader(govulncheckVEX))
	if err != nil {
		t.Fatal(err)
	}
	c := testConsensus(t)
	cutoff := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	pkg := "pkg:golang/golang.org/x/net@v0.17.0"
	cases := []struct {
		vuln []string
		want Status
		just Justification
	}{
		{[]string{"CVE-2023-39325", "GO-2023-2102"}, StatusNotAffected, JustificationCodeNotInExecutePath},
		{[]string{"GO-2024-2687"}, StatusAffected, ""},
		{[]string{"CVE-2099-0001"}, StatusUnknown, ""},
	}
	for _, tc := range cases {
		v, err := c.Evaluate(context.Background(), Subject{Package: pkg, Vuln: tc.vuln}, stmts, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != tc.want || v.Justification != tc.just || v.Conflict {
			t.Errorf("%v: %s/%q conflict=%v, want %s/%q", tc.vuln, v.Status, v.Justification, v.Conflict, tc.want, tc.just)
		}
	}
	// Another version of the module is not covered by a versioned subcomponent.
	v, err := c.Evaluate(context.Background(),
		Subject{Package: "pkg:golang/golang.org/x/net@v0.23.0", Vuln: []string{"GO-2023-2102"}}, stmts, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusUnknown {
		t.Errorf("other version: %s, want unknown", v.Status)
	}
}
