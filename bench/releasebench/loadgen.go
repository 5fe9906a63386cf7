package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const releasesQuery = `query Releases($filter: ReleaseFilter, $first: Int, $after: String) {
  releases(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id name digest status components { name digest } } }
    pageInfo { hasNextPage endCursor }
  }
}`

const pageSize = 50

type node struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Digest     *string `json:"digest"`
	Status     string  `json:"status"`
	Components []struct {
		Name   string `json:"name"`
		Digest string `json:"digest"`
	} `json:"components"`
}

type gqlResponse struct {
	Data *struct {
		Releases struct {
			Edges []struct {
				Cursor string `json:"cursor"`
				Node   node   `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				HasNextPage bool    `json:"hasNextPage"`
				EndCursor   *string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"releases"`
	} `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

// client posts GraphQL requests over one keep-alive connection pool.
type client struct {
	url, token string
	hc         *http.Client
}

func newClient(url, token string, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{url: url, token: token, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

func requestBody(v variant) ([]byte, error) {
	vars := map[string]any{"first": pageSize}
	if v.filter != nil {
		vars["filter"] = v.filter
	}
	if v.after != "" {
		vars["after"] = v.after
	}
	return json.Marshal(map[string]any{"query": releasesQuery, "variables": vars})
}

// do sends one request and returns its latency (request written to response
// body fully read) and the decoded, checked response.
func (c *client) do(ctx context.Context, label string, body []byte, k *filterKind, v variant) (time.Duration, *gqlResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set(filterHeader, label)
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return took, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return took, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return took, nil, fmt.Errorf("decode response: %w: %s", err, snippet(raw))
	}
	if len(r.Errors) > 0 || r.Data == nil {
		return took, nil, fmt.Errorf("GraphQL errors: %s", snippet(raw))
	}
	edges := r.Data.Releases.Edges
	if len(edges) > pageSize {
		return took, nil, fmt.Errorf("%d edges on a page of %d", len(edges), pageSize)
	}
	if k.nonEmpty && len(edges) == 0 {
		return took, nil, fmt.Errorf("no releases for filter %s %v (was the database loaded with another --seed or --releases?)", k.name, v.filter)
	}
	for i, e := range edges {
		if i > 0 && e.Node.ID >= edges[i-1].Node.ID {
			return took, nil, fmt.Errorf("releases not newest first: %s after %s", e.Node.ID, edges[i-1].Node.ID)
		}
		if v.after != "" && i == 0 && e.Cursor == v.after {
			return took, nil, fmt.Errorf("second page repeats the cursor row")
		}
		if v.check != nil {
			if err := v.check(e.Node); err != nil {
				return took, nil, fmt.Errorf("filter %s %v: %w", k.name, v.filter, err)
			}
		}
	}
	return took, &r, nil
}

func snippet(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// job is one request: a filter kind and one of its variants.
type job struct{ kind, variant int }

// phaseResult holds the client-side latencies of one phase, by filter kind.
type phaseResult struct {
	latencies map[string][]time.Duration
	wall      time.Duration
	done      int
	truncated bool // the time limit stopped it early
}

// runPhase sends the jobs with `concurrency` workers and records latencies.
// It stops at the first failed request (returning its error) or when ctx ends
// (marking the result truncated).
func runPhase(ctx context.Context, c *client, phase string, kinds []*filterKind, bodies [][][]byte, jobs []job, concurrency int) (*phaseResult, error) {
	res := &phaseResult{latencies: map[string][]time.Duration{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string][]time.Duration{}
			defer func() {
				mu.Lock()
				for k, v := range local {
					res.latencies[k] = append(res.latencies[k], v...)
					res.done += len(v)
				}
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				k := kinds[j.kind]
				took, _, err := c.do(ctx, phase+"/"+k.name, bodies[j.kind][j.variant], k, k.variants[j.variant])
				if err != nil {
					if ctx.Err() != nil {
						return // the time limit, or another worker's failure
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s request %d (%s): %w", phase, i, k.name, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				local[k.name] = append(local[k.name], took)
			}
		}()
	}
	wg.Wait()
	res.wall = time.Since(start)
	if firstErr != nil {
		return res, firstErr
	}
	if res.done < len(jobs) {
		res.truncated = true
	}
	return res, nil
}

// mixedJobs rotates through the kinds, and through each kind's variants.
func mixedJobs(kinds []*filterKind, n int) []job {
	jobs := make([]job, n)
	for i := range jobs {
		k := i % len(kinds)
		jobs[i] = job{kind: k, variant: (i / len(kinds)) % len(kinds[k].variants)}
	}
	return jobs
}

// kindJobs is n requests of one kind, rotating through its variants.
func kindJobs(kinds []*filterKind, k, n int) []job {
	jobs := make([]job, n)
	for i := range jobs {
		jobs[i] = job{kind: k, variant: i % len(kinds[k].variants)}
	}
	return jobs
}

// fillSecondPages fetches the first page of each variant of the kind a
// second-page kind follows, and makes a variant of each end cursor.
func fillSecondPages(ctx context.Context, c *client, kinds []*filterKind) error {
	byName := map[string]*filterKind{}
	for _, k := range kinds {
		byName[k.name] = k
	}
	for _, k := range kinds {
		if k.needsPrev == "" {
			continue
		}
		prev := byName[k.needsPrev]
		for _, v := range prev.variants {
			body, err := requestBody(v)
			if err != nil {
				return err
			}
			_, r, err := c.do(ctx, "", body, prev, v)
			if err != nil {
				return fmt.Errorf("first page for %s: %w", k.name, err)
			}
			pi := r.Data.Releases.PageInfo
			if !pi.HasNextPage || pi.EndCursor == nil {
				continue // too few releases for a second page (small --releases)
			}
			k.variants = append(k.variants, variant{filter: v.filter, after: *pi.EndCursor, check: v.check})
		}
		if len(k.variants) == 0 {
			return fmt.Errorf("no first page of %s has a next page: load more releases", prev.name)
		}
	}
	return nil
}
