package csaf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
)

// ReaderVersion is recorded in every observation this package produces.
const ReaderVersion = "csaf/1"

// maxDocument bounds one CSAF document (large RHSA files are a few MiB).
const maxDocument = 64 << 20

// Product status categories (CSAF 2.0 §3.2.3.9).
const (
	StatusFirstAffected      = "first_affected"
	StatusFirstFixed         = "first_fixed"
	StatusFixed              = "fixed"
	StatusKnownAffected      = "known_affected"
	StatusKnownNotAffected   = "known_not_affected"
	StatusLastAffected       = "last_affected"
	StatusRecommended        = "recommended"
	StatusUnderInvestigation = "under_investigation"
)

// statusOrder is the order statuses are applied in, so that output does not
// depend on map order.
func statusOrder() []string {
	return []string{
		StatusFixed, StatusFirstFixed, StatusFirstAffected, StatusLastAffected,
		StatusKnownAffected, StatusUnderInvestigation, StatusKnownNotAffected, StatusRecommended,
	}
}

// Read parses one CSAF document into one observation.
func Read(r io.Reader) ([]advisory.Observation, error) {
	return readNamed(r, "")
}

// ReadFile reads one CSAF file; errors name it.
func ReadFile(path string) ([]advisory.Observation, error) {
	return advisory.ReadFile(path, "csaf", readNamed)
}

// Advisories derives one advisory per vulnerability, in document order,
// from an observation this package produced.
func Advisories(o advisory.Observation) ([]advisory.Advisory, error) {
	p, err := parse(o.Content.Raw, o.ID)
	if err != nil {
		return nil, err
	}
	return p.perVuln, nil
}

func readNamed(r io.Reader, name string) ([]advisory.Observation, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, &advisory.ValidationError{Feed: "csaf", File: name, Msg: fmt.Sprintf("read: %v", err)}
	}
	if len(raw) > maxDocument {
		return nil, &advisory.ValidationError{Feed: "csaf", File: name, Msg: fmt.Sprintf("document larger than %d bytes", maxDocument)}
	}
	p, err := parse(raw, name)
	if err != nil {
		return nil, err
	}
	hash, err := advisory.ContentHash(raw)
	if err != nil {
		return nil, &advisory.ValidationError{Feed: "csaf", File: name, ID: p.id, Msg: err.Error()}
	}
	var cves []string
	for _, a := range p.perVuln {
		if strings.HasPrefix(a.ID, "CVE-") {
			cves = append(cves, a.ID)
		}
	}
	doc := &advisory.Advisory{ID: p.id, Summary: p.title, Published: p.published, Modified: p.modified, Source: p.source}
	var aliases []string
	if len(p.perVuln) == 1 {
		// One vulnerability: the document is about it, so it links and
		// carries its facts.
		v := p.perVuln[0]
		if v.ID != p.id {
			aliases = []string{v.ID}
		}
		doc.Aliases, doc.Details, doc.Affected, doc.Severity, doc.References = aliases, v.Summary, v.Affected, v.Severity, v.References
	} else {
		doc.Related = cves
	}
	return []advisory.Observation{{
		Source:      advisory.SourceRef{ID: p.source, ReaderVersion: ReaderVersion},
		Upstream:    advisory.Upstream{ID: p.id, DocumentVersion: p.version, Modified: p.modified},
		ContentHash: hash,
		Content:     advisory.Content{Format: p.category, SpecVersion: p.specVersion, Raw: bytes.Clone(raw)},
		Identifiers: advisory.NewIdentifiers(p.id, aliases),
		Hints:       p.hints,
		Advisory:    doc,
	}}, nil
}

// parsed is a validated document.
type parsed struct {
	id, version, source, title, category, specVersion string
	published, modified                               time.Time
	perVuln                                           []advisory.Advisory
	hints                                             advisory.Hints
}

// product is what a product id resolves to.
type product struct {
	purl, cpe   string
	platformCPE string // CPE of the product a relationship places it in
}

func parse(raw []byte, name string) (*parsed, error) {
	var d documentJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, &advisory.ValidationError{Feed: "csaf", File: name, Msg: fmt.Sprintf("not a CSAF document: %v", err)}
	}
	t := d.Document.Tracking
	p := &parsed{
		id: strings.TrimSpace(t.ID), version: strings.TrimSpace(t.Version), title: d.Document.Title,
		category: d.Document.Category, specVersion: d.Document.CSAFVersion,
	}
	bad := func(field, format string, args ...any) error {
		return &advisory.ValidationError{Feed: "csaf", File: name, ID: p.id, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if p.id == "" {
		return nil, bad("document.tracking.id", "required field is missing or empty")
	}
	if p.version == "" {
		return nil, bad("document.tracking.version", "required field is missing or empty")
	}
	if p.specVersion != "2.0" {
		return nil, bad("document.csaf_version", "%q is not 2.0", p.specVersion)
	}
	if p.category == "" {
		return nil, bad("document.category", "required field is missing or empty")
	}
	var err error
	if p.modified, err = parseTime(t.CurrentReleaseDate); err != nil {
		return nil, bad("document.tracking.current_release_date", "%v", err)
	}
	if t.InitialReleaseDate != "" {
		if p.published, err = parseTime(t.InitialReleaseDate); err != nil {
			return nil, bad("document.tracking.initial_release_date", "%v", err)
		}
	}
	publisher, err := publisherName(d.Document.Publisher.Namespace)
	if err != nil {
		return nil, bad("document.publisher.namespace", "%v", err)
	}
	p.source = "csaf:" + publisher

	products := map[string]product{}
	p.hints = advisory.Hints{PURLs: []string{}, CPEs: []string{}}
	define := func(fp *fullProductName, field string) (product, error) {
		id := strings.TrimSpace(fp.ProductID)
		if id == "" {
			return product{}, bad(field+".product_id", "required field is missing or empty")
		}
		if _, dup := products[id]; dup {
			return product{}, bad(field+".product_id", "product id %q is defined twice", id)
		}
		var pr product
		if h := fp.Helper; h != nil {
			pr.cpe = strings.TrimSpace(h.CPE)
			pr.purl = strings.TrimSpace(h.PURL)
			if pr.purl != "" {
				hint, err := purlHint(pr.purl)
				if err != nil {
					return product{}, bad(field+".product_identification_helper.purl", "%v", err)
				}
				p.hints.PURLs = append(p.hints.PURLs, hint)
			}
			if pr.cpe != "" {
				p.hints.CPEs = append(p.hints.CPEs, pr.cpe)
			}
		}
		products[id] = pr
		return pr, nil
	}
	var walk func(bs []branch, field string) error
	walk = func(bs []branch, field string) error {
		for i := range bs {
			f := fmt.Sprintf("%s[%d]", field, i)
			if bs[i].Product != nil {
				if _, err := define(bs[i].Product, f+".product"); err != nil {
					return err
				}
			}
			if err := walk(bs[i].Branches, f+".branches"); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.ProductTree.Branches, "product_tree.branches"); err != nil {
		return nil, err
	}
	for i := range d.ProductTree.FullProductNames {
		if _, err := define(&d.ProductTree.FullProductNames[i], fmt.Sprintf("product_tree.full_product_names[%d]", i)); err != nil {
			return nil, err
		}
	}
	// Relationships combine defined products, so they are resolved after
	// every branch and full product name.
	for i, rel := range d.ProductTree.Relationships {
		f := fmt.Sprintf("product_tree.relationships[%d]", i)
		comp, ok := products[rel.ProductReference]
		if !ok {
			return nil, bad(f+".product_reference", "product id %q is not defined in product_tree", rel.ProductReference)
		}
		platform, ok := products[rel.RelatesTo]
		if !ok {
			return nil, bad(f+".relates_to_product_reference", "product id %q is not defined in product_tree", rel.RelatesTo)
		}
		pr, err := define(&rel.FullProductName, f+".full_product_name")
		if err != nil {
			return nil, err
		}
		if pr.purl == "" {
			pr.purl = comp.purl
		}
		pr.platformCPE = platform.cpe
		products[strings.TrimSpace(rel.FullProductName.ProductID)] = pr
	}
	slices.Sort(p.hints.PURLs)
	p.hints.PURLs = slices.Compact(p.hints.PURLs)
	slices.Sort(p.hints.CPEs)
	p.hints.CPEs = slices.Compact(p.hints.CPEs)

	for i := range d.Vulnerabilities {
		a, err := convertVuln(&d.Vulnerabilities[i], p, products)
		if err != nil {
			return nil, bad(fmt.Sprintf("vulnerabilities[%d].%s", i, err.field), "%s", err.msg)
		}
		p.perVuln = append(p.perVuln, a)
	}
	return p, nil
}

// fieldErr is a problem at a field path relative to one vulnerability.
type fieldErr struct{ field, msg string }

func convertVuln(v *vulnJSON, p *parsed, products map[string]product) (advisory.Advisory, *fieldErr) {
	a := advisory.Advisory{ID: strings.TrimSpace(v.CVE), Summary: v.Title, Related: []string{p.id}, Source: p.source}
	if a.ID == "" && len(v.IDs) > 0 {
		a.ID = strings.TrimSpace(v.IDs[0].Text)
	}
	if a.ID == "" {
		return a, &fieldErr{"cve", "a vulnerability needs a cve or ids[0].text"}
	}
	for k := range v.ProductStatus {
		if !slices.Contains(statusOrder(), k) {
			return a, &fieldErr{"product_status." + k, "not a CSAF 2.0 product status category"}
		}
	}
	type key struct{ eco, name string }
	var order []key
	byKey := map[key]*advisory.Affected{}
	for _, status := range statusOrder() {
		for j, id := range v.ProductStatus[status] {
			field := fmt.Sprintf("product_status.%s[%d]", status, j)
			pr, ok := products[strings.TrimSpace(id)]
			if !ok {
				return a, &fieldErr{field, fmt.Sprintf("product id %q is not defined in product_tree", id)}
			}
			if status == StatusKnownNotAffected || status == StatusRecommended || pr.purl == "" {
				continue
			}
			pkg, ver, err := packageOf(pr)
			if err != nil {
				return a, &fieldErr{field, err.Error()}
			}
			if ver == "" && (status == StatusFixed || status == StatusFirstFixed) {
				continue // fixed in an unnamed version: no bound to state
			}
			k := key{pkg.Ecosystem, pkg.Name}
			af := byKey[k]
			if af == nil {
				af = &advisory.Affected{Package: pkg}
				byKey[k] = af
				order = append(order, k)
			}
			addStatus(af, status, ver)
		}
	}
	slices.SortFunc(order, func(x, y key) int {
		if c := strings.Compare(x.eco, y.eco); c != 0 {
			return c
		}
		return strings.Compare(x.name, y.name)
	})
	for _, k := range order {
		a.Affected = append(a.Affected, *byKey[k])
	}
	for j, s := range v.Scores {
		switch {
		case s.CVSSv3 != nil && !slices.ContainsFunc(a.Severity, func(x advisory.Severity) bool { return x.Type == advisory.CVSSv3 }):
			sev := advisory.Severity{Type: advisory.CVSSv3, Score: strings.TrimSpace(s.CVSSv3.VectorString)}
			if err := advisory.ScoreSeverity(&sev); err != nil {
				return a, &fieldErr{fmt.Sprintf("scores[%d].cvss_v3.vectorString", j), err.Error()}
			}
			a.Severity = append(a.Severity, sev)
		case s.CVSSv2 != nil && s.CVSSv2.VectorString != "" && !slices.ContainsFunc(a.Severity, func(x advisory.Severity) bool { return x.Type == "CVSS_V2" }):
			a.Severity = append(a.Severity, advisory.Severity{Type: "CVSS_V2", Score: strings.TrimSpace(s.CVSSv2.VectorString)})
		}
	}
	for j, r := range v.References {
		if strings.TrimSpace(r.URL) == "" {
			return a, &fieldErr{fmt.Sprintf("references[%d].url", j), "required field is missing or empty"}
		}
		typ := "WEB"
		if r.Category == "self" {
			typ = "ADVISORY"
		}
		a.References = append(a.References, advisory.Reference{Type: typ, URL: r.URL})
	}
	return a, nil
}

// addStatus adds one product status fact for version ver ("" when the purl
// has none) to af, without duplicates. Callers skip fixed statuses without
// a version, so every call adds a range or a version.
func addStatus(af *advisory.Affected, status, ver string) {
	addRange := func(events ...advisory.Event) {
		if !slices.ContainsFunc(af.Ranges, func(r advisory.Range) bool { return slices.Equal(r.Events, events) }) {
			af.Ranges = append(af.Ranges, advisory.Range{Type: advisory.RangeEcosystem, Events: events})
		}
	}
	switch {
	case (status == StatusFixed || status == StatusFirstFixed) && ver != "":
		addRange(advisory.Event{Introduced: "0"}, advisory.Event{Fixed: ver})
	case status == StatusFirstAffected && ver != "":
		addRange(advisory.Event{Introduced: ver})
	case status == StatusLastAffected && ver != "":
		addRange(advisory.Event{Introduced: "0"}, advisory.Event{LastAffected: ver})
	case ver != "": // known_affected, under_investigation
		if !slices.Contains(af.Versions, ver) {
			af.Versions = append(af.Versions, ver)
		}
	default: // affected with no version: every version
		addRange(advisory.Event{Introduced: "0"})
	}
}

// publisherName is the host of the publisher namespace without "www.".
func publisherName(ns string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(ns))
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("required: a URL such as https://www.redhat.com (got %q)", ns)
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www."), nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("required: an RFC 3339 timestamp (got %q)", s)
	}
	return t.UTC(), nil
}
