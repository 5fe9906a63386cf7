package store

import (
	"context"
	"errors"
	"testing"

	"github.com/stella-ops/stella/advisory"
)

func TestFeedCursors(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		ctx := context.Background()
		db := open(t)
		if _, err := db.FeedCursor(ctx, "acme", "osv https://x/all.zip"); !errors.Is(err, advisory.ErrNotFound) {
			t.Fatalf("missing cursor: %v, want ErrNotFound", err)
		}
		c := &advisory.FeedCursor{Feed: "osv https://x/all.zip", ETag: `"v1"`, LastModified: "Sat, 28 Nov 2026 12:00:00 GMT", ContentHash: "sha256:aa", UpdatedAt: fixedTime()}
		if err := db.PutFeedCursor(ctx, "acme", c); err != nil {
			t.Fatal(err)
		}
		c.ETag, c.Generation = `"v2"`, 7
		if err := db.PutFeedCursor(ctx, "acme", c); err != nil {
			t.Fatalf("replacing a cursor: %v", err)
		}
		got, err := db.FeedCursor(ctx, "acme", c.Feed)
		if err != nil || got.ETag != `"v2"` || got.Generation != 7 || got.LastModified != c.LastModified || !got.UpdatedAt.Equal(fixedTime()) {
			t.Fatalf("cursor = %+v, %v", got, err)
		}
		if _, err := db.FeedCursor(ctx, "globex", c.Feed); !errors.Is(err, advisory.ErrNotFound) {
			t.Fatalf("another tenant's cursor: %v, want ErrNotFound", err)
		}
	})
}
