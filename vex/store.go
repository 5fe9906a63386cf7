package vex

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Errors a Store wraps.
var (
	// ErrNotFound: no such document.
	ErrNotFound = errors.New("vex: not found")
	// ErrConflict: a concurrent write got there first (a registry version
	// or a document revision was appended at the same time).
	ErrConflict = errors.New("vex: conflict")
)

// StoredDocument is a raw VEX document as kept by a Store (vex.md §1):
// append-only and identified by its content hash. Revisions of one upstream
// document (same UpstreamID) are linked by Supersedes.
type StoredDocument struct {
	Tenant      string `json:"tenant"`
	ContentHash string `json:"contentHash"`
	Format      Format `json:"format"`
	Author      string `json:"author"`
	// UpstreamID is the document's own identity when it has one (OpenVEX
	// @id, CSAF tracking id, CycloneDX serial number); empty otherwise.
	UpstreamID string `json:"upstreamId,omitempty"`
	// Revision counts documents of one UpstreamID, from 1; always 1 when
	// UpstreamID is empty.
	Revision int `json:"revision"`
	// Supersedes is the content hash of the previous revision, if any.
	Supersedes string    `json:"supersedes,omitempty"`
	Raw        []byte    `json:"-"`
	Warnings   []string  `json:"warnings,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	// Statements is the number of statements the document yielded.
	Statements int `json:"statements"`
}

// AppendResult is what AppendDocument did.
type AppendResult struct {
	Document StoredDocument
	// Inserted is false when a document with the same content hash was
	// already stored for the tenant: nothing was written.
	Inserted bool
}

// StatementFilter selects stored statements. Each non-empty list narrows
// the result; an empty filter selects every statement of the tenant.
type StatementFilter struct {
	// Vulnerabilities matches a statement's vulnerability or one of its
	// aliases (ids as NormalizeVulnID gives them).
	Vulnerabilities []string
	// Products matches a statement whose product or one of whose
	// subcomponents has the same ProductKey as one of these references
	// (image digests, purls with or without version, CPEs), or whose
	// product is a placeholder ("Unknown Product") with subcomponents.
	// It is a pre-filter: Consensus.Evaluate decides what applies.
	Products []string
	// Document restricts the result to one document's statements.
	Document string
}

// PageOptions asks for one page of a list: at most First items (0 means
// the store's default) after the cursor After.
type PageOptions struct {
	First int
	After string
}

// DocumentPage is one page of documents, newest first.
type DocumentPage struct {
	Items   []StoredDocument
	Cursors []string // one per item
	HasNext bool
}

// RegistryVersion describes one stored version of a tenant's issuer
// registry.
type RegistryVersion struct {
	Version   int       `json:"version"`
	Digest    string    `json:"digest"`
	Issuer    string    `json:"issuer"` // the issuer this version added or changed
	CreatedAt time.Time `json:"createdAt"`
	// Changed is false when SaveIssuer was given the issuer exactly as
	// stored: no version was appended and this is the current one.
	Changed bool `json:"changed"`
}

// Store keeps raw VEX documents and their normalized statements
// append-only, and the versioned issuer registry. Every method is scoped by
// tenant.
//
// AppendDocument stores a document and its statements in one transaction.
// It is idempotent by content hash: a document already stored for the
// tenant is not written again (Inserted = false). A document with the
// UpstreamID of a stored one becomes its next revision (Supersedes set).
// The store API has no update or delete for documents or statements.
//
// SaveIssuer appends a new registry version holding every issuer of the
// current version with issuer added or replaced; saving an issuer exactly
// as stored appends nothing. Registry builds the current version (an empty
// registry of version "0" before any issuer is saved).
type Store interface {
	AppendDocument(ctx context.Context, tenant string, doc *Document, at time.Time) (AppendResult, error)
	// Document returns a stored document by content hash, or ErrNotFound.
	Document(ctx context.Context, tenant, contentHash string) (*StoredDocument, error)
	// Documents lists documents newest first.
	Documents(ctx context.Context, tenant string, opts PageOptions) (*DocumentPage, error)
	// Statements returns the statements matching f, sorted by digest.
	// Statements of superseded document revisions are left out unless
	// f.Document names that revision.
	Statements(ctx context.Context, tenant string, f StatementFilter) ([]Statement, error)

	SaveIssuer(ctx context.Context, tenant string, is Issuer, at time.Time) (RegistryVersion, error)
	Registry(ctx context.Context, tenant string) (*Registry, error)
}

// ProductKey is the key a store indexes product references by: a purl
// without version, qualifiers and subpath, in its decoded form; an image
// digest; a CPE reduced to "cpe:<vendor>:<product>"; anything else as is.
func ProductKey(ref string) string {
	ref = NormalizeRef(ref)
	if d, ok := parseImageDigest(ref); ok {
		return d
	}
	if p, ok := parsePURL(ref); ok {
		path := p.path
		if caseInsensitivePath(p.typ) {
			path = strings.ToLower(path)
		}
		return "pkg:" + p.typ + "/" + path
	}
	if c, ok := parseCPE(ref); ok {
		return "cpe:" + strings.ToLower(c.vendor) + ":" + strings.ToLower(c.product)
	}
	return ref
}

// ProductKeys returns the sorted, distinct product keys a statement is
// indexed under: its product and each subcomponent. A placeholder product
// ("Unknown Product") is indexed only through its subcomponents.
func ProductKeys(s Statement) []string {
	var keys []string
	if identified(s.Product.Ref) || len(s.Product.Subcomponents) == 0 {
		keys = append(keys, ProductKey(s.Product.Ref))
	}
	for _, sc := range s.Product.Subcomponents {
		keys = append(keys, ProductKey(sc))
	}
	return sortedUnique(keys, "")
}

// VulnerabilityKeys returns the sorted, distinct ids a statement is indexed
// under: its vulnerability and aliases.
func VulnerabilityKeys(s Statement) []string {
	keys := []string{NormalizeVulnID(s.Vulnerability)}
	for _, a := range s.Aliases {
		keys = append(keys, NormalizeVulnID(a))
	}
	return sortedUnique(keys, "")
}

// UpstreamID reads a document's own identity from its raw JSON: OpenVEX
// "@id", CSAF document.tracking.id (prefixed with the publisher namespace)
// or CycloneDX serialNumber. It returns "" when there is none.
func UpstreamID(d *Document) string {
	var probe struct {
		ID       string `json:"@id"`
		Serial   string `json:"serialNumber"`
		Document *struct {
			Publisher struct {
				Namespace string `json:"namespace"`
			} `json:"publisher"`
			Tracking struct {
				ID string `json:"id"`
			} `json:"tracking"`
		} `json:"document"`
	}
	if d == nil || json.Unmarshal(d.Raw, &probe) != nil {
		return ""
	}
	switch d.Format {
	case FormatOpenVEX:
		return strings.TrimSpace(probe.ID)
	case FormatCycloneDX:
		return strings.TrimSpace(probe.Serial)
	case FormatCSAF:
		if probe.Document != nil && strings.TrimSpace(probe.Document.Tracking.ID) != "" {
			return strings.TrimSpace(probe.Document.Publisher.Namespace) + "#" + strings.TrimSpace(probe.Document.Tracking.ID)
		}
	}
	return ""
}
