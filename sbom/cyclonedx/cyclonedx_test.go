package cyclonedx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/sbom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func encode(t *testing.T, d *sbom.Document, v Version) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, d, v); err != nil {
		t.Fatalf("Encode %s: %v", v, err)
	}
	return buf.Bytes()
}

func TestEncodeMatchesGoldenFiles(t *testing.T) {
	for _, v := range []Version{Version17, Version16} {
		got := encode(t, fixture(), v)
		path := filepath.Join("testdata", "image-"+string(v)+".cdx.json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file; if intended, go test -update and review the diff", path)
		}
	}
	if *update {
		writeHashes(t)
	}
}

// TestGoldenHashes checks testdata/hashes.txt the way `sha256sum -c` does.
func TestGoldenHashes(t *testing.T) {
	list, err := os.ReadFile(filepath.Join("testdata", "hashes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(list)), "\n")
	if len(lines) < 2 {
		t.Fatalf("hashes.txt lists %d files, want the 1.6 and 1.7 goldens", len(lines))
	}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("line %q is not in sha256sum format", line)
		}
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: sha256 differs from hashes.txt", name)
		}
	}
}

func writeHashes(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.cdx.json"))
	var out strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out.WriteString(hex.EncodeToString(h[:]) + "  " + filepath.Base(f) + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", "hashes.txt"), []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEncodedOutputValidatesAgainstTheOfficialSchema(t *testing.T) {
	for _, v := range []Version{Version17, Version16} {
		val, err := NewValidator(v)
		if err != nil {
			t.Fatal(err)
		}
		for name, d := range map[string]*sbom.Document{"fixture": fixture(), "empty": {}} {
			out := encode(t, d, v)
			if err := val.Validate(out); err != nil {
				t.Errorf("%s %s: %v", name, v, err)
			}
			var head struct{ SpecVersion string }
			if err := json.Unmarshal(out, &head); err != nil || head.SpecVersion != string(v) {
				t.Errorf("%s: specVersion %q, want %s", name, head.SpecVersion, v)
			}
		}
	}
}

func TestEncodeIsCanonicalAndDeterministic(t *testing.T) {
	first := encode(t, fixture(), Version17)
	if !bytes.Equal(first, encode(t, fixture(), Version17)) {
		t.Fatal("two encodings differ")
	}
	for seed := range uint64(5) {
		d := shuffled(fixture(), seed)
		if got := encode(t, d, Version17); !bytes.Equal(first, got) {
			t.Fatalf("shuffled model (seed %d) encodes differently", seed)
		}
	}
	if !bytes.HasSuffix(first, []byte("}\n")) || bytes.Count(first, []byte("\n")) != 1 {
		t.Fatal("output is not one line of JSON followed by exactly one newline")
	}
	d := fixture()
	_ = encode(t, d, Version17)
	if !slicesEqualJSON(d, fixture()) {
		t.Fatal("Encode modified its argument")
	}
}

func shuffled(d *sbom.Document, seed uint64) *sbom.Document {
	r := rand.New(rand.NewPCG(seed, seed+1))
	r.Shuffle(len(d.Components), func(i, j int) { d.Components[i], d.Components[j] = d.Components[j], d.Components[i] })
	r.Shuffle(len(d.Layers), func(i, j int) { d.Layers[i], d.Layers[j] = d.Layers[j], d.Layers[i] })
	r.Shuffle(len(d.Dependencies), func(i, j int) { d.Dependencies[i], d.Dependencies[j] = d.Dependencies[j], d.Dependencies[i] })
	r.Shuffle(len(d.Properties), func(i, j int) { d.Properties[i], d.Properties[j] = d.Properties[j], d.Properties[i] })
	for i := range d.Components {
		c := &d.Components[i]
		r.Shuffle(len(c.Locations), func(i, j int) { c.Locations[i], c.Locations[j] = c.Locations[j], c.Locations[i] })
		r.Shuffle(len(c.Hashes), func(i, j int) { c.Hashes[i], c.Hashes[j] = c.Hashes[j], c.Hashes[i] })
		r.Shuffle(len(c.Licenses), func(i, j int) { c.Licenses[i], c.Licenses[j] = c.Licenses[j], c.Licenses[i] })
		r.Shuffle(len(c.CPEs), func(i, j int) { c.CPEs[i], c.CPEs[j] = c.CPEs[j], c.CPEs[i] })
		r.Shuffle(len(c.Properties), func(i, j int) { c.Properties[i], c.Properties[j] = c.Properties[j], c.Properties[i] })
	}
	return d
}

func slicesEqualJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestSerialNumberIsUUIDv5OfTheModelDigest(t *testing.T) {
	d := fixture()
	md, err := sbom.ModelDigest(d)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ SerialNumber string }
	if err := json.Unmarshal(encode(t, d, Version17), &out); err != nil {
		t.Fatal(err)
	}
	want := "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("stella:sbom:"+md)).String()
	if out.SerialNumber != want {
		t.Fatalf("serialNumber %s, want %s", out.SerialNumber, want)
	}
	if u := uuid.MustParse(strings.TrimPrefix(out.SerialNumber, "urn:uuid:")); u.Version() != 5 {
		t.Fatalf("serialNumber is UUID version %d", u.Version())
	}
}

func TestOutputHasNoRandomIDsHostPathsOrForeignTimestamps(t *testing.T) {
	for _, v := range []Version{Version17, Version16} {
		out := string(encode(t, fixture(), v))
		if m := regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}`).FindString(out); m != "" {
			t.Errorf("%s: UUIDv4 %s in output", v, m)
		}
		if m := regexp.MustCompile(`"(/|[A-Za-z]:\\\\)[^"]*"`).FindString(out); m != "" {
			t.Errorf("%s: absolute path %s in output", v, m)
		}
		stamps := regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}`).FindAllString(out, -1)
		if len(stamps) != 1 || stamps[0] != "2026-03-01T12:00:00" {
			t.Errorf("%s: timestamps %v, want only the injected one", v, stamps)
		}
	}
}

func TestVolatileFieldsDoNotChangeTheContentDigest(t *testing.T) {
	a := fixture()
	b := fixture()
	b.Timestamp = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Tool = sbom.Tool{Name: "other", Version: "9"}
	ra, rb := encode(t, a, Version17), encode(t, b, Version17)
	if bytes.Equal(ra, rb) {
		t.Fatal("timestamp and tool do not appear in the output")
	}
	// Another tool's authors and serial number are volatile too.
	var m map[string]any
	if err := json.Unmarshal(rb, &m); err != nil {
		t.Fatal(err)
	}
	m["serialNumber"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
	m["metadata"].(map[string]any)["authors"] = []any{map[string]any{"name": "someone"}}
	rb, _ = json.Marshal(m)
	da, err := sbom.ContentDigest(ra)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sbom.ContentDigest(rb)
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Fatalf("content digests differ: %s %s", da, db)
	}
	c := fixture()
	c.Components[0].Version = "other"
	if dc, _ := sbom.ContentDigest(encode(t, c, Version17)); dc == da {
		t.Fatal("a content change kept the content digest")
	}
}

func TestRoundTripKeepsTheModel(t *testing.T) {
	for _, v := range []Version{Version17, Version16} {
		got, err := Decode(bytes.NewReader(encode(t, fixture(), v)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := sbom.Normalized(fixture())
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		if !bytes.Equal(g, w) {
			t.Fatalf("%s round trip changed the model:\n got %s\nwant %s", v, g, w)
		}
		if !bytes.Equal(encode(t, got, v), encode(t, fixture(), v)) {
			t.Fatalf("%s: re-encoding the decoded model gives other bytes", v)
		}
	}
}

func TestLicenseExpressionsAbsorbIDsAndKeepNames(t *testing.T) {
	d := &sbom.Document{Components: []sbom.Component{{PURL: "pkg:npm/x@1", Name: "x", Type: "library",
		Licenses: []sbom.License{{Expression: "MIT OR Apache-2.0"}, {ID: "ISC"}, {Name: "Custom"}}}}}
	out := encode(t, d, Version17)
	if err := Validate(out, Version17); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	got := back.Components[0].Licenses
	if len(got) != 2 || got[0].Name != "Custom" || got[1].Expression != "(MIT OR Apache-2.0) AND ISC" {
		t.Fatalf("licenses = %+v", got)
	}
}

// A syft-style 1.4 document: legacy tools array, bom-refs that are not the
// purl, qualifiers out of order, a component without a purl.
func TestDecodeForeignCycloneDX14(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "syft-1.4.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if d.Tool.Name != "syft" || d.Subject.Name != "alpine:3.19" || d.Subject.Digest == "" || d.Timestamp.IsZero() {
		t.Fatalf("metadata: tool %+v subject %+v time %v", d.Tool, d.Subject, d.Timestamp)
	}
	var ids []string
	for _, c := range d.Components {
		ids = append(ids, c.Identity())
	}
	want := "gen:cyclonedx/alpine-keys/keyring@2.4-r1,pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1,pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"
	if strings.Join(ids, ",") != want {
		t.Fatalf("identities %v", ids)
	}
	musl := d.Components[2]
	if len(musl.Locations) != 1 || musl.Locations[0].Path != "lib/apk/db/installed" || musl.Licenses[0].ID != "MIT" || len(musl.Hashes) != 1 {
		t.Fatalf("musl = %+v", musl)
	}
	if len(d.Dependencies) != 1 || d.Dependencies[0].Ref != d.Components[1].PURL || d.Dependencies[0].DependsOn[0] != musl.PURL {
		t.Fatalf("dependencies = %+v", d.Dependencies)
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := map[string]string{
		"unknown specVersion": `{"bomFormat":"CycloneDX","specVersion":"2.0","version":1}`,
		"too old":             `{"bomFormat":"CycloneDX","specVersion":"1.3","version":1}`,
		"not CycloneDX":       `{"spdxVersion":"SPDX-2.3"}`,
		"not JSON":            `<bom/>`,
		"wrong field type":    `{"bomFormat":"CycloneDX","specVersion":"1.6","components":{"name":"x"}}`,
	}
	for name, in := range cases {
		_, err := Decode(strings.NewReader(in))
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := Decode(strings.NewReader(cases["unknown specVersion"]))
	var ve *VersionError
	if !errors.As(err, &ve) || ve.SpecVersion != "2.0" || !strings.Contains(err.Error(), `"2.0"`) {
		t.Fatalf("error %v does not name the specVersion", err)
	}
	if err := Encode(&bytes.Buffer{}, fixture(), "1.5"); err == nil || !strings.Contains(err.Error(), "1.5") {
		t.Fatalf("encoding 1.5: %v", err)
	}
}
