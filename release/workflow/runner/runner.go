package runner

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/store"
)

// queue is the River queue of workflow jobs.
const queue = "stella_workflow"

// Committer writes the durable effect of a node's successful attempt in the
// transaction that records the success, so that the effect is kept exactly
// when the node's completion is: once, whatever crashes or replicas.
type Committer func(ctx context.Context, tx bun.Tx, run *workflow.Run, node string, out step.Output) error

// Option tunes New.
type Option func(*options)

type options struct {
	rescueAfter time.Duration
	lease       time.Duration
	poll        time.Duration
	workers     int
	replica     string
	events      func(Event)
	committer   Committer
	logger      *slog.Logger
	secrets     func(ctx context.Context, tenant string, node workflow.Node) (map[string]string, error)
}

// WithRescueAfter sets how long a node job may hold its River claim before
// River's rescuer hands it to another replica (default 30 s). A rescued job
// whose node lease is still renewed by a live owner waits; only a dead
// owner's node is run again.
func WithRescueAfter(d time.Duration) Option { return func(o *options) { o.rescueAfter = d } }

// WithLease sets how long a node lease lasts without renewal (default 10 s;
// the owner renews it every third of that). A crashed replica's nodes are
// taken over once their lease expired and River rescued their jobs.
func WithLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

// WithPollInterval sets how often an idle replica looks for ready jobs
// (default 50 ms); it bounds the hand-off latency between nodes.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithWorkers caps the node attempts this replica runs at once (default 16).
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithReplicaID names this replica in leases (default: random). Two running
// replicas must not share an id.
func WithReplicaID(id string) Option { return func(o *options) { o.replica = id } }

// WithEvents calls fn after each committed event, in order per run. fn must
// not block: the server publishes the events to its subscribers from it.
func WithEvents(fn func(Event)) Option { return func(o *options) { o.events = fn } }

// WithCommitter runs c inside the transaction that records each successful
// node attempt.
func WithCommitter(c Committer) Option { return func(o *options) { o.committer = c } }

// WithLogger sets the logger of the runner and of River (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSecrets injects each attempt's Input.Secrets.
func WithSecrets(fn func(ctx context.Context, tenant string, node workflow.Node) (map[string]string, error)) Option {
	return func(o *options) { o.secrets = fn }
}

// Runner executes workflow runs durably: every node attempt is a River job,
// and every state change of a run commits together with the jobs it hands
// off to. Several Runners (replicas) may share one PostgreSQL database; each
// node attempt runs on exactly one of them.
type Runner struct {
	db      *store.DB
	bun     *bun.DB
	pg      bool
	reg     *step.Registry
	o       options
	replica string
	client  *river.Client[*sql.Tx]

	driver      *kickDriver
	closeDriver func()
	started     atomic.Bool

	mu      sync.Mutex
	base    context.Context         // steps' parent: cancelled by a hard Stop
	stopAll context.CancelCauseFunc // cancels base
	running map[string]context.CancelCauseFunc
	watches map[string]*watch
}

// New prepares a runner on db with the steps of reg. Start begins executing.
func New(db *store.DB, reg *step.Registry, opts ...Option) (*Runner, error) {
	if db == nil || reg == nil {
		return nil, errors.New("runner: New needs a store and a step registry")
	}
	o := options{rescueAfter: 30 * time.Second, lease: 10 * time.Second, poll: 50 * time.Millisecond, workers: 16}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.rescueAfter < time.Second:
		return nil, fmt.Errorf("runner: rescue-after %s is below 1s", o.rescueAfter)
	case o.lease < 300*time.Millisecond:
		return nil, fmt.Errorf("runner: lease %s is below 300ms", o.lease)
	case o.poll < time.Millisecond:
		return nil, fmt.Errorf("runner: poll interval %s is below 1ms", o.poll)
	case o.workers < 1:
		return nil, fmt.Errorf("runner: %d workers, want at least 1", o.workers)
	}
	r := &Runner{
		db: db, bun: db.Bun(), pg: db.Dialect() == store.DialectPostgres, reg: reg, o: o,
		replica: o.replica, running: map[string]context.CancelCauseFunc{}, watches: map[string]*watch{},
	}
	if r.replica == "" {
		r.replica = "replica-" + newToken()[:12]
	}
	r.base, r.stopAll = context.WithCancelCause(context.Background())

	workers := river.NewWorkers()
	river.AddWorker(workers, &nodeWorker{r: r})
	river.AddWorker(workers, &wakeWorker{r: r})
	driver, closeDriver, err := riverDriver(db)
	if err != nil {
		return nil, err
	}
	r.closeDriver = closeDriver
	r.driver = newKickDriver(driver)
	client, err := river.NewClient(r.driver, &river.Config{
		ID:                   r.replica + "-" + newToken()[:8],
		Queues:               map[string]river.QueueConfig{queue: {MaxWorkers: o.workers}},
		Workers:              workers,
		FetchPollInterval:    o.poll,
		FetchCooldown:        min(o.poll, 5*time.Millisecond),
		JobTimeout:           o.rescueAfter,
		RescueStuckJobsAfter: o.rescueAfter,
		MaxAttempts:          jobAttempts,
		RetryPolicy:          retryPolicy{},
		Logger:               o.logger,
	})
	if err != nil {
		closeDriver()
		return nil, fmt.Errorf("runner: River client: %w", err)
	}
	r.client = client
	return r, nil
}

// jobAttempts is River's attempt budget of a job. Stella retries failed
// steps itself (workflow.Retry); River's attempts are spent only by rescues
// of dead or long-running owners and by database errors, each answered by
// another delivery of the same node attempt, which the lease makes harmless.
const jobAttempts = 100

// retryPolicy redelivers a rescued or errored job soon: the lease decides
// whether it runs, so waiting longer buys nothing.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(min(time.Duration(job.Attempt)*time.Second, 30*time.Second))
}

// Start starts executing jobs; cancelling ctx stops the runner as Stop does.
func (r *Runner) Start(ctx context.Context) error {
	r.started.Store(true)
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("runner: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running steps to finish. When ctx
// ends first, running steps are cancelled: their nodes are released to be
// run again by a replica, and Stop returns ctx's error. A runner that was
// never started (one that only submits and reads) just releases its pools.
func (r *Runner) Stop(ctx context.Context) error {
	if !r.started.Load() {
		r.closeDriver()
		return nil
	}
	err := r.client.Stop(ctx)
	if err == nil {
		r.closeDriver()
		return nil
	}
	defer r.closeDriver()
	r.stopAll(errShutdown)
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err2 := r.client.StopAndCancel(hard); err2 != nil {
		return fmt.Errorf("runner: stop: %w", errors.Join(err, err2))
	}
	return err
}

// ReplicaID names this replica.
func (r *Runner) ReplicaID() string { return r.replica }

var (
	errShutdown  = errors.New("runner stopping")
	errCancelled = errors.New("cancelled")
	errLeaseLost = errors.New("node lease lost")
)

// watch is the Waits of one run in this process.
type watch struct {
	ch      chan struct{} // closed and replaced after each local commit to the run
	waiters int
}

// signal wakes the local Waits of a run after a commit.
func (r *Runner) signal(tenant, run string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.watches[runningKey(tenant, run, "")]; ok {
		close(w.ch)
		w.ch = make(chan struct{})
	}
}

// watch registers a Wait on a run: changes returns the channel of the next
// commit; done unregisters.
func (r *Runner) watch(tenant, run string) (changes func() <-chan struct{}, done func()) {
	key := runningKey(tenant, run, "")
	r.mu.Lock()
	w, ok := r.watches[key]
	if !ok {
		w = &watch{ch: make(chan struct{})}
		r.watches[key] = w
	}
	w.waiters++
	r.mu.Unlock()
	changes = func() <-chan struct{} {
		r.mu.Lock()
		defer r.mu.Unlock()
		return w.ch
	}
	done = func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if w.waiters--; w.waiters == 0 {
			delete(r.watches, key)
		}
	}
	return changes, done
}

func (r *Runner) publish(events []Event) {
	if r.o.events == nil {
		return
	}
	for _, e := range events {
		r.o.events(e)
	}
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func runningKey(tenant, run, node string) string { return tenant + "\x00" + run + "\x00" + node }
