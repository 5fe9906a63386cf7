package scan_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/vex"
)

func goAdvisory(id, pkg, fixed string) advisory.Advisory {
	return advisory.Advisory{ID: id, Aliases: []string{"CVE-" + strings.TrimPrefix(id, "GO-")},
		Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: pkg},
			Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fixed}}}}}}}
}

func entries() []scan.Entry {
	return []scan.Entry{
		{Advisory: goAdvisory("GO-2023-0001", "golang.org/x/net", "0.17.0"), KEV: &advisory.KEV{DateAdded: "2026-01-10"}},
		{Advisory: goAdvisory("GO-2023-0002", "golang.org/x/text", "0.3.8"), EPSS: &advisory.EPSS{Score: 0.5, Percentile: 0.9}},
		{Advisory: goAdvisory("GO-2023-0003", "golang.org/x/crypto", "0.1.0")},
	}
}

func document() *sbom.Document {
	return &sbom.Document{Subject: sbom.Subject{Kind: "directory", Name: "app"}, Components: []sbom.Component{
		{PURL: "pkg:golang/golang.org/x/net@v0.16.0", Type: "library", Name: "golang.org/x/net", Version: "v0.16.0"},
		{PURL: "pkg:golang/golang.org/x/text@v0.3.7", Type: "library", Name: "golang.org/x/text", Version: "v0.3.7"},
		{PURL: "pkg:golang/golang.org/x/crypto@v0.2.0", Type: "library", Name: "golang.org/x/crypto", Version: "v0.2.0"},
	}}
}

// A snapshot's canonical bytes and digest do not depend on the order it
// was given in, and read back to the same snapshot.
func TestAdvisoriesAreCanonical(t *testing.T) {
	want, err := scan.NewAdvisories(entries())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		es := entries()
		rand.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
		got, err := scan.NewAdvisories(es)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != want.Digest() || string(got.Canonical()) != string(want.Canonical()) {
			t.Fatalf("shuffled snapshot digest %s, want %s", got.Digest(), want.Digest())
		}
	}
	back, err := scan.ReadAdvisories(want.Canonical())
	if err != nil || back.Digest() != want.Digest() || back.Len() != 3 || !back.HasEPSS() {
		t.Fatalf("read back: %v, %s", err, back.Digest())
	}
	if _, err := scan.NewAdvisories(append(entries(), entries()[0])); err == nil || !strings.Contains(err.Error(), "GO-2023-0001") {
		t.Errorf("a snapshot with one id twice: %v", err)
	}
	if _, err := scan.ReadAdvisories([]byte(`{"advisory": {}}`)); err == nil {
		t.Error("a snapshot that is not a list was read")
	}
}

// Findings carry their advisory's KEV and EPSS; VEX applies per image.
func TestScanEnrichesAndAppliesVEX(t *testing.T) {
	ctx := context.Background()
	advs, err := scan.NewAdvisories(entries())
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.New(advs).Scan(ctx, document())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range res.Report.Findings {
		ids = append(ids, f.AdvisoryID)
		switch f.AdvisoryID {
		case "GO-2023-0001":
			if f.KEV == nil || f.EPSS != nil {
				t.Errorf("%s: kev %v epss %v", f.AdvisoryID, f.KEV, f.EPSS)
			}
		case "GO-2023-0002":
			if f.KEV != nil || f.EPSS == nil {
				t.Errorf("%s: kev %v epss %v", f.AdvisoryID, f.KEV, f.EPSS)
			}
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"GO-2023-0001", "GO-2023-0002"}) || res.Applied != nil {
		t.Fatalf("findings %v, applied %v", ids, res.Applied)
	}

	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	image := "sha256:" + strings.Repeat("ab", 32)
	v, err := scan.NewVEX(nil, scan.Statements{{Issuer: "acme", Vulnerability: "CVE-2023-0001", Product: vex.Product{Ref: image},
		Status: vex.StatusNotAffected, Justification: vex.JustificationComponentNotPresent, Timestamp: at.AddDate(0, -1, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	sc := scan.New(advs, scan.WithVEX(v))
	if _, err := sc.Scan(ctx, document()); err == nil {
		t.Fatal("a VEX scan without a consensus time")
	}
	status := func(product string) map[string]vex.Status {
		res, err := sc.Scan(ctx, document(), scan.InProduct(product), scan.AsOf(at))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]vex.Status{}
		for _, a := range res.Applied {
			out[a.Finding.AdvisoryID] = a.Verdict.Status
		}
		return out
	}
	if got := status(image); got["GO-2023-0001"] != vex.StatusNotAffected || got["GO-2023-0002"] != vex.StatusUnknown {
		t.Errorf("in the image the statement names: %v", got)
	}
	if got := status("sha256:" + strings.Repeat("cd", 32)); got["GO-2023-0001"] != vex.StatusUnknown {
		t.Errorf("in another image: %v", got)
	}
}
