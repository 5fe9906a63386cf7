package spdx3_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/internal/spdxtest"
)

// shacl returns a function that validates a file with shacl/validate.mjs
// against shared/conformance/spdx/3.0.1. Without node or the installed npm
// packages it skips, except under CI=true, where it fails.
func shacl(t *testing.T) func(path string) ([]byte, error) {
	t.Helper()
	missing := func(what string) {
		testenv.Require(t, "SHACL validation", what+" is missing (npm ci --prefix sbom/spdx3/shacl)")
	}
	node := testenv.Tool(t, "node", "Debian package nodejs; SHACL validation needs it")
	if _, err := os.Stat(filepath.Join("shacl", "node_modules", "shacl-engine")); err != nil {
		missing("shacl/node_modules")
	}
	model := filepath.Join("..", "..", "..", "shared", "conformance", "spdx", "3.0.1")
	for _, f := range []string{"spdx-model.ttl", "spdx-context.jsonld"} {
		if _, err := os.Stat(filepath.Join(model, f)); err != nil {
			missing(filepath.Join(model, f))
		}
	}
	return func(path string) ([]byte, error) {
		cmd := exec.Command(node, filepath.Join("shacl", "validate.mjs"),
			"--shapes", filepath.Join(model, "spdx-model.ttl"),
			"--context", filepath.Join(model, "spdx-context.jsonld"), path)
		return cmd.CombinedOutput()
	}
}

func TestSHACL(t *testing.T) {
	validate := shacl(t)
	bare := &sbom.Document{
		Timestamp:  time.Unix(0, 0).UTC(),
		Components: []sbom.Component{{Key: "gen:dir/x@1", Type: "", Name: "", Licenses: []sbom.License{{Name: "see COPYING"}}}},
	}
	for name, d := range map[string]*sbom.Document{"fixture": spdxtest.Document(t), "bare": bare, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "doc.spdx3.json")
			if err := os.WriteFile(path, encode(t, d), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := validate(path); err != nil {
				t.Fatalf("SHACL validation failed: %v\n%s", err, out)
			}
		})
	}
}

// TestSHACLRejectsViolations keeps the check honest: a document that breaks
// the model must fail it.
func TestSHACLRejectsViolations(t *testing.T) {
	validate := shacl(t)
	out := encode(t, spdxtest.Document(t))
	out = bytes.Replace(out, []byte(`"algorithm":"sha256"`), []byte(`"algorithm":"sha257"`), 1)
	out = bytes.Replace(out, []byte(`"specVersion":"3.0.1"`), []byte(`"specVersion":"three"`), 1)
	path := filepath.Join(t.TempDir(), "bad.spdx3.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	report, err := validate(path)
	if err == nil {
		t.Fatalf("a document with an unknown hash algorithm and a bad specVersion conforms:\n%s", report)
	}
	for _, want := range []string{"HashAlgorithm/sha257", "specVersion"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("report does not mention %s:\n%s", want, report)
		}
	}
}
