package mirror

import (
	"errors"
	"strconv"
	"strings"
)

// Schema is the manifest's schema id.
const Schema = "stella.advisory-mirror/v1"

// PredicateType is the in-toto predicate type of the manifest statement.
const PredicateType = "https://stella-ops.org/advisory-mirror/v1"

// Fixed paths of a bundle.
const (
	ManifestPath = "manifest.json"
	EnvelopePath = "manifest.dsse.json"
	obsDir       = "observations/"
)

// Errors Import wraps; stella maps them to exit codes (offline.md §4.3).
var (
	// ErrIntegrity: a digest, size or content hash does not match, or the
	// archive is malformed, unsafe or holds files the manifest does not list.
	ErrIntegrity = errors.New("mirror: integrity check failed")
	// ErrSignature: the manifest envelope is missing or not signed by a trusted key.
	ErrSignature = errors.New("mirror: signature check failed")
	// ErrStale: the bundle's generation is not newer than the last imported one.
	ErrStale = errors.New("mirror: bundle is not newer than the last imported one")
	// ErrManifest: the manifest is not a valid stella.advisory-mirror/v1 document.
	ErrManifest = errors.New("mirror: invalid manifest")
)

// Generation orders the bundles of one mirror (one signing key). Export
// defaults it to the newest observation CreatedAt in Unix seconds: it only
// grows as the producer's append-only store grows, and an unchanged store
// re-exports the same generation, which importers refuse as not newer.
type Generation int64

// maxGeneration keeps generations exact in JSON numbers (≤ 2^53).
const maxGeneration = 1 << 53

// Manifest is manifest.json.
type Manifest struct {
	Schema       string     `json:"schema"`
	Generation   Generation `json:"generation"`
	SnapshotID   string     `json:"snapshotId"` // advisory.NewSnapshot of the latest revisions
	Observations int        `json:"observations"`
	Entries      []Entry    `json:"entries"` // every file but the manifest and its envelope, sorted by path
}

// Entry is one file of the bundle.
type Entry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // sha256:<hex> of the file bytes
	Size   int64  `json:"size"`
}

// escape makes an id one safe, injective path segment: bytes outside
// [A-Za-z0-9._+-] become %XX, and so does a leading dot.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		safe := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '+' || c == '.' && i > 0
		if safe {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

// obsPath is where an observation revision lives in a bundle (advisory.md §6).
func obsPath(source, upstreamID string, revision int) string {
	return obsDir + escape(source) + "/" + escape(upstreamID) + "/" + strconv.Itoa(revision) + ".json"
}

// revision parses the revision of an id <source>:<upstreamId>:<revision>;
// 0 when id is not of that form.
func revision(id, source, upstreamID string) int {
	prefix := source + ":" + upstreamID + ":"
	if !strings.HasPrefix(id, prefix) {
		return 0
	}
	n, err := strconv.Atoi(id[len(prefix):])
	if err != nil || n < 1 || strconv.Itoa(n) != id[len(prefix):] {
		return 0
	}
	return n
}
