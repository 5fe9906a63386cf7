package syft

import (
	"encoding/base64"
	"encoding/hex"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/linux"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"

	"github.com/stella-ops/stella/sbom"
)

// convert maps syft's result into an Inventory: paths relative to the view
// root, recorded digests only, dependency edges by package ID. root is the
// directory syft's real paths are relative to.
func convert(s *syftsbom.SBOM, root string, v sbom.View) *sbom.Inventory {
	inv := &sbom.Inventory{Packages: []sbom.RawPackage{}}
	rel := relativizer(root, v)
	deps := dependencies(s.Relationships)
	for _, p := range s.Artifacts.Packages.Sorted() {
		id := string(p.ID())
		raw := sbom.RawPackage{
			ID:        id,
			Name:      p.Name,
			Version:   p.Version,
			PURL:      p.PURL,
			Type:      string(p.Type),
			FoundBy:   p.FoundBy,
			Licenses:  licenses(p.Licenses),
			Locations: []sbom.Location{},
			DependsOn: deps[id],
		}
		for _, l := range p.Locations.ToSlice() {
			// In an image, FileSystemID is the diffID of the layer holding the file.
			raw.Locations = append(raw.Locations, sbom.Location{Path: rel(l.RealPath), DiffID: l.FileSystemID})
		}
		for _, c := range p.CPEs {
			raw.CPEs = append(raw.CPEs, c.Attributes.String())
		}
		applyMetadata(&raw, p, rel)
		inv.Packages = append(inv.Packages, raw)
	}
	slices.SortFunc(inv.Packages, func(a, b sbom.RawPackage) int { return strings.Compare(a.ID, b.ID) })
	if r := s.Artifacts.LinuxDistribution; r != nil && r.ID != "" {
		inv.OS = osRelease(r)
	}
	return inv
}

// relativizer turns syft's real paths into view-relative ones. In a file
// view syft may report the file's host path: it becomes the base name.
func relativizer(root string, v sbom.View) func(string) string {
	return func(p string) string {
		if v.Kind == sbom.ViewFile {
			if p == v.File || strings.TrimPrefix(p, "/") == filepath.Base(v.File) {
				return filepath.Base(v.File)
			}
			if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
				return filepath.ToSlash(r)
			}
		}
		return sbom.CleanPath(p)
	}
}

// dependencies maps a package ID to the IDs of the packages it depends on;
// syft states "A dependency-of B" as a relationship from A to B.
func dependencies(rels []artifact.Relationship) map[string][]string {
	out := map[string][]string{}
	for _, r := range rels {
		if r.Type != artifact.DependencyOfRelationship {
			continue
		}
		from, ok1 := r.From.(pkg.Package)
		to, ok2 := r.To.(pkg.Package)
		if !ok1 || !ok2 {
			continue
		}
		out[string(to.ID())] = append(out[string(to.ID())], string(from.ID()))
	}
	for k := range out {
		slices.Sort(out[k])
		out[k] = slices.Compact(out[k])
	}
	return out
}

// licenses maps syft licenses: a single SPDX id, an SPDX expression, or the
// text as found.
func licenses(set pkg.LicenseSet) []sbom.License {
	var out []sbom.License
	for _, l := range set.ToSlice() {
		switch {
		case l.SPDXExpression != "" && !strings.ContainsAny(l.SPDXExpression, " ()"):
			out = append(out, sbom.License{ID: l.SPDXExpression})
		case l.SPDXExpression != "":
			out = append(out, sbom.License{Expression: l.SPDXExpression})
		case l.Value != "":
			out = append(out, sbom.License{Name: l.Value})
		}
	}
	return out
}

// applyMetadata takes what Stella needs from the ecosystem metadata: distro
// source package and arch, recorded artifact digests, and the file that is
// the package itself.
func applyMetadata(raw *sbom.RawPackage, p pkg.Package, rel func(string) string) {
	switch m := p.Metadata.(type) {
	case pkg.DpkgDBEntry:
		raw.Arch = m.Architecture
		// dpkg's ${source:Package} and ${source:Version} default to the
		// binary package's own name and version.
		src := sbom.SourcePackage{Name: m.Source, Version: m.SourceVersion}
		if src.Name == "" {
			src.Name = m.Package
		}
		if src.Version == "" {
			src.Version = p.Version
		}
		raw.Source = &src
	case pkg.ApkDBEntry:
		raw.Arch = m.Architecture
		if m.OriginPackage != "" {
			raw.Source = &sbom.SourcePackage{Name: m.OriginPackage}
		}
	case pkg.RpmDBEntry:
		raw.Arch = m.Arch
		if m.SourceRpm != "" {
			raw.Source = &sbom.SourcePackage{Name: m.SourceRpm}
		}
	case pkg.JavaArchive:
		raw.Hashes = bestDigest(fileDigests(m.ArchiveDigests))
		raw.ArtifactPath = outerArchive(p, rel)
	case pkg.NpmPackageLockEntry:
		raw.Hashes = bestDigest(sriDigest(m.Integrity))
	case pkg.GolangBinaryBuildinfoEntry:
		if m.MainModule == p.Name {
			raw.ArtifactPath = firstLocation(raw)
		}
	case pkg.BinarySignature, pkg.ELFBinaryPackageNoteJSONPayload:
		raw.ArtifactPath = firstLocation(raw)
	}
}

func firstLocation(raw *sbom.RawPackage) string {
	if len(raw.Locations) == 0 {
		return ""
	}
	ps := make([]string, len(raw.Locations))
	for i, l := range raw.Locations {
		ps[i] = l.Path
	}
	return slices.Min(ps)
}

// outerArchive is a jar's own path, unless it is nested in another archive.
func outerArchive(p pkg.Package, rel func(string) string) string {
	for _, l := range p.Locations.ToSlice() {
		if l.FullPath == "" && strings.EqualFold(path.Ext(l.RealPath), ".jar") {
			return rel(l.RealPath)
		}
	}
	return ""
}

// hashNames maps syft algorithm names to CycloneDX ones, strongest first
// (the order sbom.md §2 prefers recorded digests in).
var hashNames = []struct{ syft, cdx string }{
	{"sha512", "SHA-512"}, {"sha384", "SHA-384"}, {"sha256", "SHA-256"}, {"sha1", "SHA-1"}, {"md5", "MD5"},
}

func fileDigests(ds []file.Digest) []sbom.Hash {
	var out []sbom.Hash
	for _, d := range ds {
		for _, n := range hashNames {
			if strings.EqualFold(d.Algorithm, n.syft) {
				out = append(out, sbom.Hash{Algorithm: n.cdx, Value: strings.ToLower(d.Value)})
			}
		}
	}
	return out
}

// sriDigest decodes a Subresource Integrity value ("sha512-<base64>").
func sriDigest(sri string) []sbom.Hash {
	var out []sbom.Hash
	for _, part := range strings.Fields(sri) {
		alg, b64, ok := strings.Cut(part, "-")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		out = append(out, fileDigests([]file.Digest{{Algorithm: alg, Value: hex.EncodeToString(raw)}})...)
	}
	return out
}

// bestDigest keeps the strongest recorded digest.
func bestDigest(hs []sbom.Hash) []sbom.Hash {
	for _, n := range hashNames {
		for _, h := range hs {
			if h.Algorithm == n.cdx {
				return []sbom.Hash{h}
			}
		}
	}
	return nil
}

// osRelease maps syft's release; locateOS finds the file it came from.
func osRelease(r *linux.Release) *sbom.OSRelease {
	return &sbom.OSRelease{ID: r.ID, VersionID: r.VersionID, Codename: r.VersionCodename, PrettyName: r.PrettyName}
}

// locateOS records where os-release is (Debian's etc/os-release is a link
// to usr/lib/os-release: the real path is recorded).
func locateOS(inv *sbom.Inventory, res file.Resolver) {
	if inv.OS == nil {
		return
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		locs, err := res.FilesByPath(p)
		if err != nil || len(locs) == 0 {
			continue
		}
		inv.OS.Path = sbom.CleanPath(locs[0].RealPath)
		inv.OS.DiffID = locs[0].FileSystemID
		return
	}
}

// hashArtifacts gives each package whose artifact file has no recorded
// digest the hash sbom.ArtifactHash computes (none above 16 MiB).
func hashArtifacts(inv *sbom.Inventory, res file.Resolver) {
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.ArtifactPath == "" || len(p.Hashes) > 0 {
			continue
		}
		locs, err := res.FilesByPath("/" + p.ArtifactPath)
		if err != nil || len(locs) == 0 {
			continue
		}
		rc, err := res.FileContentsByLocation(locs[0])
		if err != nil {
			continue
		}
		if h, ok := sbom.ArtifactHash(rc); ok {
			p.Hashes = []sbom.Hash{h}
		}
		rc.Close()
	}
}
