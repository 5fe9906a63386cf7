// Package storetest checks that a vex.Store behaves as the interface says.
// Every implementation runs it:
//
//	storetest.Run(t, func(t *testing.T) vex.Store { return openMyStore(t) })
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/vex"
)

var at = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// ImageDigest is the image the documents of OpenVEX speak about.
var ImageDigest = "sha256:" + strings.Repeat("ab", 32)

// OpenVEX reads an OpenVEX document with @id id (empty: none) saying
// status for each of vulns about pkg (a purl) inside product (an image
// digest, a purl or "Unknown Product"). note varies the content.
func OpenVEX(t testing.TB, id, note, product, pkg, status string, vulns ...string) *vex.Document {
	t.Helper()
	var stmts []string
	for _, v := range vulns {
		extra := ""
		if status == "not_affected" {
			extra = `,"justification":"vulnerable_code_not_in_execute_path"`
		}
		if status == "affected" {
			extra = `,"action_statement":"upgrade"`
		}
		stmts = append(stmts, fmt.Sprintf(`{"vulnerability":{"name":%q,"aliases":["GHSA-aaaa-bbbb-cccc"]},
			"products":[{"@id":%q,"subcomponents":[{"@id":%q}]}],"status":%q%s}`, v, product, pkg, status, extra))
	}
	idField := ""
	if id != "" {
		idField = fmt.Sprintf(`"@id":%q,`, id)
	}
	doc := fmt.Sprintf(`{"@context":"https://openvex.dev/ns/v0.2.0",%s"author":"Example Corp","timestamp":"2026-11-01T00:00:00Z",
		"version":1,"tooling":%q,"statements":[%s]}`, idField, note, strings.Join(stmts, ","))
	d, err := vex.Read(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("read test document: %v\n%s", err, doc)
	}
	return d
}

func mustAppend(t *testing.T, s vex.Store, tenant string, d *vex.Document) vex.AppendResult {
	t.Helper()
	res, err := s.AppendDocument(context.Background(), tenant, d, at)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func statements(t *testing.T, s vex.Store, tenant string, f vex.StatementFilter) []vex.Statement {
	t.Helper()
	got, err := s.Statements(context.Background(), tenant, f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func digests(stmts []vex.Statement) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = s.Digest
	}
	return out
}

func allDigests(docs ...*vex.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, digests(d.Statements)...)
	}
	slices.Sort(out)
	return out
}

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) vex.Store) {
	ctx := context.Background()
	t.Run("append and read back", func(t *testing.T) {
		s := open(t)
		d := OpenVEX(t, "https://example.com/vex/1", "a", ImageDigest, "pkg:deb/debian/openssl@3.0.11", "not_affected", "CVE-2024-0001", "CVE-2024-0002")
		res := mustAppend(t, s, "acme", d)
		if !res.Inserted || res.Document.ContentHash != d.ContentHash || res.Document.Statements != 2 || res.Document.Revision != 1 {
			t.Fatalf("append = %+v", res)
		}
		got, err := s.Document(ctx, "acme", d.ContentHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tenant != "acme" || got.Format != vex.FormatOpenVEX || got.Author != "Example Corp" || string(got.Raw) != string(d.Raw) ||
			got.UpstreamID != "https://example.com/vex/1" || got.Supersedes != "" || !got.CreatedAt.Equal(at) || got.Statements != 2 {
			t.Fatalf("document = %+v", got)
		}
		stmts := statements(t, s, "acme", vex.StatementFilter{Document: d.ContentHash})
		if !slices.Equal(digests(stmts), allDigests(d)) {
			t.Fatalf("statements = %v, want %v", digests(stmts), allDigests(d))
		}
		for i, st := range stmts {
			want := d.Statements[i]
			if st.Status != want.Status || st.Justification != want.Justification || !st.Timestamp.Equal(want.Timestamp) ||
				st.Product.Ref != want.Product.Ref || !slices.Equal(st.Product.Subcomponents, want.Product.Subcomponents) ||
				st.Issuer != want.Issuer || st.DocumentDigest != d.ContentHash {
				t.Fatalf("statement %d = %+v, want %+v", i, st, want)
			}
			// What is read back hashes to the stored digest.
			c := st
			if dg, err := c.ComputeDigest(); err != nil || dg != st.Digest {
				t.Fatalf("statement %d digest %s recomputes to %s (%v)", i, st.Digest, dg, err)
			}
		}
	})
	t.Run("append is idempotent by content hash", func(t *testing.T) {
		s := open(t)
		d := OpenVEX(t, "", "a", ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		mustAppend(t, s, "acme", d)
		again := OpenVEX(t, "", "a", ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		res, err := s.AppendDocument(ctx, "acme", again, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.Inserted || res.Document.ContentHash != d.ContentHash || !res.Document.CreatedAt.Equal(at) {
			t.Fatalf("duplicate append = %+v, want the stored document and inserted=false", res)
		}
		page, err := s.Documents(ctx, "acme", vex.PageOptions{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("documents after a duplicate: %+v, %v", page, err)
		}
		if n := len(statements(t, s, "acme", vex.StatementFilter{})); n != 1 {
			t.Fatalf("statements after a duplicate: %d, want 1", n)
		}
	})
	t.Run("a new revision supersedes the previous one", func(t *testing.T) {
		s := open(t)
		one := OpenVEX(t, "https://example.com/vex/1", "a", ImageDigest, "pkg:deb/debian/openssl", "under_investigation", "CVE-2024-0001")
		two := OpenVEX(t, "https://example.com/vex/1", "b", ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		mustAppend(t, s, "acme", one)
		res := mustAppend(t, s, "acme", two)
		if !res.Inserted || res.Document.Revision != 2 || res.Document.Supersedes != one.ContentHash {
			t.Fatalf("second revision = %+v", res.Document)
		}
		// Only the latest revision speaks; the superseded one stays readable.
		if got := statements(t, s, "acme", vex.StatementFilter{Vulnerabilities: []string{"CVE-2024-0001"}}); !slices.Equal(digests(got), allDigests(two)) {
			t.Fatalf("statements = %v, want the latest revision's %v", digests(got), allDigests(two))
		}
		if got := statements(t, s, "acme", vex.StatementFilter{Document: one.ContentHash}); !slices.Equal(digests(got), allDigests(one)) {
			t.Fatalf("superseded document's statements = %v", digests(got))
		}
		if _, err := s.Document(ctx, "acme", one.ContentHash); err != nil {
			t.Fatalf("superseded document: %v", err)
		}
	})
	t.Run("statement lookup by vulnerability and product", func(t *testing.T) {
		s := open(t)
		img := OpenVEX(t, "", "img", ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		pkg := OpenVEX(t, "", "pkg", "pkg:golang/golang.org%2Fx%2Fnet@v0.17.0", "pkg:golang/golang.org%2Fx%2Fnet@v0.17.0", "affected", "cve-2024-0002")
		unknown := OpenVEX(t, "", "govulncheck", "Unknown Product", "pkg:golang/golang.org%2Fx%2Ftext@v0.3.0", "not_affected", "GO-2024-0003")
		for _, d := range []*vex.Document{img, pkg, unknown} {
			mustAppend(t, s, "acme", d)
		}
		for _, c := range []struct {
			name string
			f    vex.StatementFilter
			want []string
		}{
			{"by id", vex.StatementFilter{Vulnerabilities: []string{"CVE-2024-0001"}}, allDigests(img)},
			{"by id in another case", vex.StatementFilter{Vulnerabilities: []string{"cve-2024-0002"}}, allDigests(pkg)},
			{"by alias", vex.StatementFilter{Vulnerabilities: []string{"GHSA-aaaa-bbbb-cccc"}}, allDigests(img, pkg, unknown)},
			{"unknown id", vex.StatementFilter{Vulnerabilities: []string{"CVE-1999-0001"}}, nil},
			{"by image digest", vex.StatementFilter{Products: []string{ImageDigest}}, allDigests(img)},
			{"by subcomponent purl with another version", vex.StatementFilter{Products: []string{"pkg:deb/debian/openssl@3.0.11?arch=amd64"}}, allDigests(img)},
			{"by decoded purl", vex.StatementFilter{Products: []string{"pkg:golang/golang.org/x/net@v0.20.0"}}, allDigests(pkg)},
			{"placeholder product through its subcomponent", vex.StatementFilter{Products: []string{"pkg:golang/golang.org/x/text@v0.3.0"}}, allDigests(unknown)},
			{"vulnerability and product together", vex.StatementFilter{Vulnerabilities: []string{"GHSA-aaaa-bbbb-cccc"}, Products: []string{ImageDigest, "pkg:golang/golang.org/x/net"}}, allDigests(img, pkg)},
			{"product of no statement", vex.StatementFilter{Products: []string{"pkg:npm/left-pad"}}, nil},
			{"everything", vex.StatementFilter{}, allDigests(img, pkg, unknown)},
		} {
			if got := digests(statements(t, s, "acme", c.f)); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
	})
	t.Run("tenants are isolated", func(t *testing.T) {
		s := open(t)
		d := OpenVEX(t, "https://example.com/vex/1", "a", ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		mustAppend(t, s, "acme", d)
		if _, err := s.Document(ctx, "other", d.ContentHash); !errors.Is(err, vex.ErrNotFound) {
			t.Fatalf("other tenant's document: %v, want ErrNotFound", err)
		}
		if got := statements(t, s, "other", vex.StatementFilter{}); len(got) != 0 {
			t.Fatalf("other tenant sees %d statements", len(got))
		}
		if p, err := s.Documents(ctx, "other", vex.PageOptions{}); err != nil || len(p.Items) != 0 {
			t.Fatalf("other tenant's documents: %+v, %v", p, err)
		}
		// The same document is new to another tenant, and is its revision 1.
		if res := mustAppend(t, s, "other", d); !res.Inserted || res.Document.Revision != 1 || res.Document.Tenant != "other" {
			t.Fatalf("same document in another tenant: %+v", res)
		}
		if _, err := s.SaveIssuer(ctx, "acme", vex.Issuer{ID: "vendor", Name: "Vendor", Class: vex.ClassVendor}, at); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Registry(ctx, "other"); err != nil || len(r.Issuers()) != 0 || r.Version() != "0" {
			t.Fatalf("other tenant's registry: %v, %v", r, err)
		}
	})
	t.Run("documents page newest first", func(t *testing.T) {
		s := open(t)
		var want []string
		for i := range 5 {
			d := OpenVEX(t, "", fmt.Sprint(i), ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
			if _, err := s.AppendDocument(ctx, "acme", d, at.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
			want = append([]string{d.ContentHash}, want...)
		}
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			p, err := s.Documents(ctx, "acme", vex.PageOptions{First: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pages > 3 || len(p.Items) != len(p.Cursors) {
				t.Fatalf("page %d: %+v", pages, p)
			}
			for _, d := range p.Items {
				got = append(got, d.ContentHash)
			}
			if !p.HasNext {
				break
			}
			after = p.Cursors[len(p.Cursors)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages = %v, want %v", got, want)
		}
		if _, err := s.Documents(ctx, "acme", vex.PageOptions{After: "not-a-cursor"}); err == nil {
			t.Fatal("a bad cursor was accepted")
		}
	})
	t.Run("a document without a content hash is refused", func(t *testing.T) {
		s := open(t)
		d := OpenVEX(t, "", "a", ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
		d.ContentHash = ""
		if _, err := s.AppendDocument(ctx, "acme", d, at); err == nil {
			t.Fatal("accepted")
		}
		if got := statements(t, s, "acme", vex.StatementFilter{}); len(got) != 0 {
			t.Fatalf("refused document left %d statements", len(got))
		}
	})
	t.Run("issuer registry is versioned", func(t *testing.T) {
		s := open(t)
		r, err := s.Registry(ctx, "acme")
		if err != nil || r.Version() != "0" || len(r.Issuers()) != 0 {
			t.Fatalf("empty registry: %v, %v", r, err)
		}
		p := 0.9
		vendor := vex.Issuer{ID: "vendor", Name: "Example Corp", Class: vex.ClassVendor, Scope: []string{"pkg:deb/"},
			Keys: []vex.IssuerKey{{KeyID: "k1", Algorithm: "ed25519", PublicKey: "AAAA", ValidFrom: at}}, ProvenanceOverride: &p}
		v1, err := s.SaveIssuer(ctx, "acme", vendor, at)
		if err != nil || v1.Version != 1 || !v1.Changed || !strings.HasPrefix(v1.Digest, "sha256:") {
			t.Fatalf("first issuer: %+v, %v", v1, err)
		}
		same, err := s.SaveIssuer(ctx, "acme", vendor, at.Add(time.Hour))
		if err != nil || same.Changed || same.Version != 1 || same.Digest != v1.Digest {
			t.Fatalf("saving the same issuer: %+v, %v", same, err)
		}
		v2, err := s.SaveIssuer(ctx, "acme", vex.Issuer{ID: "distro", Name: "Distro", Class: vex.ClassDistro}, at)
		if err != nil || v2.Version != 2 || !v2.Changed {
			t.Fatalf("second issuer: %+v, %v", v2, err)
		}
		vendor.RequireSignatureForNotAffected = true
		v3, err := s.SaveIssuer(ctx, "acme", vendor, at)
		if err != nil || v3.Version != 3 {
			t.Fatalf("changed issuer: %+v, %v", v3, err)
		}
		r, err = s.Registry(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if r.Version() != "3" || r.Digest() != v3.Digest || len(r.Issuers()) != 2 {
			t.Fatalf("registry = version %s digest %s with %d issuers, want 3 %s 2", r.Version(), r.Digest(), len(r.Issuers()), v3.Digest)
		}
		got := r.Lookup("vendor")
		if !got.RequireSignatureForNotAffected || got.ProvenanceOverride == nil || *got.ProvenanceOverride != 0.9 ||
			len(got.Keys) != 1 || !got.Keys[0].ValidFrom.Equal(at) || !slices.Equal(got.Scope, []string{"pkg:deb/"}) {
			t.Fatalf("vendor = %+v", got)
		}
		if _, err := s.SaveIssuer(ctx, "acme", vex.Issuer{ID: "bad", Class: "nonsense"}, at); err == nil {
			t.Fatal("an issuer of an unknown class was saved")
		}
		if r, _ := s.Registry(ctx, "acme"); r.Version() != "3" {
			t.Fatalf("a refused issuer changed the registry to version %s", r.Version())
		}
	})
}
