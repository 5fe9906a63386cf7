// Command promotionbench requests N promotions at once through the real
// reference server and measures each request's latency and each
// promotion's time from request to deployed.
//
// It starts server.New in process on SQLite or PostgreSQL, with the
// server's own decider (default gates) and the in-process deployer, on a
// 127.0.0.1 listener. Set-up, not measured: an in-process OCI registry
// holding one Debian-like image, a registry integration and a component,
// a seed release scanned once (its SBOM is the SBOM of every release,
// which all pin that image), --envs environments without approvals and N
// finalized releases spread round-robin over --apps applications, each
// to be promoted into one environment (round-robin too), so that there
// are apps×envs deploy lanes.
//
// Measured: --concurrency clients (default N: all at once) each POST
// requestPromotion(release, environment) over loopback HTTP with a
// releaser token, as a user or CI would. A request answers when its
// promotion has been decided and, if its lane was free, deployed with
// every promotion that queued in the lane meanwhile; a promotion whose
// lane was busy answers approved and is deployed by the request holding
// the lane. Nothing polls. When every request has answered, every
// promotion must be deployed, each exactly once (checked; the run fails
// otherwise).
//
// Reported: request latency (sent → last body byte) and end to end
// (sent → the promotion's completedAt, the time the deployed transition
// was written) p50/p95/p99/max, throughput, and SQL statements per
// promotion (a bun query hook).
//
// Usage:
//
//	go run ./bench/promotionbench                        # SQLite in a temp dir
//	go run ./bench/promotionbench --db 'postgres://u:p@127.0.0.1:5432/stella_bench?sslmode=disable'
//	go run ./bench/promotionbench --promotions 200 --apps 4 --envs 1 --output json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/server"
)

type config struct {
	db          string
	promotions  int
	apps        int
	envs        int
	concurrency int
	output      string
	jsonOut     string
	cpuProfile  string
	targetP99   time.Duration
	timeout     time.Duration
	logLevel    string
	sqlTop      int
}

func main() {
	var c config
	flag.StringVar(&c.db, "db", "", "SQLite file path or postgres:// URL of a fresh database (default: a SQLite file in a temp dir, removed afterwards)")
	flag.IntVar(&c.promotions, "promotions", 1000, "promotions to request, one release each")
	flag.IntVar(&c.apps, "apps", 10, "applications the releases are spread over")
	flag.IntVar(&c.envs, "envs", 2, "environments the promotions are spread over (no approvals)")
	flag.IntVar(&c.concurrency, "concurrency", 0, "requests in flight at once (default: all of them)")
	flag.StringVar(&c.output, "output", "table", "table or json")
	flag.StringVar(&c.jsonOut, "json-out", "", "also write the JSON report to this file")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured phase to this file")
	flag.DurationVar(&c.targetP99, "target-p99", 2*time.Second, "end-to-end p99 target to report against")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "hard limit on the measured phase")
	flag.StringVar(&c.logLevel, "log-level", "error", "server log level on stderr: debug, info, warn, error")
	flag.IntVar(&c.sqlTop, "sql-top", 0, "also list this many of the most frequent SQL statements (text up to WHERE), per promotion")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "promotionbench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "promotionbench: "+format+"\n", args...)
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func run(c config) error {
	if c.output != "table" && c.output != "json" {
		return fmt.Errorf("--output must be table or json")
	}
	if c.promotions < 1 || c.apps < 1 || c.envs < 1 || c.concurrency < 0 {
		return fmt.Errorf("--promotions, --apps and --envs must be at least 1")
	}
	if c.concurrency == 0 {
		c.concurrency = c.promotions
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "promotionbench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dsn := c.db
	if dsn == "" {
		dsn = filepath.Join(tmp, "stella.db")
	}
	pg := isPostgres(dsn)
	rep := report{Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(),
		Database: map[bool]string{false: "sqlite", true: "postgres"}[pg], Promotions: c.promotions, Applications: c.apps,
		Environments: c.envs, Lanes: min(c.promotions, c.apps*c.envs), Concurrency: c.concurrency, TargetP99Ms: ms(c.targetP99)}

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()

	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	deployer := &release.InProcessDeployer{}
	srv, err := server.New(ctx, server.Config{DB: dsn, KeyFile: filepath.Join(tmp, "stella.key"), Deployer: deployer,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))})
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	defer srv.Close()
	queries := &queryCounter{}
	// The hook goes on the server's own *bun.DB, in place.
	//lint:ignore SA1019 no other way to count the queries of an already-open DB
	srv.Store().Bun().AddQueryHook(queries)
	_, admin, err := srv.CreateToken(ctx, benchTenant, "promotionbench-admin", auth.RoleAdmin, "promotionbench")
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	_, releaser, err := srv.CreateToken(ctx, benchTenant, "promotionbench-ci", auth.RoleReleaser, "promotionbench")
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
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
	url := "http://" + ln.Addr().String() + "/graphql"

	logf("setting up %d releases of %d applications and %d environments on %s", c.promotions, c.apps, c.envs, rep.Database)
	start := time.Now()
	jobs, err := setUp(ctx, srv, newClient(url, admin, 4), strings.TrimPrefix(reg.URL, "http://"), c)
	if err != nil {
		return fmt.Errorf("set-up: %w", err)
	}
	rep.SetUpSeconds = time.Since(start).Seconds()
	logf("set up in %.1f s", rep.SetUpSeconds)

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
	logf("requesting %d promotions, %d at once", len(jobs), c.concurrency)
	mctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	queries.reset()
	res, err := measure(mctx, newClient(url, releaser, c.concurrency), jobs, c.concurrency)
	if err != nil {
		return err
	}
	rep.Queries = queries.n.Load()
	if err := res.check(ctx, srv, deployer); err != nil {
		return err
	}
	res.summarize(&rep)

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
	rep.table(os.Stdout)
	if c.sqlTop > 0 {
		fmt.Println("SQL statements per promotion, most frequent first:")
		queries.top(os.Stdout, c.sqlTop, len(jobs))
	}
	return nil
}
