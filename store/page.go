package store

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

// A cursor is base64url("<kind>:<value>"): the sort key of the last row seen.
// The kind keeps a cursor of one ordering from being read as another.
const (
	cursorOrder = "o" // environments: order_index ascending
	cursorName  = "n" // targets, integrations, components: name ascending
	cursorID    = "i" // versions, audit: id descending (UUIDv7, newest first)
	cursorTime  = "t" // releases: (created_at, id) descending, newest first
)

func encodeCursor(kind, value string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + value))
}

func decodeCursor(kind, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	k, v, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok || k != kind {
		return "", errBadCursor()
	}
	return v, nil
}

func errBadCursor() error {
	return fault.Invalid("after", "is not a cursor of this list")
}

// keyset adds the ordering, the position after opts.After and the limit of
// one page (one row more than asked, to know whether there is a next page).
// col is the sort column; ordering by id runs newest first.
func keyset(q *bun.SelectQuery, kind, col string, opts release.ListOptions) (*bun.SelectQuery, error) {
	desc := kind == cursorID
	if opts.After != "" {
		v, err := decodeCursor(kind, opts.After)
		if err != nil {
			return nil, err
		}
		var after any = v
		if kind == cursorOrder {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, errBadCursor()
			}
			after = n
		}
		if desc {
			q = q.Where("? < ?", bun.Ident(col), after)
		} else {
			q = q.Where("? > ?", bun.Ident(col), after)
		}
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return q.OrderExpr("?"+dir, bun.Ident(col)).Limit(int64(opts.Limit()) + 1), nil
}

// toPage converts the rows of one keyset query into a page.
func toPage[R, T any](rows []R, opts release.ListOptions, kind string, key func(*R) string, conv func(*R) (T, error)) (*release.Page[T], error) {
	p := &release.Page[T]{}
	if len(rows) > opts.Limit() {
		rows, p.HasNext = rows[:opts.Limit()], true
	}
	p.Items = make([]T, 0, len(rows))
	p.Cursors = make([]string, 0, len(rows))
	for i := range rows {
		item, err := conv(&rows[i])
		if err != nil {
			return nil, err
		}
		p.Items = append(p.Items, item)
		p.Cursors = append(p.Cursors, encodeCursor(kind, key(&rows[i])))
	}
	return p, nil
}

// newestFirst orders by (created, id) descending and positions after a cursor
// of that order; the row comparison lets an index ending in (created, id)
// answer it with a range scan that stops after one page.
func newestFirst(q *bun.SelectQuery, created, id string, opts release.ListOptions) (*bun.SelectQuery, error) {
	if opts.After != "" {
		v, err := decodeCursor(cursorTime, opts.After)
		if err != nil {
			return nil, err
		}
		ts, after, ok := strings.Cut(v, "|")
		at, perr := time.Parse(time.RFC3339Nano, ts)
		if !ok || perr != nil {
			return nil, errBadCursor()
		}
		q = q.Where("(?, ?) < (?, ?)", bun.Safe(created), bun.Safe(id), at.UTC(), after)
	}
	return q.OrderExpr("? DESC, ? DESC", bun.Safe(created), bun.Safe(id)).Limit(int64(opts.Limit()) + 1), nil
}

func timeCursorValue(at time.Time, id string) string {
	return at.UTC().Format(time.RFC3339Nano) + "|" + id
}

// pageByName runs q as one page of a list ordered by name (targets,
// integrations, components) and converts its rows.
func pageByName[R, T any](ctx context.Context, q *bun.SelectQuery, rows *[]R, opts release.ListOptions, name func(*R) string, conv func(*R) (T, error)) (*release.Page[T], error) {
	q, err := keyset(q, cursorName, "name", opts)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return toPage(*rows, opts, cursorName, name, conv)
}
