package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/stella-ops/stella/internal/canon"
)

// maxDocument bounds how much of a VEX document is read (64 MiB).
const maxDocument = 64 << 20

// Document is a raw VEX document as read, with the statements it yields.
type Document struct {
	Format      Format      `json:"format"`
	ContentHash string      `json:"contentHash"` // sha256 of JCS of the parsed document
	Author      string      `json:"author"`      // author or publisher name as given
	Raw         []byte      `json:"-"`
	Statements  []Statement `json:"statements"`
	Warnings    []string    `json:"warnings,omitempty"` // entries skipped, and why
}

// Read detects the format of a VEX document (vex.md §1) and reads it.
// DSSE envelopes are not detected here: use ReadAttestation.
func Read(r io.Reader) (*Document, error) {
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Context         string            `json:"@context"`
		Document        *struct{}         `json:"document"`
		BOMFormat       string            `json:"bomFormat"`
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("vex: document is not JSON: %w", err)
	}
	switch {
	case strings.HasPrefix(probe.Context, openVEXNamespace):
		return readOpenVEX(raw)
	case probe.Document != nil:
		return readCSAF(raw)
	case probe.BOMFormat == "CycloneDX":
		return readCycloneDX(raw)
	}
	return nil, fmt.Errorf("vex: unrecognized document: not OpenVEX (@context), CSAF (document) or CycloneDX (bomFormat)")
}

func readAll(r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("vex: read: %w", err)
	}
	if len(raw) > maxDocument {
		return nil, fmt.Errorf("vex: document exceeds %d bytes", maxDocument)
	}
	return raw, nil
}

// newDocument hashes the raw JSON canonically so reformatting does not
// make a new document.
func newDocument(f Format, raw []byte) (*Document, error) {
	c, err := canon.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("vex: %s document: %w", f, err)
	}
	return &Document{Format: f, ContentHash: canon.SHA256(c), Raw: raw}, nil
}

// finish stamps document fields on every statement, computes digests and
// sorts statements by digest so output order never depends on input order.
func (d *Document) finish() error {
	for i := range d.Statements {
		s := &d.Statements[i]
		s.Format, s.DocumentDigest = d.Format, d.ContentHash
		if s.Issuer == "" {
			s.Issuer = UnknownIssuer(d.Author)
		}
		s.Timestamp = s.Timestamp.UTC()
		s.Aliases = sortedUnique(s.Aliases, s.Vulnerability)
		s.Product.Subcomponents = sortedUnique(s.Product.Subcomponents, "")
		s.EvidenceRefs = sortedUnique(s.EvidenceRefs, "")
		if _, err := s.ComputeDigest(); err != nil {
			return fmt.Errorf("vex: statement %s on %s: %w", s.Vulnerability, s.Product.Ref, err)
		}
	}
	slices.SortFunc(d.Statements, func(a, b Statement) int { return strings.Compare(a.Digest, b.Digest) })
	d.Statements = slices.CompactFunc(d.Statements, func(a, b Statement) bool { return a.Digest == b.Digest })
	return nil
}

func (d *Document) warnf(format string, args ...any) {
	d.Warnings = append(d.Warnings, fmt.Sprintf(format, args...))
}

// UnknownIssuer is the issuer id of an author not in the registry (vex.md §2).
func UnknownIssuer(author string) string {
	return "unknown:" + strings.TrimSpace(author)
}

// NormalizeVulnID trims id and upper-cases a CVE- or GHSA- prefix.
func NormalizeVulnID(id string) string {
	id = strings.TrimSpace(id)
	for _, p := range []string{"CVE-", "GHSA-"} {
		if len(id) > len(p) && strings.EqualFold(id[:len(p)], p) {
			return p + id[len(p):]
		}
	}
	return id
}

// NormalizeRef normalizes a product reference: purls are parsed and
// re-encoded (type lower-cased, qualifiers sorted, percent-encoding as the
// purl spec requires, so pkg:golang/golang.org%2Fx%2Fnet keeps its %2F);
// sha256 digests are lower-cased; anything else (CPE, IRI) is only trimmed.
func NormalizeRef(ref string) string {
	ref = strings.TrimSpace(ref)
	switch {
	case strings.HasPrefix(ref, "pkg:"):
		if p, err := packageurl.FromString(ref); err == nil {
			return p.ToString()
		}
	case len(ref) > 7 && strings.EqualFold(ref[:7], "sha256:"):
		return strings.ToLower(ref)
	}
	return ref
}

// sortedUnique drops empty values and drop, then sorts and deduplicates.
func sortedUnique(in []string, drop string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if v != "" && v != drop {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseTime reads an RFC 3339 timestamp; empty gives the zero time.
func parseTime(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	return t, nil
}

// decodeStrict decodes JSON, naming the format in the error.
func decodeJSON(f Format, raw []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(v); err != nil {
		return fmt.Errorf("vex: %s document: %w", f, err)
	}
	return nil
}
