package version

import (
	"cmp"
	"errors"
	"strings"
)

// semVersion is a SemVer 2.0 version. The numeric core may have fewer than
// three parts (missing parts are 0) or more (compared numerically in turn);
// numbers have no size limit. Build metadata is dropped.
type semVersion struct {
	core []string // digit strings
	pre  []string // prerelease identifiers; nil for a release
}

func parseSemVerAny(s string) (any, error) { return parseSemVer(s, false) }

// parseSemVerStrict reads SemVer 2.0.0 to the letter, with an optional
// leading "v": OSV SEMVER ranges promise it, so a "1.2" or "01.2.3" there
// is bad data to report, not a version to guess at.
func parseSemVerStrict(s string) (any, error) {
	if s != strings.TrimSpace(s) || strings.HasPrefix(s, "V") {
		return nil, errors.New("not a SemVer 2.0.0 version")
	}
	v, err := parseSemVer(s, false)
	if err != nil {
		return nil, err
	}
	if len(v.core) != 3 {
		return nil, errors.New("version core must be three numbers")
	}
	for _, p := range v.core {
		if len(p) > 1 && p[0] == '0' {
			return nil, errors.New("version core number with a leading zero")
		}
	}
	for _, p := range v.pre {
		if len(p) > 1 && p[0] == '0' && allDigits(p) {
			return nil, errors.New("numeric prerelease identifier with a leading zero")
		}
	}
	return v, nil
}

// parseNPM accepts npm's loose spellings: surrounding spaces, "=" and "v".
func parseNPM(s string) (any, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "=")
	s = strings.TrimSpace(s)
	return parseSemVer(s, false)
}

func parseSemVer(s string, foldCase bool) (semVersion, error) {
	s = strings.TrimSpace(s)
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if err := checkIdents(s[i+1:]); err != nil {
			return semVersion{}, errors.New("build metadata: " + err.Error())
		}
		s = s[:i]
	}
	var v semVersion
	core := s
	if i := strings.IndexByte(s, '-'); i >= 0 {
		core = s[:i]
		pre := s[i+1:]
		if err := checkIdents(pre); err != nil {
			return semVersion{}, errors.New("prerelease: " + err.Error())
		}
		if foldCase {
			pre = strings.ToLower(pre)
		}
		v.pre = strings.Split(pre, ".")
	}
	if core == "" {
		return semVersion{}, errors.New("no version number")
	}
	for p := range strings.SplitSeq(core, ".") {
		if !allDigits(p) {
			return semVersion{}, errors.New("version core must be dot-separated numbers")
		}
		v.core = append(v.core, p)
	}
	return v, nil
}

// checkIdents validates dot-separated [0-9A-Za-z-] identifiers.
func checkIdents(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return errors.New("empty identifier")
		}
		for i := 0; i < len(id); i++ {
			if !isAlnum(id[i]) && id[i] != '-' {
				return errors.New("invalid character")
			}
		}
	}
	return nil
}

func cmpCore(a, b []string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpNum(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// cmpPre orders prerelease identifier lists; nil (a release) is highest.
func cmpPre(a, b []string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		var c int
		switch {
		case an && bn:
			c = cmpNum(a[i], b[i])
		case an:
			c = -1
		case bn:
			c = 1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func cmpSemVerAny(x, y any) int {
	a, b := x.(semVersion), y.(semVersion)
	if c := cmpCore(a.core, b.core); c != 0 {
		return c
	}
	return cmpPre(a.pre, b.pre)
}
