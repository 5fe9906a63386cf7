package report_test

import (
	"context"
	"os"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/advisory/report"
	"github.com/stella-ops/stella/sbom"
)

const osvRecord = `{
  "schema_version": "1.6.0",
  "id": "GO-2026-0001",
  "aliases": ["CVE-2026-0001"],
  "modified": "2026-02-01T00:00:00Z",
  "summary": "Excessive memory use in an HTML tokenizer",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
  "affected": [{
    "package": {"ecosystem": "Go", "name": "golang.org/x/net"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.23.0"}]}]
  }]
}`

func ExampleReport_WriteTable() {
	ctx := context.Background()
	obs, err := osv.Read(strings.NewReader(osvRecord))
	if err != nil {
		panic(err)
	}
	advisories := osv.Advisories(obs)
	doc := &sbom.Document{Components: []sbom.Component{
		{PURL: "pkg:golang/golang.org/x/net@v0.20.0", Type: "library", Name: "golang.org/x/net", Version: "v0.20.0"},
	}}
	scan, err := advisory.NewMatcher(advisories).Scan(ctx, doc)
	if err != nil {
		panic(err)
	}
	// The SBOM digest names what was matched; sbom.ContentDigest computes it
	// from the encoded SBOM.
	sbomDigest := "sha256:" + strings.Repeat("0", 64)
	r := report.New("dir:.", sbomDigest, scan, advisories, len(doc.Components))
	if err := r.WriteTable(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// PACKAGE           INSTALLED  ADVISORY      SEVERITY    FIXED IN  ALIASES
	// golang.org/x/net  v0.20.0    GO-2026-0001  high (7.5)  0.23.0    CVE-2026-0001
	// 1 finding(s) in 1 package(s) against 1 advisories: 0 critical, 1 high, 0 medium, 0 low, 0 none, 0 unknown; 0 undecidable
}
