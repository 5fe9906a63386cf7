package advisory_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/sbom"
)

// osvRecord is an OSV advisory as a feed publishes it (shortened).
const osvRecord = `{
  "schema_version": "1.6.0",
  "id": "GO-2026-0001",
  "aliases": ["CVE-2026-0001"],
  "modified": "2026-02-01T00:00:00Z",
  "published": "2026-01-15T00:00:00Z",
  "summary": "Excessive memory use in an HTML tokenizer",
  "affected": [{
    "package": {"ecosystem": "Go", "name": "golang.org/x/net"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.23.0"}]}]
  }]
}`

func ExampleMatcher_Match() {
	obs, err := osv.Read(strings.NewReader(osvRecord))
	if err != nil {
		panic(err)
	}
	m := advisory.NewMatcher(osv.Advisories(obs))

	doc := &sbom.Document{Components: []sbom.Component{
		{PURL: "pkg:golang/golang.org/x/net@v0.20.0", Type: "library", Name: "golang.org/x/net", Version: "v0.20.0"},
		{PURL: "pkg:golang/golang.org/x/text@v0.14.0", Type: "library", Name: "golang.org/x/text", Version: "v0.14.0"},
	}}
	findings, err := m.Match(context.Background(), doc)
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Println(f.AdvisoryID, f.Aliases, f.Package, "fixed in", f.FixedVersions)
	}
	// Output:
	// GO-2026-0001 [CVE-2026-0001] pkg:golang/golang.org/x/net@v0.20.0 fixed in [0.23.0]
}
