package spdx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/internal/spdxtest"
	"github.com/stella-ops/stella/sbom/spdx"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.spdx.json and hashes.txt")

func encode(t *testing.T, d *sbom.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := spdx.Encode(&buf, d); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestEncodeValidatesAgainstSPDX23Schema(t *testing.T) {
	out := encode(t, spdxtest.Document(t))
	if err := spdx.Validate(out); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out, []byte("}\n")) || bytes.Count(out, []byte("\n")) != 1 {
		t.Error("output must be one line of canonical JSON and exactly one trailing newline")
	}
}

func TestValidateRejectsSchemaViolations(t *testing.T) {
	out := encode(t, spdxtest.Document(t))
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "spdxVersion")
	m["packages"].([]any)[0].(map[string]any)["filesAnalyzed"] = "yes"
	bad, _ := json.Marshal(m)
	err := spdx.Validate(bad)
	var ve *spdx.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "spdxVersion") || !strings.Contains(err.Error(), "filesAnalyzed") {
		t.Fatalf("want a ValidationError naming spdxVersion and filesAnalyzed, got %v", err)
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	want := encode(t, spdxtest.Document(t))
	if got := encode(t, spdxtest.Document(t)); !bytes.Equal(got, want) {
		t.Fatal("two encodings of the same document differ")
	}
	for seed := range uint64(5) {
		d := spdxtest.Document(t)
		spdxtest.Shuffle(d, rand.New(rand.NewPCG(seed, seed+1)))
		before, _ := json.Marshal(d)
		if got := encode(t, d); !bytes.Equal(got, want) {
			t.Fatalf("seed %d: shuffled model encodes differently", seed)
		}
		if after, _ := json.Marshal(d); !bytes.Equal(before, after) {
			t.Fatalf("seed %d: Encode modified its input", seed)
		}
	}
}

func TestEncodeIdentifiers(t *testing.T) {
	out := encode(t, spdxtest.Document(t))
	var doc struct {
		Namespace    string `json:"documentNamespace"`
		CreationInfo struct {
			Created  string   `json:"created"`
			Creators []string `json:"creators"`
		} `json:"creationInfo"`
		Packages []struct {
			SPDXID string `json:"SPDXID"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^https://stella-ops\.org/spdx/[0-9a-f]{64}$`).MatchString(doc.Namespace) {
		t.Errorf("documentNamespace = %q", doc.Namespace)
	}
	if doc.CreationInfo.Created != "2026-03-01T12:00:00Z" {
		t.Errorf("created = %q, want the document timestamp", doc.CreationInfo.Created)
	}
	if !reflect.DeepEqual(doc.CreationInfo.Creators, []string{"Tool: stella-0.4.0"}) {
		t.Errorf("creators = %q", doc.CreationInfo.Creators)
	}
	// sha256("pkg:golang/stdlib@1.26.8")[:8]
	if !strings.Contains(string(out), `"SPDXRef-Pkg-`+spdxtest.ShortHash("pkg:golang/stdlib@1.26.8")+`"`) {
		t.Error("package SPDXIDs must be SPDXRef-Pkg- + 16 hex of sha256(identity)")
	}
	if regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`).Match(out) {
		t.Error("output contains a UUIDv4")
	}
}

func TestRoundTripKeepsTheModel(t *testing.T) {
	want := spdxtest.Document(t)
	got, err := spdx.Decode(bytes.NewReader(encode(t, want)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// A dependency on something outside the document has no SPDX element.
	for i, dep := range want.Dependencies {
		want.Dependencies[i].DependsOn = slicesDelete(dep.DependsOn, "pkg:npm/not-in-this-document@1")
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("round trip changed the model\n got: %s\nwant: %s", g, w)
	}
}

func slicesDelete(s []string, v string) []string {
	out := []string{}
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func TestVolatileFieldsDoNotChangeTheNormalizedModel(t *testing.T) {
	out := encode(t, spdxtest.Document(t))
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	m["documentNamespace"] = "https://other.example/spdx/abc"
	m["creationInfo"] = map[string]any{
		"created":            "2030-01-01T00:00:00Z",
		"creators":           []string{"Tool: syft-1.57.1", "Organization: Example"},
		"licenseListVersion": "3.25",
	}
	other, _ := json.Marshal(m)
	a, err := spdx.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	b, err := spdx.Decode(bytes.NewReader(other))
	if err != nil {
		t.Fatal(err)
	}
	if a.Timestamp.Equal(b.Timestamp) || a.Tool == b.Tool {
		t.Fatal("the edit should have changed the volatile fields")
	}
	a.Timestamp, a.Tool = b.Timestamp, b.Tool
	if !reflect.DeepEqual(a, b) {
		t.Fatal("documents differing only in volatile fields decode to different models")
	}
}

func TestGoldenFile(t *testing.T) {
	spdxtest.Golden(t, encode(t, spdxtest.Document(t)), "golden.spdx.json", *update)
}

func TestDecodeRejectsUnknownVersions(t *testing.T) {
	for _, v := range []string{"SPDX-2.1", "SPDX-3.0", ""} {
		_, err := spdx.Decode(strings.NewReader(`{"spdxVersion":"` + v + `"}`))
		var ve *spdx.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), `"`+v+`"`) {
			t.Errorf("spdxVersion %q: want a ValidationError naming it, got %v", v, err)
		}
	}
	for _, in := range []string{``, `[]`, `{}`, `{"spdxVersion":2.3}`} {
		if _, err := spdx.Decode(strings.NewReader(in)); err == nil {
			t.Errorf("Decode(%q) accepted it", in)
		}
	}
}

func TestDecodeForeignSPDX22(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "foreign-2.2.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := spdx.Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if d.Subject.Kind != "image" || d.Subject.Name != "alpine:3.20" {
		t.Errorf("subject = %+v, want the described container", d.Subject)
	}
	var ids []string
	for _, c := range d.Components {
		ids = append(ids, c.Identity())
	}
	want := []string{"gen:spdx/busybox-extras@1.36.1-r29", "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.0"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("identities = %q, want %q", ids, want)
	}
	if !reflect.DeepEqual(d.Dependencies, []sbom.Dependency{{Ref: want[0], DependsOn: []string{want[1]}}}) {
		t.Errorf("dependencies = %+v", d.Dependencies)
	}
	if got := d.Components[1].Licenses; !reflect.DeepEqual(got, []sbom.License{{ID: "MIT"}}) {
		t.Errorf("licenses = %+v", got)
	}
	if d.Tool != (sbom.Tool{Name: "syft", Version: "1.57.1"}) {
		t.Errorf("tool = %+v", d.Tool)
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"golden.spdx.json", "foreign-2.2.spdx.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-A","name":""}],"relationships":[null]}`))
	f.Add([]byte(`{"spdxVersion":"SPDX-2.2","packages":[null],"hasExtractedLicensingInfos":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := spdx.Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Whatever decodes must encode, and re-decode to the same model.
		var buf bytes.Buffer
		if err := spdx.Encode(&buf, d); err != nil {
			t.Fatalf("decoded document does not encode: %v", err)
		}
		if _, err := spdx.Decode(&buf); err != nil {
			t.Fatalf("encoded document does not decode: %v", err)
		}
	})
}
