package version

import (
	"cmp"
	"errors"
	"strings"
)

// parseComposer drops a leading "v"/"V" (as Composer normalizes) and then
// canonicalizes like PHP's version_compare: "-", "_" and "+" become ".",
// and a "." separates every digit/non-digit transition.
func parseComposer(s string) (any, error) {
	s = strings.TrimSpace(s)
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if s == "" {
		return nil, errors.New("empty")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '+' {
			c = '.'
		}
		if i > 0 && c != '.' {
			p := s[i-1]
			if p != '.' && p != '-' && p != '_' && p != '+' && isDigit(p) != isDigit(c) {
				b.WriteByte('.')
			}
		}
		b.WriteByte(c)
	}
	return strings.Split(b.String(), "."), nil
}

// composerSpecial ranks a non-numeric part; a number ranks as "#".
// Unknown words rank below "dev", as in PHP.
func composerSpecial(s string) int {
	for _, f := range []struct {
		name string
		rank int
	}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}} {
		if strings.HasPrefix(s, f.name) {
			return f.rank
		}
	}
	return -1
}

func cmpComposer(x, y any) int { return cmpComposerParts(x.([]string), y.([]string)) }

func cmpComposerParts(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		var c int
		switch {
		case an && bn:
			c = cmpNum(a[i], b[i])
		case !an && !bn:
			c = cmp.Compare(composerSpecial(a[i]), composerSpecial(b[i]))
		case an:
			c = cmp.Compare(composerSpecial("#"), composerSpecial(b[i]))
		default:
			c = cmp.Compare(composerSpecial(a[i]), composerSpecial("#"))
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(a) > len(b):
		if allDigits(a[len(b)]) {
			return 1
		}
		return cmpComposerParts(a[len(b):], []string{"#"})
	case len(a) < len(b):
		if allDigits(b[len(a)]) {
			return -1
		}
		return cmpComposerParts([]string{"#"}, b[len(a):])
	}
	return 0
}
