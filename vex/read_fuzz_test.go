package vex

import (
	"bytes"
	"os"
	"testing"
)

func seed(f *testing.F, files ...string) {
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
}

func FuzzReadOpenVEX(f *testing.F) {
	seed(f, "testdata/sameclaim/openvex.json", "../../shared/conformance/openvex/examples/v001-1.vex.json")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ReadOpenVEX(bytes.NewReader(b)) })
}

func FuzzReadCSAF(f *testing.F) {
	seed(f, "testdata/sameclaim/csaf.json")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ReadCSAF(bytes.NewReader(b)) })
}

func FuzzReadCycloneDX(f *testing.F) {
	seed(f, "testdata/sameclaim/cyclonedx.json")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ReadCycloneDX(bytes.NewReader(b)) })
}
