package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/release"
)

var _ record.Store = (*DB)(nil)

type gateDecisionRow struct {
	bun.BaseModel `bun:"table:gate_decisions,alias:g"`

	TenantID        string    `bun:"tenant_id,pk"`
	RecordDigest    string    `bun:"record_digest,pk"`
	ReleaseID       string    `bun:"release_id"`
	ReleaseName     string    `bun:"release_name"`
	ReleaseDigest   string    `bun:"release_digest"`
	EnvironmentID   string    `bun:"environment_id"`
	EnvironmentName string    `bun:"environment_name"`
	Decision        string    `bun:"decision"`
	Mode            string    `bun:"mode"`
	Phase           string    `bun:"phase"`
	ClockCutoff     time.Time `bun:"clock_cutoff"`
	CreatedAt       time.Time `bun:"created_at"`
	Record          string    `bun:"record"`
}

type gateInputRow struct {
	bun.BaseModel `bun:"table:gate_inputs"`

	TenantID string `bun:"tenant_id,pk"`
	Digest   string `bun:"digest,pk"`
	Content  []byte `bun:"content"`
}

func gateNotFound(digest string) error {
	return fmt.Errorf("%w: %w", record.ErrDecisionNotFound, &fault.NotFoundError{Kind: "decision record", Key: digest})
}

// AppendDecision stores a sealed record; see record.Store. raw must be
// the record's canonical bytes, so what is listed later is exactly what
// was decided.
func (s *store) AppendDecision(ctx context.Context, tenant string, d *gate.Decision, raw []byte) (bool, error) {
	if d == nil {
		return false, invalidField("record", "is required")
	}
	if err := d.CheckDigests(); err != nil {
		return false, invalidField("record", "%v", err)
	}
	want, err := d.Canonical()
	if err != nil {
		return false, err
	}
	if !bytes.Equal(want, raw) {
		return false, invalidField("record", "bytes are not the record's canonical JSON")
	}
	if d.Tenant != "" && d.Tenant != tenant {
		return false, invalidField("record", "belongs to tenant %q", d.Tenant)
	}
	row := gateDecisionRow{TenantID: tenant, RecordDigest: d.RecordDigest, ReleaseID: d.Release.ID, ReleaseName: d.Release.Name,
		ReleaseDigest: d.Release.Digest, EnvironmentID: d.Environment.ID, EnvironmentName: d.Environment.Name,
		Decision: string(d.Decision), Mode: string(d.Mode), Phase: string(d.Phase), ClockCutoff: d.ClockCutoff.UTC(),
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Record: string(raw)}
	res, err := s.db.NewInsert().Model(&row).On("CONFLICT (tenant_id, record_digest) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// gateCursor is "<clockCutoff>|<createdAt>|<recordDigest>" of the last row.
const cursorGate = "g"

func (s *store) Decisions(ctx context.Context, tenant string, f record.Filter, page record.PageOptions) (*record.Page, error) {
	lo := release.ListOptions{First: page.First, After: page.After}
	if lo.First < 0 || lo.First > release.MaxPageSize {
		return nil, invalidField("first", "must be between 0 and %d", release.MaxPageSize)
	}
	var rows []gateDecisionRow
	q := s.db.NewSelect().Model(&rows).Where("g.tenant_id = ?", tenant)
	if f.ReleaseID != "" {
		q = q.Where("g.release_id = ?", f.ReleaseID)
	}
	if f.ReleaseDigest != "" {
		q = q.Where("g.release_digest = ?", f.ReleaseDigest)
	}
	if f.Environment != "" {
		q = q.Where("(g.environment_id = ? OR g.environment_name = ?)", f.Environment, f.Environment)
	}
	if lo.After != "" {
		v, err := decodeCursor(cursorGate, lo.After)
		if err != nil {
			return nil, err
		}
		parts := strings.SplitN(v, "|", 3)
		if len(parts) != 3 {
			return nil, errBadCursor()
		}
		cut, err1 := time.Parse(time.RFC3339Nano, parts[0])
		created, err2 := time.Parse(time.RFC3339Nano, parts[1])
		if err1 != nil || err2 != nil {
			return nil, errBadCursor()
		}
		q = q.Where("(g.clock_cutoff, g.created_at, g.record_digest) < (?, ?, ?)", cut.UTC(), created.UTC(), parts[2])
	}
	q = q.OrderExpr("g.clock_cutoff DESC, g.created_at DESC, g.record_digest DESC").Limit(int64(lo.Limit()) + 1)
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	p, err := toPage(rows, lo, cursorGate,
		func(r *gateDecisionRow) string {
			return r.ClockCutoff.UTC().Format(time.RFC3339Nano) + "|" + r.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + r.RecordDigest
		},
		func(r *gateDecisionRow) (record.Stored, error) { return r.stored() })
	if err != nil {
		return nil, err
	}
	return &record.Page{Items: p.Items, Cursors: p.Cursors, HasNext: p.HasNext}, nil
}

func (s *store) Decision(ctx context.Context, tenant, recordDigest string) (*record.Stored, error) {
	var row gateDecisionRow
	err := s.db.NewSelect().Model(&row).Where("g.tenant_id = ? AND g.record_digest = ?", tenant, recordDigest).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateNotFound(recordDigest)
	}
	if err != nil {
		return nil, err
	}
	sd, err := row.stored()
	if err != nil {
		return nil, err
	}
	return &sd, nil
}

func (r *gateDecisionRow) stored() (record.Stored, error) {
	d, err := gate.ParseDecision([]byte(r.Record))
	if err != nil {
		return record.Stored{}, fmt.Errorf("stored decision %s: %w", r.RecordDigest, err)
	}
	return record.Stored{Decision: d, Raw: []byte(r.Record), CreatedAt: r.CreatedAt.UTC()}, nil
}

// GateInputs is the tenant's content-addressed store of decision inputs
// (input documents, gate configurations, policy bundles, approvals and
// exception logs), for gate.KeepInputs and record.Replay.
func (d *DB) GateInputs(tenant string) record.CAS {
	return &gateCAS{s: d.store, tenant: tenant}
}

type gateCAS struct {
	s      *store
	tenant string
}

// Put stores b under its sha256; content already stored is kept.
func (c *gateCAS) Put(ctx context.Context, b []byte) (string, error) {
	digest := canon.SHA256(b)
	row := gateInputRow{TenantID: c.tenant, Digest: digest, Content: nonNilSlice(b)}
	if _, err := c.s.db.NewInsert().Model(&row).On("CONFLICT (tenant_id, digest) DO NOTHING").Exec(ctx); err != nil {
		return "", fmt.Errorf("gate inputs: %w", err)
	}
	return digest, nil
}

// Get returns the content stored under digest, checked against it.
func (c *gateCAS) Get(ctx context.Context, digest string) ([]byte, error) {
	var row gateInputRow
	err := c.s.db.NewSelect().Model(&row).Where("tenant_id = ? AND digest = ?", c.tenant, digest).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", record.ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("gate inputs: %w", err)
	}
	if got := canon.SHA256(row.Content); got != digest {
		return nil, fmt.Errorf("%w: %s holds %s", record.ErrDigestMismatch, digest, got)
	}
	return row.Content, nil
}

// CurrentRelease returns the id of the release of application now deployed
// in an environment, or "" when there is none.
func (s *store) CurrentRelease(ctx context.Context, tenant, envID, application string) (string, error) {
	var row currentReleaseRow
	err := s.db.NewSelect().Model(&row).
		Where("tenant_id = ? AND environment_id = ? AND application = ?", tenant, envID, application).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return row.ReleaseID, err
}

// GateInputs is the tenant's inputs store bound to this transaction.
func (t *Tx) GateInputs(tenant string) record.CAS {
	return &gateCAS{s: t.store, tenant: tenant}
}
