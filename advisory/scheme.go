package advisory

import "errors"

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
