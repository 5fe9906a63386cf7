package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/store"
)

// The crash and replica tests run runners in child processes: the test
// binary re-executed with helperEnv set runs helperMain instead of tests.
const (
	helperEnv        = "STELLA_RUNNER_HELPER_DSN"
	helperReplicaEnv = "STELLA_RUNNER_HELPER_REPLICA"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(helperEnv); dsn != "" {
		os.Exit(helperMain(dsn, os.Getenv(helperReplicaEnv)))
	}
	os.Exit(m.Run())
}

// helperMain runs a runner whose "count" steps sleep config.millis and count
// their completion in the Committer's transaction, until SIGTERM (a graceful
// stop) or SIGKILL.
func helperMain(dsn, replica string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	r, err := runner.New(db, countingSteps(), testOptions(runner.WithReplicaID(replica), runner.WithCommitter(countCommitter(replica)))...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := r.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func countingSteps() *step.Registry {
	reg := step.NewRegistry()
	reg.Register("count", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
		var c sleepConfig
		if err := step.DecodeConfig(in.Config, &c); err != nil {
			return step.Output{}, err
		}
		select {
		case <-time.After(time.Duration(c.Millis) * time.Millisecond):
			return step.Output{}, nil
		case <-ctx.Done():
			return step.Output{}, ctx.Err()
		}
	}))
	return reg
}

// countCommitter adds 1 to the node's counter row in the completion
// transaction: a node recorded twice would count 2.
func countCommitter(replica string) runner.Committer {
	return func(ctx context.Context, tx bun.Tx, run *workflow.Run, node string, _ step.Output) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO runner_test_counter (run_id, node_id, n, replica) VALUES (?, ?, 1, ?)
			ON CONFLICT (run_id, node_id) DO UPDATE SET n = runner_test_counter.n + 1`, run.ID, node, replica)
		return err
	}
}

func createCounter(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Bun().ExecContext(context.Background(), `CREATE TABLE runner_test_counter (
		run_id TEXT NOT NULL, node_id TEXT NOT NULL, n INTEGER NOT NULL, replica TEXT NOT NULL, PRIMARY KEY (run_id, node_id))`); err != nil {
		t.Fatal(err)
	}
}

// child is a helper process.
type child struct {
	cmd *exec.Cmd
	out *strings.Builder
}

func startChild(t *testing.T, dsn, replica string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dsn, helperReplicaEnv+"="+replica)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("replica exited with %v: %s", err, c.out)
	}
}

func countRows(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Bun().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lanes is a template of n count nodes in four lanes: node i depends on
// node i-4, so four nodes run at once.
func lanes(name string, n, millis int) workflow.Template {
	t := workflow.Template{Name: name}
	for i := range n {
		node := workflow.Node{ID: fmt.Sprintf("n%02d", i), Type: "count", Config: json.RawMessage(fmt.Sprintf(`{"millis":%d}`, millis))}
		if i >= 4 {
			node.DependsOn = []string{fmt.Sprintf("n%02d", i-4)}
		}
		t.Nodes = append(t.Nodes, node)
	}
	return t
}

// submitter is a runner that is never started: it only submits and reads.
func submitter(t *testing.T, db *store.DB) *runner.Runner {
	t.Helper()
	r, err := runner.New(db, countingSteps(), testOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(context.Background()) })
	return r
}

func TestKill9MidRunEveryNodeCountsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash recovery waits for River's leader and rescuer")
	}
	dialects(t, func(t *testing.T, dsn string) {
		db := openStore(t, dsn)
		createCounter(t, db)
		sub := submitter(t, db)
		ctx := context.Background()
		id, err := sub.Submit(ctx, "acme", lanes("twenty", 20, 300), nil)
		if err != nil {
			t.Fatal(err)
		}

		first := startChild(t, dsn, "first")
		deadline := time.Now().Add(60 * time.Second)
		for {
			done := countRows(t, db, `SELECT count(*) FROM runner_test_counter`)
			running := countRows(t, db, `SELECT count(*) FROM workflow_node_leases WHERE owner <> ''`)
			if done >= 5 && running > 0 {
				first.kill(t)
				t.Logf("killed the first replica with %d nodes done and %d running", done, running)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first replica did not get going: %s", first.out)
			}
			time.Sleep(5 * time.Millisecond)
		}

		killedAt := time.Now()
		second := startChild(t, dsn, "second")
		waitCtx, cancel := context.WithTimeout(ctx, 120*time.Second)
		defer cancel()
		run, err := sub.Wait(waitCtx, "acme", id)
		if err != nil {
			t.Fatalf("run did not finish after the crash: %v\nsecond replica: %s", err, second.out)
		}
		t.Logf("the second replica finished the run %s after the kill", time.Since(killedAt).Round(time.Millisecond))
		second.stop(t)
		if run.State != workflow.RunSucceeded {
			t.Fatalf("run %s: %s", run.State, run.Error)
		}
		if n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE run_id = ? AND n = 1`, id); n != 20 {
			t.Errorf("%d of 20 nodes counted exactly once", n)
		}
		if n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE n <> 1`); n != 0 {
			t.Errorf("%d nodes counted more than once", n)
		}
		for _, replica := range []string{"first", "second"} {
			if n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE replica = ?`, replica); n == 0 {
				t.Errorf("replica %s completed no node", replica)
			}
		}
	})
}

func TestTwoReplicasRunEachNodeOnce(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	db := openStore(t, dsn)
	createCounter(t, db)
	sub := submitter(t, db)
	ctx := context.Background()
	const runs = 200
	tmpl := workflow.Template{Name: "small", Nodes: []workflow.Node{
		{ID: "build", Type: "count", Config: json.RawMessage(`{"millis":5}`)},
		{ID: "test", Type: "count", Config: json.RawMessage(`{"millis":5}`), DependsOn: []string{"build"}},
		{ID: "scan", Type: "count", Config: json.RawMessage(`{"millis":5}`), DependsOn: []string{"build"}},
		{ID: "ship", Type: "count", Config: json.RawMessage(`{"millis":5}`), DependsOn: []string{"test", "scan"}},
	}}
	one, two := startChild(t, dsn, "one"), startChild(t, dsn, "two")
	ids := make([]string, runs)
	for i := range ids {
		id, err := sub.Submit(ctx, "acme", tmpl, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for _, id := range ids {
		run, err := sub.Wait(waitCtx, "acme", id)
		if err != nil {
			t.Fatalf("run %s: %v\nreplica one: %s\nreplica two: %s", id, err, one.out, two.out)
		}
		if run.State != workflow.RunSucceeded {
			t.Fatalf("run %s %s: %s", id, run.State, run.Error)
		}
	}
	one.stop(t)
	two.stop(t)
	if n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE n = 1`); n != runs*4 {
		t.Errorf("%d nodes counted exactly once, want %d", n, runs*4)
	}
	if n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE n <> 1`); n != 0 {
		t.Errorf("%d nodes counted more than once", n)
	}
	for _, replica := range []string{"one", "two"} {
		n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE replica = ?`, replica)
		t.Logf("replica %s completed %d nodes", replica, n)
		if n == 0 {
			t.Errorf("replica %s completed no node", replica)
		}
	}
}

// A step that runs longer than RescueAfter is rescued by River while its
// owner lives; the rescued delivery finds the lease renewed and waits, and
// the node runs once. River's rescuer runs every 30 s, so this takes ~45 s.
func TestRescueOfALiveOwnersJobDoesNotRunTheNodeAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescuer (every 30 s)")
	}
	dialects(t, func(t *testing.T, dsn string) {
		t.Parallel()
		db := openStore(t, dsn)
		createCounter(t, db)
		var calls atomic.Int32
		reg := step.NewRegistry()
		reg.Register("long", step.StepFunc(func(ctx context.Context, in step.Input) (step.Output, error) {
			calls.Add(1)
			select {
			case <-time.After(45 * time.Second):
				return step.Output{}, nil
			case <-ctx.Done():
				return step.Output{}, ctx.Err()
			}
		}))
		r := startRunner(t, db, reg, runner.WithCommitter(countCommitter("only")))
		ctx := context.Background()
		id, err := r.Submit(ctx, "acme", workflow.Template{Name: "long", Nodes: []workflow.Node{{ID: "deploy", Type: "long"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		run := waitRun(t, r, "acme", id)
		if run.State != workflow.RunSucceeded {
			t.Fatalf("run %s: %s", run.State, run.Error)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("the step ran %d times", n)
		}
		if n := countRows(t, db, `SELECT count(*) FROM runner_test_counter WHERE run_id = ? AND n = 1`, id); n != 1 {
			t.Errorf("the node counted %d times once, want 1", n)
		}
		// The scenario happened: River's rescuer took the job from its live owner.
		if n := countRows(t, db, `SELECT count(*) FROM river_job WHERE kind = 'stella_workflow_node'
			AND CAST(errors AS TEXT) LIKE '%Stuck job rescued%'`); n != 1 {
			t.Errorf("River rescued %d jobs, want 1: the test did not test anything", n)
		}
	})
}
