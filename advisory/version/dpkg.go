package version

import (
	"errors"
	"strings"
)

// dpkgVersion is [epoch:]upstream[-revision].
type dpkgVersion struct {
	epoch    string
	upstream string
	revision string
}

func parseDpkg(s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	var v dpkgVersion
	if i := strings.IndexByte(s, ':'); i >= 0 {
		if !allDigits(s[:i]) {
			return nil, errors.New("epoch is not a number")
		}
		v.epoch, s = s[:i], s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.upstream, v.revision = s[:i], s[i+1:]
		if v.revision == "" {
			return nil, errors.New("empty revision")
		}
	} else {
		v.upstream = s
	}
	if v.upstream == "" {
		return nil, errors.New("empty upstream version")
	}
	for _, c := range []byte(v.upstream + v.revision) {
		if c <= ' ' || c >= 0x7f {
			return nil, errors.New("invalid character")
		}
	}
	return v, nil
}

func cmpDpkg(x, y any) int {
	a, b := x.(dpkgVersion), y.(dpkgVersion)
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(a.upstream, b.upstream); c != 0 {
		return c
	}
	return verrevcmp(a.revision, b.revision)
}

// dpkgOrder is the weight of a non-digit character: '~' before the end of
// the string, the end before letters, letters before everything else.
func dpkgOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's lib/dpkg/version.c algorithm.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := dpkgOrder(a, i), dpkgOrder(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return first
		}
	}
	return 0
}
