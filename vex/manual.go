package vex

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	openvex "github.com/openvex/go-vex/pkg/vex"

	"github.com/stella-ops/stella/internal/canon"
)

// ManualStatement is one VEX claim entered by hand (vex.md §1, "Manual
// statement"): through the addVEXStatement mutation or `stella vex add`.
type ManualStatement struct {
	// Product is an image digest ("sha256:…") or a purl.
	Product string
	// Subcomponents are purls inside Product the claim is narrowed to.
	Subcomponents   []string
	Vulnerability   string
	Status          Status
	Justification   Justification
	ImpactStatement string
	ActionStatement string
}

// ManualFieldError is a manual statement refused because of one field.
// Field is the ManualStatement field in lowerCamelCase ("product",
// "subcomponents", "vulnerability", "status", "justification",
// "impactStatement", "actionStatement"), or "author" / "statements".
type ManualFieldError struct {
	Index   int // the statement's position; -1 for the document
	Field   string
	Message string
}

func (e *ManualFieldError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("vex: manual document: %s: %s", e.Field, e.Message)
	}
	return fmt.Sprintf("vex: manual statement %d: %s: %s", e.Index, e.Field, e.Message)
}

// manualIDBase prefixes the @id of the documents NewManualDocument writes.
const manualIDBase = "https://stella-ops.org/vex/manual/"

// NewManualDocument validates stmts and writes them as one canonical
// OpenVEX 0.2.0 document by author, dated at, then reads it back through
// the OpenVEX reader so the statements are normalized exactly as any other
// document's. The document and its statements are marked FormatManual, so
// their digests and scores (P = 0.10, R = 0.20, vex.md §4.1) reflect a
// manual entry. Document.Raw is the canonical OpenVEX; the same inputs
// give the same bytes and content hash. The statements carry the issuer
// unknown:<author> until a Registry attributes them (Registry.Attribute).
// A refused statement is a *ManualFieldError.
func NewManualDocument(author string, at time.Time, stmts ...ManualStatement) (*Document, error) {
	author = strings.TrimSpace(author)
	if author == "" {
		return nil, &ManualFieldError{Index: -1, Field: "author", Message: "is required"}
	}
	if len(stmts) == 0 {
		return nil, &ManualFieldError{Index: -1, Field: "statements", Message: "at least one statement is required"}
	}
	if at.IsZero() {
		return nil, &ManualFieldError{Index: -1, Field: "timestamp", Message: "is required"}
	}
	at = at.UTC()
	doc := &openvex.VEX{
		Metadata: openvex.Metadata{
			Context:   OpenVEXContext,
			Author:    author,
			Timestamp: &at,
			Version:   1,
			Tooling:   "stella vex add",
		},
		Statements: make([]openvex.Statement, 0, len(stmts)),
	}
	for i, m := range stmts {
		st, err := manualOpenVEX(i, m)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, st)
	}
	slices.SortFunc(doc.Statements, func(a, b openvex.Statement) int {
		if c := compareOpenVEX(a, b); c != 0 {
			return c
		}
		return strings.Compare(string(a.Status), string(b.Status))
	})
	// The @id derives from everything else, so the same entry is the same
	// document (idempotent storage) and a different one never revises it.
	id, err := canon.Digest(doc)
	if err != nil {
		return nil, fmt.Errorf("vex: manual document: %w", err)
	}
	doc.ID = manualIDBase + strings.TrimPrefix(id, "sha256:")
	raw, err := MarshalOpenVEX(doc)
	if err != nil {
		return nil, err
	}
	d, err := readOpenVEX(raw)
	if err != nil {
		return nil, fmt.Errorf("vex: manual document: reading back: %w", err)
	}
	if len(d.Warnings) > 0 {
		return nil, fmt.Errorf("vex: manual document: reading back: %s", strings.Join(d.Warnings, "; "))
	}
	d.Format = FormatManual
	if err := d.finish(); err != nil {
		return nil, err
	}
	return d, nil
}

// manualOpenVEX validates m (statement i) and returns it as OpenVEX.
func manualOpenVEX(i int, m ManualStatement) (openvex.Statement, error) {
	fail := func(field, format string, args ...any) (openvex.Statement, error) {
		return openvex.Statement{}, &ManualFieldError{Index: i, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	vuln := NormalizeVulnID(m.Vulnerability)
	if vuln == "" {
		return fail("vulnerability", "is required")
	}
	product := NormalizeRef(m.Product)
	switch {
	case product == "":
		return fail("product", "is required")
	case !manualRef(product):
		return fail("product", "%q is neither a package URL (pkg:type/namespace/name@version) nor an image digest (sha256:<64 hex>)", product)
	}
	var subs []openvex.Subcomponent
	seen := map[string]bool{}
	for _, sc := range m.Subcomponents {
		ref := NormalizeRef(sc)
		if _, ok := parsePURL(ref); !ok || !strings.HasPrefix(ref, "pkg:") {
			return fail("subcomponents", "%q is not a package URL", strings.TrimSpace(sc))
		}
		if !seen[ref] {
			seen[ref] = true
			subs = append(subs, openvex.Subcomponent{Component: openvex.Component{ID: ref}})
		}
	}
	slices.SortFunc(subs, func(a, b openvex.Subcomponent) int { return strings.Compare(a.ID, b.ID) })
	st := openvex.Statement{
		Vulnerability:   openvex.Vulnerability{Name: openvex.VulnerabilityID(vuln)},
		Products:        []openvex.Product{{Component: openvex.Component{ID: product}, Subcomponents: subs}},
		Status:          openvex.Status(m.Status),
		ImpactStatement: strings.TrimSpace(m.ImpactStatement),
		ActionStatement: strings.TrimSpace(m.ActionStatement),
	}
	just := Justification(strings.TrimSpace(string(m.Justification)))
	switch m.Status {
	case StatusNotAffected:
		if just != "" {
			if _, ok := openVEXJustification[string(just)]; !ok {
				return fail("justification", "%q is not one of component_not_present, vulnerable_code_not_present, "+
					"vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist", just)
			}
			st.Justification = openvex.Justification(just)
		}
		if just == "" && st.ImpactStatement == "" {
			return fail("justification", "not_affected needs a justification or an impact statement")
		}
		if st.ActionStatement != "" {
			return fail("actionStatement", "only an affected statement carries an action statement")
		}
	case StatusAffected, StatusFixed, StatusUnderInvestigation:
		if just != "" {
			return fail("justification", "only a not_affected statement carries a justification")
		}
		if st.ActionStatement != "" && m.Status != StatusAffected {
			return fail("actionStatement", "only an affected statement carries an action statement")
		}
	default:
		return fail("status", "%q is not one of affected, not_affected, fixed, under_investigation", m.Status)
	}
	return st, nil
}

// manualRef reports whether ref (normalized) is a purl or a bare sha256
// image digest.
func manualRef(ref string) bool {
	if strings.HasPrefix(ref, "pkg:") {
		_, ok := parsePURL(ref)
		return ok
	}
	d, ok := parseImageDigest(ref)
	return ok && d == ref
}

// InternalIssuer returns the registry's internal-class issuer that manual
// statements are attributed to: the first by id, or false when the
// registry has none.
func InternalIssuer(reg *Registry) (Issuer, bool) {
	if reg == nil {
		return Issuer{}, false
	}
	for _, is := range reg.Issuers() {
		if is.Class == ClassInternal {
			return is, true
		}
	}
	return Issuer{}, false
}

// AttributeTo assigns every statement of d to the issuer id and recomputes
// the statement digests: a manual entry is made by an authenticated user
// of the tenant, so its issuer is known without a signature or an author
// match.
func (d *Document) AttributeTo(issuer string) error {
	if d == nil || strings.TrimSpace(issuer) == "" {
		return errors.New("vex: attribute: document and issuer are required")
	}
	for i := range d.Statements {
		d.Statements[i].Issuer = issuer
	}
	return d.finish() // recomputes the digests, which cover the issuer
}
