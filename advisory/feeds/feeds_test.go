package feeds

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	alpinepkg "github.com/stella-ops/stella/advisory/alpine"
)

func TestReadSplitsAggregatesAndBuildsEnrichment(t *testing.T) {
	fixture := filepath.Join("..", "alpine", "testdata", "v3.19-main.json")
	whole, err := alpinepkg.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	split, err := Read("alpine", fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(split) <= len(whole) {
		t.Fatalf("alpine: %d observations after splitting %d package documents", len(split), len(whole))
	}
	for _, o := range split {
		if o.Advisory == nil || o.Identifiers.Primary == "" {
			t.Fatalf("a split alpine observation has no advisory or id: %+v", o.Identifiers)
		}
	}
	if _, err := Read("bogus", "x"); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("unknown source: %v", err)
	}
	var all []advisory.Observation
	for _, f := range []struct{ source, path string }{
		{"kev", filepath.Join("..", "kev", "testdata")},
		{"epss", filepath.Join("..", "epss", "testdata")},
	} {
		matches, _ := filepath.Glob(filepath.Join(f.path, "*"))
		for _, m := range matches {
			obs, err := Read(f.source, m)
			if err != nil {
				t.Fatalf("%s %s: %v", f.source, m, err)
			}
			all = append(all, obs...)
		}
	}
	enr, err := Enrichment(all)
	if err != nil {
		t.Fatal(err)
	}
	if len(enr.KEV) == 0 || len(enr.EPSS) == 0 {
		t.Fatalf("enrichment from the kev and epss fixtures: %d KEV, %d EPSS", len(enr.KEV), len(enr.EPSS))
	}
}
