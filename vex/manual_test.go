package vex

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

var manualAt = testCutoff.Add(-24 * time.Hour)

func manualNotAffected() ManualStatement {
	return ManualStatement{
		Product:         strings.ToUpper(testImage[:7]) + testImage[7:],
		Subcomponents:   []string{testPkg, testPkg},
		Vulnerability:   " cve-2026-0001 ",
		Status:          StatusNotAffected,
		Justification:   JustificationCodeNotInExecutePath,
		ImpactStatement: "  The HTTP/2 server is never started.  ",
	}
}

func TestManualDocumentRoundTrip(t *testing.T) {
	d, err := NewManualDocument("default internal", manualAt, manualNotAffected(),
		ManualStatement{Product: "pkg:npm/left-pad@1.3.0", Vulnerability: "GHSA-aaaa-bbbb-cccc", Status: StatusAffected,
			ActionStatement: "Upgrade to 1.3.1."})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatManual || d.Author != "default internal" || len(d.Statements) != 2 || len(d.Warnings) != 0 ||
		!strings.HasPrefix(d.ContentHash, "sha256:") {
		t.Fatalf("document = %+v", d)
	}

	// The raw bytes are an OpenVEX document that validates and that the
	// OpenVEX reader reads to the same statements, but for the format.
	validateOpenVEX(t, d.Raw)
	back, err := ReadOpenVEXDocument(bytes.NewReader(d.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if back.ContentHash != d.ContentHash || back.Format != FormatOpenVEX || !strings.HasPrefix(UpstreamID(back), manualIDBase) {
		t.Fatalf("read back: hash %s format %s id %q; want %s", back.ContentHash, back.Format, UpstreamID(back), d.ContentHash)
	}

	var na Statement
	for _, s := range d.Statements {
		if s.Format != FormatManual || s.DocumentDigest != d.ContentHash || s.Issuer != "unknown:default internal" ||
			!s.Timestamp.Equal(manualAt) {
			t.Fatalf("statement %+v", s)
		}
		want := s
		if _, err := want.ComputeDigest(); err != nil || want.Digest != s.Digest {
			t.Fatalf("digest %s, recomputed %s (%v)", s.Digest, want.Digest, err)
		}
		if s.Status == StatusNotAffected {
			na = s
		}
	}
	if na.Vulnerability != "CVE-2026-0001" || na.Product.Ref != testImage || len(na.Product.Subcomponents) != 1 ||
		na.Product.Subcomponents[0] != testPkg || na.Justification != JustificationCodeNotInExecutePath ||
		na.ImpactStatement != "The HTTP/2 server is never started." || na.SourceStatus != "not_affected" {
		t.Fatalf("not_affected statement %+v", na)
	}
	// The manual statement differs from the same claim imported as OpenVEX
	// only in its format, so its digest tells a manual entry apart.
	for _, s := range back.Statements {
		if s.Status == StatusNotAffected {
			s.Format, s.Digest = FormatManual, ""
			if _, err := s.ComputeDigest(); err != nil || s.Digest != na.Digest {
				t.Fatalf("openvex statement as manual %+v, want digest %s", s, na.Digest)
			}
		}
	}
}

func TestManualDocumentDeterministic(t *testing.T) {
	a := ManualStatement{Product: testImage, Vulnerability: "CVE-2026-0001", Status: StatusFixed}
	b := manualNotAffected()
	d1, err := NewManualDocument("ops", manualAt, a, b)
	if err != nil {
		t.Fatal(err)
	}
	// Statement order, the time zone and reordered subcomponents do not
	// change the bytes.
	b.Subcomponents = []string{testPkg, " " + testPkg}
	d2, err := NewManualDocument(" ops ", manualAt.In(time.FixedZone("x", 3600)), b, a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d1.Raw, d2.Raw) || d1.ContentHash != d2.ContentHash {
		t.Fatalf("not deterministic:\n%s\n%s", d1.Raw, d2.Raw)
	}
	// Anything else does.
	d3, err := NewManualDocument("ops", manualAt.Add(time.Second), a, b)
	if err != nil {
		t.Fatal(err)
	}
	id := func(d *Document) string { return UpstreamID(&Document{Format: FormatOpenVEX, Raw: d.Raw}) }
	if d3.ContentHash == d1.ContentHash || id(d3) == id(d1) {
		t.Fatal("a different timestamp gave the same document")
	}
}

func TestManualDocumentValidation(t *testing.T) {
	for _, c := range []struct {
		name, field string
		change      func(*ManualStatement)
	}{
		{"no product", "product", func(m *ManualStatement) { m.Product = " " }},
		{"product not a purl or digest", "product", func(m *ManualStatement) { m.Product = "myapp:latest" }},
		{"short digest", "product", func(m *ManualStatement) { m.Product = "sha256:abc" }},
		{"no vulnerability", "vulnerability", func(m *ManualStatement) { m.Vulnerability = "" }},
		{"unknown status", "status", func(m *ManualStatement) { m.Status = "exploitable" }},
		{"no status", "status", func(m *ManualStatement) { m.Status = "" }},
		{"not_affected bare", "justification", func(m *ManualStatement) { m.Justification, m.ImpactStatement = "", " " }},
		{"unknown justification", "justification", func(m *ManualStatement) { m.Justification = "requires_configuration" }},
		{"not_affected with action", "actionStatement", func(m *ManualStatement) { m.ActionStatement = "upgrade" }},
		{"fixed with justification", "justification", func(m *ManualStatement) { m.Status = StatusFixed }},
		{"fixed with action", "actionStatement", func(m *ManualStatement) {
			m.Status, m.Justification, m.ActionStatement = StatusFixed, "", "upgrade"
		}},
		{"subcomponent not a purl", "subcomponents", func(m *ManualStatement) { m.Subcomponents = []string{testImage} }},
	} {
		m := manualNotAffected()
		c.change(&m)
		_, err := NewManualDocument("ops", manualAt, ManualStatement{Product: testImage, Vulnerability: "CVE-1", Status: StatusFixed}, m)
		var fe *ManualFieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Index != 1 || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v, want a field error on %s of statement 1", c.name, err, c.field)
		}
	}
	// Either a justification or an impact statement is enough.
	m := manualNotAffected()
	m.Justification = ""
	if _, err := NewManualDocument("ops", manualAt, m); err != nil {
		t.Errorf("not_affected with an impact statement only: %v", err)
	}
	for _, c := range []struct {
		name, field, author string
		at                  time.Time
		stmts               []ManualStatement
	}{
		{"no author", "author", " ", manualAt, []ManualStatement{manualNotAffected()}},
		{"no statements", "statements", "ops", manualAt, nil},
		{"no timestamp", "timestamp", "ops", time.Time{}, []ManualStatement{manualNotAffected()}},
	} {
		_, err := NewManualDocument(c.author, c.at, c.stmts...)
		var fe *ManualFieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Index != -1 {
			t.Errorf("%s: err = %v, want a document field error on %s", c.name, err, c.field)
		}
	}
}

// A manual claim scores P = 0.10 and R = 0.20 (vex.md §4.1), whether its
// author is unknown or the registry's internal issuer.
func TestManualDocumentScoring(t *testing.T) {
	reg, err := NewRegistry("1",
		Issuer{ID: "acme", Name: "Acme", Class: ClassVendor, Keys: []IssuerKey{{KeyID: "acme-key"}}},
		Issuer{ID: "platform", Name: "Platform team", Class: ClassInternal},
	)
	if err != nil {
		t.Fatal(err)
	}
	is, ok := InternalIssuer(reg)
	if !ok || is.ID != "platform" {
		t.Fatalf("internal issuer = %+v, %v", is, ok)
	}
	if _, ok := InternalIssuer(nil); ok {
		t.Fatal("a nil registry has an internal issuer")
	}
	c, err := NewConsensus(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, attribute := range []bool{false, true} {
		d, err := NewManualDocument("default internal", manualAt, manualNotAffected())
		if err != nil {
			t.Fatal(err)
		}
		issuer, class := "unknown:default internal", ClassHub
		if attribute {
			before := d.Statements[0].Digest
			if err := d.AttributeTo(is.ID); err != nil {
				t.Fatal(err)
			}
			if d.Statements[0].Digest == before {
				t.Fatal("attributing kept the digest")
			}
			issuer, class = is.ID, ClassInternal
		}
		v, err := c.Evaluate(context.Background(), testSubject(), append(d.Statements, vendorSigned(StatusAffected)), testCutoff)
		if err != nil {
			t.Fatal(err)
		}
		cl := claimOf(t, v, issuer)
		// BaseTrust = 0.45·0.1 + 0.35·1 + 0.2·0.2 = 0.435; M = 0.8; one day old.
		wantF := math.Round(math.Exp(-math.Ln2/90)*1e6) / 1e6
		if cl.Format != FormatManual || cl.Class != class || cl.Provenance != 0.1 || cl.Replayability != 0.2 || cl.Coverage != 1 ||
			cl.BaseTrust != 0.435 || cl.Strength != 0.8 || cl.Freshness != wantF {
			t.Errorf("manual claim %+v", cl)
		}
		if v.Status != StatusAffected || v.Conflict {
			t.Errorf("verdict %s (conflict %v): the signed vendor claim should win alone", v.Status, v.Conflict)
		}
	}
}
