package cyclonedx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
)

// conformanceDir holds the CycloneDX specification's own test documents,
// relative to this package: sbom/cyclonedx → project root → ../shared.
const conformanceDir = "../../../shared/conformance/cyclonedx/tests"

// conformanceFiles lists the spec's documents for a version, skipping (or,
// under CI=true, failing) when the shared folder is not checked out.
func conformanceFiles(tb testing.TB, v Version) []string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(conformanceDir, string(v), "*.json"))
	if len(files) == 0 {
		testenv.Require(tb, "the shared conformance folder", "no CycloneDX conformance documents in "+conformanceDir+"/"+string(v))
	}
	return files
}

func TestSpecificationDocuments(t *testing.T) {
	for _, v := range []Version{Version16, Version17} {
		val, err := NewValidator(v)
		if err != nil {
			t.Fatal(err)
		}
		var valid, invalid int
		for _, f := range conformanceFiles(t, v) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(f)
			switch {
			case strings.HasPrefix(name, "valid-"):
				valid++
				if err := val.Validate(raw); err != nil {
					t.Errorf("%s/%s: the schema rejects a valid document: %v", v, name, err)
				}
				if _, err := Decode(bytes.NewReader(raw)); err != nil {
					t.Errorf("%s/%s: %v", v, name, err)
				}
			case strings.HasPrefix(name, "invalid-"):
				invalid++
				if err := val.Validate(raw); err == nil {
					t.Errorf("%s/%s: validation accepted an invalid document", v, name)
				}
			}
		}
		t.Logf("CycloneDX %s: %d valid documents decode and validate, %d invalid ones are rejected", v, valid, invalid)
		if valid == 0 || invalid == 0 {
			t.Fatalf("%s: %d valid and %d invalid documents: the folder looks incomplete", v, valid, invalid)
		}
	}
}

// FuzzDecode feeds Decode arbitrary bytes, seeded with the specification's
// documents and our goldens. Decode must never panic, and whatever it
// accepts must encode and decode again.
func FuzzDecode(f *testing.F) {
	var seeds []string
	for _, v := range []Version{Version16, Version17} {
		s, _ := filepath.Glob(filepath.Join(conformanceDir, string(v), "*.json"))
		seeds = append(seeds, s...)
	}
	local, _ := filepath.Glob(filepath.Join("testdata", "*.cdx.json"))
	for _, path := range append(seeds, local...) {
		if raw, err := os.ReadFile(path); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"name":"x","components":[{"name":"y"}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Decode(bytes.NewReader(raw))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, d, Version17); err != nil {
			t.Fatalf("decoded document does not encode: %v", err)
		}
		if _, err := Decode(&buf); err != nil {
			t.Fatalf("encoded document does not decode: %v", err)
		}
	})
}
