package decide_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/decide"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/vex"
)

// SBOM → findings → VEX → decision: an image with a vulnerable
// golang.org/x/net, the advisory that names it, and a vendor's unsigned
// VEX statement that the image is not affected. The statement suppresses
// the finding, but with too little confidence for the vex-trust gate.
func Example() {
	ctx, at := context.Background(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	image := "sha256:" + fmt.Sprintf("%064d", 1)
	var sbomJSON bytes.Buffer
	_ = codec.Encode(&sbomJSON, &sbom.Document{Subject: sbom.Subject{Kind: "image", Name: "registry.example/api", Digest: image},
		Components: []sbom.Component{{PURL: "pkg:golang/golang.org/x/net@v0.16.0", Type: "library", Name: "golang.org/x/net", Version: "v0.16.0"}}}, codec.CycloneDXJSON17)

	advs, _ := scan.NewAdvisories([]scan.Entry{{Advisory: advisory.Advisory{ID: "GO-2023-2102", Aliases: []string{"CVE-2023-39325"},
		Affected: []advisory.Affected{{Package: advisory.Package{Ecosystem: "Go", Name: "golang.org/x/net"},
			Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}}}}}})
	statements := scan.Statements{{Issuer: "acme", Vulnerability: "CVE-2023-39325", Product: vex.Product{Ref: image},
		Status: vex.StatusNotAffected, Justification: vex.JustificationCodeNotInExecutePath, Timestamp: at.AddDate(0, -1, 0)}}
	issuers, _ := vex.NewRegistry("2026-03", vex.Issuer{ID: "acme", Name: "ACME", Class: vex.ClassVendor})
	vexView, _ := scan.NewVEX(issuers, statements)

	d, _ := decide.New(ctx) // the default gates, prepared once
	dec, in, _ := d.Decide(ctx, decide.Request{Cutoff: at, Advisories: advs, VEX: vexView,
		Release:     decide.Release{Name: "api-v1", Digest: "sha256:" + fmt.Sprintf("%064d", 2), Components: []decide.Component{{Name: "api", Image: "registry.example/api@" + image, SBOM: sbomJSON.Bytes()}}},
		Environment: gate.Environment{Name: "staging", Tier: "staging"}})
	f := in.Findings[0]
	fmt.Println(f.AdvisoryID, f.Component.Purl, f.VEX.Status, f.VEX.Confidence, f.Active)
	fmt.Println(dec.Decision, dec.ReasonCodes)
	// Output:
	// GO-2023-2102 pkg:golang/golang.org/x/net@v0.16.0 not_affected 0.419131 false
	// deny [vex-trust.low-confidence]
}
