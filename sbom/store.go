package sbom

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrNotFound is wrapped by a Store's error for a missing SBOM.
var ErrNotFound = errors.New("sbom: not found")

// Record is a stored SBOM: the document bytes as generated (canonical CycloneDX
// JSON by default), addressed by content digest, for one image digest.
type Record struct {
	TenantID      string    `json:"tenantId"`
	ContentDigest string    `json:"contentDigest"` // ContentDigest of Document
	ImageDigest   string    `json:"imageDigest"`   // the subject: an image manifest digest
	ImageName     string    `json:"imageName"`     // repository, for display
	Format        string    `json:"format"`        // e.g. cyclonedx-json@1.7
	Document      []byte    `json:"-"`
	Packages      []Package `json:"packages"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Package is one searchable row of an SBOM: a component's identity split into
// the parts a search asks about.
type Package struct {
	Identity  string `json:"identity"` // purl or key
	Type      string `json:"type"`     // purl type (maven, deb, npm, …), or "key"
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Version   string `json:"version"`
}

// PackageQuery finds packages by purl type, namespace and name; an empty field
// matches everything.
type PackageQuery struct {
	Type, Namespace, Name string
}

// PackageHit is a package found in a stored SBOM, with the image it is in.
type PackageHit struct {
	Package
	ContentDigest string `json:"contentDigest"`
	ImageDigest   string `json:"imageDigest"`
}

// Store keeps SBOMs content-addressed. PutSBOM is idempotent: storing the same
// record twice keeps the first. Every method is scoped by tenant.
type Store interface {
	PutSBOM(ctx context.Context, r *Record) error
	SBOMByImage(ctx context.Context, tenant, imageDigest string) (*Record, error)
	SBOMByDigest(ctx context.Context, tenant, contentDigest string) (*Record, error)
	SearchPackages(ctx context.Context, tenant string, q PackageQuery) ([]PackageHit, error)
}

// Packages lists a document's components as searchable rows.
func Packages(d *Document) []Package {
	out := make([]Package, 0, len(d.Components))
	for _, c := range d.Components {
		p := Package{Identity: c.Identity(), Type: "key", Name: c.Name, Version: c.Version}
		if c.PURL != "" {
			p.Type, p.Namespace, p.Name = splitPURL(c.PURL)
			if p.Name == "" {
				p.Name = c.Name
			}
		}
		out = append(out, p)
	}
	return out
}

// splitPURL returns the type, namespace and name of "pkg:type/ns/name@version?q#s".
// Percent-encoding is kept, so a search uses the same spelling as the purl.
func splitPURL(purl string) (typ, namespace, name string) {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return "", "", ""
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[:i]
	}
	typ, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return strings.ToLower(typ), path[:i], path[i+1:]
	}
	return strings.ToLower(typ), "", path
}

// ParsePackageQuery reads "pkg:maven/org.apache.logging.log4j/log4j-core" (a purl
// without version) into a query.
func ParsePackageQuery(purl string) (PackageQuery, error) {
	typ, ns, name := splitPURL(purl)
	if typ == "" || name == "" {
		return PackageQuery{}, errors.New(`sbom: package query must be a purl without version, like "pkg:maven/org.apache.logging.log4j/log4j-core"`)
	}
	return PackageQuery{Type: typ, Namespace: ns, Name: name}, nil
}
