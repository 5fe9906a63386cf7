package advisory

import (
	"fmt"

	"github.com/stella-ops/stella/advisory/version"
)

// EcosystemSchemes resolves an OSV ecosystem ("Go", "PyPI", "Debian:12", …)
// to its version scheme in advisory/version. It is the Matcher's default.
func EcosystemSchemes(ecosystem string) (Comparer, error) {
	s, err := version.ForEcosystem(ecosystem)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedEcosystem, err)
	}
	return schemeComparer{s}, nil
}

// semverRanges orders OSV SEMVER range events, which are SemVer 2.0.0
// whatever the ecosystem.
var semverRanges Comparer = schemeComparer{version.StrictSemVer}

// schemeComparer adapts a version.Scheme to Comparer.
type schemeComparer struct{ s version.Scheme }

func (c schemeComparer) Compare(a, b string) (int, error) { return version.CompareStrings(c.s, a, b) }
