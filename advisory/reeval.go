package advisory

import (
	"context"
	"slices"
	"strings"

	"github.com/stella-ops/stella/sbom"
)

// Changed returns the ids of groups added, removed, or whose digest
// differs between two effective views, sorted.
func Changed(before, after []Effective) []string {
	old := make(map[string]string, len(before))
	for _, e := range before {
		old[e.ID] = e.Digest
	}
	var out []string
	seen := make(map[string]bool, len(after))
	for _, e := range after {
		seen[e.ID] = true
		if d, ok := old[e.ID]; !ok || d != e.Digest {
			out = append(out, e.ID)
		}
	}
	for _, e := range before {
		if !seen[e.ID] {
			out = append(out, e.ID)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ChangedPackageKeys returns the package keys named by the changed groups,
// in either view (a key a group stopped naming matters as much as a new
// one), sorted and deduplicated.
func ChangedPackageKeys(before, after []Effective) []PackageKey {
	changed := map[string]bool{}
	for _, id := range Changed(before, after) {
		changed[id] = true
	}
	var keys []PackageKey
	for _, view := range [][]Effective{before, after} {
		for i := range view {
			if !changed[view[i].ID] {
				continue
			}
			for j := range view[i].Affected {
				keys = append(keys, view[i].Affected[j].Key())
			}
		}
	}
	slices.SortFunc(keys, func(a, b PackageKey) int {
		if c := strings.Compare(a.Ecosystem, b.Ecosystem); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return slices.Compact(keys)
}

// PackageQueries maps an advisory package key to the SBOM package searches
// that find its components (the reverse of the Matcher's purl mapping):
// Go "golang.org/x/net" → golang namespace "golang.org/x" name "net";
// Maven "g:a" → maven g/a; npm "@s/n" → npm "@s" (and "%40s") / n;
// "Debian:12" → deb, "Alpine:v3.19" → apk, "AlmaLinux:9"/"Rocky Linux:9" →
// rpm, by package name. Stored SBOM rows keep binary package names, so a
// distro source package is found where the binary has the same name. ok is
// false for keys with no purl type (CPE keys, unknown ecosystems).
func PackageQueries(k PackageKey) (qs []sbom.PackageQuery, ok bool) {
	split := func(typ, full, sep string) []sbom.PackageQuery {
		if i := strings.LastIndex(full, sep); i >= 0 {
			return []sbom.PackageQuery{{Type: typ, Namespace: full[:i], Name: full[i+1:]}}
		}
		return []sbom.PackageQuery{{Type: typ, Name: full}}
	}
	eco, _, _ := strings.Cut(k.Ecosystem, ":")
	switch eco {
	case "Go":
		return split("golang", k.Name, "/"), true
	case "npm":
		qs = split("npm", k.Name, "/")
		if strings.HasPrefix(qs[0].Namespace, "@") {
			qs = append(qs, sbom.PackageQuery{Type: "npm", Namespace: "%40" + qs[0].Namespace[1:], Name: qs[0].Name})
		}
		return qs, true
	case "Maven":
		return split("maven", k.Name, ":"), true
	case "Packagist":
		return split("composer", k.Name, "/"), true
	case "PyPI":
		return []sbom.PackageQuery{{Type: "pypi", Name: k.Name}}, true
	case "RubyGems":
		return []sbom.PackageQuery{{Type: "gem", Name: k.Name}}, true
	case "crates.io":
		return []sbom.PackageQuery{{Type: "cargo", Name: k.Name}}, true
	case "NuGet":
		return []sbom.PackageQuery{{Type: "nuget", Name: k.Name}}, true
	case "Debian", "Ubuntu":
		return []sbom.PackageQuery{{Type: "deb", Name: k.Name}}, true
	case "Alpine", "Wolfi":
		return []sbom.PackageQuery{{Type: "apk", Name: k.Name}}, true
	case "AlmaLinux", "Rocky Linux", "Red Hat":
		return []sbom.PackageQuery{{Type: "rpm", Name: k.Name}}, true
	}
	return nil, false
}

// PackageSearcher is the part of sbom.Store that re-evaluation needs.
type PackageSearcher interface {
	SearchPackages(ctx context.Context, tenant string, q sbom.PackageQuery) ([]sbom.PackageHit, error)
}

// AffectedSBOMs returns the content digests of the tenant's stored SBOMs
// holding a package named by a group that changed between before and after
// (advisory.md §7 / issue 4 item 9), sorted. These are the SBOMs whose
// findings may have changed and must be matched again.
func AffectedSBOMs(ctx context.Context, s PackageSearcher, tenant string, before, after []Effective) ([]string, error) {
	set := map[string]bool{}
	for _, k := range ChangedPackageKeys(before, after) {
		qs, ok := PackageQueries(k)
		if !ok {
			continue
		}
		for _, q := range qs {
			hits, err := s.SearchPackages(ctx, tenant, q)
			if err != nil {
				return nil, err
			}
			for _, h := range hits {
				set[h.ContentDigest] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}
