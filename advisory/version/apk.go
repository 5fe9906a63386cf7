package version

import (
	"cmp"
	"errors"
	"strings"
)

// apkVersion is number{.number}[letter]{_suffix[number]}[~hash][-rN],
// plus whatever text is left when a version does not fit that shape.
type apkVersion struct {
	raw      string
	nums     []string
	letter   byte
	suffixes []apkSuffix
	rev      string
	rest     string
	invalid  bool
}

type apkSuffix struct {
	rank int
	num  string
}

// apkSuffixRank: _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p.
var apkSuffixes = []string{"alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"}

const apkNoSuffix = 4

func digitsAt(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j
}

func parseAPK(s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	v := apkVersion{raw: s}
	i := 0
	if j := digitsAt(s, 0); j > 0 {
		v.nums = append(v.nums, s[:j])
		i = j
		for i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			j = digitsAt(s, i+1)
			v.nums = append(v.nums, s[i+1:j])
			i = j
		}
	}
	if i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		v.letter = s[i]
		i++
	}
suffixes:
	for i < len(s) && s[i] == '_' {
		for k, name := range apkSuffixes {
			if name != "" && strings.HasPrefix(s[i+1:], name) {
				j := digitsAt(s, i+1+len(name))
				if name == "p" && j == i+2 && j < len(s) && isAlpha(s[j]) {
					continue // "_pre"-like words are matched above; "_px" is not "_p"
				}
				v.suffixes = append(v.suffixes, apkSuffix{rank: k, num: s[i+1+len(name) : j]})
				i = j
				continue suffixes
			}
		}
		break
	}
	if i < len(s) && s[i] == '~' {
		j := i + 1
		for j < len(s) && (isDigit(s[j]) || s[j] >= 'a' && s[j] <= 'f') {
			j++
		}
		if j > i+1 {
			i = j // commit hashes are not ordered
		}
	}
	if i < len(s) {
		if strings.HasPrefix(s[i:], "-r") {
			j := digitsAt(s, i+2)
			v.rev = s[i+2 : j]
			i = j
		} else {
			v.invalid = true
		}
	}
	v.rest = s[i:]
	return v, nil
}

func cmpAPK(x, y any) int {
	a, b := x.(apkVersion), y.(apkVersion)
	if a.invalid && b.invalid {
		return strings.Compare(a.raw, b.raw)
	}
	for i := 0; i < len(a.nums) || i < len(b.nums); i++ {
		l, r := "0", "0"
		if i < len(a.nums) {
			l = a.nums[i]
		}
		if i < len(b.nums) {
			r = b.nums[i]
		}
		var c int
		// after the first part, a leading zero makes a fraction: compare as text
		if i > 0 && i < len(a.nums) && i < len(b.nums) && (l[0] == '0' || r[0] == '0') {
			c = strings.Compare(l, r)
		} else {
			c = cmpNum(l, r)
		}
		if c != 0 {
			return c
		}
	}
	if c := cmp.Compare(int(a.letter), int(b.letter)); c != 0 {
		return c
	}
	for i := 0; i < len(a.suffixes) || i < len(b.suffixes); i++ {
		l, r := apkSuffix{rank: apkNoSuffix}, apkSuffix{rank: apkNoSuffix}
		if i < len(a.suffixes) {
			l = a.suffixes[i]
		}
		if i < len(b.suffixes) {
			r = b.suffixes[i]
		}
		if c := cmp.Compare(l.rank, r.rank); c != 0 {
			return c
		}
		if c := cmpNum(l.num, r.num); c != 0 {
			return c
		}
	}
	if c := cmpNum(a.rev, b.rev); c != 0 {
		return c
	}
	switch {
	case a.rest == "" && b.rest != "":
		return 1
	case a.rest != "" && b.rest == "":
		return -1
	}
	return 0
}
