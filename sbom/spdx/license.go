package spdx

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/stella-ops/stella/sbom"
)

// declaredLicense joins a component's licenses with AND into one SPDX
// expression. Free-text names become LicenseRef-… ids, returned as
// OtherLicense entries. No licenses gives NOASSERTION.
func declaredLicense(ls []sbom.License) (string, []*v2_3.OtherLicense) {
	var terms []string
	var others []*v2_3.OtherLicense
	for _, l := range ls {
		switch {
		case l.ID != "" && isIDString(l.ID):
			terms = append(terms, l.ID)
		case l.Expression != "":
			terms = append(terms, l.Expression)
		default:
			name := l.Name
			if name == "" {
				name = l.ID
			}
			if name == "" {
				continue
			}
			ref := licenseRef(name)
			terms = append(terms, ref)
			others = append(others, &v2_3.OtherLicense{LicenseIdentifier: ref, ExtractedText: name, LicenseName: name})
		}
	}
	switch len(terms) {
	case 0:
		return noAssertion, others
	case 1:
		return terms[0], others
	}
	for i, t := range terms {
		if strings.Contains(t, " ") {
			terms[i] = "(" + t + ")"
		}
	}
	return strings.Join(terms, " AND "), others
}

// licenseRef names a free-text license: its sanitized text plus 8 hex of its
// sha256, so that different texts never share an id.
func licenseRef(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	sum := sha256.Sum256([]byte(name))
	return "LicenseRef-" + strings.Trim(b.String(), "-") + "-" + hex.EncodeToString(sum[:4])
}

// isIDString reports whether s is a single SPDX license id (idstring).
func isIDString(s string) bool {
	for _, r := range s {
		if !(r == '-' || r == '.' || r == '+' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

// licensesFrom reads a license field back. A plain AND of ids splits into
// one license each (the form declaredLicense writes); anything richer stays
// one expression. names maps LicenseRef ids to their extracted names.
func licensesFrom(expr string, names map[string]string) []sbom.License {
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == noAssertion || expr == "NONE" {
		return nil
	}
	terms := strings.Split(expr, " AND ")
	for _, t := range terms {
		if !isIDString(t) {
			return []sbom.License{{Expression: expr}}
		}
	}
	out := make([]sbom.License, 0, len(terms))
	for _, t := range terms {
		if name, ok := names[t]; ok {
			out = append(out, sbom.License{Name: name})
		} else {
			out = append(out, sbom.License{ID: t})
		}
	}
	return out
}
