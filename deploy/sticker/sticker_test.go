package sticker

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
)

var update = flag.Bool("update", false, "rewrite testdata/myapp.golden.json")

func hex64(c string) string { return "sha256:" + strings.Repeat(c, 64) }

func fixture() Input {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return Input{
		GeneratedAt: t0.Add(2 * time.Minute),
		Generator:   "stella@1.4.0",
		Release: Release{
			ID: "01900000-0000-7000-8000-000000000001", Name: "myapp-v2.3.1", Digest: hex64("a"),
			CreatedAt: t0.Add(-time.Hour),
			Components: []Component{
				{Name: "worker", Repository: "registry.example.com/myapp/worker", Digest: hex64("c"), SemVer: "2.3.1", Tag: "v2.3.1"},
				{Name: "api", Repository: "registry.example.com/myapp/api", Digest: hex64("b"), SemVer: "2.3.1", Tag: "v2.3.1"},
				{Name: "web", Repository: "registry.example.com/myapp/web", Digest: hex64("d"), SemVer: "2.3.1", Tag: "v2.3.1"},
			},
		},
		Deployment: Deployment{
			ID: "01900000-0000-7000-8000-000000000002", PromotionID: "01900000-0000-7000-8000-000000000003",
			EnvironmentID: "01900000-0000-7000-8000-000000000004", EnvironmentName: "prod",
			TargetID: "01900000-0000-7000-8000-000000000005", TargetName: "web-1", Strategy: "rolling",
			StartedAt: t0, CompletedAt: t0.Add(90 * time.Second),
		},
		Decision: Decision{RecordDigest: hex64("e")},
	}
}

func mustMarshal(t testing.TB, in Input) []byte {
	t.Helper()
	s, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	got := mustMarshal(t, fixture())
	path := filepath.Join("testdata", "myapp.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("sticker differs from %s (run with -update after checking):\n got %s\nwant %s", path, got, want)
	}
	s, err := Parse(want)
	if err != nil {
		t.Fatalf("golden sticker does not parse: %v", err)
	}
	if s.Release.Components[0].Name != "api" || s.Deployment.TargetName != "web-1" {
		t.Fatalf("parsed sticker lost content: %+v", s)
	}
}

func TestShuffledComponentsGiveIdenticalBytes(t *testing.T) {
	want := mustMarshal(t, fixture())
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		in := fixture()
		r.Shuffle(len(in.Release.Components), func(i, j int) {
			in.Release.Components[i], in.Release.Components[j] = in.Release.Components[j], in.Release.Components[i]
		})
		in.GeneratedAt = in.GeneratedAt.In(time.FixedZone("X", 3600)) // same instant, other zone
		if got := mustMarshal(t, in); !bytes.Equal(got, want) {
			t.Fatalf("order %v gave different bytes:\n%s\n%s", in.Release.Components, got, want)
		}
	}
}

func TestChangedByteFailsChecksum(t *testing.T) {
	b := mustMarshal(t, fixture())
	i := bytes.Index(b, []byte(`"web-1"`))
	if i < 0 {
		t.Fatal("target name not in sticker")
	}
	tampered := bytes.Clone(b)
	tampered[i+5] = '2'
	_, err := Parse(tampered)
	if !errors.Is(err, fault.ErrValidation) || !strings.Contains(err.Error(), "checksum: mismatch") {
		t.Fatalf("tampered sticker: got %v, want a checksum mismatch", err)
	}
}

func TestParseRejects(t *testing.T) {
	good := string(mustMarshal(t, fixture()))
	cases := map[string]struct{ data, want string }{
		"no checksum":    {strings.Replace(good, `"checksum":"`+checksumOf(t, good)+`",`, "", 1), "checksum: missing"},
		"unknown field":  {strings.Replace(good, `{"checksum"`, `{"extra":1,"checksum"`, 1), "unknown field"},
		"trailing data":  {good + "{}", "trailing data"},
		"not json":       {"nope", "decode"},
		"bad strategy":   {strings.Replace(good, `"rolling"`, `"yolo"`, 1), "deployment.strategy"},
		"unpinned image": {strings.Replace(good, hex64("b"), "sha256:xyz", 1), "release.components[0].digest"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

func checksumOf(t *testing.T, s string) string {
	p, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p.Checksum
}

func TestNewValidates(t *testing.T) {
	in := fixture()
	in.Release.Digest = "sha256:ABC"
	in.Release.Components = append(in.Release.Components, in.Release.Components[0])
	in.Deployment.TargetName = ""
	_, err := New(in)
	var ve *fault.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("got %v, want three field errors (digest, duplicate component, targetName)", err)
	}
}

func FuzzParse(f *testing.F) {
	good := mustMarshal(f, fixture())
	f.Add(good)
	f.Add([]byte(`{"version":"1.0"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to a sticker that parses to the same checksum.
		b, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed sticker does not marshal: %v", err)
		}
		again, err := Parse(b)
		if err != nil || again.Checksum != s.Checksum {
			t.Fatalf("re-encoded sticker: %v (checksum %q vs %q)", err, again, s.Checksum)
		}
	})
}

func BenchmarkNewMarshal(b *testing.B) {
	in := fixture()
	for b.Loop() {
		mustMarshal(b, in)
	}
}

func BenchmarkParse(b *testing.B) {
	data := mustMarshal(b, fixture())
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
