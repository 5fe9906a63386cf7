package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/tenant"
)

// client posts GraphQL requests over one keep-alive connection pool.
type client struct {
	url, token string
	hc         *http.Client
}

func newClient(url, token string, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{url: url, token: token, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// do posts one operation and returns its data; GraphQL errors are errors.
func (c *client) do(ctx context.Context, query string, vars map[string]any) (json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, raw)
	}
	if len(out.Errors) > 0 {
		return nil, fmt.Errorf("GraphQL errors: %.500s", raw)
	}
	return out.Data, nil
}

const requestMutation = `mutation($r: String!, $e: String!) { requestPromotion(release: $r, environment: $e) { id status } }`

// sample is one request of the measured phase.
type sample struct {
	job
	sent, answered time.Time
	id, status     string // as the request answered
}

type result struct {
	samples []sample
	wall    time.Duration // first request sent → last request answered
	// filled by check
	endToEnd []time.Duration
	lastDone time.Time
}

// measure sends every job, concurrency at a time, all released together,
// and waits for every answer.
func measure(ctx context.Context, cl *client, jobs []job, concurrency int) (*result, error) {
	res := &result{samples: make([]sample, len(jobs))}
	next := atomic.Int64{}
	errs := make(chan error, concurrency)
	var ready, wg sync.WaitGroup
	gun := make(chan struct{})
	for range concurrency {
		ready.Add(1)
		wg.Go(func() {
			ready.Done()
			<-gun
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				s := &res.samples[i]
				s.job, s.sent = jobs[i], time.Now()
				data, err := cl.do(ctx, requestMutation, map[string]any{"r": jobs[i].release, "e": jobs[i].environment})
				s.answered = time.Now()
				if err != nil {
					errs <- fmt.Errorf("request %s → %s: %w", jobs[i].release, jobs[i].environment, err)
					return
				}
				var out struct {
					RequestPromotion struct{ ID, Status string } `json:"requestPromotion"`
				}
				if err := json.Unmarshal(data, &out); err != nil {
					errs <- err
					return
				}
				s.id, s.status = out.RequestPromotion.ID, out.RequestPromotion.Status
			}
		})
	}
	ready.Wait()
	start := time.Now()
	close(gun)
	wg.Wait()
	res.wall = time.Since(start)
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if len(all) > 0 {
		return nil, fmt.Errorf("%d of %d requests failed; first: %w", len(all), len(jobs), all[0])
	}
	return res, nil
}

// check reads every promotion back: each must be deployed, deployed once
// by the deployer, and completed after it was requested.
func (r *result) check(ctx context.Context, srv *server.Server, d *release.InProcessDeployer) error {
	deployed := map[string]int{}
	for _, x := range d.Deployments() {
		deployed[x.PromotionID]++
	}
	actx := tenant.WithScope(ctx, tenant.Scope{Tenant: benchTenant, Actor: "promotionbench"})
	var notDone []string
	for i := range r.samples {
		s := &r.samples[i]
		p, err := srv.Promotions().Get(actx, s.id)
		if err != nil {
			return err
		}
		if p.Status != release.PromotionDeployed || p.CompletedAt == nil || deployed[p.ID] != 1 {
			notDone = append(notDone, fmt.Sprintf("%s → %s: %s, deployed %d times", s.release, s.environment, p.Status, deployed[p.ID]))
			continue
		}
		r.endToEnd = append(r.endToEnd, max(0, p.CompletedAt.Sub(s.sent)))
		if p.CompletedAt.After(r.lastDone) {
			r.lastDone = *p.CompletedAt
		}
	}
	if len(notDone) > 0 {
		return fmt.Errorf("%d of %d promotions are not deployed exactly once after every request answered, e.g. %v",
			len(notDone), len(r.samples), notDone[:min(5, len(notDone))])
	}
	return nil
}

type report struct {
	Go           string  `json:"go"`
	OS           string  `json:"os"`
	CPUs         int     `json:"cpus"`
	Database     string  `json:"database"`
	Promotions   int     `json:"promotions"`
	Applications int     `json:"applications"`
	Environments int     `json:"environments"`
	Lanes        int     `json:"lanes"`
	Concurrency  int     `json:"concurrency"`
	SetUpSeconds float64 `json:"setUpSeconds"`

	WallSeconds   float64        `json:"wallSeconds"` // first request sent → last promotion deployed
	PerSecond     float64        `json:"promotionsPerSec"`
	Request       latency        `json:"requestMs"`
	EndToEnd      latency        `json:"endToEndMs"`
	AnsweredAs    map[string]int `json:"answeredAs"` // status in the request's answer
	Queries       int64          `json:"sqlStatements"`
	QueriesPerOne float64        `json:"sqlStatementsPerPromotion"`
	TargetP99Ms   float64        `json:"targetP99Ms"`
	TargetMet     bool           `json:"targetMet"` // end-to-end p99 under target
}

type latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func profile(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return latency{P50: ms(quantile(s, .5)), P95: ms(quantile(s, .95)), P99: ms(quantile(s, .99)), Max: ms(s[len(s)-1]),
		Mean: ms(sum / time.Duration(len(s)))}
}

func (r *result) summarize(rep *report) {
	var req []time.Duration
	first := r.samples[0].sent
	rep.AnsweredAs = map[string]int{}
	for _, s := range r.samples {
		req = append(req, s.answered.Sub(s.sent))
		rep.AnsweredAs[s.status]++
		if s.sent.Before(first) {
			first = s.sent
		}
	}
	rep.Request, rep.EndToEnd = profile(req), profile(r.endToEnd)
	wall := max(r.wall, r.lastDone.Sub(first))
	rep.WallSeconds = math.Round(wall.Seconds()*1000) / 1000
	rep.PerSecond = math.Round(float64(len(r.samples))/wall.Seconds()*10) / 10
	rep.QueriesPerOne = math.Round(float64(rep.Queries)/float64(len(r.samples))*10) / 10
	rep.TargetMet = rep.EndToEnd.P99 < rep.TargetP99Ms
}

func (rep *report) table(w io.Writer) {
	fmt.Fprintf(w, "%d promotions on %s (%s, %d CPUs): %d applications × %d environments = %d lanes, %d requests at once\n",
		rep.Promotions, rep.Database, rep.Go, rep.CPUs, rep.Applications, rep.Environments, rep.Lanes, rep.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ms\tp50\tp95\tp99\tmax\tmean\t")
	for _, l := range []struct {
		name string
		l    latency
	}{{"request", rep.Request}, {"request → deployed", rep.EndToEnd}} {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", l.name, l.l.P50, l.l.P95, l.l.P99, l.l.Max, l.l.Mean)
	}
	tw.Flush()
	fmt.Fprintf(w, "wall %.2f s (first request → last deployed), %.1f promotions/s; answered as %v; %d SQL statements (%.1f per promotion)\n",
		rep.WallSeconds, rep.PerSecond, rep.AnsweredAs, rep.Queries, rep.QueriesPerOne)
	met := "met"
	if !rep.TargetMet {
		met = "missed"
	}
	fmt.Fprintf(w, "target: end-to-end p99 < %.0f ms: %s\n", rep.TargetP99Ms, met)
}

// queryCounter counts the SQL statements the server runs and, by their
// text up to WHERE, which ones.
type queryCounter struct {
	n     atomic.Int64
	mu    sync.Mutex
	kinds map[string]int
}

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (q *queryCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	q.n.Add(1)
	k, _, _ := strings.Cut(e.Query, " WHERE ")
	if len(k) > 120 {
		k = k[:120]
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.kinds == nil {
		q.kinds = map[string]int{}
	}
	q.kinds[k]++
}

func (q *queryCounter) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.kinds = nil
	q.n.Store(0)
}

// top writes the n most frequent statements, per promotion.
func (q *queryCounter) top(w io.Writer, n, per int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	type kc struct {
		k string
		c int
	}
	var all []kc
	for k, c := range q.kinds {
		all = append(all, kc{k, c})
	}
	slices.SortFunc(all, func(a, b kc) int { return b.c - a.c })
	for _, x := range all[:min(n, len(all))] {
		fmt.Fprintf(w, "%6.2f  %s\n", float64(x.c)/float64(per), x.k)
	}
}
