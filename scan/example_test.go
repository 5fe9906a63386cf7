package scan_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/vex"
)

// A snapshot prepared once, then a scan with VEX: the image's statement
// suppresses its finding.
func ExampleScanner_Scan() {
	advs, _ := scan.NewAdvisories([]scan.Entry{{
		Advisory: advisory.Advisory{ID: "GO-2023-2102", Aliases: []string{"CVE-2023-39325"},
			Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: "golang.org/x/net"},
				Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}}}},
		KEV: &advisory.KEV{DateAdded: "2023-10-10"},
	}})
	image := "sha256:" + fmt.Sprintf("%064d", 7)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	v, _ := scan.NewVEX(nil, scan.Statements{{Issuer: "acme", Vulnerability: "CVE-2023-39325", Product: vex.Product{Ref: image},
		Status: vex.StatusNotAffected, Justification: vex.JustificationCodeNotInExecutePath, Timestamp: at.AddDate(0, -1, 0)}})
	doc := &sbom.Document{Subject: sbom.Subject{Kind: "image", Name: "registry.example/api", Digest: image},
		Components: []sbom.Component{{PURL: "pkg:golang/golang.org/x/net@v0.16.0", Type: "library", Name: "golang.org/x/net", Version: "v0.16.0"}}}

	res, _ := scan.New(advs, scan.WithVEX(v)).Scan(context.Background(), doc, scan.InProduct(image), scan.AsOf(at))
	for _, a := range res.Applied {
		fmt.Println(a.Finding.AdvisoryID, a.Finding.Package, "kev:", a.Finding.KEV != nil, a.Verdict.Status, "suppressed:", a.Suppressed)
	}
	fmt.Println("snapshot", advs.Digest()[:19])
	// Output:
	// GO-2023-2102 pkg:golang/golang.org/x/net@v0.16.0 kev: true not_affected suppressed: true
	// snapshot sha256:4e275c9441a4
}
