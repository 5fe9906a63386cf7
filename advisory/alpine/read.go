package alpine

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/advisory"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "alpine/1"

// SourceID is the advisory source id (advisory.md §1).
const SourceID = "alpine"

// maxDocument bounds one secdb file (main.json is about 1 MiB).
const maxDocument = 256 << 20

// notAffected is the secfixes version meaning "never affected".
const notAffected = "0"

type packageJSON struct {
	Pkg *struct {
		Name     string                     `json:"name"`
		Secfixes map[string]json.RawMessage `json:"secfixes"`
	} `json:"pkg"`
}

// Read parses one secdb document into one observation per package, sorted
// by package name.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadFile reads one secdb file; errors name it.
func ReadFile(path string) ([]advisory.Observation, error) {
	return advisory.ReadFile(path, "alpine", readNamed)
}

func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("read: %v", err)}
	}
	if len(raw) > maxDocument {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("document larger than %d bytes", maxDocument)}
	}
	doc, branch, pkgs, verr := parse(raw)
	if verr != nil {
		verr.File = name
		return nil, verr
	}
	out := make([]advisory.Observation, 0, len(pkgs))
	seen := map[string]int{}
	for i, p := range pkgs {
		o, verr := observe(doc, branch, p, fmt.Sprintf("packages[%d]", i))
		if verr != nil {
			verr.File = name
			return nil, verr
		}
		if j, dup := seen[o.Upstream.ID]; dup {
			return nil, &advisory.ValidationError{Feed: SourceID, File: name, ID: o.Upstream.ID, Field: fmt.Sprintf("packages[%d]", i), Msg: fmt.Sprintf("package listed again (first at packages[%d])", j)}
		}
		seen[o.Upstream.ID] = i
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b advisory.Observation) int { return strings.Compare(a.Upstream.ID, b.Upstream.ID) })
	return out, nil
}

// parse checks the document's shape and returns its top-level fields, the
// branch and the raw package entries.
func parse(raw []byte) (map[string]json.RawMessage, string, []json.RawMessage, *advisory.ValidationError) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, "", nil, &advisory.ValidationError{Feed: SourceID, Msg: fmt.Sprintf("not a secdb document {distroversion, packages}: %v", err)}
	}
	var branch string
	if err := json.Unmarshal(doc["distroversion"], &branch); err != nil || strings.TrimSpace(branch) == "" || strings.ContainsAny(branch, " \t\r\n/") {
		return nil, "", nil, &advisory.ValidationError{Feed: SourceID, Field: "distroversion", Msg: fmt.Sprintf("required: a branch such as \"v3.19\" (got %s)", orMissing(doc["distroversion"]))}
	}
	var pkgs []json.RawMessage
	if err := json.Unmarshal(doc["packages"], &pkgs); err != nil || doc["packages"] == nil {
		return nil, "", nil, &advisory.ValidationError{Feed: SourceID, Field: "packages", Msg: fmt.Sprintf("required: an array (got %s)", orMissing(doc["packages"]))}
	}
	return doc, branch, pkgs, nil
}

func orMissing(raw json.RawMessage) string {
	if raw == nil {
		return "nothing"
	}
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

func observe(doc map[string]json.RawMessage, branch string, pkgRaw json.RawMessage, field string) (advisory.Observation, *advisory.ValidationError) {
	fixes, name, verr := secfixes(pkgRaw, branch, field)
	if verr != nil {
		return advisory.Observation{}, verr
	}
	upstream := branch + "/" + name
	bad := func(format string, args ...any) *advisory.ValidationError {
		return &advisory.ValidationError{Feed: SourceID, ID: upstream, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	// The raw content is the secdb document holding just this package.
	one := make(map[string]json.RawMessage, len(doc))
	for k, v := range doc {
		one[k] = v
	}
	pkgs, err := json.Marshal([]json.RawMessage{pkgRaw})
	if err != nil {
		return advisory.Observation{}, bad("%v", err)
	}
	one["packages"] = pkgs
	raw, err := json.Marshal(one)
	if err != nil {
		return advisory.Observation{}, bad("%v", err)
	}
	hash, err := advisory.ContentHash(raw)
	if err != nil {
		return advisory.Observation{}, bad("%v", err)
	}
	var ids []string
	for _, f := range fixes {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return advisory.Observation{
		Source:      advisory.SourceRef{ID: SourceID, ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: upstream},
		ContentHash: hash,
		Content:     advisory.Content{Format: "alpine-secdb", Raw: raw},
		Identifiers: advisory.NewIdentifiers(upstream, nil),
		Hints:       advisory.Hints{PURLs: []string{"pkg:apk/alpine/" + name}, CPEs: []string{}},
		Advisory:    &advisory.Advisory{ID: upstream, Related: slices.Compact(ids), Source: SourceID},
	}, nil
}

// Fix is one (id, fixed version) pair of a package's secfixes; Version "0"
// means the package was never affected.
type Fix struct {
	ID      string
	Version string
}

// secfixes validates one package entry and returns its fixes sorted by id
// then version.
func secfixes(pkgRaw json.RawMessage, branch, field string) ([]Fix, string, *advisory.ValidationError) {
	var p packageJSON
	if err := json.Unmarshal(pkgRaw, &p); err != nil {
		return nil, "", &advisory.ValidationError{Feed: SourceID, Field: field, Msg: fmt.Sprintf("not a package entry {pkg: {name, secfixes}}: %v", err)}
	}
	if p.Pkg == nil || strings.TrimSpace(p.Pkg.Name) == "" {
		return nil, "", &advisory.ValidationError{Feed: SourceID, Field: field + ".pkg.name", Msg: "required field is missing or empty"}
	}
	name := strings.TrimSpace(p.Pkg.Name)
	upstream := branch + "/" + name
	var fixes []Fix
	versions := make([]string, 0, len(p.Pkg.Secfixes))
	for v := range p.Pkg.Secfixes {
		versions = append(versions, v)
	}
	slices.Sort(versions) // report the first bad entry deterministically
	for _, ver := range versions {
		list := p.Pkg.Secfixes[ver]
		f := field + ".pkg.secfixes[" + fmt.Sprintf("%q", ver) + "]"
		ver = strings.TrimSpace(ver)
		if ver == "" || strings.ContainsAny(ver, " \t\r\n") {
			return nil, "", &advisory.ValidationError{Feed: SourceID, ID: upstream, Field: f, Msg: "not a package version"}
		}
		var entries []string
		if err := json.Unmarshal(list, &entries); err != nil {
			return nil, "", &advisory.ValidationError{Feed: SourceID, ID: upstream, Field: f, Msg: fmt.Sprintf("not an array of strings: %v", err)}
		}
		for _, e := range entries {
			for _, tok := range strings.Fields(e) {
				if looksLikeID(tok) {
					fixes = append(fixes, Fix{ID: tok, Version: ver})
				}
			}
		}
	}
	slices.SortFunc(fixes, func(a, b Fix) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return slices.Compact(fixes), name, nil
}

// looksLikeID accepts tokens such as CVE-2024-1234, GHSA-xxxx-xxxx-xxxx,
// XSA-123 or ALPINE-12345: an upper-case prefix, a dash, and a rest made of
// letters, digits, ".", "_", ":" and "-" holding at least one digit.
func looksLikeID(tok string) bool {
	prefix, rest, ok := strings.Cut(tok, "-")
	if !ok || prefix == "" || rest == "" || prefix[0] < 'A' || prefix[0] > 'Z' {
		return false
	}
	for _, c := range prefix {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	digit := false
	for _, c := range rest {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return digit
}

// Fixes returns the (id, fixed version) pairs of an observation this
// package produced, from its raw content.
func Fixes(o advisory.Observation) ([]Fix, error) {
	_, branch, pkgs, verr := parse(o.Content.Raw)
	if verr != nil {
		return nil, verr
	}
	if len(pkgs) != 1 {
		return nil, &advisory.ValidationError{Feed: SourceID, ID: o.Upstream.ID, Field: "packages", Msg: fmt.Sprintf("observation content holds %d packages, want 1", len(pkgs))}
	}
	fixes, _, verr := secfixes(pkgs[0], branch, "packages[0]")
	if verr != nil {
		return nil, verr
	}
	return fixes, nil
}

// Advisories derives one OSV-shaped advisory per vulnerability id from an
// observation this package produced, sorted by id. An id fixed in several
// versions gets one range per version (their union: fail closed); an id
// listed only under "0" gets an advisory with no affected entries.
func Advisories(o advisory.Observation) ([]advisory.Advisory, error) {
	_, branch, pkgs, verr := parse(o.Content.Raw)
	if verr != nil {
		return nil, verr
	}
	if len(pkgs) != 1 {
		return nil, &advisory.ValidationError{Feed: SourceID, ID: o.Upstream.ID, Field: "packages", Msg: fmt.Sprintf("observation content holds %d packages, want 1", len(pkgs))}
	}
	fixes, name, verr := secfixes(pkgs[0], branch, "packages[0]")
	if verr != nil {
		return nil, verr
	}
	pkg := advisory.Package{Ecosystem: "Alpine:" + branch, Name: name}
	var out []advisory.Advisory
	for _, f := range fixes {
		if len(out) == 0 || out[len(out)-1].ID != f.ID {
			out = append(out, advisory.Advisory{ID: f.ID, Source: SourceID})
		}
		if f.Version == notAffected {
			continue
		}
		a := &out[len(out)-1]
		if len(a.Affected) == 0 {
			a.Affected = []advisory.Affected{{Package: pkg}}
		}
		a.Affected[0].Ranges = append(a.Affected[0].Ranges, advisory.Range{
			Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "0"}, {Fixed: f.Version}},
		})
	}
	return out, nil
}
