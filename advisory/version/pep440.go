package version

import (
	"cmp"
	"regexp"
	"strings"
)

// pep440Pattern is PEP 440 Appendix B's VERSION_PATTERN, anchored.
var pep440Pattern = regexp.MustCompile(`^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(?P<pre_l>alpha|beta|preview|pre|a|b|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
	`(?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?` +
	`(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?` +
	`\s*$`)

var pep440Group = func() map[string]int {
	m := map[string]int{}
	for i, n := range pep440Pattern.SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// pepVersion is a PEP 440 version, or (legacy != nil) a pre-PEP 440
// setuptools version, which sorts before every PEP 440 version as
// packaging's LegacyVersion did.
type pepVersion struct {
	legacy  []string
	epoch   string
	release []string // trailing zeros removed
	pre     string   // "a", "b", "rc" or "" for none
	preN    string
	post    bool
	postN   string
	dev     bool
	devN    string
	local   []string
}

func parsePEP440(s string) (any, error) {
	s = strings.ToLower(s)
	m := pep440Pattern.FindStringSubmatch(s)
	if m == nil {
		if strings.TrimSpace(s) == "" {
			return nil, errEmpty
		}
		return pepVersion{legacy: legacyParts(strings.TrimSpace(s))}, nil
	}
	g := func(n string) string { return m[pep440Group[n]] }
	v := pepVersion{epoch: g("epoch")}
	v.release = strings.Split(g("release"), ".")
	for len(v.release) > 0 && trimZeros(v.release[len(v.release)-1]) == "" {
		v.release = v.release[:len(v.release)-1]
	}
	if l := g("pre_l"); l != "" {
		switch l {
		case "alpha", "a":
			v.pre = "a"
		case "beta", "b":
			v.pre = "b"
		default: // c, rc, pre, preview
			v.pre = "rc"
		}
		v.preN = g("pre_n")
	}
	if n := g("post_n1"); n != "" {
		v.post, v.postN = true, n
	} else if g("post_l") != "" {
		v.post, v.postN = true, g("post_n2")
	}
	if g("dev_l") != "" {
		v.dev, v.devN = true, g("dev_n")
	}
	if l := g("local"); l != "" {
		v.local = strings.FieldsFunc(l, func(r rune) bool { return r == '.' || r == '-' || r == '_' })
	}
	return v, nil
}

func cmpPEP440(x, y any) int {
	a, b := x.(pepVersion), y.(pepVersion)
	switch {
	case a.legacy != nil && b.legacy != nil:
		return cmpStrings(a.legacy, b.legacy)
	case a.legacy != nil:
		return -1
	case b.legacy != nil:
		return 1
	}
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := cmpCore(a.release, b.release); c != 0 {
		return c
	}
	if c := cmp.Compare(a.preRank(), b.preRank()); c != 0 {
		return c
	}
	if a.pre != "" && b.pre != "" {
		if c := cmpNum(a.preN, b.preN); c != 0 {
			return c
		}
	}
	if c := cmpBool(a.post, b.post); c != 0 {
		return c
	}
	if c := cmpNum(a.postN, b.postN); a.post && c != 0 {
		return c
	}
	if c := cmpBool(!a.dev, !b.dev); c != 0 {
		return c
	}
	if c := cmpNum(a.devN, b.devN); a.dev && c != 0 {
		return c
	}
	return cmpLocal(a.local, b.local)
}

// preRank: a dev release without pre or post sorts before any prerelease
// (1.0.dev0 < 1.0a0); no prerelease sorts after all of them.
func (v pepVersion) preRank() int {
	switch {
	case v.pre == "" && !v.post && v.dev:
		return 0
	case v.pre == "a":
		return 1
	case v.pre == "b":
		return 2
	case v.pre == "rc":
		return 3
	}
	return 4
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// cmpLocal: numeric segments are numbers and newer than strings; a longer
// label that extends a shorter one is newer; no label is oldest.
func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		var c int
		switch {
		case an && bn:
			c = cmpNum(a[i], b[i])
		case an:
			c = 1
		case bn:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func cmpStrings(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// legacyParts is setuptools' parse_version key for a non-PEP 440 version
// (packaging's _legacy_cmpkey), given lower-case text.
func legacyParts(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		j := i + 1
		switch c := s[i]; {
		case isDigit(c):
			for j < len(s) && isDigit(s[j]) {
				j++
			}
		case c >= 'a' && c <= 'z':
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
		case c == '.' || c == '-':
		default:
			for j < len(s) && !isDigit(s[j]) && !(s[j] >= 'a' && s[j] <= 'z') && s[j] != '.' && s[j] != '-' {
				j++
			}
		}
		toks = append(toks, s[i:j])
		i = j
	}
	toks = append(toks, "")
	parts := []string{}
	for k, p := range toks {
		last := k == len(toks)-1
		if last {
			p = "*final"
		} else {
			switch p {
			case "pre", "preview", "rc":
				p = "c"
			case "-":
				p = "final-"
			case "dev":
				p = "@"
			}
			if p == "" || p == "." {
				continue
			}
			if isDigit(p[0]) {
				if len(p) < 8 {
					p = strings.Repeat("0", 8-len(p)) + p
				}
			} else {
				p = "*" + p
			}
		}
		if p[0] == '*' {
			if p < "*final" {
				for len(parts) > 0 && parts[len(parts)-1] == "*final-" {
					parts = parts[:len(parts)-1]
				}
			}
			for len(parts) > 0 && parts[len(parts)-1] == "00000000" {
				parts = parts[:len(parts)-1]
			}
		}
		parts = append(parts, p)
	}
	return parts
}
