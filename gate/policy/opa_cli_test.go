package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/testenv"
)

// OPACLIEnv names the opa binary (v1.22.3, as in go.mod) that the agreement
// test runs; testdata/install-opa.sh installs it.
const OPACLIEnv = "STELLA_TEST_OPA_CLI"

func opaCLI(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(OPACLIEnv)
	if bin == "" {
		testenv.Require(t, "the opa CLI", "set "+OPACLIEnv+" to the binary that gate/policy/testdata/install-opa.sh prints")
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	if !bytes.Contains(out, []byte("Version: 1.22.3")) {
		t.Fatalf("%s is not OPA 1.22.3:\n%s", bin, out)
	}
	return bin
}

// opaEval runs `opa eval` on the bundle directory with our capabilities and
// strict built-in errors, and returns deny and warn parsed as ours are;
// undefined reports that deny was undefined.
func opaEval(t *testing.T, bin, dir string, input any) (out Output, undefined bool) {
	t.Helper()
	tmp := t.TempDir()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	inPath := filepath.Join(tmp, "input.json")
	capsPath := filepath.Join(tmp, "capabilities.json")
	caps, _ := capabilities()
	capsJSON, err := json.Marshal(caps)
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{inPath: raw, capsPath: capsJSON} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// --bundle loads data.json at the root and skips nothing, so a
	// _test.rego in the bundle is loaded here too; it only adds test rules.
	cmd := exec.CommandContext(ctx, bin, "eval", "--format", "json", "--strict-builtin-errors",
		"--capabilities", capsPath, "--bundle", dir, "--input", inPath, Package)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("opa eval: %v\n%s\n%s", err, stdout, stderr.String())
	}
	var res struct {
		Result []struct {
			Expressions []struct {
				Value map[string]any `json:"value"`
			} `json:"expressions"`
		} `json:"result"`
	}
	dec := json.NewDecoder(bytes.NewReader(stdout))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("opa eval output: %v\n%s", err, stdout)
	}
	if len(res.Result) == 0 {
		return Output{}, true
	}
	pkg := res.Result[0].Expressions[0].Value
	deny, ok := pkg["deny"]
	if !ok {
		return Output{}, true
	}
	if out.Deny, err = parseRules("deny", deny); err != nil {
		t.Fatalf("opa's deny: %v", err)
	}
	if warn, ok := pkg["warn"]; ok {
		if out.Warn, err = parseRules("warn", warn); err != nil {
			t.Fatalf("opa's warn: %v", err)
		}
	}
	return out, false
}

func TestAgreesWithTheOPACLI(t *testing.T) {
	bin := opaCLI(t)
	cases := []struct {
		name  string
		dir   string
		input any
		deny  bool // whether the case is expected to deny at all
	}{
		{"spec example, production", writeDir(t, map[string]string{"release.rego": kevPolicy}), smallInput("production"), true},
		{"spec example, staging", writeDir(t, map[string]string{"release.rego": kevPolicy}), smallInput("staging"), false},
		{"twenty rules, 2000 findings, production", releasePolicyDir, releaseInput(2000, 7, "production"), true},
		{"twenty rules, 2000 findings, staging", releasePolicyDir, releaseInput(2000, 8, "staging"), true},
		{"twenty rules, 50 findings, development", releasePolicyDir, releaseInput(50, 9, "development"), true},
		{"no deny rule", writeDir(t, map[string]string{"p.rego": "package stella.release\n\nwarn contains {\"code\": \"w\", \"message\": \"m\"}\n"}), smallInput("production"), false},
		{"no package", writeDir(t, map[string]string{"p.rego": "package other\n\ndeny := set()\n"}), smallInput("production"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Load(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(t.Context(), b)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := p.Eval(t.Context(), c.input, cutoff)
			theirs, undefined := opaEval(t, bin, c.dir, c.input)
			if undefined {
				if KindOf(err) != KindUndefined {
					t.Fatalf("opa: deny undefined; ours: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ours.Deny, theirs.Deny) {
				t.Errorf("deny differs: ours %d rules, opa %d\nours: %v\nopa:  %v", len(ours.Deny), len(theirs.Deny), ours.Deny, theirs.Deny)
			}
			if !slices.Equal(ours.Warn, theirs.Warn) {
				t.Errorf("warn differs: ours %d rules, opa %d\nours: %v\nopa:  %v", len(ours.Warn), len(theirs.Warn), ours.Warn, theirs.Warn)
			}
			if ours.Denied() != c.deny {
				t.Errorf("denied = %v, want %v (the case does not test what it says)", ours.Denied(), c.deny)
			}
			t.Logf("agree on %d deny and %d warn rules", len(ours.Deny), len(ours.Warn))
		})
	}
}

// The opa CLI given our capabilities refuses an excluded built-in too, so
// the capabilities file is what OPA understands it to be.
func TestOPACLIRefusesExcludedBuiltinsWithOurCapabilities(t *testing.T) {
	bin := opaCLI(t)
	dir := writeDir(t, map[string]string{"p.rego": "package stella.release\n\ndeny contains {\"code\": \"x\", \"message\": v} if v := uuid.rfc4122(\"x\")\n"})
	caps, _ := capabilities()
	capsJSON, err := json.Marshal(caps)
	if err != nil {
		t.Fatal(err)
	}
	capsPath := filepath.Join(t.TempDir(), "capabilities.json")
	if err := os.WriteFile(capsPath, capsJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "eval", "--capabilities", capsPath, "--bundle", dir, Package).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !bytes.Contains(out, []byte("undefined function uuid.rfc4122")) {
		t.Errorf("opa eval with our capabilities: %v\n%s", err, out)
	}
}

// The release policy's own Rego tests pass under the CLI.
func TestReleasePolicyRegoTestsPass(t *testing.T) {
	bin := opaCLI(t)
	out, err := exec.CommandContext(t.Context(), bin, "test", releasePolicyDir).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("PASS")) {
		t.Errorf("opa test %s: %v\n%s", releasePolicyDir, err, out)
	}
}
