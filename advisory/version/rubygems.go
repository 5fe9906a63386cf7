package version

import (
	"errors"
	"strings"
)

// gemSegment is a number or a string segment of a Gem::Version.
type gemSegment struct {
	num   string
	str   string
	isStr bool
}

// parseGem follows Gem::Version: "-" means ".pre.", segments are digit or
// letter runs, a letter segment makes a prerelease, and trailing zeros of the
// numeric and of the string part are insignificant (canonical_segments).
func parseGem(s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '.' && s[i] != '-' {
			return nil, errors.New("invalid character")
		}
	}
	s = strings.ReplaceAll(s, "-", ".pre.")
	var segs []gemSegment
	for i := 0; i < len(s); {
		j := i + 1
		switch {
		case isDigit(s[i]):
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			segs = append(segs, gemSegment{num: trimZeros(s[i:j])})
		case isAlpha(s[i]):
			for j < len(s) && isAlpha(s[j]) {
				j++
			}
			segs = append(segs, gemSegment{str: s[i:j], isStr: true})
		}
		i = j
	}
	if len(segs) == 0 {
		return nil, errors.New("no segments")
	}
	split := len(segs)
	for i, g := range segs {
		if g.isStr {
			split = i
			break
		}
	}
	num, rest := trimGemZeros(segs[:split]), trimGemZeros(segs[split:])
	return append(append([]gemSegment{}, num...), rest...), nil
}

func trimGemZeros(s []gemSegment) []gemSegment {
	for len(s) > 0 && !s[len(s)-1].isStr && s[len(s)-1].num == "" {
		s = s[:len(s)-1]
	}
	return s
}

func cmpGem(x, y any) int {
	a, b := x.([]gemSegment), y.([]gemSegment)
	zero := gemSegment{}
	for i := 0; i < len(a) || i < len(b); i++ {
		l, r := zero, zero
		if i < len(a) {
			l = a[i]
		}
		if i < len(b) {
			r = b[i]
		}
		switch {
		case l.isStr && r.isStr:
			if c := strings.Compare(l.str, r.str); c != 0 {
				return c
			}
		case l.isStr:
			return -1
		case r.isStr:
			return 1
		default:
			if c := cmpNum(l.num, r.num); c != 0 {
				return c
			}
		}
	}
	return 0
}
