package spdx3_test

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
	"github.com/stella-ops/stella/sbom/spdx3"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.spdx3.json and hashes.txt")

func encode(t *testing.T, d *sbom.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := spdx3.Encode(&buf, d); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestEncodeShape(t *testing.T) {
	out := encode(t, spdxtest.Document(t))
	if !bytes.HasSuffix(out, []byte("}\n")) || bytes.Count(out, []byte("\n")) != 1 {
		t.Error("output must be canonical JSON and exactly one trailing newline")
	}
	var doc struct {
		Context string           `json:"@context"`
		Graph   []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Context != spdx3.Context {
		t.Errorf("@context = %q", doc.Context)
	}
	ci := doc.Graph[0]
	if ci["type"] != "CreationInfo" || ci["created"] != "2026-03-01T12:00:00Z" || ci["specVersion"] != "3.0.1" {
		t.Errorf("CreationInfo = %v", ci)
	}
	iri := doc.Graph[1]["spdxId"].(string)
	if doc.Graph[1]["type"] != "SpdxDocument" || !regexp.MustCompile(`^https://stella-ops\.org/spdx/[0-9a-f]{64}$`).MatchString(iri) {
		t.Errorf("SpdxDocument = %v", doc.Graph[1])
	}
	want := iri + "#pkg-" + spdxtest.ShortHash("pkg:golang/stdlib@1.26.8")
	found := false
	for _, e := range doc.Graph[1:] {
		id, _ := e["spdxId"].(string)
		if !strings.HasPrefix(id, iri) {
			t.Errorf("element id %q is not under the document IRI", id)
		}
		found = found || id == want && e["software_packageUrl"] == "pkg:golang/stdlib@1.26.8"
	}
	if !found {
		t.Errorf("no software_Package %s", want)
	}
	if regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`).Match(out) {
		t.Error("output contains a UUIDv4")
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

func TestRoundTripKeepsTheModel(t *testing.T) {
	want := spdxtest.Document(t)
	got, err := spdx3.Decode(bytes.NewReader(encode(t, want)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// A dependency on something outside the document has no element.
	for i, dep := range want.Dependencies {
		var keep []string
		for _, on := range dep.DependsOn {
			if on != "pkg:npm/not-in-this-document@1" {
				keep = append(keep, on)
			}
		}
		want.Dependencies[i].DependsOn = keep
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("round trip changed the model\n got: %s\nwant: %s", g, w)
	}
}

func TestVolatileFieldsDoNotChangeTheNormalizedModel(t *testing.T) {
	out := encode(t, spdxtest.Document(t))
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	ci := m["@graph"].([]any)[0].(map[string]any)
	ci["created"] = "2031-05-05T05:05:05Z"
	ci["createdUsing"] = []any{}
	ci["createdBy"] = []any{"https://other.example/agent"}
	other, _ := json.Marshal(m)
	a, err := spdx3.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	b, err := spdx3.Decode(bytes.NewReader(other))
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
	spdxtest.Golden(t, encode(t, spdxtest.Document(t)), "golden.spdx3.json", *update)
}

func TestDecodeChecksTheContext(t *testing.T) {
	for in, want := range map[string]string{
		`{"@context":"https://spdx.org/rdf/3.1.0/spdx-context.jsonld","@graph":[]}`: `"3.1.0"`,
		`{"@context":["https://spdx.org/rdf/2.9/spdx-context.jsonld"],"@graph":[]}`: `"2.9"`,
		`{"@context":"https://example.org/context.jsonld","@graph":[]}`:             "not an SPDX 3 context",
		`{"@graph":[]}`:                                                               "@context",
		`{"@context":"` + spdx3.Context + `"}`:                                        "no @graph",
		`{"@context":"` + spdx3.Context + `","@graph":[{}]}`:                          "@graph[0] has no type",
		`{"@context":"` + spdx3.Context + `","@graph":[{"type":"software_Package"}]}`: "no spdxId",
		`[]`: "not a JSON object",
	} {
		_, err := spdx3.Decode(strings.NewReader(in))
		var ve *spdx3.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%s): want a ValidationError containing %q, got %v", in, want, err)
		}
	}
	d, err := spdx3.Decode(strings.NewReader(`{"@context":"https://spdx.org/rdf/3.0.0/spdx-context.jsonld","@graph":[]}`))
	if err != nil || len(d.Components) != 0 {
		t.Errorf("an empty 3.0.0 document should decode to an empty model, got %v, %v", d, err)
	}
}

func TestDecodeForeignDocument(t *testing.T) {
	in := `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[
	 {"type":"CreationInfo","@id":"_:ci","created":"2026-01-02T03:04:05Z","createdBy":["urn:agent"],"specVersion":"3.0.1"},
	 {"type":"Tool","spdxId":"urn:tool","name":"other-tool","creationInfo":"_:ci"},
	 {"type":"software_Package","spdxId":"urn:a","name":"a","software_packageVersion":"1.0","creationInfo":"_:ci",
	  "externalIdentifier":[{"type":"ExternalIdentifier","externalIdentifierType":"packageUrl","identifier":"pkg:pypi/Foo_Bar@1.0"}]},
	 {"type":"software_Package","spdxId":"urn:b","name":"b","software_packageVersion":"2","creationInfo":"_:ci",
	  "verifiedUsing":[{"type":"Hash","algorithm":"sha1","hashValue":"AB"}]},
	 {"type":"Relationship","spdxId":"urn:r","from":"urn:a","to":"urn:b","relationshipType":"dependsOn","creationInfo":"_:ci"}]}`
	d, err := spdx3.Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range d.Components {
		ids = append(ids, c.Identity())
	}
	if want := []string{"gen:spdx/b@2", "pkg:pypi/foo-bar@1.0"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("identities = %q, want %q", ids, want)
	}
	if want := []sbom.Dependency{{Ref: "pkg:pypi/foo-bar@1.0", DependsOn: []string{"gen:spdx/b@2"}}}; !reflect.DeepEqual(d.Dependencies, want) {
		t.Errorf("dependencies = %+v", d.Dependencies)
	}
	if h := d.Components[0].Hashes; !reflect.DeepEqual(h, []sbom.Hash{{Algorithm: "SHA-1", Value: "ab"}}) {
		t.Errorf("hashes = %+v", h)
	}
}

func FuzzDecode(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden.spdx3.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"Relationship","spdxId":"x","from":{"@id":"y"},"to":[1,null,{}]}]}`))
	f.Add([]byte(`{"@context":["https://spdx.org/rdf/3.0.1/spdx-context.jsonld"],"@graph":[{"type":"software_Package","@id":"p","comment":"stella:layer.index=x\nstella:key=\\"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := spdx3.Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := spdx3.Encode(&buf, d); err != nil {
			t.Fatalf("decoded document does not encode: %v", err)
		}
		if _, err := spdx3.Decode(&buf); err != nil {
			t.Fatalf("encoded document does not decode: %v", err)
		}
	})
}
