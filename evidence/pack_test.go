package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/internal/canon"
)

// packInputs is one promotion's evidence: a packet of each type, its
// decision record and the files an auditor needs beside them.
func packInputs(t testing.TB, signer attest.Signer) ([]*Packet, []File) {
	t.Helper()
	var ps []*Packet
	for _, typ := range Types() {
		ps = append(ps, seal(t, fixtureDraft(typ), signer))
	}
	df, err := DecisionFile(decision(t))
	if err != nil {
		t.Fatal(err)
	}
	files := []File{
		df,
		{Kind: KindSBOM, Name: "sha256-" + strings.Repeat("2", 64) + ".cdx.json", Data: []byte(`{"bomFormat":"CycloneDX"}`)},
		{Kind: KindVEX, Name: "consensus.json", Data: []byte(`{"statements":[]}`)},
		{Kind: KindPolicy, Name: "prod/policy.rego", Data: []byte("package stella\n")},
		{Kind: KindPolicy, Name: "prod/.manifest", Data: []byte(`{"roots":["stella"]}`)},
		{Kind: KindException, Name: "exc-1.json", Data: []byte(`{"id":"exc-1"}`)},
		{Kind: KindSBOM, Name: "empty.json", Data: []byte{}},
	}
	return ps, files
}

func export(t testing.TB, ps []*Packet, files []File, s attest.Signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(context.Background(), &buf, ps, files, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackRoundTrip(t *testing.T) {
	signer, v := keyFromSeed(t, 1)
	ps, files := packInputs(t, signer)
	pack, err := VerifyPack(context.Background(), bytes.NewReader(export(t, ps, files, signer)), trustOf(v))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range pack.Manifest.Entries {
		paths = append(paths, e.Path)
	}
	want := []string{
		"packets/" + ps[0].ID + ".json", "packets/" + ps[1].ID + ".json", "packets/" + ps[2].ID + ".json", "packets/" + ps[3].ID + ".json",
		"policy/prod/.manifest", "policy/prod/policy.rego",
		"records/decisions/" + files[0].Name, "records/exceptions/exc-1.json",
		"sboms/empty.json", "sboms/sha256-" + strings.Repeat("2", 64) + ".cdx.json", "vex/consensus.json",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	if len(pack.Packets) != 4 || pack.Packets[2].Type != Rollback || pack.Packets[0].Packet.ID != ps[0].ID ||
		len(pack.KeyIDs) != 1 || pack.KeyIDs[0] != v.KeyID() {
		t.Fatalf("pack = %+v", pack)
	}
}

func TestExportIsDeterministic(t *testing.T) {
	signer, _ := keyFromSeed(t, 1)
	ps, files := packInputs(t, signer)
	want := export(t, ps, files, signer)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 5 {
		ps2 := append(append([]*Packet(nil), ps...), ps[i%len(ps)]) // a repeat counts once
		files2 := append(append([]File(nil), files...), files[i%len(files)])
		r.Shuffle(len(ps2), func(a, b int) { ps2[a], ps2[b] = ps2[b], ps2[a] })
		r.Shuffle(len(files2), func(a, b int) { files2[a], files2[b] = files2[b], files2[a] })
		if got := export(t, ps2, files2, signer); !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d: pack %s, want %s", i, canon.SHA256(got), canon.SHA256(want))
		}
	}
	// Resealing the same drafts gives the same packets, hence the same pack.
	ps3, files3 := packInputs(t, signer)
	if !bytes.Equal(export(t, ps3, files3, signer), want) {
		t.Fatal("re-export of resealed packets differs")
	}
}

func TestExportRefusesBadInput(t *testing.T) {
	signer, _ := keyFromSeed(t, 1)
	ps, files := packInputs(t, signer)
	broken := *ps[0]
	broken.ContentHash = dg(7)
	cases := map[string]struct {
		ps    []*Packet
		files []File
		want  error
	}{
		"no packets":            {nil, files, ErrInvalid},
		"a nil packet":          {[]*Packet{nil}, files, ErrInvalid},
		"a packet's bad hash":   {[]*Packet{&broken}, files, ErrHash},
		"unknown kind":          {ps, []File{{Kind: "binary", Name: "a", Data: nil}}, ErrInvalid},
		"unsafe name":           {ps, []File{{Kind: KindSBOM, Name: "../../etc/passwd"}}, ErrInvalid},
		"same path, other data": {ps, []File{{Kind: KindSBOM, Name: "a", Data: []byte("1")}, {Kind: KindSBOM, Name: "a", Data: []byte("2")}}, ErrInvalid},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Export(context.Background(), &buf, c.ps, c.files, signer); !errors.Is(err, c.want) || buf.Len() != 0 {
				t.Fatalf("Export = %v (%d bytes written), want %v", err, buf.Len(), c.want)
			}
		})
	}
}

// rewrite rebuilds a pack with edit applied to its files; with resign the
// manifest is rebuilt and signed again, so only the entries themselves
// can give the edit away.
func rewrite(t *testing.T, raw []byte, signer attest.Signer, resign bool, edit func(map[string][]byte)) []byte {
	t.Helper()
	files, err := archive.ReadAll(bytes.NewReader(raw), MaxPackSize)
	if err != nil {
		t.Fatal(err)
	}
	edit(files)
	if resign {
		m := Manifest{Schema: PackSchema, Entries: []Entry{}}
		for p, b := range files {
			if p != ManifestPath && p != EnvelopePath {
				m.Entries = append(m.Entries, Entry{Path: p, SHA256: canon.SHA256(b), Size: int64(len(b))})
			}
		}
		slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
		mb, _ := canon.Marshal(m)
		env, err := signManifest(context.Background(), mb, signer)
		if err != nil {
			t.Fatal(err)
		}
		files[ManifestPath], files[EnvelopePath] = mb, env
	}
	var buf bytes.Buffer
	if err := archive.Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyPackRefusesBadPacks(t *testing.T) {
	signer, v := keyFromSeed(t, 1)
	other, _ := keyFromSeed(t, 2)
	ps, files := packInputs(t, signer)
	good := export(t, ps, files, signer)
	const sbom = "sboms/sha256-2222222222222222222222222222222222222222222222222222222222222222.cdx.json"
	packet := "packets/" + ps[1].ID + ".json"
	cases := map[string]struct {
		raw  []byte
		want error
	}{
		"one byte of an entry": {rewrite(t, good, signer, false, func(f map[string][]byte) {
			f[sbom] = bytes.Replace(f[sbom], []byte("CycloneDX"), []byte("CycloneDY"), 1)
		}), ErrHash},
		"a longer entry":  {rewrite(t, good, signer, false, func(f map[string][]byte) { f[sbom] = append(f[sbom], ' ') }), ErrHash},
		"a shorter entry": {rewrite(t, good, signer, false, func(f map[string][]byte) { f[sbom] = f[sbom][:3] }), ErrHash},
		"an extra file":   {rewrite(t, good, signer, false, func(f map[string][]byte) { f["sboms/x.json"] = []byte("{}") }), ErrHash},
		"an extra last":   {rewrite(t, good, signer, false, func(f map[string][]byte) { f["vex/zzz.json"] = []byte("{}") }), ErrHash},
		"a missing file":  {rewrite(t, good, signer, false, func(f map[string][]byte) { delete(f, sbom) }), ErrHash},
		"a missing last":  {rewrite(t, good, signer, false, func(f map[string][]byte) { delete(f, "vex/consensus.json") }), ErrHash},
		"edited manifest": {rewrite(t, good, signer, false, func(f map[string][]byte) {
			f[ManifestPath] = bytes.Replace(f[ManifestPath], []byte(`"size":0`), []byte(`"size":1`), 1)
		}), ErrHash},
		"no envelope":              {rewrite(t, good, signer, false, func(f map[string][]byte) { delete(f, EnvelopePath) }), ErrSignature},
		"no manifest":              {rewrite(t, good, signer, false, func(f map[string][]byte) { delete(f, ManifestPath) }), ErrHash},
		"another signer":           {export(t, ps, files, other), ErrSignature},
		"re-signed by another key": {rewrite(t, good, other, true, func(map[string][]byte) {}), ErrSignature},
		// The manifest is re-signed by the trusted key over the edited
		// packet: the packet's own content hash still catches it.
		"a packet edited, manifest re-signed": {rewrite(t, good, signer, true, func(f map[string][]byte) {
			p := mustParse(t, f[packet])
			f[packet] = editContent(t, p, `"strategy":"rolling"`, `"strategy":"recreate"`)
		}), ErrHash},
		"a packet under another name": {rewrite(t, good, signer, true, func(f map[string][]byte) {
			f["packets/0195f1c0-0000-7000-8000-000000000099.json"] = f[packet]
			delete(f, packet)
		}), ErrHash},
		"truncated":   {good[:len(good)*2/3], ErrHash},
		"not gzip":    {[]byte("not a pack"), ErrHash},
		"unknown dir": {rewrite(t, good, signer, true, func(f map[string][]byte) { f["other/x"] = nil }), ErrManifest},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := VerifyPack(context.Background(), bytes.NewReader(c.raw), trustOf(v))
			if !errors.Is(err, c.want) || p != nil {
				t.Fatalf("VerifyPack = %v, %v; want %v", p, err, c.want)
			}
		})
	}
}

// An entry whose header claims more than the manifest declares is refused
// before a byte of it is read: a bomb cannot expand past the signed size.
func TestVerifyPackBoundsEntries(t *testing.T) {
	signer, v := keyFromSeed(t, 1)
	ps, _ := packInputs(t, signer)
	good := export(t, ps[:1], []File{{Kind: KindSBOM, Name: "a.json", Data: []byte("{}")}}, signer)
	files, err := archive.ReadAll(bytes.NewReader(good), MaxPackSize)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, p := range []string{EnvelopePath, ManifestPath, "packets/" + ps[0].ID + ".json"} {
		tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[p]))})
		tw.Write(files[p])
	}
	tw.WriteHeader(&tar.Header{Name: "sboms/a.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40})
	tw.Write(make([]byte, 1<<20)) // zeros compress to almost nothing
	zw.Close()
	_, err = VerifyPack(context.Background(), &buf, trustOf(v))
	if !errors.Is(err, ErrHash) || !strings.Contains(err.Error(), "the manifest says 2") {
		t.Fatalf("VerifyPack = %v, want a size mismatch", err)
	}
	if _, err := VerifyPack(context.Background(), bytes.NewReader(good), trustOf(v), WithMaxSize(int64(len(good)-1))); !errors.Is(err, ErrHash) {
		t.Fatalf("over the size limit: %v", err)
	}
}

func FuzzVerifyPack(f *testing.F) {
	signer, v := keyFromSeed(f, 1)
	ps, files := packInputs(f, signer)
	f.Add(export(f, ps[:1], files[1:3], signer))
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := VerifyPack(context.Background(), bytes.NewReader(raw), trustOf(v), WithMaxSize(1<<16))
		if (p == nil) == (err == nil) {
			t.Fatalf("VerifyPack = %v, %v", p, err)
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrHash) && !errors.Is(err, ErrSignature) {
			t.Fatalf("error %v has no class", err)
		}
	})
}
