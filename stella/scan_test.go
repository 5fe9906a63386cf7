package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/store"
)

// scanFixture is a Go module pinning old, vulnerable versions of five
// modules (plus golang.org/x/sys); scan-osv holds four hand-written OSV
// records about it: a high CVSS finding, an unscored finding, a withdrawn
// record and a range the pinned version is past.
const (
	scanFixture  = "testdata/oldmod"
	scanAdvisory = "testdata/scan-osv"
)

// scanJSON is the documented JSON output of stella scan.
type scanJSON struct {
	Source            string `json:"source"`
	SBOMContentDigest string `json:"sbomContentDigest"`
	Findings          []struct {
		PURL             string   `json:"purl"`
		Package          string   `json:"package"`
		InstalledVersion string   `json:"installedVersion"`
		AdvisoryID       string   `json:"advisoryId"`
		Aliases          []string `json:"aliases"`
		Severity         struct {
			Score  *float64 `json:"score"`
			Vector string   `json:"vector"`
			Rating string   `json:"rating"`
		} `json:"severity"`
		FixedVersions []string `json:"fixedVersions"`
		Evidence      struct {
			RangeType string `json:"rangeType"`
			Decision  string `json:"decision"`
		} `json:"evidence"`
	} `json:"findings"`
	Unmatched []json.RawMessage `json:"unmatched"`
	Summary   struct {
		Findings   int            `json:"findings"`
		BySeverity map[string]int `json:"bySeverity"`
	} `json:"summary"`
}

func scanTo(t *testing.T, args ...string) (scanJSON, string) {
	t.Helper()
	out, code := run(t, "", "", append([]string{"scan"}, args...)...)
	if code != ExitOK {
		t.Fatalf("scan %v: exit %d: %s", args, code, out)
	}
	var r scanJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("scan output is not JSON: %v\n%s", err, out)
	}
	return r, out
}

func TestScanJSONReportsFindingsWithEvidence(t *testing.T) {
	r, first := scanTo(t, "dir:"+scanFixture, "--advisories", scanAdvisory, "-o", "json")
	if r.Source != "dir:"+scanFixture || !strings.HasPrefix(r.SBOMContentDigest, "sha256:") {
		t.Errorf("source = %q, sbomContentDigest = %q", r.Source, r.SBOMContentDigest)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.AdvisoryID+" "+f.Package+"@"+f.InstalledVersion+" "+f.Severity.Rating)
	}
	// TEST-0003 is withdrawn and TEST-0004 is fixed before the pinned x/net.
	want := []string{"TEST-0001 gopkg.in/yaml.v2@v2.2.2 high", "TEST-0002 golang.org/x/text@v0.3.0 unknown"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings = %q, want %q", got, want)
	}
	yaml := r.Findings[0]
	if yaml.PURL != "pkg:golang/gopkg.in/yaml.v2@v2.2.2" || yaml.Severity.Score == nil || *yaml.Severity.Score != 7.5 ||
		!strings.HasPrefix(yaml.Severity.Vector, "CVSS:3.1/") || !slices.Equal(yaml.Aliases, []string{"CVE-0000-0001"}) ||
		!slices.Equal(yaml.FixedVersions, []string{"2.2.3"}) || yaml.Evidence.RangeType != "SEMVER" || yaml.Evidence.Decision == "" {
		t.Errorf("yaml finding = %+v", yaml)
	}
	if r.Summary.Findings != 2 || r.Summary.BySeverity["high"] != 1 || r.Summary.BySeverity["unknown"] != 1 || r.Summary.BySeverity["critical"] != 0 {
		t.Errorf("summary = %+v", r.Summary)
	}
	if r.Unmatched == nil {
		t.Error("unmatched is null, want an explicit empty list")
	}
	// Same inputs, same bytes.
	if _, second := scanTo(t, "dir:"+scanFixture, "--advisories", scanAdvisory, "-o", "json"); first != second {
		t.Error("two scans of the same input differ")
	}
}

func TestScanOfAnSBOMFileEqualsScanOfItsSource(t *testing.T) {
	sbomFile := filepath.Join(t.TempDir(), "bom.json")
	direct, _ := scanTo(t, "dir:"+scanFixture, "--advisories", scanAdvisory, "-o", "json", "--sbom-file", sbomFile)
	fromFile, _ := scanTo(t, "sbom:"+sbomFile, "--advisories", scanAdvisory, "-o", "json")
	if direct.SBOMContentDigest != fromFile.SBOMContentDigest || len(direct.Findings) != len(fromFile.Findings) {
		t.Errorf("sbom: scan = %s with %d findings, directory scan = %s with %d", fromFile.SBOMContentDigest, len(fromFile.Findings), direct.SBOMContentDigest, len(direct.Findings))
	}
}

func TestScanSARIF(t *testing.T) {
	out, code := run(t, "", "", "scan", scanFixture, "--advisories", scanAdvisory, "-o", "sarif")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					LogicalLocations []struct {
						FullyQualifiedName string `json:"fullyQualifiedName"`
						Kind               string `json:"kind"`
					} `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "stella" {
		t.Fatalf("sarif header = %+v", log)
	}
	run0 := log.Runs[0]
	if len(run0.Tool.Driver.Rules) != 2 || run0.Tool.Driver.Rules[0].ID != "TEST-0001" || run0.Tool.Driver.Rules[0].Properties["security-severity"] != "7.5" {
		t.Errorf("rules = %+v", run0.Tool.Driver.Rules)
	}
	var got []string
	for _, r := range run0.Results {
		loc := r.Locations[0].LogicalLocations[0]
		got = append(got, fmt.Sprintf("%s/%d %s %s %s", r.RuleID, r.RuleIndex, r.Level, loc.Kind, loc.FullyQualifiedName))
	}
	want := []string{
		"TEST-0001/0 error package pkg:golang/gopkg.in/yaml.v2@v2.2.2",
		"TEST-0002/1 warning package pkg:golang/golang.org/x/text@v0.3.0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}

func TestScanTable(t *testing.T) {
	out, code := run(t, "", "", "scan", scanFixture, "--advisories", scanAdvisory)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	if !strings.HasPrefix(out, "PACKAGE") || !strings.Contains(out, "high (7.5)") || !strings.Contains(out, "2 finding(s)") {
		t.Errorf("table:\n%s", out)
	}
}

func TestScanFailOnAndExitCodes(t *testing.T) {
	high := filepath.Join(scanAdvisory, "TEST-0001.json") // one finding, rated high (7.5)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"below the threshold", []string{scanFixture, "--advisories", high, "--fail-on", "critical"}, ExitOK},
		{"at the threshold", []string{scanFixture, "--advisories", high, "--fail-on", "high"}, ExitDeny},
		{"above the threshold", []string{scanFixture, "--advisories", high, "--fail-on", "low"}, ExitDeny},
		{"an unscored finding meets every threshold", []string{scanFixture, "--advisories", scanAdvisory, "--fail-on", "critical"}, ExitDeny},
		{"no findings", []string{scanFixture, "--advisories", filepath.Join(scanAdvisory, "TEST-0004.json"), "--fail-on", "low"}, ExitOK},
		{"unknown threshold", []string{scanFixture, "--advisories", high, "--fail-on", "severe"}, ExitUsage},
		{"unknown output", []string{scanFixture, "--advisories", high, "-o", "xml"}, ExitUsage},
		{"no advisories", []string{scanFixture}, ExitUsage},
		{"both --advisories and --db", []string{scanFixture, "--advisories", high, "--db", "stella.db"}, ExitUsage},
		{"missing --db file", []string{scanFixture, "--db", "testdata/no-such.db"}, ExitUsage},
		{"unreadable advisories", []string{scanFixture, "--advisories", "testdata/no-such-dir"}, ExitUsage},
		{"missing source", []string{"dir:testdata/no-such-dir", "--advisories", high}, ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := run(t, "", "", append([]string{"scan"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, out)
			}
			if code == ExitDeny && !strings.Contains(out, "decision deny") {
				t.Errorf("deny without its reason: %s", out)
			}
		})
	}
}

func TestScanFromTheAdvisoryStore(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "stella.db")
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := osv.ReadPath(scanAdvisory)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, server.DefaultTenant, obs); err != nil {
		t.Fatal(err)
	}
	kev := advisory.KEV{DateAdded: "2024-03-01"}
	if _, err := advisory.Rebuild(ctx, s, server.DefaultTenant, advisory.Precedence{}, advisory.Enrichment{KEV: map[string]advisory.KEV{"CVE-0000-0001": kev}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, code := run(t, "", "", "scan", scanFixture, "--db", dsn, "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	var r struct {
		AdvisorySnapshotID string `json:"advisorySnapshotId"`
		Findings           []struct {
			AdvisoryID string        `json:"advisoryId"`
			Aliases    []string      `json:"aliases"`
			KEV        *advisory.KEV `json:"kev"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.HasPrefix(r.AdvisorySnapshotID, "sha256:") {
		t.Errorf("advisorySnapshotId = %q", r.AdvisorySnapshotID)
	}
	// The effective view keys a group by its smallest CVE (advisory.md §3.1)
	// and carries KEV; withdrawn and not-affecting records still never match.
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%s %v kev=%v", f.AdvisoryID, f.Aliases, f.KEV != nil))
	}
	want := []string{"CVE-0000-0001 [TEST-0001] kev=true", "TEST-0002 [] kev=false"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}

	empty := filepath.Join(t.TempDir(), "empty.db")
	e, err := store.Open(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	if out, code := run(t, "", "", "scan", scanFixture, "--db", empty); code != ExitUsage || !strings.Contains(out, "no effective advisories") {
		t.Errorf("empty store: exit %d, want %d (a scan against nothing is not clean): %s", code, ExitUsage, out)
	}
}

// peerTool returns an environment variable naming a peer tool, skipping (or
// failing under CI=true) when it is unset. stella/testdata/peer-tools.sh
// prints both variables.
func peerTool(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		testenv.Require(t, "the peer tools", env+" is not set; run: eval \"$(stella/testdata/peer-tools.sh)\"")
	}
	return v
}

// TestScanAgreesWithGovulncheck is the peer-agreement acceptance: on the same
// module and the same advisories, stella scan finds exactly the (module,
// advisory) pairs that govulncheck -scan module finds.
func TestScanAgreesWithGovulncheck(t *testing.T) {
	govulncheck := peerTool(t, "STELLA_TEST_GOVULNCHECK")
	db := peerTool(t, "STELLA_TEST_GOVULNDB")
	osvDir := testenv.VulndbOSV(t) // the advisories both tools read
	mod, err := filepath.Abs(scanFixture)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(govulncheck, "-scan", "module", "-json", "-db", "file://"+db)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("govulncheck: %v\n%s", err, stderr.String())
	}
	peer, peerModules, goVersion := govulncheckFindings(t, raw)

	// Both sides must see every pinned module, or agreement proves nothing.
	for _, m := range []string{"golang.org/x/text", "golang.org/x/net", "golang.org/x/crypto", "gopkg.in/yaml.v2", "github.com/dgrijalva/jwt-go"} {
		if !peerModules[m] {
			t.Errorf("govulncheck did not load %s", m)
		}
	}

	// The one explained difference: in source mode govulncheck also checks
	// the standard library of the toolchain that runs it (go_version in its
	// output, the host's Go, not anything the module pins; go.mod's "go"
	// line is only a minimum). An SBOM of the module's directory has no
	// stdlib component, so those pairs are set aside, after checking that
	// they really are about the running toolchain.
	var stdlib int
	for p := range peer {
		if p.module == "stdlib" {
			delete(peer, p)
			stdlib++
		}
	}

	r, _ := scanTo(t, "dir:"+mod, "--advisories", osvDir, "-o", "json")
	ours := map[pair]bool{}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		ours[pair{f.Package, f.AdvisoryID}] = true
		seen[f.Package] = true
	}
	if len(r.Unmatched) != 0 {
		t.Errorf("%d undecidable pairs; Go advisories use SEMVER ranges only", len(r.Unmatched))
	}
	var missed, extra []string
	for p := range peer {
		if !ours[p] {
			missed = append(missed, p.String())
		}
	}
	for p := range ours {
		if !peer[p] {
			extra = append(extra, p.String())
		}
	}
	slices.Sort(missed)
	slices.Sort(extra)
	t.Logf("govulncheck: %d pairs (+%d stdlib %s pairs set aside); stella: %d pairs in %d modules; missed %d, extra %d",
		len(peer), stdlib, goVersion, len(ours), len(seen), len(missed), len(extra))
	if len(missed) > 0 || len(extra) > 0 {
		t.Errorf("stella scan disagrees with govulncheck\nmissed (govulncheck only): %q\nextra (stella only): %q", missed, extra)
	}
	if len(ours) < 50 {
		t.Errorf("only %d findings: the old module should have dozens", len(ours))
	}
}

type pair struct{ module, advisory string }

func (p pair) String() string { return p.module + " " + p.advisory }

// govulncheckFindings reads govulncheck's JSON stream (a sequence of
// objects): the findings as (module, advisory) pairs, the modules it loaded
// and the Go version it checked the standard library at.
func govulncheckFindings(t *testing.T, raw []byte) (map[pair]bool, map[string]bool, string) {
	t.Helper()
	found, modules := map[pair]bool{}, map[string]bool{}
	var goVersion string
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(raw)))
	for {
		var msg struct {
			Config *struct {
				GoVersion string `json:"go_version"`
			} `json:"config"`
			SBOM *struct {
				Modules []struct {
					Path string `json:"path"`
				} `json:"modules"`
			} `json:"SBOM"`
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module string `json:"module"`
				} `json:"trace"`
			} `json:"finding"`
		}
		err := dec.Decode(&msg)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("govulncheck output: %v", err)
		}
		switch {
		case msg.Config != nil:
			goVersion = msg.Config.GoVersion
		case msg.SBOM != nil:
			for _, m := range msg.SBOM.Modules {
				modules[m.Path] = true
			}
		case msg.Finding != nil && len(msg.Finding.Trace) > 0:
			found[pair{msg.Finding.Trace[0].Module, msg.Finding.OSV}] = true
		}
	}
	return found, modules, goVersion
}
