package vex

import (
	"net/url"
	"strings"
)

// cpeName is the part of a CPE that vex.md §2.3 compares.
type cpeName struct {
	part, vendor, product string
}

// parseCPE reads a CPE 2.3 formatted string ("cpe:2.3:a:vendor:product:…")
// or a CPE 2.2 URI ("cpe:/a:vendor:product:…"), lower-cased.
func parseCPE(s string) (cpeName, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	var fields []string
	switch {
	case strings.HasPrefix(s, "cpe:2.3:"):
		fields = splitCPE23(s[len("cpe:2.3:"):])
	case strings.HasPrefix(s, "cpe:/"):
		u, err := url.PathUnescape(s[len("cpe:/"):])
		if err != nil {
			return cpeName{}, false
		}
		fields = strings.Split(u, ":")
	default:
		return cpeName{}, false
	}
	if len(fields) < 3 || fields[2] == "" {
		return cpeName{}, false
	}
	return cpeName{part: fields[0], vendor: fields[1], product: fields[2]}, true
}

// splitCPE23 splits on ":" not escaped by a backslash.
func splitCPE23(s string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case s[i] == ':':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(out, b.String())
}

func cpeAny(v string) bool { return v == "" || v == "*" || v == "-" }

// matchCPE matches a statement CPE against the CPE a finding was matched
// on: same product and vendor gives product-level coverage; a wildcard
// vendor in the statement is only a heuristic (vex.md §4.1).
func matchCPE(stmtRef, findingCPE string) (float64, bool) {
	s, ok := parseCPE(stmtRef)
	if !ok {
		return 0, false
	}
	f, ok := parseCPE(findingCPE)
	if !ok || cpeAny(s.product) || s.product != f.product {
		return 0, false
	}
	if !cpeAny(s.part) && s.part != f.part {
		return 0, false
	}
	switch {
	case s.vendor == f.vendor && !cpeAny(s.vendor):
		return coverageProduct, true
	case cpeAny(s.vendor):
		return coverageHeuristic, true
	}
	return 0, false
}
