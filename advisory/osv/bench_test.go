package osv_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/sbom"
)

// BenchmarkMatch10k matches 10,000 Go modules — every module vulndb names,
// at a few versions, padded with modules it does not know — against all
// Go advisories.
func BenchmarkMatch10k(b *testing.B) {
	advs := osv.Advisories(loadVulndb(b))
	var names []string
	seen := map[string]bool{}
	for _, a := range advs {
		for _, af := range a.Affected {
			if !seen[af.Package.Name] {
				seen[af.Package.Name] = true
				names = append(names, af.Package.Name)
			}
		}
	}
	doc := &sbom.Document{}
	versions := []string{"v0.0.1", "v1.2.3", "v0.0.0-20190620200207-3b0461eec859", "v2.0.0+incompatible"}
	for i := 0; len(doc.Components) < 10000; i++ {
		name := fmt.Sprintf("example.com/unknown/m%d", i)
		if i < 3*len(names) {
			name = names[i%len(names)]
		}
		v := versions[i%len(versions)]
		doc.Components = append(doc.Components, sbom.Component{PURL: "pkg:golang/" + name + "@" + v, Name: name, Version: v})
	}
	m := advisory.NewMatcher(advs)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		f, err := m.Match(context.Background(), doc)
		if err != nil {
			b.Fatal(err)
		}
		n = len(f)
	}
	b.ReportMetric(float64(n), "findings")
}
