package runner_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/store"
)

var (
	benchConcurrency = flag.Int("runner.concurrency", 4, "runs in flight at once in BenchmarkRuns")
	benchConns       = flag.Int("runner.conns", 0, "store pool size in BenchmarkRuns (0: the store's default)")
	benchPoll        = flag.Duration("runner.poll", 0, "runner poll interval in BenchmarkRuns (0: the runner's default)")
)

// BenchmarkRuns runs b.N runs (bench/workflow.sh: 1000) of a 5-node
// template a → (b ∥ c) → d → e with no-op steps, runner.concurrency runs in
// flight, and reports per node: dispatch (the node's job inserted → its step
// starts), commit (the step returns → its completion is committed) and
// their sum, the scheduling overhead; and runs/s.
func BenchmarkRuns(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchRuns(b, filepath.Join(b.TempDir(), "bench.db")) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(testenv.PostgresEnv) == "" && !testenv.InCI() {
			b.Skip("set " + testenv.PostgresEnv + " to benchmark PostgreSQL")
		}
		benchRuns(b, testenv.PostgresDSN(b))
	})
}

func benchRuns(b *testing.B, dsn string) {
	var sopts []store.Option
	if *benchConns > 0 {
		sopts = append(sopts, store.WithMaxOpenConns(*benchConns))
	}
	db, err := store.Open(context.Background(), dsn, sopts...)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	type key struct{ run, node string }
	var (
		mu      sync.Mutex
		started = map[key]time.Time{}
		ended   = map[key]time.Time{}
		commits = map[key]time.Time{}
	)
	reg := step.NewRegistry()
	reg.Register("noop", step.StepFunc(func(_ context.Context, in step.Input) (step.Output, error) {
		now := time.Now()
		mu.Lock()
		started[key{in.RunID, in.NodeID}] = now
		ended[key{in.RunID, in.NodeID}] = time.Now()
		mu.Unlock()
		return step.Output{}, nil
	}))
	opts := []runner.Option{runner.WithEvents(func(e runner.Event) {
		if e.Type == runner.EventStepCompleted {
			now := time.Now()
			mu.Lock()
			commits[key{e.RunID, e.NodeID}] = now
			mu.Unlock()
		}
	})}
	if *benchPoll > 0 {
		opts = append(opts, runner.WithPollInterval(*benchPoll))
	}
	r, err := runner.New(db, reg, opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Stop(ctx) }()
	tmpl := workflow.Template{Name: "bench", Nodes: []workflow.Node{
		{ID: "a", Type: "noop"},
		{ID: "b", Type: "noop", DependsOn: []string{"a"}},
		{ID: "c", Type: "noop", DependsOn: []string{"a"}},
		{ID: "d", Type: "noop", DependsOn: []string{"b", "c"}},
		{ID: "e", Type: "noop", DependsOn: []string{"d"}},
	}}

	b.ResetTimer()
	begin := time.Now()
	ids := make(chan int)
	runs := make(chan *workflow.Run, b.N)
	errs := make(chan error, *benchConcurrency)
	var wg sync.WaitGroup
	for range *benchConcurrency {
		wg.Go(func() {
			for range ids {
				id, err := r.Submit(ctx, "bench", tmpl, nil)
				if err != nil {
					errs <- err
					return
				}
				run, err := r.Wait(ctx, "bench", id)
				if err != nil || run.State != workflow.RunSucceeded {
					errs <- fmt.Errorf("run %s: %v %v", id, run, err)
					return
				}
				runs <- run
			}
		})
	}
	for i := range b.N {
		select {
		case ids <- i:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(ids)
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	close(runs)
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}

	var dispatch, commit, overhead []time.Duration
	mu.Lock()
	defer mu.Unlock()
	for run := range runs {
		for _, n := range run.Nodes {
			k := key{run.ID, n.ID}
			s, e, c := started[k], ended[k], commits[k]
			if s.IsZero() || c.IsZero() {
				b.Fatalf("node %s of run %s: no timing", n.ID, run.ID)
			}
			dispatch = append(dispatch, s.Sub(n.StartedAt))
			commit = append(commit, c.Sub(e))
			overhead = append(overhead, s.Sub(n.StartedAt)+c.Sub(e))
		}
	}
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"dispatch", dispatch}, {"commit", commit}, {"node", overhead}} {
		slices.Sort(m.d)
		for _, p := range []int{50, 95, 99} {
			b.ReportMetric(ms(m.d[(len(m.d)-1)*p/100]), fmt.Sprintf("%s-p%d-ms", m.name, p))
		}
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "runs/s")
	b.ReportMetric(0, "ns/op") // the per-node figures above are the result
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
