package nvd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stella-ops/stella/advisory"
)

// CPE is a parsed CPE 2.3 formatted string; fields keep their escaping.
type CPE struct {
	Part, Vendor, Product, Version, Update string
}

// ParseCPE parses "cpe:2.3:part:vendor:product:version:update:…" (13
// colon-separated fields; "\:" is an escaped colon inside a field).
func ParseCPE(s string) (CPE, error) {
	var fields []string
	start, escaped := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case escaped:
			escaped = false
		case s[i] == '\\':
			escaped = true
		case s[i] == ':':
			fields = append(fields, s[start:i])
			start = i + 1
		}
	}
	fields = append(fields, s[start:])
	if len(fields) != 13 || fields[0] != "cpe" || fields[1] != "2.3" {
		return CPE{}, fmt.Errorf("%q is not a CPE 2.3 formatted string (cpe:2.3: and 11 fields)", s)
	}
	if !strings.Contains("aoh*", fields[2]) || len(fields[2]) != 1 {
		return CPE{}, fmt.Errorf("%q: part %q is not a, o, h or *", s, fields[2])
	}
	for i, f := range fields[2:] {
		if f == "" {
			return CPE{}, fmt.Errorf("%q: field %d is empty", s, i+3)
		}
	}
	return CPE{Part: fields[2], Vendor: fields[3], Product: fields[4], Version: fields[5], Update: fields[6]}, nil
}

// Match is one vulnerable CPE match exactly as NVD gives it, with its
// bounds (the ranges in the advisory lose versionStartExcluding's
// exclusivity).
type Match struct {
	Criteria              string
	CPE                   CPE
	VersionStartIncluding string
	VersionStartExcluding string
	VersionEndIncluding   string
	VersionEndExcluding   string
}

// Matches returns the vulnerable CPE matches of an observation this package
// produced, from its raw content, in document order.
func Matches(o advisory.Observation) ([]Match, error) {
	obs, err := Read(bytes.NewReader(o.Content.Raw))
	if err != nil {
		return nil, err
	}
	if len(obs) != 1 {
		return nil, fmt.Errorf("nvd: observation content holds %d CVEs, want 1", len(obs))
	}
	var it struct {
		CVE cveJSON `json:"cve"`
	}
	if err := json.Unmarshal(o.Content.Raw, &it); err != nil {
		return nil, err
	}
	var out []Match
	for _, cfg := range it.CVE.Configurations {
		for _, n := range cfg.Nodes {
			for _, m := range n.CPEMatch {
				if m.Vulnerable == nil || !*m.Vulnerable {
					continue
				}
				cpe, _ := ParseCPE(m.Criteria) // validated by Read
				out = append(out, Match{
					Criteria: m.Criteria, CPE: cpe,
					VersionStartIncluding: m.VersionStartIncluding, VersionStartExcluding: m.VersionStartExcluding,
					VersionEndIncluding: m.VersionEndIncluding, VersionEndExcluding: m.VersionEndExcluding,
				})
			}
		}
	}
	return out, nil
}
