package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/store"
)

// dialects runs a test on SQLite and on PostgreSQL.
func dialects(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, filepath.Join(t.TempDir(), "stella.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, testenv.PostgresDSN(t))
	})
}

func openStore(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// testOptions keep crash recovery fast in tests.
func testOptions(extra ...runner.Option) []runner.Option {
	return append([]runner.Option{
		runner.WithRescueAfter(2 * time.Second),
		runner.WithLease(time.Second),
		runner.WithPollInterval(10 * time.Millisecond),
	}, extra...)
}

func startRunner(t testing.TB, db *store.DB, reg *step.Registry, opts ...runner.Option) *runner.Runner {
	t.Helper()
	r, err := runner.New(db, reg, testOptions(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return r
}

// spans records when each node's step ran.
type spans struct {
	mu    sync.Mutex
	start map[string]time.Time
	end   map[string]time.Time
}

func newSpans() *spans { return &spans{start: map[string]time.Time{}, end: map[string]time.Time{}} }

func (s *spans) record(node string, from, to time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start[node], s.end[node] = from, to
}

func (s *spans) get(node string) (time.Time, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start[node], s.end[node]
}

type sleepConfig struct {
	Millis int `json:"millis"`
}

// testSteps: "sleep" sleeps config.millis (or until cancelled) and records
// its span; "flaky" fails retriably on its first attempt.
func testSteps(sp *spans) *step.Registry {
	reg := step.NewRegistry()
	reg.Register("sleep", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
		var c sleepConfig
		if err := step.DecodeConfig(in.Config, &c); err != nil {
			return step.Output{}, err
		}
		from := time.Now()
		fmt.Fprintf(in.Log, "node %s sleeps %dms\n", in.NodeID, c.Millis)
		select {
		case <-time.After(time.Duration(c.Millis) * time.Millisecond):
		case <-ctx.Done():
			sp.record(in.NodeID, from, time.Now())
			return step.Output{}, ctx.Err()
		}
		sp.record(in.NodeID, from, time.Now())
		return step.Output{Values: map[string]any{"slept": c.Millis}}, nil
	}))
	reg.Register("flaky", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
		if in.Attempt == 1 {
			return step.Output{}, step.Retriable(errors.New("registry returned 503"))
		}
		return step.Output{Values: map[string]any{"attempt": in.Attempt}}, nil
	}))
	return reg
}

func sleepNode(id string, millis int, deps ...string) workflow.Node {
	return workflow.Node{ID: id, Type: "sleep", Config: json.RawMessage(fmt.Sprintf(`{"millis":%d}`, millis)), DependsOn: deps}
}

func waitRun(t *testing.T, r *runner.Runner, tenant, id string) *workflow.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	run, err := r.Wait(ctx, tenant, id)
	if err != nil {
		t.Fatalf("wait for run %s: %v (last state %+v)", id, err, run)
	}
	return run
}

func nodeStates(run *workflow.Run) map[string]workflow.NodeState {
	out := map[string]workflow.NodeState{}
	for _, n := range run.Nodes {
		out[n.ID] = n.State
	}
	return out
}

func TestDiamondRunsBAndCTogetherAndDAfterBoth(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		db := openStore(t, dsn)
		sp := newSpans()
		var events []runner.Event
		var mu sync.Mutex
		r := startRunner(t, db, testSteps(sp), runner.WithEvents(func(e runner.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}))
		tmpl := workflow.Template{Name: "diamond", Inputs: map[string]any{"canary": false}, Nodes: []workflow.Node{
			sleepNode("a", 50),
			sleepNode("b", 400, "a"),
			sleepNode("c", 400, "a"),
			sleepNode("d", 50, "b", "c"),
			{ID: "flaky", Type: "flaky", DependsOn: []string{"d"}, Retry: workflow.Retry{MaxAttempts: 3, BackoffSeconds: 0.2}},
			{ID: "skipped", Type: "sleep", DependsOn: []string{"a"},
				When: &workflow.Condition{Ref: "inputs.canary", Op: "==", Value: true}},
		}}
		ctx := context.Background()
		id, err := r.Submit(ctx, "acme", tmpl, map[string]any{"canary": false})
		if err != nil {
			t.Fatal(err)
		}
		run := waitRun(t, r, "acme", id)
		if run.State != workflow.RunSucceeded {
			t.Fatalf("run %s: %s", run.State, run.Error)
		}
		want := map[string]workflow.NodeState{"a": "succeeded", "b": "succeeded", "c": "succeeded", "d": "succeeded",
			"flaky": "succeeded", "skipped": "skipped"}
		if got := nodeStates(run); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("node states %v, want %v", got, want)
		}
		bStart, bEnd := sp.get("b")
		cStart, cEnd := sp.get("c")
		dStart, _ := sp.get("d")
		if !bStart.Before(cEnd) || !cStart.Before(bEnd) {
			t.Errorf("b [%s, %s] and c [%s, %s] did not overlap", bStart, bEnd, cStart, cEnd)
		}
		if dStart.Before(bEnd) || dStart.Before(cEnd) {
			t.Errorf("d started at %s before b (%s) and c (%s) ended", dStart, bEnd, cEnd)
		}
		if f := run.Node("flaky"); f.Attempts != 2 || f.Outputs["attempt"] != float64(2) {
			t.Errorf("flaky: %d attempts, outputs %v; want success on attempt 2", f.Attempts, f.Outputs)
		}

		// The same state is persisted: a fresh Get reads it from the database.
		again, err := r.Get(ctx, "acme", id)
		if err != nil || again.State != workflow.RunSucceeded {
			t.Fatalf("Get: %v, %v", again, err)
		}
		logs, err := r.Logs(ctx, "acme", id, "b")
		if err != nil || string(logs) != "node b sleeps 400ms\n" {
			t.Errorf("logs of b: %q, %v", logs, err)
		}
		stored, err := r.Events(ctx, "acme", id, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range stored {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
		}
		last := stored[len(stored)-1]
		if last.Type != runner.EventWorkflowCompleted || last.Data["state"] != "succeeded" {
			t.Errorf("last event %+v, want workflow_completed succeeded", last)
		}
		mu.Lock()
		published := len(events)
		mu.Unlock()
		if published != len(stored) {
			t.Errorf("%d events published, %d stored", published, len(stored))
		}
		// Submitting again with the run id starts nothing new.
		id2, err := r.Submit(ctx, "acme", tmpl, nil, runner.WithRunID(id))
		if err != nil || id2 != id {
			t.Fatalf("resubmit: %q, %v", id2, err)
		}
		if again, _ := r.Get(ctx, "acme", id); again.Node("a").Attempts != 1 {
			t.Errorf("resubmitting ran a again: %d attempts", again.Node("a").Attempts)
		}
		other := workflow.Template{Name: "other", Nodes: []workflow.Node{sleepNode("x", 1)}}
		var conflict *fault.ConflictError
		if _, err := r.Submit(ctx, "acme", other, nil, runner.WithRunID(id)); !errors.As(err, &conflict) {
			t.Errorf("reusing a run id for another template: %v, want a conflict", err)
		}
	})
}

func TestTimeoutWithOneAttemptFailsTheRun(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		db := openStore(t, dsn)
		r := startRunner(t, db, testSteps(newSpans()))
		slow := sleepNode("slow", 5000)
		slow.TimeoutSeconds = 1
		tmpl := workflow.Template{Name: "slow", Nodes: []workflow.Node{slow, sleepNode("after", 10, "slow")}}
		id, err := r.Submit(context.Background(), "acme", tmpl, nil)
		if err != nil {
			t.Fatal(err)
		}
		run := waitRun(t, r, "acme", id)
		if run.State != workflow.RunFailed || run.Node("slow").Error != "timeout after 1s" {
			t.Fatalf("run %s, slow: %+v", run.State, run.Node("slow"))
		}
		if s := run.Node("after").State; s != workflow.NodeCancelled {
			t.Errorf("after: %s, want cancelled", s)
		}
	})
}

func TestCancelStopsTheRunningStepAndStartsNothingElse(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		db := openStore(t, dsn)
		sp := newSpans()
		started := make(chan string, 10)
		r := startRunner(t, db, testSteps(sp), runner.WithEvents(func(e runner.Event) {
			if e.Type == runner.EventStepStarted {
				started <- e.NodeID
			}
		}))
		tmpl := workflow.Template{Name: "long", Nodes: []workflow.Node{sleepNode("wait", 30_000), sleepNode("after", 10, "wait")}}
		ctx := context.Background()
		id, err := r.Submit(ctx, "acme", tmpl, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := <-started; n != "wait" {
			t.Fatalf("first started node %q", n)
		}
		begin := time.Now()
		if err := r.Cancel(ctx, "acme", id); err != nil {
			t.Fatal(err)
		}
		run := waitRun(t, r, "acme", id)
		if run.State != workflow.RunCancelled {
			t.Fatalf("run %s", run.State)
		}
		// Wait returns once the run is final; the cancelled step ends just after.
		deadline := time.Now().Add(10 * time.Second)
		for run.Node("wait").State == workflow.NodeRunning && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if run, err = r.Get(ctx, "acme", id); err != nil {
				t.Fatal(err)
			}
		}
		if got := nodeStates(run); got["wait"] != workflow.NodeCancelled || got["after"] != workflow.NodeCancelled {
			t.Errorf("node states %v, want both cancelled", got)
		}
		if _, end := sp.get("wait"); end.IsZero() || end.Sub(begin) > 5*time.Second {
			t.Errorf("the wait step ended %v after Cancel, want its context cancelled", end.Sub(begin))
		}
		if s, _ := sp.get("after"); !s.IsZero() {
			t.Error("after started in a cancelled run")
		}
		if err := r.Cancel(ctx, "acme", id); err != nil {
			t.Errorf("cancelling a cancelled run: %v", err)
		}
	})
}

func TestPokeRerunsAWaitingNode(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		db := openStore(t, dsn)
		reg := testSteps(newSpans())
		var approved sync.Map
		reg.Register("approval", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
			if _, ok := approved.Load(in.RunID); !ok {
				return step.Output{Waiting: true}, nil
			}
			return step.Output{Values: map[string]any{"approvers": []any{"bob"}}}, nil
		}))
		r := startRunner(t, db, reg)
		tmpl := workflow.Template{Name: "gated", Nodes: []workflow.Node{{ID: "approve", Type: "approval"}, sleepNode("deploy", 10, "approve")}}
		ctx := context.Background()
		id, err := r.Submit(ctx, "acme", tmpl, nil)
		if err != nil {
			t.Fatal(err)
		}
		run := waitRun(t, r, "acme", id)
		if run.State != workflow.RunWaiting || run.Node("approve").State != workflow.NodeWaiting {
			t.Fatalf("run %s, approve %s; want both waiting", run.State, run.Node("approve").State)
		}
		if err := r.Poke(ctx, "acme", id, "deploy"); err == nil {
			t.Error("poking a pending node succeeded")
		}
		approved.Store(id, true)
		if err := r.Poke(ctx, "acme", id, "approve"); err != nil {
			t.Fatal(err)
		}
		run = waitRun(t, r, "acme", id)
		if run.State != workflow.RunSucceeded || run.Node("approve").Attempts != 1 {
			t.Fatalf("run %s, approve %+v", run.State, run.Node("approve"))
		}
	})
}

// A replica that does not run the node cancels it: the owner's lease
// heartbeat sees the cancellation and cancels the step's context.
func TestCancelFromAnotherReplica(t *testing.T) {
	dialects(t, func(t *testing.T, dsn string) {
		sp := newSpans()
		started := make(chan string, 10)
		owner := startRunner(t, openStore(t, dsn), testSteps(sp), runner.WithEvents(func(e runner.Event) {
			if e.Type == runner.EventStepStarted {
				started <- e.NodeID
			}
		}))
		other, err := runner.New(openStore(t, dsn), testSteps(sp), testOptions()...)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = other.Stop(context.Background()) }()
		ctx := context.Background()
		id, err := other.Submit(ctx, "acme", workflow.Template{Name: "long", Nodes: []workflow.Node{sleepNode("wait", 30_000)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		<-started
		begin := time.Now()
		if err := other.Cancel(ctx, "acme", id); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			run, err := owner.Get(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if s := run.Node("wait").State; s != workflow.NodeRunning {
				if s != workflow.NodeCancelled || run.State != workflow.RunCancelled {
					t.Fatalf("run %s, node %s", run.State, s)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the owner did not notice the cancellation")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, end := sp.get("wait"); end.IsZero() || end.Sub(begin) > 5*time.Second {
			t.Errorf("the step ended %v after Cancel", end.Sub(begin))
		}
	})
}
