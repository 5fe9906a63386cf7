package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// The load generator names each request's filter in this header; the tracing
// middleware files the server-side timings under it.
const filterHeader = "X-Bench-Filter"

// reqTrace accumulates the SQL time of one request.
type reqTrace struct {
	mu      sync.Mutex
	list    time.Duration // the ListReleases page query
	comps   time.Duration // withComponents' follow-up query
	auth    time.Duration // token lookup
	other   time.Duration
	queries int
	listSQL string
	compSQL string
}

type traceKey struct{}

// serverSample is what the server side saw of one request.
type serverSample struct {
	handler, list, comps, auth, other time.Duration
	queries                           int
}

// tracer records per-request server time and SQL time by query kind. It is a
// bun query hook plus an HTTP middleware; both are cheap (a clock read and a
// mutex per query).
type tracer struct {
	mu      sync.Mutex
	samples map[string][]serverSample
	listSQL map[string]string // one example of the page query per filter
	compSQL map[string]string
}

func newTracer() *tracer {
	return &tracer{samples: map[string][]serverSample{}, listSQL: map[string]string{}, compSQL: map[string]string{}}
}

func (t *tracer) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (t *tracer) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	rt, _ := ctx.Value(traceKey{}).(*reqTrace)
	if rt == nil {
		return
	}
	d := time.Since(e.StartTime)
	q := e.Query
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.queries++
	switch {
	case strings.Contains(q, `"api_tokens"`):
		rt.auth += d
	case strings.Contains(q, `FROM "release_components" AS "rc"`) && strings.Contains(q, "release_id IN ("):
		rt.comps += d
		if rt.compSQL == "" {
			rt.compSQL = q
		}
	case strings.Contains(q, `FROM "releases" AS "r"`):
		rt.list += d
		if rt.listSQL == "" {
			rt.listSQL = q
		}
	default:
		rt.other += d
	}
}

// wrap times the handler and attaches a reqTrace to requests that carry the
// filter header.
func (t *tracer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		label := r.Header.Get(filterHeader)
		if label == "" {
			next.ServeHTTP(w, r)
			return
		}
		rt := &reqTrace{}
		start := time.Now()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), traceKey{}, rt)))
		s := serverSample{handler: time.Since(start)}
		rt.mu.Lock()
		s.list, s.comps, s.auth, s.other, s.queries = rt.list, rt.comps, rt.auth, rt.other, rt.queries
		listSQL, compSQL := rt.listSQL, rt.compSQL
		rt.mu.Unlock()
		t.mu.Lock()
		t.samples[label] = append(t.samples[label], s)
		_, kind, _ := strings.Cut(label, "/")
		if _, ok := t.listSQL[kind]; !ok && listSQL != "" {
			t.listSQL[kind], t.compSQL[kind] = listSQL, compSQL
		}
		t.mu.Unlock()
	})
}

func (t *tracer) take(label string) []serverSample {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.samples[label]
	delete(t.samples, label)
	return s
}

func (t *tracer) drop(prefix string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := range t.samples {
		if strings.HasPrefix(k, prefix) {
			delete(t.samples, k)
		}
	}
}

// explain prints the plan of each filter's page query and components query:
// EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL.
func (t *tracer) explain(ctx context.Context, w io.Writer, db *bun.DB, postgres bool, kinds []string) {
	t.mu.Lock()
	list, comp := map[string]string{}, map[string]string{}
	for k, v := range t.listSQL {
		list[k] = v
	}
	for k, v := range t.compSQL {
		comp[k] = v
	}
	t.mu.Unlock()
	prefix := "EXPLAIN QUERY PLAN "
	if postgres {
		prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
	}
	plan := func(q string) string {
		rows, err := db.QueryContext(ctx, prefix+q)
		if err != nil {
			return "  error: " + err.Error() + "\n"
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var b strings.Builder
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return "  error: " + err.Error() + "\n"
			}
			// SQLite: id, parent, notused, detail; PostgreSQL: one text column.
			fmt.Fprintf(&b, "  %v\n", asText(vals[len(vals)-1]))
		}
		return b.String()
	}
	for _, k := range kinds {
		q, ok := list[k]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "== %s\n-- page query:\n%s\n%s", k, q, plan(q))
		if c := comp[k]; c != "" {
			fmt.Fprintf(w, "-- components query:\n%s", plan(c))
		}
		fmt.Fprintln(w)
	}
}

func asText(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}
