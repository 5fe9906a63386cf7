package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stella-ops/stella/advisory"
)

// MaxFeedSize bounds one download, so a misbehaving server cannot fill the disk.
const MaxFeedSize = 4 << 30

// Fetch downloads url into dst unless it is unchanged since prev: it sends
// prev's ETag and Last-Modified as If-None-Match and If-Modified-Since, and a
// 304 (or a body whose digest equals prev's) means unchanged. It returns the
// cursor to store after a successful import.
func Fetch(ctx context.Context, client *http.Client, url string, prev *advisory.FeedCursor, dst io.Writer, now time.Time) (next advisory.FeedCursor, changed bool, err error) {
	next = advisory.FeedCursor{Feed: url, UpdatedAt: now.UTC()}
	if prev != nil {
		next = *prev
		next.UpdatedAt = now.UTC()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return next, false, fmt.Errorf("feeds: %w", err)
	}
	if prev != nil {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return next, false, fmt.Errorf("feeds: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return next, false, nil
	case http.StatusOK:
	default:
		return next, false, fmt.Errorf("feeds: GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), io.LimitReader(resp.Body, MaxFeedSize+1))
	if err != nil {
		return next, false, fmt.Errorf("feeds: GET %s: %w", url, err)
	}
	if n > MaxFeedSize {
		return next, false, fmt.Errorf("feeds: GET %s: larger than %d bytes", url, int64(MaxFeedSize))
	}
	next.ETag, next.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	changed = prev == nil || digest != prev.ContentHash
	next.ContentHash = digest
	return next, changed, nil
}
