package advisory

import (
	"context"
	"time"
)

// FeedCursor is where the last sync of one feed left off: the HTTP validators
// for a conditional request, the digest of what was fetched and, for mirror
// bundles, the generation imported last (a bundle must be newer).
type FeedCursor struct {
	Feed         string    `json:"feed"` // e.g. "osv https://…/all.zip" or "mirror"
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"lastModified,omitempty"`
	Generation   int64     `json:"generation,omitempty"`
	ContentHash  string    `json:"contentHash,omitempty"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// CursorStore keeps one cursor per (tenant, feed). A missing cursor is
// ErrNotFound.
type CursorStore interface {
	FeedCursor(ctx context.Context, tenant, feed string) (*FeedCursor, error)
	PutFeedCursor(ctx context.Context, tenant string, c *FeedCursor) error
}
