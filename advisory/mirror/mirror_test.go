package mirror

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/advisory/osv"
	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/store"
)

const tenant = "acme"

func osvDoc(id, fixed string) string {
	return fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":"2099-01-01T00:00:00Z","aliases":["CVE-%s"],
"summary":"test","affected":[{"package":{"ecosystem":"Go","name":"example.com/%s"},
"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`, id, id, id, fixed)
}

// stored appends five documents, one of them in two revisions, and returns
// every stored revision with its store id.
func stored(t testing.TB) []advisory.Observation {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	var all []advisory.Observation
	for i, batch := range [][]string{
		{osvDoc("GO-1", "1.0.0"), osvDoc("GO-2", "1.1.0"), osvDoc("GO-3", "1.2.0"), osvDoc("GO-4/../x", "1.3.0"), osvDoc(".hidden", "2.0.0")},
		{osvDoc("GO-2", "1.1.5")},
	} {
		var obs []advisory.Observation
		for _, d := range batch {
			o, err := osv.Read(strings.NewReader(d))
			if err != nil {
				t.Fatal(err)
			}
			o[0].CreatedAt = time.Unix(1_900_000_000+int64(i), 0).UTC()
			obs = append(obs, o...)
		}
		if _, err := s.Append(ctx, tenant, obs); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"GO-1", "GO-2", "GO-3", "GO-4/../x", ".hidden"} {
		revs, err := s.Revisions(ctx, tenant, "osv", id)
		if err != nil || len(revs) == 0 {
			t.Fatalf("revisions of %s: %v", id, err)
		}
		all = append(all, revs...)
	}
	return all
}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "stella.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func keys(t testing.TB) (attest.Signer, attest.Trust) {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, err := attest.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.NewVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, attest.Trust{Verifiers: []attest.Verifier{v}}
}

func export(t testing.TB, obs []advisory.Observation, s attest.Signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(context.Background(), &buf, obs, s, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTripGivesTheSameObservations(t *testing.T) {
	obs := stored(t)
	signer, trust := keys(t)
	b, err := Import(context.Background(), bytes.NewReader(export(t, obs, signer)), trust, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Manifest.Generation != 1_900_000_001 || b.Manifest.Observations != 6 || len(b.KeyIDs) != 1 {
		t.Fatalf("manifest = %+v, keys %v", b.Manifest, b.KeyIDs)
	}
	want := make([]advisory.Observation, len(obs))
	copy(want, obs)
	for i := range want {
		want[i].Tenant = ""
	}
	sortForAppend(want)
	if !reflect.DeepEqual(b.Observations, want) {
		for i := range want {
			if !reflect.DeepEqual(b.Observations[i], want[i]) {
				t.Fatalf("observation %d:\n got %+v\nwant %+v", i, b.Observations[i], want[i])
			}
		}
		t.Fatal("observations differ")
	}

	// Appending into an empty store gives the producer's ids and snapshot.
	s := openStore(t)
	res, err := s.Append(context.Background(), "other", b.Observations)
	if err != nil || res.Appended != 6 {
		t.Fatalf("append: %+v, %v", res, err)
	}
	reb, err := advisory.Rebuild(context.Background(), s, "other", advisory.Precedence{}, advisory.Enrichment{})
	if err != nil || reb.Snapshot.ID != b.Manifest.SnapshotID {
		t.Fatalf("rebuilt snapshot %s, manifest %s: %v", reb.Snapshot.ID, b.Manifest.SnapshotID, err)
	}
}

func TestExportIsDeterministic(t *testing.T) {
	obs := stored(t)
	signer, _ := keys(t)
	want := canon.SHA256(export(t, obs, signer))
	for i := range 5 {
		shuffled := append([]advisory.Observation(nil), obs...)
		shuffled = append(shuffled, obs[i]) // a repeat counts once
		mrand.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := canon.SHA256(export(t, shuffled, signer)); got != want {
			t.Fatalf("shuffle %d: bundle %s, want %s", i, got, want)
		}
	}
}

func TestArchiveFollowsOfflineRules(t *testing.T) {
	obs := stored(t)
	signer, _ := keys(t)
	raw := export(t, obs, signer)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.OS != 255 {
		t.Fatalf("gzip header = %+v", zr.Header)
	}
	tr := tar.NewReader(zr)
	prev := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" ||
			h.ModTime.Unix() != 0 || h.Mode != 0o644 || h.Name <= prev {
			t.Fatalf("entry %+v after %q", h, prev)
		}
		if strings.Contains(h.Name, "..") && !strings.Contains(h.Name, "%2F") {
			t.Fatalf("id not escaped: %s", h.Name)
		}
		prev = h.Name
	}
}

// rewrite rebuilds a bundle's archive with edit applied to its files.
func rewrite(t *testing.T, raw []byte, edit func(map[string][]byte)) []byte {
	t.Helper()
	files, err := readArchive(bytes.NewReader(raw), MaxSize)
	if err != nil {
		t.Fatal(err)
	}
	edit(files)
	var buf bytes.Buffer
	if err := archive.Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportRefusesBadBundles(t *testing.T) {
	obs := stored(t)
	signer, trust := keys(t)
	other, _ := keys(t)
	good := export(t, obs, signer)
	firstObs := func(files map[string][]byte) string {
		for p := range files {
			if strings.HasPrefix(p, obsDir) {
				return p
			}
		}
		return ""
	}
	cases := map[string]struct {
		raw  []byte
		last Generation
		want error
	}{
		"one byte of an observation": {rewrite(t, good, func(f map[string][]byte) {
			p := firstObs(f)
			f[p] = bytes.Replace(f[p], []byte(`"osv"`), []byte(`"osw"`), 1)
		}), 0, ErrIntegrity},
		"extra file":   {rewrite(t, good, func(f map[string][]byte) { f["observations/osv/x/1.json"] = []byte("{}") }), 0, ErrIntegrity},
		"missing file": {rewrite(t, good, func(f map[string][]byte) { delete(f, firstObs(f)) }), 0, ErrIntegrity},
		"edited manifest": {rewrite(t, good, func(f map[string][]byte) {
			f[ManifestPath] = bytes.Replace(f[ManifestPath], []byte(`"generation":1900000001`), []byte(`"generation":1900000009`), 1)
		}), 0, ErrIntegrity},
		"no envelope":       {rewrite(t, good, func(f map[string][]byte) { delete(f, EnvelopePath) }), 0, ErrSignature},
		"another signer":    {export(t, obs, other), 0, ErrSignature},
		"same generation":   {good, 1_900_000_001, ErrStale},
		"older generation":  {good, 1_900_000_002, ErrStale},
		"not gzip":          {[]byte("hello"), 0, ErrIntegrity},
		"truncated archive": {good[:len(good)/2], 0, ErrIntegrity},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := Import(context.Background(), bytes.NewReader(c.raw), trust, c.last)
			if !errors.Is(err, c.want) || b != nil {
				t.Fatalf("Import = %v, %v; want %v", b, err, c.want)
			}
		})
	}
	if _, err := Import(context.Background(), bytes.NewReader(good), trust, 1_900_000_000); err != nil {
		t.Fatalf("newer generation refused: %v", err)
	}
}

// rawTar writes entries as given (no safety rules) into a tar.gz.
func rawTar(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range hdrs {
		body := []byte("{}")
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestUnsafeArchivesAreRefused(t *testing.T) {
	_, trust := keys(t)
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644} }
	for name, raw := range map[string][]byte{
		"path traversal": rawTar(t, reg("manifest.json"), reg("observations/../../etc/passwd")),
		"absolute path":  rawTar(t, reg("/etc/passwd")),
		"dot segment":    rawTar(t, reg("observations/./a.json")),
		"backslash":      rawTar(t, reg(`observations\..\a.json`)),
		"duplicate":      rawTar(t, reg("manifest.json"), reg("manifest.json")),
		"symlink":        rawTar(t, &tar.Header{Name: "manifest.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}),
		"directory":      rawTar(t, &tar.Header{Name: "observations/", Typeflag: tar.TypeDir, Mode: 0o755}),
		"hard link":      rawTar(t, &tar.Header{Name: "a.json", Typeflag: tar.TypeLink, Linkname: "manifest.json"}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Import(context.Background(), bytes.NewReader(raw), trust, 0); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("Import = %v, want ErrIntegrity", err)
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	obs := stored(t)
	signer, trust := keys(t)
	good := export(t, obs, signer)
	if _, err := importLimit(context.Background(), bytes.NewReader(good), trust, 0, 4096); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("over the limit: %v", err)
	}
	// A header claiming a huge entry is refused before anything is allocated.
	const big = 1 << 40
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: big})
	zw.Close()
	if _, err := Import(context.Background(), &buf, trust, 0); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("huge header: %v", err)
	}
}

func TestEscapeIsInjectiveAndSafe(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"a/b", "a%2Fb", "..", ".", ".x", "x.", "a b", "ü", "GO-2024-1"} {
		e := escape(id)
		if archive.CheckPath("observations/"+e+"/1.json") != nil {
			t.Errorf("escape(%q) = %q is unsafe", id, e)
		}
		if prev, dup := seen[e]; dup {
			t.Errorf("escape(%q) = escape(%q) = %q", id, prev, e)
		}
		seen[e] = id
	}
}
