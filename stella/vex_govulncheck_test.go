package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory/report"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/vex"
)

// govulncheckOpenVEX is the part of govulncheck's -format openvex output
// the test checks, read without Stella's reader.
type govulncheckOpenVEX struct {
	Context    string    `json:"@context"`
	Author     string    `json:"author"`
	Timestamp  time.Time `json:"timestamp"`
	Statements []struct {
		Vulnerability struct {
			Name string `json:"name"`
		} `json:"vulnerability"`
		Products []struct {
			ID            string `json:"@id"`
			Subcomponents []struct {
				ID string `json:"@id"`
			} `json:"subcomponents"`
		} `json:"products"`
		Status        string `json:"status"`
		Justification string `json:"justification"`
	} `json:"statements"`
}

// TestScanAppliesGovulncheckOpenVEX is the "real producer's VEX"
// acceptance of vex.md: govulncheck -format openvex on the old module,
// applied by stella scan --vex to the same module's findings. Exactly the
// findings govulncheck calls affected stay active; every other finding is
// suppressed with govulncheck's justification. govulncheck's products are
// "Unknown Product" with percent-encoded purl subcomponents.
func TestScanAppliesGovulncheckOpenVEX(t *testing.T) {
	govulncheck := peerTool(t, "STELLA_TEST_GOVULNCHECK")
	db := peerTool(t, "STELLA_TEST_GOVULNDB")
	osvDir := testenv.VulndbOSV(t)
	mod, err := filepath.Abs(scanFixture)
	if err != nil {
		t.Fatal(err)
	}

	// -format openvex needs source (symbol) mode, the default: it is what
	// tells "affected" (vulnerable symbol called) from "not_affected".
	cmd := exec.Command(govulncheck, "-format", "openvex", "-db", "file://"+db, "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("govulncheck -format openvex: %v\n%s", err, stderr.String())
	}
	vexFile := filepath.Join(t.TempDir(), "govulncheck.openvex.json")
	if err := os.WriteFile(vexFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	// The raw document has the shape the issue describes.
	var doc govulncheckOpenVEX
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("govulncheck output is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.Context, "https://openvex.dev/ns") || doc.Timestamp.IsZero() || len(doc.Statements) == 0 {
		t.Fatalf("not an OpenVEX document: @context %q, timestamp %v, %d statements", doc.Context, doc.Timestamp, len(doc.Statements))
	}
	type key struct{ vuln, module string }
	peer := map[key]string{} // status, or "not_affected/<justification>"
	encoded := 0
	for _, s := range doc.Statements {
		if len(s.Products) != 1 || s.Products[0].ID != "Unknown Product" || len(s.Products[0].Subcomponents) == 0 {
			t.Fatalf("%s: products = %+v, want one \"Unknown Product\" with subcomponents", s.Vulnerability.Name, s.Products)
		}
		v := s.Status
		if s.Status == "not_affected" {
			v += "/" + s.Justification
		}
		// One statement may name several modules (e.g. a golang.org/x/net
		// vulnerability also fixed in the standard library's vendored copy).
		for _, sc := range s.Products[0].Subcomponents {
			path, _, _ := strings.Cut(strings.TrimPrefix(sc.ID, "pkg:golang/"), "@")
			if !strings.HasPrefix(sc.ID, "pkg:golang/") || strings.Contains(path, "/") {
				t.Fatalf("%s: subcomponent %q is not a percent-encoded Go purl", s.Vulnerability.Name, sc.ID)
			}
			module := strings.ReplaceAll(path, "%2F", "/")
			if module != path {
				encoded++
			}
			peer[key{s.Vulnerability.Name, module}] = v
		}
	}
	if encoded == 0 {
		t.Error("no subcomponent has a percent-encoded namespace")
	}

	// Stella's reader keeps the placeholder product and the encoded
	// subcomponent; matching decodes it, so the statement applies to the
	// finding's plain purl with exact coverage.
	stmts, err := vex.ReadOpenVEX(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != len(doc.Statements) {
		t.Errorf("vex read %d statements of %d", len(stmts), len(doc.Statements))
	}

	// A cut-off just after the document's timestamp: govulncheck's author
	// is an unregistered issuer (hub defaults), fresh claims stay above
	// minScore, and the result does not depend on when the test runs.
	cutoff := doc.Timestamp.UTC().Truncate(time.Second).Add(time.Minute)
	r := scanWithGovulncheckVEX(t, "dir:"+mod, "--advisories", osvDir, "--vex", vexFile, "--vex-cutoff", cutoff.Format(time.RFC3339), "-o", "json")

	var affected, suppressed int
	matched := map[key]bool{}
	for _, f := range r.Findings {
		k := key{f.AdvisoryID, f.Package}
		want, ok := peer[k]
		if !ok {
			t.Errorf("%s in %s: govulncheck made no statement", f.AdvisoryID, f.PURL)
			continue
		}
		matched[k] = true
		if f.VEX == nil {
			t.Errorf("%s in %s: no vex marking", f.AdvisoryID, f.PURL)
			continue
		}
		got := f.VEX.Status
		if f.VEX.Status == "not_affected" {
			got += "/" + f.VEX.Justification
		}
		switch {
		case got != want:
			t.Errorf("%s in %s: vex %s, govulncheck says %s", f.AdvisoryID, f.PURL, got, want)
		case f.VEX.Suppressed != (want != "affected"):
			t.Errorf("%s in %s: %s but suppressed = %v", f.AdvisoryID, f.PURL, got, f.VEX.Suppressed)
		case f.VEX.Conflict || f.VEX.Confidence < 0.1:
			t.Errorf("%s in %s: conflict %v, confidence %v", f.AdvisoryID, f.PURL, f.VEX.Conflict, f.VEX.Confidence)
		}
		if f.VEX.Suppressed {
			suppressed++
		} else {
			affected++
		}
	}
	// Every statement about a module of the scan matched a finding. The
	// standard library (govulncheck checks the running toolchain's) has no
	// component in a directory SBOM.
	var stdlib int
	for k := range peer {
		switch {
		case k.module == "stdlib":
			stdlib++
		case !matched[k]:
			t.Errorf("govulncheck statement %s %s (%s) matched no finding", k.vuln, k.module, peer[k])
		}
	}
	// The encoded subcomponents matched the decoded finding purls exactly.
	for _, s := range stmts {
		if s.Product.Ref != "Unknown Product" || len(s.Product.Subcomponents) == 0 {
			t.Errorf("%s: normalized product = %+v", s.Vulnerability, s.Product)
		}
		for _, sc := range s.Product.Subcomponents {
			if !strings.Contains(sc, "%2F") && !strings.HasPrefix(sc, "pkg:golang/stdlib@") {
				t.Errorf("%s: normalized subcomponent %q lost its encoding", s.Vulnerability, sc)
			}
		}
	}
	for _, f := range r.Findings {
		subj := vex.Subject{Package: f.PURL, Vuln: []string{f.AdvisoryID}}
		n := 0
		for _, s := range stmts {
			if s.Vulnerability != f.AdvisoryID {
				continue
			}
			if c, ok := vex.Applies(subj, s.Product); ok && c == 1 {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s in %s: %d govulncheck statements apply with exact coverage, want 1", f.AdvisoryID, f.PURL, n)
		}
	}
	if r.Summary.Findings != len(r.Findings) || r.Summary.Suppressed != suppressed {
		t.Errorf("summary = %+v; %d findings, %d suppressed", r.Summary, len(r.Findings), suppressed)
	}
	t.Logf("govulncheck: %d statements (%d stdlib pairs set aside); stella: %d findings, %d affected (active), %d suppressed",
		len(doc.Statements), stdlib, len(r.Findings), affected, suppressed)
	if affected == 0 || suppressed == 0 {
		t.Errorf("affected %d, suppressed %d: the old module should have both", affected, suppressed)
	}
}

func scanWithGovulncheckVEX(t *testing.T, args ...string) report.Report {
	t.Helper()
	out, code := run(t, "", "", append([]string{"scan"}, args...)...)
	if code != ExitOK {
		t.Fatalf("scan %v: exit %d: %s", args, code, out)
	}
	return readReportJSON(t, out)
}
