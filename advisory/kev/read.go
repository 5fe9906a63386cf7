package kev

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "kev/1"

// SourceID is the advisory source id (advisory.md §1).
const SourceID = "kev"

// CatalogID is the upstream id of the catalog: there is one.
const CatalogID = "known_exploited_vulnerabilities"

// maxDocument bounds the catalog (about 1.5 MiB in 2025).
const maxDocument = 64 << 20

// Catalog is the KEV catalog.
type Catalog struct {
	Version  string    // catalogVersion, e.g. "2024.06.03"
	Released time.Time // dateReleased, UTC; zero when absent
	Entries  []Entry   // sorted by CVE
}

// Entry is one known exploited vulnerability.
type Entry struct {
	CVE            string // cveID
	VendorProject  string
	Product        string
	Name           string // vulnerabilityName
	DateAdded      string // YYYY-MM-DD
	DueDate        string // YYYY-MM-DD, "" when absent
	Ransomware     bool   // knownRansomwareCampaignUse == "Known"
	RequiredAction string
}

type catalogJSON struct {
	CatalogVersion  string       `json:"catalogVersion"`
	DateReleased    string       `json:"dateReleased"`
	Vulnerabilities *[]entryJSON `json:"vulnerabilities"`
}

type entryJSON struct {
	CVEID                      string `json:"cveID"`
	VendorProject              string `json:"vendorProject"`
	Product                    string `json:"product"`
	VulnerabilityName          string `json:"vulnerabilityName"`
	DateAdded                  string `json:"dateAdded"`
	DueDate                    string `json:"dueDate"`
	KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	RequiredAction             string `json:"requiredAction"`
}

// Parse reads and validates the catalog.
func Parse(r io.Reader) (*Catalog, error) {
	c, _, err := parseNamed(r, "")
	return c, err
}

// Read wraps the catalog as one observation.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadFile reads the catalog from a file; errors name it.
func ReadFile(path string) ([]advisory.Observation, error) {
	return advisory.ReadFile(path, "kev", readNamed)
}

// FromObservation parses the catalog kept in an observation's raw content.
func FromObservation(o advisory.Observation) (*Catalog, error) {
	c, _, err := parseNamed(bytes.NewReader(o.Content.Raw), o.ID)
	return c, err
}

// Map returns the KEV flag of every CVE in the catalog.
func (c *Catalog) Map() map[string]advisory.KEV {
	m := make(map[string]advisory.KEV, len(c.Entries))
	for _, e := range c.Entries {
		m[e.CVE] = advisory.KEV{DateAdded: e.DateAdded, DueDate: e.DueDate, Ransomware: e.Ransomware}
	}
	return m
}

func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	c, raw, err := parseNamed(r, name)
	if err != nil {
		return nil, err
	}
	hash, err := advisory.ContentHash(raw)
	if err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: err.Error()}
	}
	return []advisory.Observation{{
		Source:      advisory.SourceRef{ID: SourceID, ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: CatalogID, DocumentVersion: c.Version, Modified: c.Released},
		ContentHash: hash,
		Content:     advisory.Content{Format: "cisa-kev", Raw: raw},
		Identifiers: advisory.NewIdentifiers(CatalogID, nil),
		Hints:       advisory.Hints{PURLs: []string{}, CPEs: []string{}},
		Advisory:    &advisory.Advisory{ID: CatalogID, Modified: c.Released, Source: SourceID},
	}}, nil
}

func parseNamed(r io.Reader, name string) (*Catalog, []byte, error) {
	bad := func(field, format string, args ...any) error {
		return &advisory.ValidationError{Feed: SourceID, File: name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, nil, bad("", "read: %v", err)
	}
	if len(raw) > maxDocument {
		return nil, nil, bad("", "document larger than %d bytes", maxDocument)
	}
	var doc catalogJSON
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, bad("", "not a KEV catalog {catalogVersion, vulnerabilities}: %v", err)
	}
	c := &Catalog{Version: strings.TrimSpace(doc.CatalogVersion)}
	if c.Version == "" {
		return nil, nil, bad("catalogVersion", "required field is missing or empty")
	}
	if doc.DateReleased != "" {
		t, err := time.Parse(time.RFC3339Nano, doc.DateReleased)
		if err != nil {
			return nil, nil, bad("dateReleased", "not an RFC 3339 timestamp: %q", doc.DateReleased)
		}
		c.Released = t.UTC()
	}
	if doc.Vulnerabilities == nil {
		return nil, nil, bad("vulnerabilities", "required field is missing")
	}
	seen := map[string]int{}
	for i, v := range *doc.Vulnerabilities {
		field := fmt.Sprintf("vulnerabilities[%d]", i)
		e := Entry{
			CVE: strings.TrimSpace(v.CVEID), VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
			DateAdded: v.DateAdded, DueDate: v.DueDate, RequiredAction: v.RequiredAction,
		}
		if !isCVE(e.CVE) {
			return nil, nil, bad(field+".cveID", "%q is not a CVE id", v.CVEID)
		}
		if j, dup := seen[e.CVE]; dup {
			return nil, nil, bad(field+".cveID", "%s listed again (first at vulnerabilities[%d])", e.CVE, j)
		}
		seen[e.CVE] = i
		if _, err := time.Parse(time.DateOnly, e.DateAdded); err != nil {
			return nil, nil, bad(field+".dateAdded", "required: a YYYY-MM-DD date (got %q)", v.DateAdded)
		}
		if e.DueDate != "" {
			if _, err := time.Parse(time.DateOnly, e.DueDate); err != nil {
				return nil, nil, bad(field+".dueDate", "not a YYYY-MM-DD date: %q", v.DueDate)
			}
		}
		switch v.KnownRansomwareCampaignUse {
		case "Known":
			e.Ransomware = true
		case "Unknown", "":
		default:
			return nil, nil, bad(field+".knownRansomwareCampaignUse", "%q is not Known or Unknown", v.KnownRansomwareCampaignUse)
		}
		c.Entries = append(c.Entries, e)
	}
	slices.SortFunc(c.Entries, func(a, b Entry) int { return strings.Compare(a.CVE, b.CVE) })
	return c, raw, nil
}

// isCVE reports whether s is CVE-YYYY-NNNN (four or more digits).
func isCVE(s string) bool {
	rest, ok := strings.CutPrefix(s, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' {
		return false
	}
	for i, c := range rest {
		if i != 4 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
