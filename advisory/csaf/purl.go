package csaf

import (
	"fmt"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/stella-ops/stella/advisory"
)

// purlHint is the purl without version, qualifiers or subpath.
func purlHint(s string) (string, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return "", fmt.Errorf("invalid purl %q: %v", s, err)
	}
	p.Version, p.Qualifiers, p.Subpath = "", nil, ""
	return p.ToString(), nil
}

// packageOf maps a resolved product to its OSV package and version.
func packageOf(pr product) (advisory.Package, string, error) {
	p, err := packageurl.FromString(pr.purl)
	if err != nil {
		return advisory.Package{}, "", fmt.Errorf("invalid purl %q: %v", pr.purl, err)
	}
	hint, _ := purlHint(pr.purl)
	q := p.Qualifiers.Map()
	ver := p.Version
	if e := q["epoch"]; e != "" && ver != "" && !strings.Contains(ver, ":") && e != "0" {
		ver = e + ":" + ver
	}
	joined := p.Name
	if p.Namespace != "" {
		joined = p.Namespace + "/" + p.Name
	}
	pkg := advisory.Package{Name: p.Name, PURL: hint}
	switch p.Type {
	case packageurl.TypeGolang:
		pkg.Ecosystem, pkg.Name = "Go", joined
	case packageurl.TypeNPM:
		pkg.Ecosystem, pkg.Name = "npm", joined
	case packageurl.TypePyPi:
		pkg.Ecosystem = "PyPI"
	case packageurl.TypeMaven:
		pkg.Ecosystem, pkg.Name = "Maven", p.Namespace+":"+p.Name
	case packageurl.TypeGem:
		pkg.Ecosystem = "RubyGems"
	case packageurl.TypeCargo:
		pkg.Ecosystem = "crates.io"
	case packageurl.TypeNuget:
		pkg.Ecosystem = "NuGet"
	case packageurl.TypeComposer:
		pkg.Ecosystem, pkg.Name = "Packagist", joined
	default:
		pkg.Ecosystem = distroEcosystem(p, q, pr.platformCPE)
	}
	return pkg, ver, nil
}

// distroEcosystem names the OSV ecosystem of an OS package purl.
func distroEcosystem(p packageurl.PackageURL, q map[string]string, platformCPE string) string {
	if p.Type == packageurl.TypeRPM && p.Namespace == "redhat" {
		for _, prefix := range []string{"cpe:/a:redhat:", "cpe:/o:redhat:"} {
			if tail, ok := strings.CutPrefix(platformCPE, prefix); ok && tail != "" {
				return "Red Hat:" + tail
			}
		}
		return "Red Hat"
	}
	if d := q["distro"]; d != "" { // e.g. debian-12, alpine-3.19.1, almalinux-9.3
		if i := strings.LastIndex(d, "-"); i > 0 {
			id, release := d[:i], d[i+1:]
			major, minor, _ := strings.Cut(release, ".")
			minor, _, _ = strings.Cut(minor, ".")
			switch {
			case p.Type == packageurl.TypeDebian && id == "debian" && major != "":
				return "Debian:" + major
			case p.Type == packageurl.TypeApk && id == "alpine" && major != "" && minor != "":
				return "Alpine:v" + major + "." + minor
			case p.Type == packageurl.TypeRPM && (id == "almalinux" || id == "alma") && major != "":
				return "AlmaLinux:" + major
			case p.Type == packageurl.TypeRPM && id == "rocky" && major != "":
				return "Rocky Linux:" + major
			}
		}
	}
	return p.Type
}
