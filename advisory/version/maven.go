package version

import (
	"errors"
	"strings"
)

// Maven versions follow org.apache.maven.artifact.versioning.ComparableVersion:
// a tree of lists, numbers and qualifiers.

type mvnKind int

const (
	mvnInt mvnKind = iota
	mvnString
	mvnList
)

type mvnItem struct {
	kind mvnKind
	num  string // mvnInt: digits without leading zeros ("" is 0)
	str  string // mvnString: qualifier after aliases
	list []*mvnItem
}

var mvnQualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

const mvnReleaseIndex = "5"

// mvnComparable gives a qualifier's sort key: known qualifiers by rank,
// unknown ones after "sp", lexically.
func mvnComparable(q string) string {
	for i, k := range mvnQualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	return "7-" + q
}

func newMvnString(s string, followedByDigit bool) *mvnItem {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	switch s {
	case "ga", "final", "release":
		s = ""
	case "cr":
		s = "rc"
	}
	return &mvnItem{kind: mvnString, str: s}
}

func newMvnItem(isDigit bool, s string) *mvnItem {
	if isDigit {
		return &mvnItem{kind: mvnInt, num: trimZeros(s)}
	}
	return newMvnString(s, false)
}

func (it *mvnItem) isNull() bool {
	switch it.kind {
	case mvnInt:
		return it.num == ""
	case mvnString:
		return mvnComparable(it.str) == mvnReleaseIndex
	}
	return len(it.list) == 0
}

func (it *mvnItem) normalize() {
	for i := len(it.list) - 1; i >= 0; i-- {
		last := it.list[i]
		if last.isNull() {
			it.list = append(it.list[:i], it.list[i+1:]...)
		} else if last.kind != mvnList {
			break
		}
	}
}

func parseMaven(s string) (any, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil, errors.New("empty")
	}
	root := &mvnItem{kind: mvnList}
	list := root
	stack := []*mvnItem{root}
	push := func() {
		n := &mvnItem{kind: mvnList}
		list.list = append(list.list, n)
		list = n
		stack = append(stack, n)
	}
	isDig := false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if i == start {
				list.list = append(list.list, &mvnItem{kind: mvnInt})
			} else {
				list.list = append(list.list, newMvnItem(isDig, s[start:i]))
			}
			start = i + 1
		case c == '-':
			if i == start {
				list.list = append(list.list, &mvnItem{kind: mvnInt})
			} else if it := newMvnItem(isDig, s[start:i]); it.kind == mvnString && it.isNull() && len(list.list) == 0 && list != root {
				// a hyphen section holding only a null qualifier ("1-ga-1")
				// is trimmed away: "1-ga-1" == "1-1", as the POM reference's
				// version order specification says.
				start = i + 1
				continue
			} else {
				list.list = append(list.list, it)
			}
			start = i + 1
			push()
		case isDigit(c):
			if !isDig && i > start {
				list.list = append(list.list, newMvnString(s[start:i], true))
				start = i
				push()
			}
			isDig = true
		default:
			if isDig && i > start {
				list.list = append(list.list, newMvnItem(true, s[start:i]))
				start = i
				push()
			}
			isDig = false
		}
	}
	if len(s) > start {
		list.list = append(list.list, newMvnItem(isDig, s[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return root, nil
}

func cmpMaven(x, y any) int { return mvnCompare(x.(*mvnItem), y.(*mvnItem)) }

// mvnCompare compares a with b; b may be nil (padding).
func mvnCompare(a, b *mvnItem) int {
	switch a.kind {
	case mvnInt:
		if b == nil {
			if a.num == "" {
				return 0
			}
			return 1
		}
		if b.kind == mvnInt {
			return cmpNum(a.num, b.num)
		}
		return 1 // 1.1 > 1-sp, 1.1 > 1-1
	case mvnString:
		if b == nil {
			return strings.Compare(mvnComparable(a.str), mvnReleaseIndex)
		}
		if b.kind == mvnString {
			return strings.Compare(mvnComparable(a.str), mvnComparable(b.str))
		}
		return -1
	}
	if b == nil {
		if len(a.list) == 0 {
			return 0
		}
		return mvnCompare(a.list[0], nil)
	}
	switch b.kind {
	case mvnInt:
		return -1
	case mvnString:
		return 1
	}
	for i := 0; i < len(a.list) || i < len(b.list); i++ {
		var l, r *mvnItem
		if i < len(a.list) {
			l = a.list[i]
		}
		if i < len(b.list) {
			r = b.list[i]
		}
		var c int
		switch {
		case l == nil && r == nil:
		case l == nil:
			c = -mvnCompare(r, nil)
		default:
			c = mvnCompare(l, r)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
