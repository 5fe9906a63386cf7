package advisory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/canon"
)

// Observation is one upstream document exactly as a source gave it
// (advisory.md §2). Readers fill the upstream facts; the store assigns ID,
// Tenant, revision links and CreatedAt. It carries no derived data: the
// parsed Advisory rides along for matching but is not part of the envelope.
type Observation struct {
	ID          string      `json:"id,omitempty"` // <source>:<upstreamId>:<revision>, set by the store
	Tenant      string      `json:"tenant,omitempty"`
	Source      SourceRef   `json:"source"`
	Upstream    Upstream    `json:"upstream"`
	ContentHash string      `json:"contentHash"` // sha256: of JCS of the parsed document
	Content     Content     `json:"content"`
	Identifiers Identifiers `json:"identifiers"`
	Hints       Hints       `json:"hints"`
	Supersedes  string      `json:"supersedes,omitempty"`
	CreatedAt   time.Time   `json:"createdAt,omitzero"`

	// Advisory is the document parsed into the model; not serialized.
	Advisory *Advisory `json:"-"`
}

// SourceRef names the source and the reader version that produced the
// observation.
type SourceRef struct {
	ID            string `json:"id"`
	ReaderVersion string `json:"readerVersion"`
}

// Upstream describes the document at its origin.
type Upstream struct {
	ID              string    `json:"id"`
	DocumentVersion string    `json:"documentVersion,omitempty"`
	Modified        time.Time `json:"modified"` // may be zero (Go vulndb)
	FetchedAt       time.Time `json:"fetchedAt,omitzero"`
	Signature       Signature `json:"signature"`
}

// Signature records whether the upstream document was signed and verified.
type Signature struct {
	Present  bool   `json:"present"`
	Format   string `json:"format,omitempty"`
	KeyID    string `json:"keyId,omitempty"`
	Verified bool   `json:"verified"`
}

// Content keeps the lossless original bytes with their format.
type Content struct {
	Format      string `json:"format"`                // e.g. "osv"
	SpecVersion string `json:"specVersion,omitempty"` // e.g. OSV schema_version
	Raw         []byte `json:"raw"`
}

// Identifiers are the primary id and aliases exactly as the source gives
// them (trimmed).
type Identifiers struct {
	Primary string   `json:"primary"`
	Aliases []string `json:"aliases"`
}

// Hints are join hints only: purls without version or qualifiers, CPEs.
type Hints struct {
	PURLs []string `json:"purls"`
	CPEs  []string `json:"cpes"`
}

// ContentHash returns "sha256:" of the RFC 8785 canonical form of a parsed
// JSON document (raw JSON text). Key order and whitespace of the original
// therefore do not change the hash.
func ContentHash(rawJSON []byte) (string, error) {
	b, err := canon.Transform(rawJSON)
	if err != nil {
		return "", fmt.Errorf("advisory: content hash: %w", err)
	}
	return canon.SHA256(b), nil
}

// NewIdentifiers trims the primary id and aliases, drops empty and
// duplicate aliases and keeps source order otherwise.
func NewIdentifiers(primary string, aliases []string) Identifiers {
	id := Identifiers{Primary: strings.TrimSpace(primary), Aliases: []string{}}
	for _, a := range aliases {
		a = strings.TrimSpace(a)
		if a != "" && a != id.Primary && !slices.Contains(id.Aliases, a) {
			id.Aliases = append(id.Aliases, a)
		}
	}
	return id
}
