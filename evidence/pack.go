package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/archive"
	"github.com/stella-ops/stella/internal/canon"
)

// The audit pack's manifest (offline.md §3).
const (
	PackSchema        = "stella.evidence-pack/v1"
	PackPredicateType = "https://stella-ops.org/evidence-pack/v1"
	ManifestPath      = "manifest.json"      // the manifest, as JCS bytes
	EnvelopePath      = "manifest.dsse.json" // DSSE statement about manifest.json
	packetDir         = "packets/"           // packets/<id>.json, each a canonical packet
)

// MaxPackSize is VerifyPack's default bound on a pack's compressed bytes
// and on the sum of its entries' declared sizes.
const MaxPackSize = 2 << 30

// Bounds on the two files read before the signature is checked.
const (
	maxEnvelopeSize = 1 << 20
	maxManifestSize = 16 << 20
)

// Kind is what an extra file of an audit pack holds; it picks the file's
// directory. Every directory sorts after manifest.json, so a reader meets
// the signed manifest before any file it lists.
type Kind string

// Kinds of extra files.
const (
	KindDecision  Kind = "decision"  // records/decisions/: gate decision records (see DecisionFile)
	KindException Kind = "exception" // records/exceptions/: exceptions the decisions applied
	KindPolicy    Kind = "policy"    // policy/: policy bundle files
	KindSBOM      Kind = "sbom"      // sboms/
	KindVEX       Kind = "vex"       // vex/: VEX consensus records
)

var kindDirs = map[Kind]string{
	KindDecision:  "records/decisions/",
	KindException: "records/exceptions/",
	KindPolicy:    "policy/",
	KindSBOM:      "sboms/",
	KindVEX:       "vex/",
}

// File is an extra file of an audit pack, stored at <kind dir>/<Name>.
type File struct {
	Kind Kind
	Name string // relative, /-separated, e.g. "myapp/policy.rego"
	Data []byte
}

// DecisionFile is a decision record's canonical JSON, named by its record
// digest, after checking the record's digests.
func DecisionFile(d *gate.Decision) (File, error) {
	if d == nil {
		return File{}, fmt.Errorf("%w: no decision record", ErrInvalid)
	}
	if err := d.CheckDigests(); err != nil {
		return File{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	b, err := d.Canonical()
	if err != nil {
		return File{}, err
	}
	return File{Kind: KindDecision, Name: strings.TrimPrefix(d.RecordDigest, "sha256:") + ".json", Data: b}, nil
}

// Manifest is manifest.json.
type Manifest struct {
	Schema  string  `json:"schema"`
	Entries []Entry `json:"entries"` // every file but the manifest and its envelope, sorted by path
}

// Entry is one file of the pack.
type Entry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // sha256:<hex> of the file bytes
	Size   int64  `json:"size"`
}

// Export writes an audit pack: the packets (packets/<id>.json) and the
// extra files as a deterministic tar.gz with a manifest of every file's
// path, size and sha256, signed as a DSSE envelope. Input order does not
// matter; a file or packet given twice with the same bytes counts once.
// It checks everything before writing a byte.
func Export(ctx context.Context, w io.Writer, packets []*Packet, files []File, signer attest.Signer) error {
	if signer == nil {
		return fmt.Errorf("%w: Export needs a signer", ErrInvalid)
	}
	if len(packets) == 0 {
		return fmt.Errorf("%w: an audit pack needs at least one packet", ErrInvalid)
	}
	out := make(map[string][]byte, len(packets)+len(files)+2)
	add := func(path string, b []byte) error {
		if prev, ok := out[path]; ok && !bytes.Equal(prev, b) {
			return fmt.Errorf("%w: %s is given twice with different content", ErrInvalid, path)
		}
		out[path] = b
		return nil
	}
	for _, p := range packets {
		if err := checkPacket(p); err != nil {
			return err
		}
		b, err := p.Canonical()
		if err != nil {
			return err
		}
		if err := add(packetDir+p.ID+".json", b); err != nil {
			return err
		}
	}
	for _, f := range files {
		dir, ok := kindDirs[f.Kind]
		if !ok {
			return fmt.Errorf("%w: file %q has unknown kind %q", ErrInvalid, f.Name, f.Kind)
		}
		if err := archive.CheckPath(f.Name); err != nil {
			return fmt.Errorf("%w: file name: %v", ErrInvalid, err)
		}
		if err := add(dir+f.Name, f.Data); err != nil {
			return err
		}
	}
	m := Manifest{Schema: PackSchema, Entries: make([]Entry, 0, len(out))}
	for p, b := range out {
		m.Entries = append(m.Entries, Entry{Path: p, SHA256: canon.SHA256(b), Size: int64(len(b))})
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	mb, err := canon.Marshal(m)
	if err != nil {
		return err
	}
	env, err := signManifest(ctx, mb, signer)
	if err != nil {
		return err
	}
	out[ManifestPath], out[EnvelopePath] = mb, env
	return archive.Write(w, out)
}

// checkPacket refuses to pack a packet whose content does not hash to its
// contentHash: a pack of broken evidence would only fail later.
func checkPacket(p *Packet) error {
	if p == nil || !idRE.MatchString(p.ID) || p.Envelope == nil {
		return fmt.Errorf("%w: a packet without a valid id or envelope", ErrInvalid)
	}
	info, err := decode(p.Envelope)
	if err != nil {
		return fmt.Errorf("%w: packet %s: %v", ErrHash, p.ID, err)
	}
	if info.ContentHash != p.ContentHash || info.Type != p.Type {
		return fmt.Errorf("%w: packet %s: its envelope holds a %s with content hash %s, the packet says %s %s", ErrHash, p.ID, info.Type, info.ContentHash, p.Type, p.ContentHash)
	}
	return nil
}

// signManifest returns the JCS DSSE envelope of a statement about manifest.json.
func signManifest(ctx context.Context, mb []byte, signer attest.Signer) ([]byte, error) {
	subj, err := attest.SubjectFromDigest(ManifestPath, canon.SHA256(mb))
	if err != nil {
		return nil, err
	}
	st, err := attest.NewStatement(PackPredicateType, map[string]string{"schema": PackSchema}, subj)
	if err != nil {
		return nil, err
	}
	env, err := attest.Sign(ctx, st, signer)
	if err != nil {
		return nil, err
	}
	return canon.Marshal(env)
}

// Pack is a verified audit pack.
type Pack struct {
	Manifest       Manifest
	ManifestDigest string   // sha256: of manifest.json
	KeyIDs         []string // trusted keys whose signatures over the manifest verified
	Packets        []*Info  // every packet, verified, in path order
}

type packConfig struct{ maxSize int64 }

// PackOption tunes VerifyPack.
type PackOption func(*packConfig)

// WithMaxSize bounds the pack's compressed bytes and the sum of its
// entries' sizes (default MaxPackSize).
func WithMaxSize(n int64) PackOption { return func(c *packConfig) { c.maxSize = n } }

// VerifyPack reads an audit pack as a stream and verifies it, without
// writing anything: first the manifest's signature (ErrSignature), then
// each entry in order against the manifest, reading no more than the size
// the signed manifest declares for it and checking its sha256 (ErrHash),
// and each packet with Verify under the same trust. Any missing, unlisted,
// resized or edited entry fails the whole pack.
func VerifyPack(ctx context.Context, r io.Reader, trust attest.Trust, opts ...PackOption) (*Pack, error) {
	cfg := packConfig{maxSize: MaxPackSize}
	for _, o := range opts {
		o(&cfg)
	}
	ar, err := archive.NewReader(r, cfg.maxSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHash, err)
	}
	envRaw, err := readEntry(ar, EnvelopePath, maxEnvelopeSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	mb, err := readEntry(ar, ManifestPath, maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHash, err)
	}
	pack := &Pack{ManifestDigest: canon.SHA256(mb)}
	if pack.KeyIDs, err = verifyManifestEnvelope(ctx, envRaw, pack.ManifestDigest, trust); err != nil {
		return nil, err
	}
	if pack.Manifest, err = parseManifest(mb, cfg.maxSize); err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, fmt.Errorf("%w: %w", ErrManifest, err)
		}
		return nil, err
	}
	for _, e := range pack.Manifest.Entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, size, err := ar.Next()
		switch {
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: %s is listed in the manifest but missing", ErrHash, e.Path)
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrHash, err)
		case name < e.Path:
			return nil, fmt.Errorf("%w: %s is not listed in the manifest", ErrHash, name)
		case name != e.Path:
			return nil, fmt.Errorf("%w: %s is listed in the manifest but missing", ErrHash, e.Path)
		case size != e.Size:
			return nil, fmt.Errorf("%w: %s is %d bytes, the manifest says %d", ErrHash, name, size, e.Size)
		}
		h := sha256.New()
		var buf bytes.Buffer // packets only: the rest is hashed as it streams by
		dst, isPacket := io.Writer(h), strings.HasPrefix(name, packetDir)
		if isPacket {
			dst = io.MultiWriter(h, &buf)
		}
		if _, err := io.CopyN(dst, ar, e.Size); err != nil { // the signed size is a hard limit
			return nil, fmt.Errorf("%w: read %s: %v", ErrHash, name, err)
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != e.SHA256 {
			return nil, fmt.Errorf("%w: %s has digest %s, the manifest says %s", ErrHash, name, got, e.SHA256)
		}
		if isPacket {
			info, err := Verify(ctx, buf.Bytes(), trust)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if packetDir+info.Packet.ID+".json" != name {
				return nil, fmt.Errorf("%w: %s holds packet %s", ErrHash, name, info.Packet.ID)
			}
			pack.Packets = append(pack.Packets, info)
		}
	}
	if name, _, err := ar.Next(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrHash, err)
		}
		return nil, fmt.Errorf("%w: %s is not listed in the manifest", ErrHash, name)
	}
	return pack, nil
}

// readEntry reads the next entry, which must be path and at most limit bytes.
func readEntry(ar *archive.Reader, path string, limit int64) ([]byte, error) {
	name, size, err := ar.Next()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("the pack ends before %s", path)
	case err != nil:
		return nil, err
	case name != path:
		return nil, fmt.Errorf("the pack has %s where %s must come", name, path)
	case size > limit:
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", path, size, limit)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(ar, b); err != nil {
		return nil, fmt.Errorf("read %s: %v", path, err)
	}
	return b, nil
}

// verifyManifestEnvelope checks the envelope against trust and that its
// statement is about exactly this manifest.json.
func verifyManifestEnvelope(ctx context.Context, raw []byte, manifestDigest string, trust attest.Trust) ([]string, error) {
	keys, err := attest.VerifyAbout(ctx, raw, trust, PackPredicateType, ManifestPath, manifestDigest)
	switch {
	case errors.Is(err, attest.ErrSubject):
		return nil, fmt.Errorf("%w: %v", ErrHash, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return keys, nil
}

// parseManifest decodes manifest.json strictly: known fields, JCS bytes,
// the v1 schema, safe paths under the pack's directories, sorted, unique,
// and a total size within limit.
func parseManifest(mb []byte, limit int64) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: %s: %v", ErrInvalid, ManifestPath, err)
	}
	if c, err := canon.Transform(mb); err != nil || !bytes.Equal(c, mb) {
		return m, fmt.Errorf("%w: %s is not canonical JSON (RFC 8785)", ErrInvalid, ManifestPath)
	}
	if m.Schema != PackSchema {
		return m, fmt.Errorf("%w: schema %q is not %s", ErrInvalid, m.Schema, PackSchema)
	}
	var total int64
	for i, e := range m.Entries {
		known := strings.HasPrefix(e.Path, packetDir)
		for _, dir := range kindDirs {
			known = known || strings.HasPrefix(e.Path, dir)
		}
		switch {
		case archive.CheckPath(e.Path) != nil || !known:
			return m, fmt.Errorf("%w: entry %q is not a path of an evidence pack", ErrInvalid, e.Path)
		case i > 0 && m.Entries[i-1].Path >= e.Path:
			return m, fmt.Errorf("%w: entries are not sorted and unique at %q", ErrInvalid, e.Path)
		case !digestRE.MatchString(e.SHA256) || e.Size < 0:
			return m, fmt.Errorf("%w: entry %q has an invalid digest or size", ErrInvalid, e.Path)
		}
		total += e.Size
		if total > limit {
			return m, fmt.Errorf("%w: the entries add up to more than the %d-byte limit", ErrHash, limit)
		}
	}
	return m, nil
}
