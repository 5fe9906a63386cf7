package version

import (
	"errors"
	"strings"
)

// rpmVersion is [epoch:]version[-release].
type rpmVersion struct {
	epoch   string
	version string
	release string
	hasRel  bool
}

func parseRPM(s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	var v rpmVersion
	// As rpm's parseEVR: only digits before the first ':' make an epoch;
	// otherwise the colon is part of the version.
	if i := strings.IndexByte(s, ':'); i >= 0 && (i == 0 || allDigits(s[:i])) {
		v.epoch, s = s[:i], s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.version, v.release, v.hasRel = s[:i], s[i+1:], true
	} else {
		v.version = s
	}
	if v.version == "" {
		return nil, errors.New("empty version")
	}
	return v, nil
}

// cmpRPM compares epoch (default 0), version, then release; as a total
// order, no release sorts before any release ("1" < "1-0" < "1-1").
// CompareBound gives the matching rule that ignores the release of a bound
// that has none.
func cmpRPM(x, y any) int {
	a, b := x.(rpmVersion), y.(rpmVersion)
	if c := cmpRPMEV(a, b); c != 0 {
		return c
	}
	if c := cmpBool(a.hasRel, b.hasRel); c != 0 {
		return c
	}
	return rpmvercmp(a.release, b.release)
}

func cmpRPMEV(a, b rpmVersion) int {
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	return rpmvercmp(a.version, b.version)
}

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// rpmvercmp is rpm's rpmio/rpmvercmp.c, with '~' and '^'.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		at, bt := i < len(a), j < len(b)
		if (at && a[i] == '~') || (bt && b[j] == '~') {
			if !at || a[i] != '~' {
				return 1
			}
			if !bt || b[j] != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if (at && a[i] == '^') || (bt && b[j] == '^') {
			if !at {
				return -1
			}
			if !bt {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if !at || !bt {
			break
		}
		si, sj := i, j
		isNum := isDigit(a[i])
		if isNum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if sj == j {
			if isNum {
				return 1
			}
			return -1
		}
		var c int
		if isNum {
			c = cmpNum(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}
