package sbom

import (
	"strconv"
	"strings"
	"unicode"
)

// CompareVersions orders two version strings by their segments: runs of
// digits compare as numbers, other runs as text, and a missing segment sorts
// first ("2.17" < "2.17.0" < "2.17.1"). It suits the dotted versions of most
// ecosystems for a package search; exact per-ecosystem ordering (dpkg epochs,
// Maven qualifiers, PEP 440) belongs to the advisory matcher.
func CompareVersions(a, b string) int {
	as, bs := versionSegments(a), versionSegments(b)
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareSegment(as[i], bs[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}

func versionSegments(v string) []string {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	var out []string
	start := -1
	digit := false
	for i, r := range v {
		isDigit := unicode.IsDigit(r)
		sep := !isDigit && !unicode.IsLetter(r)
		switch {
		case sep:
			if start >= 0 {
				out = append(out, v[start:i])
			}
			start = -1
		case start < 0:
			start, digit = i, isDigit
		case isDigit != digit:
			out = append(out, v[start:i])
			start, digit = i, isDigit
		}
	}
	if start >= 0 {
		out = append(out, v[start:])
	}
	return out
}

func compareSegment(a, b string) int {
	an, aerr := strconv.ParseUint(a, 10, 64)
	bn, berr := strconv.ParseUint(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aerr == nil:
		return 1 // a number sorts after a qualifier: 2.0.0 > 2.0.0-rc1's "rc"
	case berr == nil:
		return -1
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}
