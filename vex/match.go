package vex

import (
	"net/url"
	"strings"
)

// purl is a package URL reduced to the parts vex.md §2.3 compares.
type purl struct {
	typ        string
	path       string // namespace/name, percent-decoded
	version    string // percent-decoded; empty when the purl has none
	qualifiers map[string]string
}

// caseInsensitivePath reports whether a purl type's namespace and name
// are case-insensitive (purl spec, per-type rules).
func caseInsensitivePath(typ string) bool {
	switch typ {
	case "bitbucket", "composer", "deb", "github", "hex", "npm", "pypi":
		return true
	}
	return false
}

// parsePURL parses s. Each path segment is percent-decoded and the decoded
// segments are joined with "/", so "pkg:golang/golang.org%2Fx%2Fnet" and
// "pkg:golang/golang.org/x/net" have the same path.
func parsePURL(s string) (purl, bool) {
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return purl{}, false
	}
	rest = strings.TrimLeft(rest, "/")
	rest, _, _ = strings.Cut(rest, "#") // subpath names a file inside the package: not compared
	rest, rawQ, _ := strings.Cut(rest, "?")
	var p purl
	// The version "@" is the last one after the last "/", so npm scopes
	// such as "@angular" stay in the path.
	if i := strings.LastIndexByte(rest, '@'); i > strings.LastIndexByte(rest, '/') {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil {
			return purl{}, false
		}
		p.version, rest = v, rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" || path == "" {
		return purl{}, false
	}
	p.typ = strings.ToLower(typ)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range segs {
		d, err := url.PathUnescape(seg)
		if err != nil {
			return purl{}, false
		}
		segs[i] = d
	}
	p.path = strings.Join(segs, "/")
	if p.path == "" {
		return purl{}, false
	}
	if caseInsensitivePath(p.typ) {
		p.path = strings.ToLower(p.path)
	}
	if p.typ == "pypi" {
		p.path = strings.ReplaceAll(p.path, "_", "-")
	}
	if rawQ != "" {
		p.qualifiers = map[string]string{}
		for kv := range strings.SplitSeq(rawQ, "&") {
			k, v, _ := strings.Cut(kv, "=")
			dv, err := url.QueryUnescape(strings.ReplaceAll(v, "+", "%2B"))
			if err != nil {
				return purl{}, false
			}
			if k != "" && dv != "" {
				p.qualifiers[strings.ToLower(k)] = dv
			}
		}
	}
	return p, true
}

// decoded writes the purl without qualifiers, every segment decoded:
// "pkg:type/namespace/name@version".
func (p purl) decoded() string {
	s := "pkg:" + p.typ + "/" + p.path
	if p.version != "" {
		s += "@" + p.version
	}
	return s
}

// covers reports whether statement purl s applies to package purl p: same
// type and path, same version when s has one, and every qualifier of s
// present and equal on p (vex.md §2.3).
func (s purl) covers(p purl) bool {
	if s.typ != p.typ || s.path != p.path {
		return false
	}
	if s.version != "" && s.version != p.version {
		return false
	}
	for k, v := range s.qualifiers {
		if p.qualifiers[k] != v {
			return false
		}
	}
	return true
}

// coverage is C for a purl that matched: exact with a version, product
// level without (vex.md §4.1).
func (s purl) coverage() float64 {
	if s.version != "" {
		return coverageExact
	}
	return coverageProduct
}

// parseImageDigest extracts the "sha256:…" digest from a bare digest, an image
// reference "repo@sha256:…" or an OCI purl whose version is a digest.
func parseImageDigest(ref string) (string, bool) {
	if p, ok := parsePURL(ref); ok {
		if p.typ != "oci" {
			return "", false
		}
		ref = p.version
	}
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		ref = ref[i+1:]
	}
	ref = strings.ToLower(ref)
	hex, ok := strings.CutPrefix(ref, "sha256:")
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", false
	}
	return ref, true
}

// matchRef matches a statement reference (digest or purl) against a
// subject reference, returning the coverage C of the match.
func matchRef(stmtRef, subjectRef string) (float64, bool) {
	if subjectRef == "" || stmtRef == "" {
		return 0, false
	}
	if sd, ok := parseImageDigest(stmtRef); ok {
		if d, ok := parseImageDigest(subjectRef); ok && d == sd {
			return coverageExact, true
		}
		return 0, false
	}
	sp, ok := parsePURL(stmtRef)
	if !ok {
		return 0, false
	}
	p, ok := parsePURL(subjectRef)
	if !ok || !sp.covers(p) {
		return 0, false
	}
	return sp.coverage(), true
}

// identified reports whether ref names a product Stella can match: an
// image digest, a purl or a CPE. Producers such as govulncheck write placeholder
// products ("Unknown Product") and carry the identity in subcomponents.
func identified(ref string) bool {
	if _, ok := parseImageDigest(ref); ok {
		return true
	}
	if _, ok := parseCPE(ref); ok {
		return true
	}
	_, ok := parsePURL(ref)
	return ok
}

// Applies reports whether a product claim applies to the subject's package
// inside the subject's product (vex.md §2.3), and with which coverage C:
//  1. the claim's product is the subject's product (image digest or
//     product purl) and it has no subcomponents, or one covers the package;
//  2. the claim's product covers the package itself;
//  3. the claim's product is a CPE and the finding was CPE-matched on the
//     same vendor and product;
//  4. the claim's product is a placeholder and a subcomponent covers the
//     package.
func Applies(subj Subject, prod Product) (float64, bool) {
	if c, ok := matchRef(prod.Ref, subj.Product); ok {
		if len(prod.Subcomponents) == 0 {
			return c, true
		}
		return matchSubcomponents(prod.Subcomponents, subj.Package)
	}
	if c, ok := matchRef(prod.Ref, subj.Package); ok {
		return c, true
	}
	if c, ok := matchCPE(prod.Ref, subj.CPE); ok {
		return c, true
	}
	if !identified(prod.Ref) {
		return matchSubcomponents(prod.Subcomponents, subj.Package)
	}
	return 0, false
}

// matchSubcomponents returns the best coverage among subcomponents that
// cover pkg, so the result does not depend on their order.
func matchSubcomponents(subs []string, pkg string) (float64, bool) {
	best, found := 0.0, false
	for _, s := range subs {
		if c, ok := matchRef(s, pkg); ok && c > best {
			best, found = c, true
		}
	}
	return best, found
}

// matchesVuln reports whether the statement's vulnerability or one of its
// aliases is in the subject's alias group.
func matchesVuln(s Statement, group []string) bool {
	for _, g := range group {
		if strings.EqualFold(g, s.Vulnerability) {
			return true
		}
		for _, a := range s.Aliases {
			if strings.EqualFold(g, a) {
				return true
			}
		}
	}
	return false
}
