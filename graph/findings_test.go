package graph

import (
	"testing"

	"github.com/stella-ops/stella/advisory"
)

// The prepared snapshot is reused while the view is the same, and rebuilt
// when a KEV or EPSS import changed it under the same snapshot id.
func TestAdvisoryCacheFollowsEnrichment(t *testing.T) {
	var c advisoryCache
	effs := []advisory.Effective{{ID: "GO-2026-0001"}, {ID: "GO-2026-0002"}}
	a, err := c.get("acme", "sha256:snap", effs)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.get("acme", "sha256:snap", effs); b != a {
		t.Error("the same view was prepared again")
	}
	enriched := []advisory.Effective{{ID: "GO-2026-0001", KEV: &advisory.KEV{DateAdded: "2026-01-10"}}, {ID: "GO-2026-0002"}}
	b, err := c.get("acme", "sha256:snap", enriched)
	if err != nil {
		t.Fatal(err)
	}
	if b == a || b.Digest() == a.Digest() {
		t.Fatalf("a KEV listing under the same snapshot id kept the old snapshot %s", a.Digest())
	}
	if e, _ := b.Lookup("GO-2026-0001"); e.KEV == nil {
		t.Error("the rebuilt snapshot has no KEV")
	}
	if o, _ := c.get("globex", "sha256:snap", effs); o == b {
		t.Error("tenants share a cached snapshot")
	}
}
