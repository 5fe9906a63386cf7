package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
)

var _ advisory.Store = (*DB)(nil)

type observationRow struct {
	bun.BaseModel `bun:"table:advisory_observations,alias:o"`

	TenantID         string     `bun:"tenant_id,pk"`
	ID               string     `bun:"id,pk"`
	Source           string     `bun:"source"`
	UpstreamID       string     `bun:"upstream_id"`
	Revision         int        `bun:"revision"`
	ReaderVersion    string     `bun:"reader_version"`
	DocumentVersion  string     `bun:"document_version"`
	UpstreamModified time.Time  `bun:"upstream_modified"`
	FetchedAt        *time.Time `bun:"fetched_at"`
	Signature        string     `bun:"signature"`
	ContentHash      string     `bun:"content_hash"`
	ContentFormat    string     `bun:"content_format"`
	SpecVersion      string     `bun:"spec_version"`
	Raw              []byte     `bun:"raw"`
	Identifiers      string     `bun:"identifiers"`
	Hints            string     `bun:"hints"`
	Parsed           string     `bun:"parsed"`
	Supersedes       string     `bun:"supersedes"`
	CreatedAt        time.Time  `bun:"created_at"`
}

type effectiveRow struct {
	bun.BaseModel `bun:"table:advisory_effective,alias:e"`

	TenantID  string `bun:"tenant_id,pk"`
	ID        string `bun:"id,pk"`
	Digest    string `bun:"digest"`
	Withdrawn bool   `bun:"withdrawn"`
	Document  string `bun:"document"`
}

type effectiveAliasRow struct {
	bun.BaseModel `bun:"table:advisory_effective_aliases,alias:a"`

	TenantID   string `bun:"tenant_id,pk"`
	Alias      string `bun:"alias,pk"`
	AdvisoryID string `bun:"advisory_id"`
}

type effectivePackageRow struct {
	bun.BaseModel `bun:"table:advisory_effective_packages,alias:p"`

	TenantID   string `bun:"tenant_id,pk"`
	Ecosystem  string `bun:"ecosystem,pk"`
	Name       string `bun:"name,pk"`
	AdvisoryID string `bun:"advisory_id,pk"`
}

type effectiveSnapshotRow struct {
	bun.BaseModel `bun:"table:advisory_effective_snapshots,alias:s"`

	TenantID     string    `bun:"tenant_id,pk"`
	SnapshotID   string    `bun:"snapshot_id"`
	Observations int       `bun:"observations"`
	CreatedAt    time.Time `bun:"created_at"`
}

// Batch sizes keep every statement well under both databases' bind-parameter
// limits (SQLite 32766, PostgreSQL 65535).
const (
	insertBatch = 200
	lookupBatch = 500
)

func advisoryNotFound(kind, key string) error {
	return fmt.Errorf("%w: %w", advisory.ErrNotFound, &fault.NotFoundError{Kind: kind, Key: key})
}

func advisoryConflict(key, reason string) error {
	return fmt.Errorf("%w: %w", advisory.ErrConflict, &fault.ConflictError{Kind: "advisory observation", Key: key, Reason: reason})
}

// docKey identifies an upstream document within a tenant.
type docKey struct{ source, upstream string }

// latestRev is the latest stored (or, within one Append, just assigned)
// revision of a document.
type latestRev struct {
	revision int
	hash, id string
}

// Append stores observations append-only; see advisory.Store.
func (s *store) Append(ctx context.Context, tenant string, obs []advisory.Observation) (advisory.AppendResult, error) {
	res := advisory.AppendResult{Outcomes: make([]advisory.AppendOutcome, 0, len(obs))}
	for i := range obs {
		o := &obs[i]
		if o.Source.ID == "" || o.Upstream.ID == "" || o.ContentHash == "" {
			return res, fmt.Errorf("advisory observation %d: source, upstream id and content hash are required", i)
		}
	}
	now := time.Now().UTC()
	err := s.inTxStore(ctx, func(tx *store) error {
		latest, err := tx.latestRevisions(ctx, tenant, obs)
		if err != nil {
			return err
		}
		rows := make([]observationRow, 0, len(obs))
		for i := range obs {
			o := &obs[i]
			k := docKey{o.Source.ID, o.Upstream.ID}
			cur := latest[k]
			out := advisory.AppendOutcome{}
			rev := cur.revision + 1
			if o.ID != "" {
				given, err := tx.checkGivenID(ctx, tenant, o, cur)
				if err != nil {
					return err
				}
				if given == 0 { // stored with this content
					res.Outcomes = append(res.Outcomes, advisory.AppendOutcome{ID: o.ID, Status: advisory.SkipIdentical, Revision: revisionOf(o.ID)})
					res.Skipped++
					continue
				}
				rev = given
			}
			if cur.revision > 0 && cur.hash == o.ContentHash {
				res.Outcomes = append(res.Outcomes, advisory.AppendOutcome{ID: cur.id, Status: advisory.SkipIdentical, Revision: cur.revision})
				res.Skipped++
				continue
			}
			out.ID = o.Source.ID + ":" + o.Upstream.ID + ":" + strconv.Itoa(rev)
			out.Revision, out.Status, out.Supersedes = rev, advisory.Appended, cur.id
			row, err := newObservationRow(tenant, out, o, now)
			if err != nil {
				return err
			}
			rows = append(rows, row)
			latest[k] = latestRev{revision: rev, hash: o.ContentHash, id: out.ID}
			res.Outcomes = append(res.Outcomes, out)
			res.Appended++
		}
		for start := 0; start < len(rows); start += insertBatch {
			batch := rows[start:min(start+insertBatch, len(rows))]
			if _, err := tx.db.NewInsert().Model(&batch).Exec(ctx); err != nil {
				if _, clash := uniqueViolation(err); clash {
					return advisoryConflict(batch[0].ID, "a revision was appended concurrently")
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return advisory.AppendResult{}, err
	}
	return res, nil
}

// checkGivenID checks an observation that arrives with its id: 0 when that
// id is stored with the same content hash, else the revision to write,
// which must follow the latest one.
func (s *store) checkGivenID(ctx context.Context, tenant string, o *advisory.Observation, cur latestRev) (int, error) {
	prefix := o.Source.ID + ":" + o.Upstream.ID + ":"
	rev := revisionOf(o.ID)
	if !strings.HasPrefix(o.ID, prefix) || rev < 1 || o.ID != prefix+strconv.Itoa(rev) {
		return 0, advisoryConflict(o.ID, "id is not "+prefix+"<revision>")
	}
	if rev <= cur.revision {
		var hash string
		err := s.db.NewSelect().Model((*observationRow)(nil)).Column("content_hash").
			Where("tenant_id = ? AND id = ?", tenant, o.ID).Scan(ctx, &hash)
		if err != nil {
			return 0, err
		}
		if hash != o.ContentHash {
			return 0, advisoryConflict(o.ID, "stored with other content")
		}
		return 0, nil
	}
	if rev != cur.revision+1 {
		return 0, advisoryConflict(o.ID, fmt.Sprintf("revision %d does not follow the latest stored revision %d", rev, cur.revision))
	}
	return rev, nil
}

func revisionOf(id string) int {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(id[i+1:])
	return n
}

// latestRevisions reads the latest stored revision of every document obs
// names, a batch of upstream ids per query.
func (s *store) latestRevisions(ctx context.Context, tenant string, obs []advisory.Observation) (map[docKey]latestRev, error) {
	bySource := map[string][]string{}
	seen := map[docKey]bool{}
	for i := range obs {
		k := docKey{obs[i].Source.ID, obs[i].Upstream.ID}
		if !seen[k] {
			seen[k] = true
			bySource[k.source] = append(bySource[k.source], k.upstream)
		}
	}
	out := make(map[docKey]latestRev, len(seen))
	for source, ids := range bySource {
		for start := 0; start < len(ids); start += lookupBatch {
			var rows []observationRow
			err := s.db.NewSelect().Model(&rows).Column("id", "upstream_id", "revision", "content_hash").
				Where("tenant_id = ? AND source = ? AND upstream_id IN (?)", tenant, source, bun.List(ids[start:min(start+lookupBatch, len(ids))])).
				Scan(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				k := docKey{source, r.UpstreamID}
				if r.Revision > out[k].revision {
					out[k] = latestRev{revision: r.Revision, hash: r.ContentHash, id: r.ID}
				}
			}
		}
	}
	return out, nil
}

func newObservationRow(tenant string, out advisory.AppendOutcome, o *advisory.Observation, now time.Time) (observationRow, error) {
	var j jsonColumns
	row := observationRow{TenantID: tenant, ID: out.ID, Source: o.Source.ID, UpstreamID: o.Upstream.ID, Revision: out.Revision,
		ReaderVersion: o.Source.ReaderVersion, DocumentVersion: o.Upstream.DocumentVersion,
		UpstreamModified: o.Upstream.Modified.UTC(), ContentHash: o.ContentHash, ContentFormat: o.Content.Format,
		SpecVersion: o.Content.SpecVersion, Raw: nonNilSlice(o.Content.Raw), Supersedes: out.Supersedes, CreatedAt: o.CreatedAt.UTC()}
	if !o.Upstream.FetchedAt.IsZero() {
		row.FetchedAt = utcPtr(&o.Upstream.FetchedAt)
	}
	if row.CreatedAt.IsZero() {
		row.CreatedAt = now
	}
	ids := o.Identifiers
	ids.Aliases = nonNilSlice(ids.Aliases)
	hints := advisory.Hints{PURLs: nonNilSlice(o.Hints.PURLs), CPEs: nonNilSlice(o.Hints.CPEs)}
	j.put(&row.Signature, o.Upstream.Signature)
	j.put(&row.Identifiers, ids)
	j.put(&row.Hints, hints)
	j.put(&row.Parsed, o.Advisory)
	return row, j.err
}

func (r *observationRow) observation() (advisory.Observation, error) {
	o := advisory.Observation{ID: r.ID, Tenant: r.TenantID,
		Source:      advisory.SourceRef{ID: r.Source, ReaderVersion: r.ReaderVersion},
		Upstream:    advisory.Upstream{ID: r.UpstreamID, DocumentVersion: r.DocumentVersion, Modified: r.UpstreamModified.UTC()},
		ContentHash: r.ContentHash,
		Content:     advisory.Content{Format: r.ContentFormat, SpecVersion: r.SpecVersion, Raw: r.Raw},
		Supersedes:  r.Supersedes, CreatedAt: r.CreatedAt.UTC()}
	if r.FetchedAt != nil {
		o.Upstream.FetchedAt = r.FetchedAt.UTC()
	}
	var j jsonColumns
	j.get(r.Signature, &o.Upstream.Signature)
	j.get(r.Identifiers, &o.Identifiers)
	j.get(r.Hints, &o.Hints)
	j.get(r.Parsed, &o.Advisory)
	return o, j.err
}

func observations(rows []observationRow) ([]advisory.Observation, error) {
	out := make([]advisory.Observation, len(rows))
	for i := range rows {
		o, err := rows[i].observation()
		if err != nil {
			return nil, err
		}
		out[i] = o
		rows[i] = observationRow{} // release the raw bytes as we go
	}
	return out, nil
}

// Latest returns the latest revision of each upstream document: a row no
// higher revision of the same document follows.
func (s *store) Latest(ctx context.Context, tenant string) ([]advisory.Observation, error) {
	var rows []observationRow
	err := s.db.NewSelect().Model(&rows).
		Where("o.tenant_id = ?", tenant).
		Where(`NOT EXISTS (SELECT 1 FROM advisory_observations AS n WHERE n.tenant_id = o.tenant_id
			AND n.source = o.source AND n.upstream_id = o.upstream_id AND n.revision > o.revision)`).
		OrderExpr("o.id").Scan(ctx)
	if err != nil {
		return nil, err
	}
	return observations(rows)
}

func (s *store) Observation(ctx context.Context, tenant, id string) (*advisory.Observation, error) {
	var row observationRow
	err := s.db.NewSelect().Model(&row).Where("tenant_id = ? AND id = ?", tenant, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, advisoryNotFound("advisory observation", id)
	}
	if err != nil {
		return nil, err
	}
	o, err := row.observation()
	return &o, err
}

func (s *store) Revisions(ctx context.Context, tenant, source, upstreamID string) ([]advisory.Observation, error) {
	var rows []observationRow
	err := s.db.NewSelect().Model(&rows).Where("tenant_id = ? AND source = ? AND upstream_id = ?", tenant, source, upstreamID).
		OrderExpr("revision").Scan(ctx)
	if err != nil {
		return nil, err
	}
	return observations(rows)
}

// PutEffective replaces the tenant's effective view in one transaction.
func (s *store) PutEffective(ctx context.Context, tenant string, effs []advisory.Effective, snap advisory.Snapshot) error {
	rows := make([]effectiveRow, 0, len(effs))
	var aliases []effectiveAliasRow
	var pkgs []effectivePackageRow
	for i := range effs {
		e := &effs[i]
		if e.ID == "" || e.Digest == "" {
			return fmt.Errorf("effective advisory %d: id and digest are required", i)
		}
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("store: encode effective advisory %s: %w", e.ID, err)
		}
		rows = append(rows, effectiveRow{TenantID: tenant, ID: e.ID, Digest: e.Digest, Withdrawn: e.Withdrawn, Document: string(doc)})
		aliases = append(aliases, effectiveAliasRow{TenantID: tenant, Alias: e.ID, AdvisoryID: e.ID})
		for _, a := range e.Aliases {
			aliases = append(aliases, effectiveAliasRow{TenantID: tenant, Alias: a, AdvisoryID: e.ID})
		}
		seen := map[advisory.PackageKey]bool{}
		for j := range e.Affected {
			k := e.Affected[j].Key()
			if !seen[k] {
				seen[k] = true
				pkgs = append(pkgs, effectivePackageRow{TenantID: tenant, Ecosystem: k.Ecosystem, Name: k.Name, AdvisoryID: e.ID})
			}
		}
	}
	createdAt := snap.CreatedAt.UTC()
	if snap.CreatedAt.IsZero() {
		createdAt = time.Now().UTC()
	}
	return s.inTxStore(ctx, func(tx *store) error {
		for _, m := range []any{(*effectiveRow)(nil), (*effectiveAliasRow)(nil), (*effectivePackageRow)(nil), (*effectiveSnapshotRow)(nil)} {
			if _, err := tx.db.NewDelete().Model(m).Where("tenant_id = ?", tenant).Exec(ctx); err != nil {
				return err
			}
		}
		if err := insertBatches(ctx, tx, rows); err != nil {
			return err
		}
		if err := insertBatches(ctx, tx, aliases); err != nil {
			return mapErr(err, ref{kind: "effective advisory alias", key: tenant,
				clash: map[string]string{"alias": "an alias belongs to two effective advisories"}})
		}
		if err := insertBatches(ctx, tx, pkgs); err != nil {
			return err
		}
		_, err := tx.db.NewInsert().Model(&effectiveSnapshotRow{TenantID: tenant, SnapshotID: snap.ID,
			Observations: snap.Observations, CreatedAt: createdAt}).Exec(ctx)
		return err
	})
}

func insertBatches[T any](ctx context.Context, tx *store, rows []T) error {
	for start := 0; start < len(rows); start += insertBatch {
		batch := rows[start:min(start+insertBatch, len(rows))]
		if _, err := tx.db.NewInsert().Model(&batch).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r *effectiveRow) effective() (advisory.Effective, error) {
	var e advisory.Effective
	if err := json.Unmarshal([]byte(r.Document), &e); err != nil {
		return e, fmt.Errorf("store: decode effective advisory %s: %w", r.ID, err)
	}
	return e, nil
}

func (s *store) Effective(ctx context.Context, tenant, idOrAlias string) (*advisory.Effective, error) {
	var row effectiveRow
	err := s.db.NewSelect().Model(&row).
		Join("JOIN advisory_effective_aliases AS a ON a.tenant_id = e.tenant_id AND a.advisory_id = e.id").
		Where("a.tenant_id = ? AND a.alias = ?", tenant, idOrAlias).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, advisoryNotFound("effective advisory", idOrAlias)
	}
	if err != nil {
		return nil, err
	}
	e, err := row.effective()
	return &e, err
}

func (s *store) EffectiveByPackage(ctx context.Context, tenant, ecosystem, name string) ([]advisory.Effective, error) {
	k := advisory.NewPackageKey(ecosystem, name)
	var rows []effectiveRow
	err := s.db.NewSelect().Model(&rows).
		Join("JOIN advisory_effective_packages AS p ON p.tenant_id = e.tenant_id AND p.advisory_id = e.id").
		Where("p.tenant_id = ? AND p.ecosystem = ? AND p.name = ?", tenant, k.Ecosystem, k.Name).
		OrderExpr("e.id").Scan(ctx)
	if err != nil {
		return nil, err
	}
	return effectives(rows)
}

func effectives(rows []effectiveRow) ([]advisory.Effective, error) {
	out := make([]advisory.Effective, len(rows))
	for i := range rows {
		e, err := rows[i].effective()
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (s *store) EffectiveAll(ctx context.Context, tenant string) ([]advisory.Effective, advisory.Snapshot, error) {
	var rows []effectiveRow
	if err := s.db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant).OrderExpr("id").Scan(ctx); err != nil {
		return nil, advisory.Snapshot{}, err
	}
	effs, err := effectives(rows)
	if err != nil {
		return nil, advisory.Snapshot{}, err
	}
	var snap effectiveSnapshotRow
	err = s.db.NewSelect().Model(&snap).Where("tenant_id = ?", tenant).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return effs, advisory.Snapshot{}, nil
	}
	if err != nil {
		return nil, advisory.Snapshot{}, err
	}
	return effs, advisory.Snapshot{ID: snap.SnapshotID, Observations: snap.Observations, CreatedAt: snap.CreatedAt.UTC()}, nil
}
