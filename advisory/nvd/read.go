package nvd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "nvd/1"

// SourceID is the advisory source id (advisory.md §1).
const SourceID = "nvd"

// Ecosystem is the package ecosystem of affected entries built from CPE
// matches. It names no version scheme: such entries are CPE join data.
const Ecosystem = "CPE"

// maxDocument bounds one response page or feed file (2,000 CVEs per page
// are well under 100 MiB; yearly feed files are larger but below this).
const maxDocument = 1 << 30

// Read parses an API 2.0 response or feed file ({"vulnerabilities":
// [{"cve": …}]}) or a single item ({"cve": …}, the raw content of an
// observation) into one observation per CVE, in input order.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadFile reads one file; errors name it.
func ReadFile(path string) ([]advisory.Observation, error) {
	return advisory.ReadFile(path, "nvd", readNamed)
}

func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("read: %v", err)}
	}
	if len(raw) > maxDocument {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("document larger than %d bytes", maxDocument)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Msg: fmt.Sprintf("invalid JSON object: %v", err)}
	}
	if _, ok := top["cve"]; ok {
		o, err := observe(bytes.TrimSpace(raw), name, "")
		if err != nil {
			return nil, err
		}
		return []advisory.Observation{o}, nil
	}
	vulns, ok := top["vulnerabilities"]
	if !ok {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Field: "vulnerabilities", Msg: `neither an API response ("vulnerabilities") nor a single item ("cve")`}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(vulns, &items); err != nil {
		return nil, &advisory.ValidationError{Feed: SourceID, File: name, Field: "vulnerabilities", Msg: fmt.Sprintf("not an array: %v", err)}
	}
	out := make([]advisory.Observation, 0, len(items))
	for i, it := range items {
		o, err := observe(it, name, fmt.Sprintf("vulnerabilities[%d].", i))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// observe parses, validates and wraps one {"cve": …} item; path prefixes
// field names in errors.
func observe(item []byte, name, path string) (advisory.Observation, error) {
	bad := func(id, field, format string, args ...any) error {
		return &advisory.ValidationError{Feed: SourceID, File: name, ID: id, Field: path + field, Msg: fmt.Sprintf(format, args...)}
	}
	var it itemJSON
	if err := json.Unmarshal(item, &it); err != nil {
		return advisory.Observation{}, bad("", "", "invalid item: %v", err)
	}
	if it.CVE == nil {
		return advisory.Observation{}, bad("", "cve", "required field is missing")
	}
	var c cveJSON
	if err := json.Unmarshal(*it.CVE, &c); err != nil {
		return advisory.Observation{}, bad("", "cve", "invalid CVE object: %v", err)
	}
	adv, err := convert(&c)
	if err != nil {
		var ve *advisory.ValidationError
		if errors.As(err, &ve) {
			ve.File, ve.Field = name, path+ve.Field
		}
		return advisory.Observation{}, err
	}
	hash, err := advisory.ContentHash(item)
	if err != nil {
		return advisory.Observation{}, bad(adv.ID, "", "%v", err)
	}
	return advisory.Observation{
		Source:      advisory.SourceRef{ID: SourceID, ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: adv.ID, Modified: adv.Modified},
		ContentHash: hash,
		Content:     advisory.Content{Format: "nvd-cve-api", SpecVersion: "2.0", Raw: bytes.Clone(item)},
		Identifiers: advisory.NewIdentifiers(adv.ID, nil),
		Hints:       advisory.Hints{PURLs: []string{}, CPEs: criteria(&c)},
		Advisory:    adv,
	}, nil
}

// convert validates a CVE object and maps it into the model.
func convert(c *cveJSON) (*advisory.Advisory, error) {
	id := strings.TrimSpace(c.ID)
	bad := func(field, format string, args ...any) error {
		return &advisory.ValidationError{Feed: SourceID, ID: id, Field: "cve." + field, Msg: fmt.Sprintf(format, args...)}
	}
	if id == "" {
		return nil, bad("id", "required field is missing or empty")
	}
	if c.LastModified == nil {
		return nil, bad("lastModified", "required field is missing")
	}
	a := &advisory.Advisory{ID: id, Source: SourceID}
	var err error
	if a.Modified, err = parseTime(*c.LastModified); err != nil {
		return nil, bad("lastModified", "%v", err)
	}
	if c.Published != "" {
		if a.Published, err = parseTime(c.Published); err != nil {
			return nil, bad("published", "%v", err)
		}
	}
	if c.VulnStatus == "Rejected" {
		a.Withdrawn = a.Modified
	}
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			a.Details = d.Value
			break
		}
	}
	if a.Severity, err = severities(&c.Metrics); err != nil {
		return nil, located(err, id, "cve.metrics.")
	}
	for i, r := range c.References {
		if strings.TrimSpace(r.URL) == "" {
			return nil, bad(fmt.Sprintf("references[%d].url", i), "required field is missing or empty")
		}
		a.References = append(a.References, advisory.Reference{Type: referenceType(r.Tags), URL: r.URL})
	}
	if a.Affected, err = affected(c.Configurations); err != nil {
		return nil, located(err, id, "cve.")
	}
	return a, nil
}

// severities takes, per CVSS version, the Primary metric (else the first),
// newest version first.
func severities(m *metricsJSON) ([]advisory.Severity, error) {
	var out []advisory.Severity
	for _, v := range []struct {
		field string
		list  []metric
		typ   advisory.SeverityType
	}{
		{"cvssMetricV40", m.V40, advisory.CVSSv4},
		{"cvssMetricV31", m.V31, advisory.CVSSv3},
		{"cvssMetricV30", m.V30, advisory.CVSSv3},
		{"cvssMetricV2", m.V2, SeverityCVSSv2},
	} {
		if len(v.list) == 0 {
			continue
		}
		i := max(slices.IndexFunc(v.list, func(x metric) bool { return x.Type == "Primary" }), 0)
		s := advisory.Severity{Type: v.typ, Score: strings.TrimSpace(v.list[i].CVSSData.VectorString)}
		field := fmt.Sprintf("%s[%d].cvssData.vectorString", v.field, i)
		if s.Score == "" {
			return nil, fieldErr{field, "required field is missing or empty"}
		}
		if v.typ != SeverityCVSSv2 {
			if err := advisory.ScoreSeverity(&s); err != nil {
				return nil, fieldErr{field, err.Error()}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// SeverityCVSSv2 is OSV's type for CVSS v2 vectors, which are kept unscored.
const SeverityCVSSv2 advisory.SeverityType = "CVSS_V2"

func referenceType(tags []string) string {
	for _, m := range []struct{ tag, typ string }{
		{"Patch", "FIX"}, {"Exploit", "EVIDENCE"}, {"Vendor Advisory", "ADVISORY"},
		{"Third Party Advisory", "ADVISORY"}, {"Issue Tracking", "REPORT"},
	} {
		if slices.Contains(tags, m.tag) {
			return m.typ
		}
	}
	return "WEB"
}

// affected groups vulnerable CPE matches by vendor:product, in name order.
func affected(configs []configuration) ([]advisory.Affected, error) {
	byName := map[string]*advisory.Affected{}
	for i, cfg := range configs {
		for j, n := range cfg.Nodes {
			for k, m := range n.CPEMatch {
				field := fmt.Sprintf("configurations[%d].nodes[%d].cpeMatch[%d]", i, j, k)
				if m.Vulnerable == nil {
					return nil, fieldErr{field + ".vulnerable", "required field is missing"}
				}
				cpe, err := ParseCPE(m.Criteria)
				if err != nil {
					return nil, fieldErr{field + ".criteria", err.Error()}
				}
				if !*m.Vulnerable {
					continue
				}
				name := cpe.Vendor + ":" + cpe.Product
				a := byName[name]
				if a == nil {
					a = &advisory.Affected{Package: advisory.Package{Ecosystem: Ecosystem, Name: name}}
					byName[name] = a
				}
				if r, ok := cpeRange(m); ok {
					if !slices.ContainsFunc(a.Ranges, func(x advisory.Range) bool { return slices.Equal(x.Events, r.Events) }) {
						a.Ranges = append(a.Ranges, r)
					}
				} else if cpe.Version != "*" && cpe.Version != "-" {
					if !slices.Contains(a.Versions, cpe.Version) {
						a.Versions = append(a.Versions, cpe.Version)
					}
				} else if !slices.ContainsFunc(a.Ranges, func(x advisory.Range) bool { return len(x.Events) == 1 }) {
					// "*" with no bounds: every version (NVD writes "-" for
					// "not applicable", which is treated the same way).
					a.Ranges = append(a.Ranges, advisory.Range{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: "0"}}})
				}
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]advisory.Affected, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out, nil
}

// cpeRange maps versionStart/End bounds to one ECOSYSTEM range; ok is false
// when the match has no bounds.
func cpeRange(m cpeMatch) (advisory.Range, bool) {
	start := m.VersionStartIncluding
	if start == "" {
		start = m.VersionStartExcluding // widened by one version: OSV has no exclusive lower bound
	}
	if start == "" && m.VersionEndExcluding == "" && m.VersionEndIncluding == "" {
		return advisory.Range{}, false
	}
	if start == "" {
		start = "0"
	}
	r := advisory.Range{Type: advisory.RangeEcosystem, Events: []advisory.Event{{Introduced: start}}}
	switch {
	case m.VersionEndExcluding != "":
		r.Events = append(r.Events, advisory.Event{Fixed: m.VersionEndExcluding})
	case m.VersionEndIncluding != "":
		r.Events = append(r.Events, advisory.Event{LastAffected: m.VersionEndIncluding})
	}
	return r, true
}

// criteria lists the vulnerable CPE criteria, sorted and deduplicated.
func criteria(c *cveJSON) []string {
	out := []string{}
	for _, cfg := range c.Configurations {
		for _, n := range cfg.Nodes {
			for _, m := range n.CPEMatch {
				if m.Vulnerable != nil && *m.Vulnerable && m.Criteria != "" {
					out = append(out, m.Criteria)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parseTime reads NVD's timestamps: RFC 3339, or zone-less ISO 8601 in UTC
// as the API writes them ("2021-12-10T10:15:09.143").
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 timestamp: %q", s)
}

// fieldErr is a problem at a field path relative to its caller.
type fieldErr struct{ field, msg string }

func (e fieldErr) Error() string { return e.field + ": " + e.msg }

// located turns a fieldErr into a ValidationError under prefix.
func located(err error, id, prefix string) error {
	var fe fieldErr
	if errors.As(err, &fe) {
		return &advisory.ValidationError{Feed: SourceID, ID: id, Field: prefix + fe.field, Msg: fe.msg}
	}
	return &advisory.ValidationError{Feed: SourceID, ID: id, Field: strings.TrimSuffix(prefix, "."), Msg: err.Error()}
}
