package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/vex"
)

var _ vex.Store = (*DB)(nil)

type vexDocumentRow struct {
	bun.BaseModel `bun:"table:vex_documents,alias:d"`

	TenantID       string    `bun:"tenant_id,pk"`
	ContentHash    string    `bun:"content_hash,pk"`
	Format         string    `bun:"format"`
	Author         string    `bun:"author"`
	UpstreamID     string    `bun:"upstream_id"`
	Revision       int       `bun:"revision"`
	Supersedes     string    `bun:"supersedes"`
	Raw            []byte    `bun:"raw"`
	Warnings       string    `bun:"warnings"`
	StatementCount int       `bun:"statement_count"`
	CreatedAt      time.Time `bun:"created_at"`
}

type vexStatementRow struct {
	bun.BaseModel `bun:"table:vex_statements,alias:s"`

	TenantID       string `bun:"tenant_id,pk"`
	Digest         string `bun:"digest,pk"`
	DocumentDigest string `bun:"document_digest"`
	Issuer         string `bun:"issuer"`
	Vulnerability  string `bun:"vulnerability"`
	Product        string `bun:"product"`
	Status         string `bun:"status"`
	Statement      string `bun:"statement"`
}

type vexStatementVulnRow struct {
	bun.BaseModel `bun:"table:vex_statement_vulnerabilities"`

	TenantID        string `bun:"tenant_id,pk"`
	Vulnerability   string `bun:"vulnerability,pk"`
	StatementDigest string `bun:"statement_digest,pk"`
}

type vexStatementProductRow struct {
	bun.BaseModel `bun:"table:vex_statement_products"`

	TenantID        string `bun:"tenant_id,pk"`
	ProductKey      string `bun:"product_key,pk"`
	StatementDigest string `bun:"statement_digest,pk"`
}

type vexRegistryVersionRow struct {
	bun.BaseModel `bun:"table:vex_registry_versions,alias:v"`

	TenantID  string    `bun:"tenant_id,pk"`
	Version   int       `bun:"version,pk"`
	Digest    string    `bun:"digest"`
	IssuerID  string    `bun:"issuer_id"`
	CreatedAt time.Time `bun:"created_at"`
}

type vexIssuerRow struct {
	bun.BaseModel `bun:"table:vex_issuers,alias:i"`

	TenantID        string `bun:"tenant_id,pk"`
	RegistryVersion int    `bun:"registry_version,pk"`
	IssuerID        string `bun:"issuer_id,pk"`
	Issuer          string `bun:"issuer"`
}

func vexNotFound(kind, key string) error {
	return fmt.Errorf("%w: %w", vex.ErrNotFound, &fault.NotFoundError{Kind: kind, Key: key})
}

func vexConflict(kind, key, reason string) error {
	return fmt.Errorf("%w: %w", vex.ErrConflict, &fault.ConflictError{Kind: kind, Key: key, Reason: reason})
}

// invalidField is a validation error on one field, as the API reports it.
func invalidField(field, format string, args ...any) error {
	return fault.Invalid(field, format, args...)
}

// checkDocument refuses a document whose statements were not stamped by a
// reader: the store keeps what vex read, it does not normalize.
func checkDocument(doc *vex.Document) error {
	if doc == nil {
		return invalidField("document", "is required")
	}
	if !strings.HasPrefix(doc.ContentHash, "sha256:") {
		return invalidField("document", "has no sha256 content hash")
	}
	switch doc.Format {
	case vex.FormatOpenVEX, vex.FormatCSAF, vex.FormatCycloneDX, vex.FormatManual:
	default:
		return invalidField("document", "unknown format %q", doc.Format)
	}
	for i, s := range doc.Statements {
		if s.Digest == "" || s.DocumentDigest != doc.ContentHash {
			return invalidField("document", "statement %d has no digest or belongs to another document", i)
		}
		if s.Vulnerability == "" {
			return invalidField("document", "statement %d has no vulnerability", i)
		}
	}
	return nil
}

// AppendDocument stores a document and its statements in one transaction;
// see vex.Store.
func (s *store) AppendDocument(ctx context.Context, tenant string, doc *vex.Document, at time.Time) (vex.AppendResult, error) {
	if err := checkDocument(doc); err != nil {
		return vex.AppendResult{}, err
	}
	if at.IsZero() {
		at = time.Now()
	}
	row := vexDocumentRow{TenantID: tenant, ContentHash: doc.ContentHash, Format: string(doc.Format), Author: doc.Author,
		UpstreamID: vex.UpstreamID(doc), Revision: 1, Raw: nonNilSlice(doc.Raw), StatementCount: len(doc.Statements),
		CreatedAt: at.UTC()}
	var j jsonColumns
	j.put(&row.Warnings, nonNilSlice(doc.Warnings))
	stmts := make([]vexStatementRow, 0, len(doc.Statements))
	var vulns []vexStatementVulnRow
	var prods []vexStatementProductRow
	for _, st := range doc.Statements {
		r := vexStatementRow{TenantID: tenant, Digest: st.Digest, DocumentDigest: doc.ContentHash, Issuer: st.Issuer,
			Vulnerability: vex.NormalizeVulnID(st.Vulnerability), Product: st.Product.Ref, Status: string(st.Status)}
		j.put(&r.Statement, st)
		stmts = append(stmts, r)
		for _, v := range vex.VulnerabilityKeys(st) {
			vulns = append(vulns, vexStatementVulnRow{TenantID: tenant, Vulnerability: v, StatementDigest: st.Digest})
		}
		for _, p := range vex.ProductKeys(st) {
			prods = append(prods, vexStatementProductRow{TenantID: tenant, ProductKey: p, StatementDigest: st.Digest})
		}
	}
	if j.err != nil {
		return vex.AppendResult{}, j.err
	}
	var res vex.AppendResult
	err := s.inTxStore(ctx, func(tx *store) error {
		var existing vexDocumentRow
		err := tx.db.NewSelect().Model(&existing).Where("tenant_id = ? AND content_hash = ?", tenant, doc.ContentHash).Scan(ctx)
		switch {
		case err == nil:
			d, err := existing.document()
			res = vex.AppendResult{Document: d}
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if row.UpstreamID != "" {
			var prev vexDocumentRow
			err := tx.db.NewSelect().Model(&prev).Column("content_hash", "revision").
				Where("tenant_id = ? AND upstream_id = ?", tenant, row.UpstreamID).
				OrderExpr("revision DESC").Limit(1).Scan(ctx)
			switch {
			case err == nil:
				row.Revision, row.Supersedes = prev.Revision+1, prev.ContentHash
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if _, err := tx.db.NewInsert().Model(&row).Exec(ctx); err != nil {
			if _, clash := uniqueViolation(err); clash {
				return vexConflict("vex document", doc.ContentHash, "a document or revision was appended concurrently")
			}
			return err
		}
		if err := insertBatches(ctx, tx, stmts); err != nil {
			return err
		}
		if err := insertBatches(ctx, tx, vulns); err != nil {
			return err
		}
		if err := insertBatches(ctx, tx, prods); err != nil {
			return err
		}
		d, err := row.document()
		res = vex.AppendResult{Document: d, Inserted: true}
		return err
	})
	if err != nil {
		return vex.AppendResult{}, err
	}
	return res, nil
}

func (r *vexDocumentRow) document() (vex.StoredDocument, error) {
	d := vex.StoredDocument{Tenant: r.TenantID, ContentHash: r.ContentHash, Format: vex.Format(r.Format), Author: r.Author,
		UpstreamID: r.UpstreamID, Revision: r.Revision, Supersedes: r.Supersedes, Raw: r.Raw,
		Statements: r.StatementCount, CreatedAt: r.CreatedAt.UTC()}
	if err := fromJSON(r.Warnings, &d.Warnings); err != nil {
		return d, err
	}
	if len(d.Warnings) == 0 {
		d.Warnings = nil
	}
	return d, nil
}

func (s *store) Document(ctx context.Context, tenant, contentHash string) (*vex.StoredDocument, error) {
	var row vexDocumentRow
	err := s.db.NewSelect().Model(&row).Where("tenant_id = ? AND content_hash = ?", tenant, contentHash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vexNotFound("vex document", contentHash)
	}
	if err != nil {
		return nil, err
	}
	d, err := row.document()
	return &d, err
}

func (s *store) Documents(ctx context.Context, tenant string, opts vex.PageOptions) (*vex.DocumentPage, error) {
	lo := release.ListOptions{First: opts.First, After: opts.After}
	var rows []vexDocumentRow
	q, err := newestFirst(s.db.NewSelect().Model(&rows).Where("d.tenant_id = ?", tenant), "d.created_at", "d.content_hash", lo)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	p, err := toPage(rows, lo, cursorTime,
		func(r *vexDocumentRow) string { return timeCursorValue(r.CreatedAt, r.ContentHash) },
		func(r *vexDocumentRow) (vex.StoredDocument, error) { return r.document() })
	if err != nil {
		return nil, err
	}
	return &vex.DocumentPage{Items: p.Items, Cursors: p.Cursors, HasNext: p.HasNext}, nil
}

func (s *store) Statements(ctx context.Context, tenant string, f vex.StatementFilter) ([]vex.Statement, error) {
	var rows []vexStatementRow
	q := s.db.NewSelect().Model(&rows).Where("s.tenant_id = ?", tenant)
	if f.Document != "" {
		q = q.Where("s.document_digest = ?", f.Document)
	} else {
		// Only the latest revision of an upstream document speaks.
		q = q.Where(`NOT EXISTS (SELECT 1 FROM vex_documents AS n WHERE n.tenant_id = s.tenant_id
			AND n.supersedes = s.document_digest)`)
	}
	if len(f.Vulnerabilities) > 0 {
		ids := make([]string, 0, len(f.Vulnerabilities))
		for _, v := range f.Vulnerabilities {
			if v = vex.NormalizeVulnID(v); v != "" {
				ids = append(ids, v)
			}
		}
		if len(ids) == 0 {
			return []vex.Statement{}, nil
		}
		q = q.Where(`s.digest IN (SELECT v.statement_digest FROM vex_statement_vulnerabilities AS v
			WHERE v.tenant_id = ? AND v.vulnerability IN (?))`, tenant, bun.List(ids))
	}
	if len(f.Products) > 0 {
		keys := make([]string, 0, len(f.Products))
		for _, p := range f.Products {
			if k := vex.ProductKey(p); k != "" {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return []vex.Statement{}, nil
		}
		q = q.Where(`s.digest IN (SELECT p.statement_digest FROM vex_statement_products AS p
			WHERE p.tenant_id = ? AND p.product_key IN (?))`, tenant, bun.List(keys))
	}
	if err := q.OrderExpr("s.digest").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]vex.Statement, len(rows))
	for i := range rows {
		if err := fromJSON(rows[i].Statement, &out[i]); err != nil {
			return nil, err
		}
		out[i].Timestamp = out[i].Timestamp.UTC()
	}
	return out, nil
}

// currentRegistry reads the latest registry version and its issuers.
func (s *store) currentRegistry(ctx context.Context, tenant string) (vexRegistryVersionRow, []vex.Issuer, error) {
	var v vexRegistryVersionRow
	err := s.db.NewSelect().Model(&v).Where("tenant_id = ?", tenant).OrderExpr("version DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return vexRegistryVersionRow{TenantID: tenant}, nil, nil
	}
	if err != nil {
		return v, nil, err
	}
	var rows []vexIssuerRow
	if err := s.db.NewSelect().Model(&rows).Where("tenant_id = ? AND registry_version = ?", tenant, v.Version).
		OrderExpr("issuer_id").Scan(ctx); err != nil {
		return v, nil, err
	}
	out := make([]vex.Issuer, len(rows))
	for i := range rows {
		if err := fromJSON(rows[i].Issuer, &out[i]); err != nil {
			return v, nil, err
		}
	}
	return v, out, nil
}

// SaveIssuer appends a registry version with is added or replaced; see
// vex.Store.
func (s *store) SaveIssuer(ctx context.Context, tenant string, is vex.Issuer, at time.Time) (vex.RegistryVersion, error) {
	if _, err := vex.NewRegistry("", is); err != nil {
		return vex.RegistryVersion{}, invalidField("issuer", "%s", strings.TrimPrefix(err.Error(), "vex: "))
	}
	if at.IsZero() {
		at = time.Now()
	}
	var out vex.RegistryVersion
	err := s.inTxStore(ctx, func(tx *store) error {
		cur, issuers, err := tx.currentRegistry(ctx, tenant)
		if err != nil {
			return err
		}
		next := make([]vex.Issuer, 0, len(issuers)+1)
		var before vex.Issuer
		found := false
		for _, old := range issuers {
			if old.ID == is.ID {
				before, found = old, true
				continue
			}
			next = append(next, old)
		}
		next = append(next, is)
		reg, err := vex.NewRegistry(strconv.Itoa(cur.Version+1), next...)
		if err != nil {
			return invalidField("issuer", "%s", strings.TrimPrefix(err.Error(), "vex: "))
		}
		if found {
			a, errA := json.Marshal(before)
			b, errB := json.Marshal(reg.Lookup(is.ID))
			if errA == nil && errB == nil && bytes.Equal(a, b) {
				out = vex.RegistryVersion{Version: cur.Version, Digest: cur.Digest, Issuer: cur.IssuerID, CreatedAt: cur.CreatedAt.UTC()}
				return nil
			}
		}
		v := vexRegistryVersionRow{TenantID: tenant, Version: cur.Version + 1, Digest: reg.Digest(), IssuerID: is.ID, CreatedAt: at.UTC()}
		if _, err := tx.db.NewInsert().Model(&v).Exec(ctx); err != nil {
			if _, clash := uniqueViolation(err); clash {
				return vexConflict("vex issuer registry", strconv.Itoa(v.Version), "another registry version was appended concurrently")
			}
			return err
		}
		rows := make([]vexIssuerRow, 0, len(next))
		var j jsonColumns
		for _, i := range reg.Issuers() {
			r := vexIssuerRow{TenantID: tenant, RegistryVersion: v.Version, IssuerID: i.ID}
			j.put(&r.Issuer, i)
			rows = append(rows, r)
		}
		if j.err != nil {
			return j.err
		}
		if err := insertBatches(ctx, tx, rows); err != nil {
			return err
		}
		out = vex.RegistryVersion{Version: v.Version, Digest: v.Digest, Issuer: is.ID, CreatedAt: v.CreatedAt, Changed: true}
		return nil
	})
	if err != nil {
		return vex.RegistryVersion{}, err
	}
	return out, nil
}

// Registry builds the tenant's current issuer registry.
func (s *store) Registry(ctx context.Context, tenant string) (*vex.Registry, error) {
	cur, issuers, err := s.currentRegistry(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return vex.NewRegistry(strconv.Itoa(cur.Version), issuers...)
}
