package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	scanVEX   = "testdata/vex-openvex.json"
	vexCutoff = "2024-02-01T00:00:00Z"
	vexNotAff = "vulnerable_code_not_in_execute_path"
)

func TestScanVEXMarksFindingsAndKeepsSuppressed(t *testing.T) {
	_, out := scanTo(t, "dir:"+scanFixture, "--advisories", scanAdvisory, "--vex", scanVEX, "--vex-cutoff", vexCutoff, "-o", "json")
	r := readReportJSON(t, out)
	if len(r.Findings) != 2 || r.Summary.Findings != 2 || r.Summary.Suppressed != 1 {
		t.Fatalf("findings = %d, summary = %+v; want 2 findings, 1 suppressed\n%s", len(r.Findings), r.Summary, out)
	}
	for _, f := range r.Findings {
		if f.VEX == nil || !strings.HasPrefix(f.VEX.ConsensusDigest, "sha256:") {
			t.Fatalf("%s: vex = %+v", f.AdvisoryID, f.VEX)
		}
		switch f.AdvisoryID {
		case "TEST-0001":
			if f.VEX.Status != "not_affected" || !f.VEX.Suppressed || f.VEX.Justification != vexNotAff || f.VEX.Confidence <= 0 {
				t.Errorf("TEST-0001 vex = %+v, want suppressed not_affected with justification", *f.VEX)
			}
		case "TEST-0002":
			if f.VEX.Status != "affected" || f.VEX.Suppressed {
				t.Errorf("TEST-0002 vex = %+v, want active affected", *f.VEX)
			}
		}
	}
}

func TestScanWithoutVEXHasNoVEXField(t *testing.T) {
	_, out := scanTo(t, "dir:"+scanFixture, "--advisories", scanAdvisory, "-o", "json")
	if strings.Contains(out, `"vex"`) || strings.Contains(out, `"suppressed"`) {
		t.Errorf("scan without --vex mentions vex:\n%s", out)
	}
}

func TestScanFailOnIgnoresSuppressed(t *testing.T) {
	args := []string{"scan", "dir:" + scanFixture, "--advisories", scanAdvisory + "/TEST-0001.json", "--fail-on", "high"}
	if out, code := run(t, "", "", args...); code != ExitDeny {
		t.Fatalf("without VEX: exit %d, want %d: %s", code, ExitDeny, out)
	}
	out, code := run(t, "", "", append(args, "--vex", scanVEX, "--vex-cutoff", vexCutoff)...)
	if code != ExitOK {
		t.Fatalf("with VEX suppressing the only finding: exit %d, want 0: %s", code, out)
	}
	if !strings.Contains(out, "suppressed: not_affected ("+vexNotAff+")") || !strings.Contains(out, "TEST-0001") {
		t.Errorf("table does not list the suppressed finding with its justification:\n%s", out)
	}
}

func TestScanSARIFSuppressions(t *testing.T) {
	out, code := run(t, "", "", "scan", "dir:"+scanFixture, "--advisories", scanAdvisory, "--vex", scanVEX, "--vex-cutoff", vexCutoff, "-o", "sarif")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct {
					Kind, Justification string
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range log.Runs[0].Results {
		got[r.RuleID] = len(r.Suppressions)
		if r.RuleID == "TEST-0001" && (len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "external" || !strings.Contains(r.Suppressions[0].Justification, vexNotAff)) {
			t.Errorf("TEST-0001 suppressions = %+v", r.Suppressions)
		}
	}
	if got["TEST-0001"] != 1 || got["TEST-0002"] != 0 {
		t.Errorf("suppressions by rule = %v, want TEST-0001:1, TEST-0002:0", got)
	}
}

func TestVEXShowAndConsensus(t *testing.T) {
	out, code := run(t, "", "", "vex", "show", scanVEX)
	if code != ExitOK {
		t.Fatalf("vex show: exit %d: %s", code, out)
	}
	var doc struct {
		Format     string `json:"format"`
		Statements []struct {
			Vulnerability string `json:"vulnerability"`
			Status        string `json:"status"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Format != "openvex" || len(doc.Statements) != 2 {
		t.Fatalf("vex show = %+v (%v)\n%s", doc, err, out)
	}
	out, code = run(t, "", "", "vex", "consensus", "--vex", scanVEX, "--package", "pkg:golang/gopkg.in/yaml.v2@v2.2.2",
		"--vuln", "TEST-0001,CVE-0000-0001", "--cutoff", vexCutoff, "-o", "json")
	if code != ExitOK {
		t.Fatalf("vex consensus: exit %d: %s", code, out)
	}
	var v struct {
		Status          string            `json:"status"`
		Justification   string            `json:"justification"`
		ConsensusDigest string            `json:"consensusDigest"`
		Claims          []json.RawMessage `json:"claims"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Status != "not_affected" || v.Justification != vexNotAff || len(v.Claims) != 1 || !strings.HasPrefix(v.ConsensusDigest, "sha256:") {
		t.Errorf("vex consensus = %+v\n%s", v, out)
	}
	out, code = run(t, "", "", "vex", "consensus", "--vex", scanVEX, "--package", "pkg:golang/gopkg.in/yaml.v2@v2.2.2",
		"--vuln", "TEST-0001,CVE-0000-0001", "--cutoff", vexCutoff)
	if code != ExitOK || !strings.Contains(out, "TEST-0001 in pkg:golang/gopkg.in/yaml.v2@v2.2.2: not_affected") ||
		!strings.Contains(out, "unknown:Example Maintainers") || !strings.Contains(out, "ISSUER") {
		t.Errorf("vex consensus table: exit %d:\n%s", code, out)
	}
	if _, code := run(t, "", "", "vex", "show", "testdata/does-not-exist.json"); code != ExitUsage {
		t.Errorf("vex show of a missing file: exit %d, want %d", code, ExitUsage)
	}
}
