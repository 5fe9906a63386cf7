package sbom

import "time"

// Document is the format-neutral SBOM. Every encoder is a projection of it, and
// every decoder maps into it. All slices are kept sorted by their declared keys
// (see Normalize), so that equal documents are equal byte for byte.
type Document struct {
	Subject      Subject      `json:"subject"`
	Timestamp    time.Time    `json:"timestamp"` // injected clock or the image's created time; never the wall clock
	Tool         Tool         `json:"tool"`
	Components   []Component  `json:"components"`   // sorted by Identity
	Dependencies []Dependency `json:"dependencies"` // sorted by Ref; DependsOn sorted
	Layers       []Layer      `json:"layers"`       // base → top, by Index
	Properties   []Property   `json:"properties"`   // document-level, sorted by Name then Value
	Warnings     []Warning    `json:"warnings"`     // deduplicated, sorted by Code then Message, at most 50
}

// Subject is what was scanned.
type Subject struct {
	Kind        string `json:"kind"`                  // image | directory | file | sbom
	Name        string `json:"name"`                  // image reference without tag, or the base name of a path; never a host path
	Digest      string `json:"digest,omitempty"`      // image manifest digest "sha256:…", or the file's digest
	IndexDigest string `json:"indexDigest,omitempty"` // the multi-platform index the manifest was chosen from
	Platform    string `json:"platform,omitempty"`    // e.g. linux/amd64
}

// Tool is the generator: "stella" and the SDK version only (no commit, date or host).
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Layer is one image layer, base first.
type Layer struct {
	Index   int    `json:"index"`
	DiffID  string `json:"diffID"`           // digest of the uncompressed tar
	Digest  string `json:"digest,omitempty"` // compressed blob digest
	ChainID string `json:"chainID"`          // OCI chainID of layers 0..Index
}

// Component is one package (or the operating system). It has exactly one
// identity: a purl, or a Key when no purl can be formed.
type Component struct {
	PURL       string     `json:"purl,omitempty"`
	Key        string     `json:"key,omitempty"` // bin:sha256:<hex> | gen:<cataloger>/<name>@<version>
	Type       string     `json:"type"`          // CycloneDX component type: library, application, operating-system, file, …
	Name       string     `json:"name"`
	Version    string     `json:"version,omitempty"`
	Licenses   []License  `json:"licenses"`  // sorted by ID, then Expression, then Name
	Hashes     []Hash     `json:"hashes"`    // sorted by Algorithm
	Locations  []Location `json:"locations"` // sorted by Path, then DiffID
	CPEs       []string   `json:"cpes"`      // sorted
	Properties []Property `json:"properties"`
	// Layer attribution (images only).
	Introduced *LayerRef `json:"introduced,omitempty"` // the layer that brought the final version
	FirstSeen  *LayerRef `json:"firstSeen,omitempty"`  // an earlier layer that had another version
	// Source names the distro source package (Debian Source:, Alpine origin, source RPM).
	Source  *SourcePackage `json:"source,omitempty"`
	FoundBy []string       `json:"foundBy"` // catalogers, sorted
}

// Identity is the component's purl, or its key.
func (c *Component) Identity() string {
	if c.PURL != "" {
		return c.PURL
	}
	return c.Key
}

// LayerRef points at a layer by diffID and index.
type LayerRef struct {
	DiffID string `json:"diffID"`
	Index  int    `json:"index"`
}

// SourcePackage is a distro source package and its version.
type SourcePackage struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// License is an SPDX id, an SPDX expression, or a free-text name.
type License struct {
	ID         string `json:"id,omitempty"`
	Expression string `json:"expression,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Hash is a digest of a component's content.
type Hash struct {
	Algorithm string `json:"algorithm"` // SHA-256, SHA-512, SHA-1, MD5, … (CycloneDX names)
	Value     string `json:"value"`     // lowercase hex
}

// Location is where evidence of a component was found: a rootfs-relative path
// (forward slashes, no leading "/") and, in images, the layer holding that file.
type Location struct {
	Path   string `json:"path"`
	DiffID string `json:"diffID,omitempty"`
}

// Property is a name/value pair; Stella's own names start with "stella:".
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Dependency says that Ref depends on each of DependsOn (identities).
type Dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// Warning is a cataloging problem that did not stop the scan.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Property names Stella writes.
const (
	PropOSID           = "stella:os.id"
	PropOSVersionID    = "stella:os.versionId"
	PropOSCodename     = "stella:os.codename"
	PropPkgSource      = "stella:pkg.source"
	PropPkgSourceVer   = "stella:pkg.sourceVersion"
	PropLayerIntroduce = "stella:layer.introduced"
	PropLayerIndex     = "stella:layer.index"
	PropLayerFirstSeen = "stella:layer.firstSeen"
	PropConfigDigest   = "stella:scan.configDigest"
	PropMerkleRoot     = "stella:merkle.root"
	PropComposition    = "stella:composition.digest"
)
