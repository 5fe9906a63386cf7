// Command releasebench measures the latency of a filtered first page of
// releases, `releases(filter: …, first: 50)`, through the real reference server
// on SQLite or PostgreSQL.
//
// It loads N releases (default 100k) into tenant "bench" with the release.Store
// API, deterministically from --seed: 20 applications with 1–3 components each
// from a pool of 50 names, sha256 image digests, ~93% finalized, ~5% drafts,
// ~2% deprecated, created over one year, with UUIDv7 ids made from the
// creation time so that id order is time order. A database that already holds
// at least N bench releases is reused as is.
//
// It then starts server.New in process on a 127.0.0.1 listener, creates a
// viewer token in the bench tenant, and runs a Go load generator over loopback
// HTTP with keep-alive: --concurrency workers POST the releases query with a
// rotation of realistic filters (application, status, component name, image
// digest, unknown digest, nameContains, a createdAfter/createdBefore window,
// application+status, and the second page of application+status). Every
// response is checked: no GraphQL errors, newest first, nodes that match the
// filter, and at least one node where the data guarantees one.
//
// Phases: --warmup requests (not recorded); "mixed", --requests requests
// rotating through all filters; and unless --isolated=false, each filter alone
// for --requests/#filters requests. For each filter and overall it reports
// client latency p50/p90/p99/max and requests/s, plus the server's handler
// time and the SQL time of the page query, the components query and the token
// lookup (a bun query hook). --explain prints each filter's query plan.
//
// Usage:
//
//	go run ./bench/releasebench                                   # SQLite in a temp dir
//	go run ./bench/releasebench --db /tmp/bench.db                 # kept, reused next time
//	go run ./bench/releasebench --db 'postgres://u:p@127.0.0.1:5432/stella_bench?sslmode=disable'
//	go run ./bench/releasebench --output json > result.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/store"
)

type config struct {
	db          string
	releases    int
	requests    int
	concurrency int
	warmup      int
	output      string
	seed        uint64
	batch       int
	loadWorkers int
	maxDuration time.Duration
	isolated    bool
	explain     bool
	analyze     string
	keep        bool
	targetP99   time.Duration
	cpuProfile  string
	jsonOut     string
}

type report struct {
	Go          string        `json:"go"`
	OS          string        `json:"os"`
	CPUs        int           `json:"cpus"`
	Database    string        `json:"database"` // sqlite or postgres
	Releases    int           `json:"releases"`
	Concurrency int           `json:"concurrency"`
	Seed        uint64        `json:"seed"`
	Analyzed    bool          `json:"analyzed"`
	Load        loadResult    `json:"load"`
	Phases      []phaseReport `json:"phases"`
	TargetP99Ms float64       `json:"targetP99Ms"`
	TargetMet   bool          `json:"targetMet"` // worst per-filter p99 of the mixed phase under target
}

func main() {
	var c config
	flag.StringVar(&c.db, "db", "", "SQLite file path or postgres:// URL (default: a SQLite file in a temp dir, removed afterwards)")
	flag.IntVar(&c.releases, "releases", 100_000, "releases to load into tenant \"bench\"")
	flag.IntVar(&c.requests, "requests", 2000, "requests in the mixed phase")
	flag.IntVar(&c.concurrency, "concurrency", 4, "concurrent client connections")
	flag.IntVar(&c.warmup, "warmup", 100, "unrecorded requests before measuring")
	flag.StringVar(&c.output, "output", "table", "table or json")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the generated data and filters")
	flag.IntVar(&c.batch, "batch", 1000, "releases per load transaction")
	flag.IntVar(&c.loadWorkers, "load-workers", 0, "concurrent load transactions (default 1 on SQLite, 4 on PostgreSQL)")
	flag.DurationVar(&c.maxDuration, "max-duration", 10*time.Minute, "hard limit on the measuring phases")
	flag.BoolVar(&c.isolated, "isolated", true, "also run each filter alone")
	flag.BoolVar(&c.explain, "explain", false, "print each filter's query plan to stderr")
	flag.StringVar(&c.analyze, "analyze", "auto", "run ANALYZE after loading: auto (PostgreSQL only, as autovacuum would), yes, no")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp SQLite database")
	flag.DurationVar(&c.targetP99, "target-p99", 50*time.Millisecond, "p99 target to report against")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the measuring phases (client and server) to this file")
	flag.StringVar(&c.jsonOut, "json-out", "", "also write the JSON report to this file")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "releasebench:", err)
		os.Exit(1)
	}
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "releasebench: "+format+"\n", args...) }

func run(c config) error {
	if c.output != "table" && c.output != "json" {
		return fmt.Errorf("--output must be table or json")
	}
	if c.releases < 1000 || c.requests < 1 || c.concurrency < 1 || c.batch < 1 {
		return fmt.Errorf("--releases must be at least 1000; --requests, --concurrency and --batch at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "releasebench-*")
	if err != nil {
		return err
	}
	defer func() {
		if c.keep && c.db == "" {
			logf("kept %s", tmp)
			return
		}
		os.RemoveAll(tmp)
	}()
	dsn := c.db
	if dsn == "" {
		dsn = filepath.Join(tmp, "stella.db")
	}
	pg := isPostgres(dsn)
	if c.loadWorkers == 0 {
		c.loadWorkers = map[bool]int{false: 1, true: 4}[pg]
	}
	rep := report{Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
		Database: map[bool]string{false: "sqlite", true: "postgres"}[pg], Releases: c.releases,
		Concurrency: c.concurrency, Seed: c.seed, TargetP99Ms: ms(c.targetP99)}

	// (a) Load.
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	ds := newDataset(c.releases, c.seed)
	logf("loading %d releases into %s (%d per transaction, %d workers)", c.releases, rep.Database, c.batch, c.loadWorkers)
	rep.Load, err = load(ctx, db, ds, c.batch, c.loadWorkers, isTerminal(os.Stderr))
	if err == nil && (c.analyze == "yes" || c.analyze == "auto" && pg) {
		rep.Analyzed = true
		err = analyze(ctx, db)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if rep.Load.Skipped {
		logf("reusing %d existing releases", rep.Load.Existing)
	} else {
		logf("loaded %d releases (%d component rows) in %.1f s: %.0f releases/s, %.0f rows/s",
			rep.Load.Releases, rep.Load.ComponentRows, rep.Load.Seconds, rep.Load.ReleasesPerSec, rep.Load.RowsPerSec)
	}

	// (b) Server.
	srv, err := server.New(ctx, server.Config{DB: dsn, KeyFile: filepath.Join(tmp, "stella.key")})
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer srv.Close()
	tr := newTracer()
	// The hook must go on the server's own *bun.DB, in place: WithQueryHook
	// would return a clone the server never uses.
	//lint:ignore SA1019 no other way to trace the queries of an already-open DB
	srv.Store().Bun().AddQueryHook(tr)
	_, token, err := srv.CreateToken(ctx, benchTenant, "releasebench", auth.RoleViewer, "releasebench")
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: tr.wrap(srv.Handler()), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			hs.Close()
		}
		<-serveErr
	}()
	cl := newClient("http://"+ln.Addr().String()+"/graphql", token, c.concurrency)
	defer cl.close()
	logf("server on %s", ln.Addr())

	// (c) Load generator.
	kinds := buildFilters(ds, c.seed)
	if err := fillSecondPages(ctx, cl, kinds); err != nil {
		return err
	}
	bodies := make([][][]byte, len(kinds))
	var names []string
	for i, k := range kinds {
		names = append(names, k.name)
		for _, v := range k.variants {
			b, err := requestBody(v)
			if err != nil {
				return err
			}
			bodies[i] = append(bodies[i], b)
		}
	}
	if c.warmup > 0 {
		logf("warming up: %d requests", c.warmup)
		if _, err := runPhase(ctx, cl, "warmup", kinds, bodies, mixedJobs(kinds, c.warmup), c.concurrency); err != nil {
			return err
		}
		tr.drop("warmup/")
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	mctx, cancel := context.WithTimeout(ctx, c.maxDuration)
	defer cancel()
	// measure runs one phase and summarizes it; it also returns the raw samples.
	measure := func(phase string, jobs []job) (phaseReport, []time.Duration, []serverSample, error) {
		res, err := runPhase(mctx, cl, phase, kinds, bodies, jobs, c.concurrency)
		if err != nil {
			return phaseReport{}, nil, nil, err
		}
		p := phaseReport{Name: phase, Concurrency: c.concurrency, WallSeconds: res.wall.Seconds(), Truncated: res.truncated}
		var all []time.Duration
		var allSrv []serverSample
		for _, k := range kinds {
			lat := res.latencies[k.name]
			if len(lat) == 0 {
				continue
			}
			srv := tr.take(phase + "/" + k.name)
			all, allSrv = append(all, lat...), append(allSrv, srv...)
			// In the mixed phase a filter's req/s is its share of the throughput.
			p.Filters = append(p.Filters, summarize(k.name, lat, res.wall, srv))
		}
		p.Overall = summarize("overall", all, res.wall, allSrv)
		return p, all, allSrv, nil
	}
	logf("measuring: %d requests rotating through %d filters, concurrency %d", c.requests, len(kinds), c.concurrency)
	mixed, _, _, err := measure("mixed", mixedJobs(kinds, c.requests))
	if err != nil {
		return err
	}
	rep.Phases = append(rep.Phases, mixed)
	if c.isolated && !mixed.Truncated {
		per := max(50, c.requests/len(kinds))
		logf("measuring each filter alone: %d requests each", per)
		iso := phaseReport{Name: "isolated", Concurrency: c.concurrency}
		var all []time.Duration
		var allSrv []serverSample
		for i, k := range kinds {
			p, lat, srv, err := measure("isolated-"+k.name, kindJobs(kinds, i, per))
			if err != nil {
				return err
			}
			iso.WallSeconds += p.WallSeconds
			iso.Truncated = iso.Truncated || p.Truncated
			iso.Filters = append(iso.Filters, p.Filters...)
			all, allSrv = append(all, lat...), append(allSrv, srv...)
			if p.Truncated {
				break
			}
		}
		iso.Overall = summarize("overall", all, time.Duration(iso.WallSeconds*float64(time.Second)), allSrv)
		rep.Phases = append(rep.Phases, iso)
	}
	worst := 0.0
	for _, s := range mixed.Filters {
		worst = max(worst, s.P99)
	}
	rep.TargetMet = worst < rep.TargetP99Ms && !mixed.Truncated

	if c.explain {
		tr.explain(ctx, os.Stderr, srv.Store().Bun(), pg, names)
	}

	// (d) Report.
	if c.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if c.output == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(os.Stdout, rep)
	return nil
}

func printReport(w io.Writer, rep report) {
	fmt.Fprintf(w, "releasebench: %s, %s, %d CPUs, %s, %d releases, seed %d%s\n", rep.Go, rep.OS, rep.CPUs,
		rep.Database, rep.Releases, rep.Seed, map[bool]string{true: ", ANALYZEd"}[rep.Analyzed])
	if rep.Load.Skipped {
		fmt.Fprintf(w, "load: skipped, reused %d releases\n", rep.Load.Existing)
	} else {
		fmt.Fprintf(w, "load: %d releases + %d component rows in %.1f s (%.0f releases/s, %.0f rows/s)\n",
			rep.Load.Releases, rep.Load.ComponentRows, rep.Load.Seconds, rep.Load.ReleasesPerSec, rep.Load.RowsPerSec)
	}
	notes := map[string]string{
		"mixed":    "latency = client-side, request to last body byte; req/s per filter = its share of the mixed throughput; srv/sql columns are server-side p50/p99 ms",
		"isolated": "each filter alone; req/s is that filter's own throughput",
	}
	for _, p := range rep.Phases {
		writeTable(w, p, notes[p.Name])
	}
	verdict := "MET"
	if !rep.TargetMet {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "\ntarget: every filter's p99 < %.0f ms in the mixed phase: %s\n", rep.TargetP99Ms, verdict)
}
