package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// summary is the latency profile of one filter (or of all) in one phase.
// Durations are in milliseconds.
type summary struct {
	Filter   string  `json:"filter"`
	Requests int     `json:"requests"`
	P50      float64 `json:"p50Ms"`
	P90      float64 `json:"p90Ms"`
	P99      float64 `json:"p99Ms"`
	Max      float64 `json:"maxMs"`
	Mean     float64 `json:"meanMs"`
	RPS      float64 `json:"requestsPerSec"`

	// Server side, from the tracing middleware and the SQL query hook.
	ServerP50   float64 `json:"serverP50Ms"`
	ServerP99   float64 `json:"serverP99Ms"`
	PageSQLP50  float64 `json:"pageSqlP50Ms"`
	PageSQLP99  float64 `json:"pageSqlP99Ms"`
	CompsSQLP50 float64 `json:"componentsSqlP50Ms"`
	CompsSQLP99 float64 `json:"componentsSqlP99Ms"`
	AuthSQLP50  float64 `json:"authSqlP50Ms"`
	QueriesPer  float64 `json:"queriesPerRequest"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func summarize(name string, lat []time.Duration, wall time.Duration, srv []serverSample) summary {
	s := summary{Filter: name, Requests: len(lat)}
	if len(lat) == 0 {
		return s
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	s.P50, s.P90, s.P99 = ms(quantile(sorted, .5)), ms(quantile(sorted, .9)), ms(quantile(sorted, .99))
	s.Max, s.Mean = ms(sorted[len(sorted)-1]), ms(sum/time.Duration(len(sorted)))
	if wall > 0 {
		s.RPS = math.Round(float64(len(lat))/wall.Seconds()*10) / 10
	}
	if len(srv) > 0 {
		pick := func(f func(serverSample) time.Duration) []time.Duration {
			out := make([]time.Duration, len(srv))
			for i, x := range srv {
				out[i] = f(x)
			}
			slices.Sort(out)
			return out
		}
		h := pick(func(x serverSample) time.Duration { return x.handler })
		l := pick(func(x serverSample) time.Duration { return x.list })
		c := pick(func(x serverSample) time.Duration { return x.comps })
		a := pick(func(x serverSample) time.Duration { return x.auth })
		s.ServerP50, s.ServerP99 = ms(quantile(h, .5)), ms(quantile(h, .99))
		s.PageSQLP50, s.PageSQLP99 = ms(quantile(l, .5)), ms(quantile(l, .99))
		s.CompsSQLP50, s.CompsSQLP99 = ms(quantile(c, .5)), ms(quantile(c, .99))
		s.AuthSQLP50 = ms(quantile(a, .5))
		q := 0
		for _, x := range srv {
			q += x.queries
		}
		s.QueriesPer = math.Round(float64(q)/float64(len(srv))*100) / 100
	}
	return s
}

// phaseReport is one phase's summaries: per filter, then "overall".
type phaseReport struct {
	Name        string    `json:"name"`
	Concurrency int       `json:"concurrency"`
	WallSeconds float64   `json:"wallSeconds"`
	Truncated   bool      `json:"truncated,omitempty"`
	Filters     []summary `json:"filters"`
	Overall     summary   `json:"overall"`
}

func writeTable(w io.Writer, p phaseReport, note string) {
	fmt.Fprintf(w, "\n%s (concurrency %d, %.1f s wall%s)\n", p.Name, p.Concurrency, p.WallSeconds, map[bool]string{true: ", STOPPED BY TIME LIMIT"}[p.Truncated])
	if note != "" {
		fmt.Fprintln(w, note)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "filter\tn\tp50 ms\tp90 ms\tp99 ms\tmax ms\treq/s\t|\tsrv p50\tsrv p99\tpage-sql p50\tpage-sql p99\tcomps-sql p50\tauth-sql p50\t")
	row := func(s summary) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t|\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			s.Filter, s.Requests, s.P50, s.P90, s.P99, s.Max, s.RPS,
			s.ServerP50, s.ServerP99, s.PageSQLP50, s.PageSQLP99, s.CompsSQLP50, s.AuthSQLP50)
	}
	for _, s := range p.Filters {
		row(s)
	}
	fmt.Fprintln(tw, strings.Repeat("-", 6)+"\t\t\t\t\t\t\t\t\t\t\t\t\t\t")
	row(p.Overall)
	tw.Flush()
}
