package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	packageurl "github.com/package-url/packageurl-go"
)

// MaxComputedHashSize is the largest file whose sha256 Generate computes when
// the package manager recorded no digest (sbom.md §2).
const MaxComputedHashSize = 16 << 20

// osPackageTypes are the purl types of distro packages: they carry the arch
// and distro qualifiers (sbom.md §3.1.3).
var osPackageTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true}

// componentSet is an inventory turned into components (sbom.md §3).
type componentSet struct {
	components   []Component
	dependencies []Dependency
	keys         map[string]string // identity → package key (§7), for attribution
}

// inventoryComponents applies the identity rules to an inventory: purls
// normalized, keys formed where no purl can be, the operating system as a
// component, dependency edges between identities. Components are not yet
// merged; Normalize does that.
func inventoryComponents(inv *Inventory) componentSet {
	set := componentSet{keys: map[string]string{}}
	ids := make(map[string]string, len(inv.Packages)) // raw ID → identity
	for _, p := range inv.Packages {
		c := rawComponent(p, inv.OS)
		ids[p.ID] = c.Identity()
		set.components = append(set.components, c)
	}
	for _, p := range inv.Packages {
		var on []string
		for _, d := range p.DependsOn {
			if id, ok := ids[d]; ok && id != ids[p.ID] {
				on = append(on, id)
			}
		}
		if len(on) > 0 {
			set.dependencies = append(set.dependencies, Dependency{Ref: ids[p.ID], DependsOn: on})
		}
	}
	if inv.OS != nil && inv.OS.ID != "" {
		set.components = append(set.components, osComponent(inv.OS))
	}
	for i := range set.components {
		c := &set.components[i]
		set.keys[c.Identity()] = PackageKey(c)
	}
	return set
}

func rawComponent(p RawPackage, osr *OSRelease) Component {
	c := Component{
		Type:      "library",
		Name:      p.Name,
		Version:   p.Version,
		Licenses:  slices.Clone(p.Licenses),
		Hashes:    slices.Clone(p.Hashes),
		Locations: slices.Clone(p.Locations),
		CPEs:      slices.Clone(p.CPEs),
		FoundBy:   []string{p.FoundBy},
	}
	if p.Type == "binary" {
		c.Type = "application"
	}
	if p.Source != nil && p.Source.Name != "" {
		src := *p.Source
		c.Source = &src
	}
	if purl, ok := normalizePURL(p, osr); ok {
		c.PURL = purl
	} else {
		c.Key = componentKey(p)
	}
	return c
}

// componentKey is the key of a package no purl can be formed for (§3.1.4).
func componentKey(p RawPackage) string {
	if p.Name == "" {
		for _, h := range p.Hashes {
			if h.Algorithm == "SHA-256" {
				return "bin:sha256:" + h.Value
			}
		}
	}
	name := p.Name
	if name == "" && p.ArtifactPath != "" {
		name = filepath.Base(p.ArtifactPath)
	}
	return "gen:" + p.FoundBy + "/" + name + "@" + p.Version
}

// normalizePURL applies packageurl-go's rules (§3.1.3): lowercase type,
// per-type name normalization, qualifiers sorted with empty values dropped,
// and arch and distro qualifiers on distro packages.
func normalizePURL(p RawPackage, osr *OSRelease) (string, bool) {
	if p.PURL == "" {
		return "", false
	}
	u, err := packageurl.FromString(p.PURL)
	if err != nil {
		return "", false
	}
	u.Type = strings.ToLower(u.Type)
	if u.Type == packageurl.TypePyPi {
		u.Name = strings.ReplaceAll(strings.ToLower(u.Name), "_", "-")
	}
	q := map[string]string{}
	for _, kv := range u.Qualifiers {
		if kv.Value != "" {
			q[strings.ToLower(kv.Key)] = kv.Value
		}
	}
	if osPackageTypes[u.Type] {
		if q["arch"] == "" && p.Arch != "" {
			q["arch"] = p.Arch
		}
		if osr != nil && osr.ID != "" && osr.VersionID != "" {
			q["distro"] = osr.ID + "-" + osr.VersionID
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	u.Qualifiers = u.Qualifiers[:0]
	for _, k := range keys {
		u.Qualifiers = append(u.Qualifiers, packageurl.Qualifier{Key: k, Value: q[k]})
	}
	return u.ToString(), true
}

// osComponent is the operating system as a component (§3.1.5).
func osComponent(osr *OSRelease) Component {
	c := Component{
		Type:    "operating-system",
		Name:    osr.ID,
		Version: osr.VersionID,
		Key:     "gen:os-release/" + osr.ID + "@" + osr.VersionID,
		FoundBy: []string{"os-release"},
	}
	for _, p := range []Property{
		{PropOSID, osr.ID}, {PropOSVersionID, osr.VersionID}, {PropOSCodename, osr.Codename},
	} {
		if p.Value != "" {
			c.Properties = append(c.Properties, p)
		}
	}
	if osr.Path != "" {
		c.Locations = []Location{{Path: osr.Path, DiffID: osr.DiffID}}
	}
	return c
}

// HashArtifacts completes inv, found in v, with computed hashes (sbom.md
// §2): a package with an ArtifactPath and no digest recorded by its package
// manager gets the ArtifactHash of that file, when it is a regular file of at
// most MaxComputedHashSize bytes. Dir and File do this; a Source that
// catalogs views of its own (sbom/oci unpacks image layers into one) calls
// it on what the Cataloger returns.
func (inv *Inventory) HashArtifacts(v View) {
	if inv == nil {
		return
	}
	// A single file is what every artifact path of its view names.
	root, file := v.Root, ""
	if v.Kind == ViewFile {
		root, file = "", v.File
	}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.ArtifactPath == "" || len(p.Hashes) > 0 {
			continue
		}
		full := file
		if full == "" {
			full = filepath.Join(root, filepath.FromSlash(p.ArtifactPath))
		}
		if sum, ok := smallFileSHA256(full); ok {
			p.Hashes = append(p.Hashes, Hash{Algorithm: "SHA-256", Value: sum})
		}
	}
}

// smallFileSHA256 is the sha256 hex of a regular file of at most
// MaxComputedHashSize bytes. A symlink is not followed: it could point
// outside the view.
func smallFileSHA256(path string) (string, bool) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	h, ok := ArtifactHash(f)
	return h.Value, ok
}

// ArtifactHash is the SHA-256 hash recorded for a package's artifact file
// when its package manager recorded none (sbom.md §2). ok is false when the
// content is larger than MaxComputedHashSize or cannot be read: such a file
// carries no computed hash.
func ArtifactHash(content io.Reader) (h Hash, ok bool) {
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(content, MaxComputedHashSize+1))
	if err != nil || n > MaxComputedHashSize {
		return Hash{}, false
	}
	return Hash{Algorithm: "SHA-256", Value: hex.EncodeToString(sum.Sum(nil))}, true
}
