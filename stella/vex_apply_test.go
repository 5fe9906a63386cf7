package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/advisory/report"
)

// savedScan runs a scan without VEX and saves its JSON report.
func savedScan(t *testing.T) string {
	t.Helper()
	_, out := scanTo(t, "dir:"+scanFixture, "--advisories", scanAdvisory, "-o", "json")
	path := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readReportJSON(t *testing.T, out string) report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

func TestVEXApplyToSavedReport(t *testing.T) {
	report := savedScan(t)
	explain := filepath.Join(t.TempDir(), "explain.json")
	out, code := run(t, "", "", "vex", "apply", report, "--vex", scanVEX, "--cutoff", vexCutoff, "--explain", explain, "-o", "json")
	if code != ExitOK {
		t.Fatalf("vex apply: exit %d: %s", code, out)
	}
	r := readReportJSON(t, out)
	seen := 0
	for _, f := range r.Findings {
		switch f.AdvisoryID {
		case "TEST-0001":
			seen++
			if f.VEX == nil || !f.VEX.Suppressed || f.VEX.Justification != vexNotAff {
				t.Errorf("TEST-0001 not suppressed with its justification: %+v", f.VEX)
			}
		case "TEST-0002":
			seen++
			if f.VEX == nil || f.VEX.Suppressed || f.VEX.Status != "affected" {
				t.Errorf("TEST-0002 not active affected: %+v", f.VEX)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("findings missing from applied report:\n%s", out)
	}
	// The explanation holds one consensus record per finding.
	var records []struct {
		Status string            `json:"status"`
		Claims []json.RawMessage `json:"claims"`
		Digest string            `json:"consensusDigest"`
	}
	raw, err := os.ReadFile(explain)
	if err != nil || json.Unmarshal(raw, &records) != nil || len(records) != len(r.Findings) {
		t.Fatalf("explanation: %v, %d records for %d findings", err, len(records), len(r.Findings))
	}

	// A report that is not a scan report is refused.
	if out, code := run(t, "", "", "vex", "apply", scanVEX, "--vex", scanVEX); code != ExitUsage || !strings.Contains(out, "not a stella scan JSON report") {
		t.Errorf("vex apply of a non-report: exit %d: %s", code, out)
	}
}

func TestVEXConsensusAsSignedOpenVEXVerifiesThroughRegistry(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := testKeyPair(t)
	pubRaw, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pubRaw)
	registry := filepath.Join(dir, "issuers.yaml")
	reg := "version: \"1\"\nissuers:\n  - id: platform\n    name: Platform Security\n    class: internal\n    keys:\n      - publicKey: |\n          " +
		strings.ReplaceAll(strings.TrimSpace(pubPEM), "\n", "\n          ") + "\n"
	if err := os.WriteFile(registry, []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}

	// Plain OpenVEX output of the applied report's consensus.
	out, code := run(t, "", "", "vex", "apply", savedScan(t), "--vex", scanVEX, "--cutoff", vexCutoff, "-o", "openvex")
	if code != ExitOK || !strings.Contains(out, `"@context":"https://openvex.dev/ns/v0.2.0"`) || !strings.Contains(out, `"status":"not_affected"`) {
		t.Fatalf("vex apply -o openvex: exit %d: %s", code, out)
	}

	// Signed: the envelope verifies through the registry, and its
	// statements are attributed to the registered issuer.
	subject := "registry.example/app@sha256:" + strings.Repeat("ab", 32)
	out, code = run(t, "", "", "vex", "apply", savedScan(t), "--vex", scanVEX, "--cutoff", vexCutoff, "-o", "openvex", "--sign-key", keyFile, "--subject", subject)
	if code != ExitOK {
		t.Fatalf("signed: exit %d: %s", code, out)
	}
	signed := filepath.Join(dir, "consensus.dsse.json")
	if err := os.WriteFile(signed, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, "", "", "vex", "show", signed, "--issuers", registry)
	if code != ExitOK {
		t.Fatalf("vex show signed: exit %d: %s", code, out)
	}
	var doc struct {
		Statements []struct {
			Issuer    string `json:"issuer"`
			Signature struct {
				Verified bool `json:"verified"`
			} `json:"signature"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Statements) == 0 {
		t.Fatalf("vex show: %v\n%s", err, out)
	}
	for _, s := range doc.Statements {
		if s.Issuer != "platform" || !s.Signature.Verified {
			t.Errorf("statement not verified and attributed: %+v", s)
		}
	}

	// Tampered envelope: exit 4.
	var env map[string]any
	_ = json.Unmarshal([]byte(out), &env)
	rawEnv, _ := os.ReadFile(signed)
	_ = json.Unmarshal(rawEnv, &env)
	sigs := env["signatures"].([]any)
	sigs[0].(map[string]any)["sig"] = "AAAA" + sigs[0].(map[string]any)["sig"].(string)[4:]
	bad, _ := json.Marshal(env)
	if err := os.WriteFile(signed, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "", "", "vex", "show", signed, "--issuers", registry); code != ExitTrust {
		t.Errorf("tampered envelope: exit %d, want %d: %s", code, ExitTrust, out)
	}

	// requireSignatureForNotAffected drops the registered issuer's unsigned
	// not_affected: the finding stays active.
	strict := filepath.Join(dir, "strict.yaml")
	if err := os.WriteFile(strict, []byte("issuers:\n  - id: maint\n    name: Example Maintainers\n    class: vendor\n    requireSignatureForNotAffected: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, "", "", "vex", "consensus", "--vex", scanVEX, "--issuers", strict, "--package", "pkg:golang/gopkg.in/yaml.v2@v2.2.2",
		"--vuln", "TEST-0001,CVE-0000-0001", "--cutoff", vexCutoff, "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"dropped": "unsigned-not-affected"`) || !strings.Contains(out, `"status": "unknown"`) {
		t.Errorf("strict issuer: exit %d: %s", code, out)
	}
}
