package version

import (
	"errors"
	"fmt"
	"strings"
)

// Version is a parsed version. It remembers the scheme that parsed it and the
// original text; only that scheme's Compare accepts it.
type Version struct {
	scheme string
	raw    string
	key    any
}

// String returns the version exactly as it was given to Parse.
func (v Version) String() string { return v.raw }

// Scheme returns the name of the scheme that parsed v ("" for the zero Version).
func (v Version) Scheme() string { return v.scheme }

// Scheme is one ecosystem's version syntax and ordering.
type Scheme interface {
	// Name is the scheme's short name: "semver", "semver-strict", "go", "npm", "cargo",
	// "pep440", "maven", "nuget", "gem", "composer", "dpkg", "rpm", "apk".
	Name() string
	// Parse reads a version; it fails on text the scheme cannot order.
	Parse(v string) (Version, error)
	// Compare returns -1, 0 or +1 as a is older than, equal to or newer than b.
	// It panics if a or b was not produced by this scheme's Parse.
	Compare(a, b Version) int
}

// ErrUnsupported is returned by ForEcosystem for an ecosystem without a scheme.
type ErrUnsupported struct {
	Ecosystem string
}

func (e *ErrUnsupported) Error() string {
	return fmt.Sprintf("version: unsupported ecosystem %q", e.Ecosystem)
}

// ParseError reports text a scheme cannot parse.
type ParseError struct {
	Scheme  string
	Version string
	Reason  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("version: %s: invalid version %q: %s", e.Scheme, e.Version, e.Reason)
}

var errEmpty = errors.New("empty")

// scheme is the single Scheme implementation: a name plus a parser and an
// ordering over the parser's keys.
type scheme struct {
	name  string
	parse func(string) (any, error)
	cmp   func(a, b any) int
}

func (s *scheme) Name() string { return s.name }

func (s *scheme) Parse(v string) (Version, error) {
	k, err := s.parse(v)
	if err != nil {
		return Version{}, &ParseError{Scheme: s.name, Version: v, Reason: err.Error()}
	}
	return Version{scheme: s.name, raw: v, key: k}, nil
}

func (s *scheme) Compare(a, b Version) int {
	if a.scheme != s.name || b.scheme != s.name {
		panic(fmt.Sprintf("version: %s.Compare given versions of schemes %q and %q", s.name, a.scheme, b.scheme))
	}
	return sign(s.cmp(a.key, b.key))
}

// The schemes. Each is safe for concurrent use. SemVer is lenient about the
// number of core parts, as the published semver test vectors are;
// StrictSemVer is SemVer 2.0.0 to the letter, for OSV SEMVER ranges.
var (
	SemVer       Scheme = &scheme{"semver", parseSemVerAny, cmpSemVerAny}
	StrictSemVer Scheme = &scheme{"semver-strict", parseSemVerStrict, cmpSemVerAny}
	Go           Scheme = &scheme{"go", parseGo, cmpGo}
	NPM          Scheme = &scheme{"npm", parseNPM, cmpSemVerAny}
	Cargo        Scheme = &scheme{"cargo", parseSemVerAny, cmpSemVerAny}
	PEP440       Scheme = &scheme{"pep440", parsePEP440, cmpPEP440}
	Maven        Scheme = &scheme{"maven", parseMaven, cmpMaven}
	NuGet        Scheme = &scheme{"nuget", parseNuGet, cmpNuGet}
	RubyGems     Scheme = &scheme{"gem", parseGem, cmpGem}
	Composer     Scheme = &scheme{"composer", parseComposer, cmpComposer}
	Dpkg         Scheme = &scheme{"dpkg", parseDpkg, cmpDpkg}
	RPM          Scheme = &scheme{"rpm", parseRPM, cmpRPM}
	APK          Scheme = &scheme{"apk", parseAPK, cmpAPK}
)

// ecosystems maps OSV ecosystem names (before any ":release" suffix).
var ecosystems = map[string]Scheme{
	"Go":          Go,
	"npm":         NPM,
	"PyPI":        PEP440,
	"Maven":       Maven,
	"NuGet":       NuGet,
	"RubyGems":    RubyGems,
	"crates.io":   Cargo,
	"Packagist":   Composer,
	"Debian":      Dpkg,
	"Ubuntu":      Dpkg,
	"Alpine":      APK,
	"Wolfi":       APK,
	"Chainguard":  APK,
	"Red Hat":     RPM,
	"AlmaLinux":   RPM,
	"Rocky Linux": RPM,
}

// purlTypes maps package-URL types.
var purlTypes = map[string]Scheme{
	"golang":   Go,
	"npm":      NPM,
	"pypi":     PEP440,
	"maven":    Maven,
	"nuget":    NuGet,
	"gem":      RubyGems,
	"cargo":    Cargo,
	"composer": Composer,
	"deb":      Dpkg,
	"rpm":      RPM,
	"apk":      APK,
}

// ForEcosystem returns the scheme for an OSV ecosystem name ("Debian:12",
// "PyPI", "Red Hat:enterprise_linux:9") or a package-URL type ("deb", "pypi").
// Anything else gives *ErrUnsupported.
func ForEcosystem(ecosystem string) (Scheme, error) {
	name := ecosystem
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	if s, ok := ecosystems[name]; ok {
		return s, nil
	}
	if s, ok := purlTypes[name]; ok {
		return s, nil
	}
	return nil, &ErrUnsupported{Ecosystem: ecosystem}
}

// CompareStrings parses a and b with s and compares them.
func CompareStrings(s Scheme, a, b string) (int, error) {
	va, err := s.Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := s.Parse(b)
	if err != nil {
		return 0, err
	}
	return s.Compare(va, vb), nil
}

// CompareBound compares an installed version v with a range bound. It is
// s.Compare(v, bound), except that an RPM bound without a release matches on
// epoch and version only, as rpm compares dependency ranges
// ("1.2-3.el9" against bound "1.2" gives 0).
func CompareBound(s Scheme, v, bound Version) int {
	if s.Name() == "rpm" && v.scheme == "rpm" && bound.scheme == "rpm" {
		if b := bound.key.(rpmVersion); !b.hasRel {
			return sign(cmpRPMEV(v.key.(rpmVersion), b))
		}
	}
	return s.Compare(v, bound)
}

// Explain returns a proof line for a comparison, e.g.
// "dpkg: 3.0.11-1~deb12u1 < 3.0.11-1~deb12u2".
func Explain(s Scheme, a, b Version) string {
	op := "="
	switch s.Compare(a, b) {
	case -1:
		op = "<"
	case 1:
		op = ">"
	}
	return s.Name() + ": " + a.raw + " " + op + " " + b.raw
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// trimZeros drops leading zeros of a digit string ("" for zero).
func trimZeros(s string) string {
	return strings.TrimLeft(s, "0")
}

// cmpNum compares two digit strings of any length numerically.
func cmpNum(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
