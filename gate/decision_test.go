package gate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/internal/fixture"
)

var engUpdate = flag.Bool("update", false, "rewrite golden files")

// Acceptance 15: the Rego input of the fixture release, byte for byte.
func TestInputDocumentGolden(t *testing.T) {
	got, err := fixture.Input().Document()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "input.golden.json")
	if *engUpdate {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./gate -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("input document differs from %s:\n got %s\nwant %s", path, got, want)
	}
	// Absent optional values stay explicit nulls for Rego.
	for _, s := range []string{`"kev":null`, `"exception":null`, `"reachable":null`, `"gates":[]`} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("document lacks %s", s)
		}
	}
}

func TestStoredInputRoundTrip(t *testing.T) {
	in := fixture.Input()
	in.Normalize()
	raw, err := gate.MarshalReplayInput(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := gate.UnmarshalReplayInput(raw)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := gate.MarshalReplayInput(back)
	if !bytes.Equal(raw, again) || back.Environment.RequiredApprovals != 1 {
		t.Fatalf("round trip lost data:\n%s\n%s", raw, again)
	}
}

func TestRecordDigestsDetectEdits(t *testing.T) {
	d := fixture.Decide(t, fixture.Input(), gate.WithGates(fixture.Status("a", gate.StatusPass)))
	raw, _ := d.Canonical()
	if _, err := gate.ParseDecision(raw); err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(raw, []byte(`"decision":"allow"`), []byte(`"decision":"deny"`), 1)
	if _, err := gate.ParseDecision(edited); err == nil {
		t.Fatal("edited record accepted")
	}
}
