package advisory

import (
	"fmt"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/stella-ops/stella/sbom"
)

// PackageKey is where advisories and SBOM components meet: an OSV ecosystem
// and a package name normalized for that ecosystem.
type PackageKey struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

func (k PackageKey) String() string { return k.Ecosystem + "/" + k.Name }

// NewPackageKey normalizes an advisory's (ecosystem, name) the same way
// component purls are mapped: PyPI names per PEP 503, NuGet and Packagist
// names case-insensitively.
func NewPackageKey(ecosystem, name string) PackageKey {
	switch ecosystem {
	case "PyPI":
		name = normalizePyPI(name)
	case "NuGet", "Packagist":
		name = strings.ToLower(name)
	}
	return PackageKey{Ecosystem: ecosystem, Name: name}
}

// normalizePyPI lowercases and collapses runs of "-", "_" and "." into one
// "-" (PEP 503).
func normalizePyPI(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// debianReleases maps codenames to the release numbers OSV uses
// ("Debian:12"), for SBOMs that only carry stella:os.codename.
func debianReleases() map[string]string {
	return map[string]string{
		"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
	}
}

// componentKey maps a component to its advisory package key and the version
// to compare. Distro packages are keyed by their source (Debian) or origin
// (Alpine) package and the distro release, from the purl's distro qualifier
// or the document's OS properties. ok is false with a reason when the
// component cannot be matched by purl.
func componentKey(c *sbom.Component, osInfo osRelease) (key PackageKey, version, reason string) {
	if c.PURL == "" {
		return PackageKey{}, "", "no purl"
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return PackageKey{}, "", fmt.Sprintf("invalid purl: %v", err)
	}
	version = p.Version
	if version == "" {
		version = c.Version
	}
	q := p.Qualifiers.Map()
	joined := p.Name
	if p.Namespace != "" {
		joined = p.Namespace + "/" + p.Name
	}
	switch p.Type {
	case packageurl.TypeGolang:
		if joined == "stdlib" { // syft's Go toolchain: versions "go1.21.0", OSV "1.21.0"
			version = strings.TrimPrefix(version, "go")
		}
		return PackageKey{"Go", joined}, version, ""
	case packageurl.TypeNPM:
		return PackageKey{"npm", joined}, version, ""
	case packageurl.TypePyPi:
		return NewPackageKey("PyPI", p.Name), version, ""
	case packageurl.TypeMaven:
		return PackageKey{"Maven", p.Namespace + ":" + p.Name}, version, ""
	case packageurl.TypeGem:
		return PackageKey{"RubyGems", p.Name}, version, ""
	case packageurl.TypeCargo:
		return PackageKey{"crates.io", p.Name}, version, ""
	case packageurl.TypeNuget:
		return NewPackageKey("NuGet", p.Name), version, ""
	case packageurl.TypeComposer:
		return NewPackageKey("Packagist", joined), version, ""
	case packageurl.TypeDebian:
		return distroKey(c, p, q, osInfo, version)
	case packageurl.TypeApk:
		return distroKey(c, p, q, osInfo, version)
	case packageurl.TypeRPM:
		return distroKey(c, p, q, osInfo, version)
	}
	return PackageKey{}, "", fmt.Sprintf("purl type %q has no advisory ecosystem", p.Type)
}

// distroKey builds "Debian:12", "Alpine:v3.19", "AlmaLinux:9", "Rocky Linux:9"
// keys. The source/origin package name and its version win when known,
// since distro feeds are keyed that way.
func distroKey(c *sbom.Component, p packageurl.PackageURL, q map[string]string, osInfo osRelease, version string) (PackageKey, string, string) {
	name := p.Name
	if c.Source != nil && c.Source.Name != "" {
		name = c.Source.Name
		if c.Source.Version != "" {
			version = c.Source.Version
		}
	} else if up := q["upstream"]; up != "" && p.Type != packageurl.TypeRPM {
		name, _, _ = strings.Cut(up, "@") // syft writes "origin" or "source@version"
	}
	distroID, release := osInfo.id, osInfo.versionID
	if d := q["distro"]; d != "" { // e.g. debian-12, alpine-3.19.1, almalinux-9.3
		if i := strings.LastIndex(d, "-"); i > 0 {
			distroID, release = d[:i], d[i+1:]
		}
	}
	if distroID == "" {
		distroID = p.Namespace
	}
	major, minor, _ := strings.Cut(release, ".")
	minor, _, _ = strings.Cut(minor, ".")
	switch {
	case p.Type == packageurl.TypeDebian && distroID == "debian":
		if major == "" {
			major = debianReleases()[osInfo.codename]
		}
		if major != "" {
			return PackageKey{"Debian:" + major, name}, version, ""
		}
	case p.Type == packageurl.TypeApk && distroID == "alpine" && major != "" && minor != "":
		return PackageKey{"Alpine:v" + major + "." + minor, name}, version, ""
	case p.Type == packageurl.TypeRPM && major != "":
		if e := q["epoch"]; e != "" && !strings.Contains(version, ":") {
			version = e + ":" + version
		}
		switch distroID {
		case "almalinux", "alma":
			return PackageKey{"AlmaLinux:" + major, p.Name}, version, ""
		case "rocky":
			return PackageKey{"Rocky Linux:" + major, p.Name}, version, ""
		}
	}
	return PackageKey{}, "", fmt.Sprintf("distro-unsupported: %s %q release %q", p.Type, distroID, release)
}

// osRelease is the scanned operating system, from the SBOM's document
// properties.
type osRelease struct{ id, versionID, codename string }

func documentOS(doc *sbom.Document) osRelease {
	var o osRelease
	for _, p := range doc.Properties {
		switch p.Name {
		case sbom.PropOSID:
			o.id = p.Value
		case sbom.PropOSVersionID:
			o.versionID = p.Value
		case sbom.PropOSCodename:
			o.codename = p.Value
		}
	}
	return o
}
