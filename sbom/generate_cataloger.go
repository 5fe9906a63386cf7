package sbom

import "context"

// Cataloger inventories one filesystem view. Package sbom defines it so that
// it does not depend on the cataloging engine; sbom/syft implements it with
// syft, and sbom/oci.PrefixCataloger extends it to read image layers in
// place. An implementation must be deterministic: the same view gives the same
// Inventory, whatever the order its internals find packages in.
type Cataloger interface {
	// Info names the engine and digests its pinned configuration. It is part
	// of the cache key and of the document (stella:scan.configDigest).
	Info() CatalogerInfo
	// Catalog inventories v.
	Catalog(ctx context.Context, v View) (*Inventory, error)
}

// CatalogerInfo identifies a cataloging engine and its configuration.
type CatalogerInfo struct {
	Engine       string // e.g. "syft"
	Version      string // e.g. "v1.57.1"
	ConfigDigest string // "sha256:…" of the pinned configuration (cataloger list and options)
}

// ViewKind says what a View holds, which decides the catalogers that apply:
// an image's root filesystem is searched for installed software only, a
// directory also for declared software (lock files, manifests).
type ViewKind string

// View kinds.
const (
	ViewImage     ViewKind = "image"     // Root is the squashed filesystem of an image prefix
	ViewDirectory ViewKind = "directory" // Root is a directory tree
	ViewFile      ViewKind = "file"      // File is a single file, such as a Go binary
)

// View is one filesystem to inventory. Paths the Cataloger reports are
// relative to Root (or, for a file, the file's base name): never host paths.
type View struct {
	Kind ViewKind
	Root string // directory to inventory (ViewImage, ViewDirectory)
	File string // file to inventory (ViewFile)
}

// Inventory is what a Cataloger found in one view.
type Inventory struct {
	Packages []RawPackage `json:"packages"` // sorted by ID
	OS       *OSRelease   `json:"os,omitempty"`
	Warnings []Warning    `json:"warnings,omitempty"`
}

// RawPackage is a package as the engine reported it, before Stella's identity
// rules (sbom.md §3) turn it into a Component.
type RawPackage struct {
	ID        string     `json:"id"` // unique within the Inventory; DependsOn refers to it
	Name      string     `json:"name"`
	Version   string     `json:"version,omitempty"`
	PURL      string     `json:"purl,omitempty"` // as the engine formed it; normalized later
	Type      string     `json:"type"`           // the engine's ecosystem name: deb, rpm, apk, go-module, npm, binary, …
	Arch      string     `json:"arch,omitempty"`
	Licenses  []License  `json:"licenses,omitempty"`
	Hashes    []Hash     `json:"hashes,omitempty"` // digests recorded by the package manager for the package itself
	Locations []Location `json:"locations"`        // evidence files, relative to the view root
	// ArtifactPath is the file that is the package itself (a binary, an
	// archive), when there is one: Generate hashes it when nothing is recorded.
	ArtifactPath string         `json:"artifactPath,omitempty"`
	CPEs         []string       `json:"cpes,omitempty"`
	Source       *SourcePackage `json:"source,omitempty"`
	FoundBy      string         `json:"foundBy"`
	DependsOn    []string       `json:"dependsOn,omitempty"` // IDs of the packages this one depends on
}

// OSRelease is the operating system named by /etc/os-release.
type OSRelease struct {
	ID         string `json:"id"`
	VersionID  string `json:"versionId,omitempty"`
	Codename   string `json:"codename,omitempty"`
	PrettyName string `json:"prettyName,omitempty"`
	Path       string `json:"path,omitempty"` // the os-release file, relative to the view root
	DiffID     string `json:"diffID,omitempty"`
}
