package advisory

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// Comparer orders two versions of one scheme: negative when a < b, zero
// when equal, positive when a > b. An unparsable version is an error, never
// a guess.
type Comparer interface {
	Compare(a, b string) (int, error)
}

// Schemes returns the Comparer for an OSV ecosystem (e.g. "Go", "PyPI",
// "Debian:12"). It must return an error wrapping ErrUnsupportedEcosystem for
// an ecosystem it does not know, so that no range is guessed at.
type Schemes func(ecosystem string) (Comparer, error)

// ErrUnsupportedEcosystem reports an ecosystem without a version scheme.
var ErrUnsupportedEcosystem = errors.New("unsupported ecosystem")

// SemVer compares SemVer 2.0 versions (build metadata ignored, so Go's
// "+incompatible" does not count). A leading "v" is optional. OSV SEMVER
// ranges use it whatever the ecosystem.
type SemVer struct{}

// Compare implements Comparer.
func (SemVer) Compare(a, b string) (int, error) {
	va, err := semverCanon(a)
	if err != nil {
		return 0, err
	}
	vb, err := semverCanon(b)
	if err != nil {
		return 0, err
	}
	return semver.Compare(va, vb), nil
}

func semverCanon(s string) (string, error) {
	v := s
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	// x/mod accepts "v1" and "v1.2" shorthands; SemVer 2.0 does not.
	if !semver.IsValid(v) || strings.Count(strings.SplitN(strings.SplitN(v, "-", 2)[0], "+", 2)[0], ".") != 2 {
		return "", fmt.Errorf("semver: invalid version %q", s)
	}
	return v, nil
}

// SemVerSchemes knows only the ecosystems whose versions are SemVer 2.0
// (Go, npm, crates.io). It is the Matcher's default until advisory/version
// is wired in.
func SemVerSchemes(ecosystem string) (Comparer, error) {
	switch ecosystem {
	case "Go", "npm", "crates.io":
		return SemVer{}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedEcosystem, ecosystem)
}
