package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/fault"
)

var _ advisory.CursorStore = (*DB)(nil)

type feedCursorRow struct {
	bun.BaseModel `bun:"table:advisory_feed_cursors"`

	TenantID     string    `bun:"tenant_id,pk"`
	Feed         string    `bun:"feed,pk"`
	ETag         string    `bun:"etag"`
	LastModified string    `bun:"last_modified"`
	Generation   int64     `bun:"generation"`
	ContentHash  string    `bun:"content_hash"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

// schemaFeedCursors keeps where each feed's last sync left off.
func schemaFeedCursors(dialect string) []string {
	return ddl(dialect, `CREATE TABLE advisory_feed_cursors (
		tenant_id {key} NOT NULL,
		feed {key} NOT NULL,
		etag TEXT NOT NULL,
		last_modified TEXT NOT NULL,
		generation BIGINT NOT NULL,
		content_hash TEXT NOT NULL,
		updated_at {ts} NOT NULL,
		PRIMARY KEY (tenant_id, feed)
	)`)
}

func (s *store) FeedCursor(ctx context.Context, tenant, feed string) (*advisory.FeedCursor, error) {
	var row feedCursorRow
	err := s.db.NewSelect().Model(&row).Where("tenant_id = ? AND feed = ?", tenant, feed).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %w", advisory.ErrNotFound, &fault.NotFoundError{Kind: "feed cursor", Key: feed})
	}
	if err != nil {
		return nil, err
	}
	return &advisory.FeedCursor{Feed: row.Feed, ETag: row.ETag, LastModified: row.LastModified,
		Generation: row.Generation, ContentHash: row.ContentHash, UpdatedAt: row.UpdatedAt.UTC()}, nil
}

// PutFeedCursor inserts or replaces the tenant's cursor for c.Feed.
func (s *store) PutFeedCursor(ctx context.Context, tenant string, c *advisory.FeedCursor) error {
	row := &feedCursorRow{TenantID: tenant, Feed: c.Feed, ETag: c.ETag, LastModified: c.LastModified,
		Generation: c.Generation, ContentHash: c.ContentHash, UpdatedAt: c.UpdatedAt.UTC()}
	_, err := s.db.NewInsert().Model(row).
		On("CONFLICT (tenant_id, feed) DO UPDATE").
		Set("etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, generation = EXCLUDED.generation").
		Set("content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return err
}
