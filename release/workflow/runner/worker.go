package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/tenant"
)

type riverInsert = river.InsertManyParams

// nodeWorker runs node attempts.
type nodeWorker struct {
	river.WorkerDefaults[nodeArgs]
	r *Runner
}

// Timeout is River's claim on the job: past it River's rescuer may deliver
// the job again, and the node lease decides whether that delivery runs. The
// step's own timeout is the node's timeoutSeconds.
func (w *nodeWorker) Timeout(*river.Job[nodeArgs]) time.Duration { return w.r.o.rescueAfter }

func (w *nodeWorker) Work(ctx context.Context, job *river.Job[nodeArgs]) error {
	return w.r.runNode(ctx, job)
}

// wakeWorker advances a run whose retry delay ended.
type wakeWorker struct {
	river.WorkerDefaults[wakeArgs]
	r *Runner
}

func (w *wakeWorker) Work(ctx context.Context, job *river.Job[wakeArgs]) error {
	var events []Event
	err := w.r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := w.r.loadRun(ctx, tx, job.Args.Tenant, job.Args.Run, true)
		if err != nil {
			return err
		}
		if isFinal(row.run.State) {
			return nil
		}
		now := time.Now().UTC()
		if events, err = w.r.advance(ctx, tx, row, now); err != nil {
			return err
		}
		first, err := w.r.saveRun(ctx, tx, row, len(events), now)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, first, events)
	})
	var nf *fault.NotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err == nil {
		w.r.driver.kick()
		w.r.signal(job.Args.Tenant, job.Args.Run)
		w.r.publish(events)
	}
	return err
}

// claim outcome of a node job.
type claim int

const (
	claimed claim = iota
	claimedCancelled
	stale // the lease is gone or was renewed with another token: the attempt is done
	busy  // a live owner holds the lease
)

// claimNode takes the node's lease for owner, if the job is current and the
// lease is free or expired, and loads the run. In the same transaction it
// appends step_started.
func (r *Runner) claimNode(ctx context.Context, a nodeArgs, owner string) (c claim, row *runRow, wait time.Duration, err error) {
	var events []Event
	err = r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		events = nil
		if row, err = r.loadRun(ctx, tx, a.Tenant, a.Run, true); err != nil {
			return err
		}
		now := time.Now().UTC()
		var cancelled bool
		err := tx.QueryRowContext(ctx, `UPDATE workflow_node_leases SET owner = ?, expires_at = ?
			WHERE tenant_id = ? AND run_id = ? AND node_id = ? AND token = ? AND (owner = '' OR expires_at < ?)
			RETURNING cancelled`, owner, now.Add(r.o.lease), a.Tenant, a.Run, a.Node, a.Token, now).Scan(&cancelled)
		if errors.Is(err, sql.ErrNoRows) {
			var (
				token   string
				expires sql.NullTime
			)
			err = tx.QueryRowContext(ctx, `SELECT token, expires_at FROM workflow_node_leases
				WHERE tenant_id = ? AND run_id = ? AND node_id = ?`, a.Tenant, a.Run, a.Node).Scan(&token, &expires)
			switch {
			case errors.Is(err, sql.ErrNoRows) || err == nil && token != a.Token:
				c = stale
				return nil
			case err != nil:
				return err
			}
			c, wait = busy, max(expires.Time.Sub(now), 0)+r.o.lease/10
			return nil
		}
		if err != nil {
			return fmt.Errorf("runner: claim node %s: %w", a.Node, err)
		}
		if cancelled {
			c = claimedCancelled
			return nil
		}
		c = claimed
		events = []Event{{Tenant: a.Tenant, RunID: a.Run, Type: EventStepStarted, NodeID: a.Node, At: now,
			Data: map[string]any{"attempt": a.Attempt, "replica": r.replica}}}
		first, err := reserveSeq(ctx, tx, a.Tenant, a.Run, 1)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, first, events)
	})
	var nf *fault.NotFoundError
	if errors.As(err, &nf) {
		return stale, nil, 0, nil
	}
	if err == nil {
		r.publish(events)
	}
	return c, row, wait, err
}

// runNode executes one delivery of a node job.
func (r *Runner) runNode(jobCtx context.Context, job *river.Job[nodeArgs]) error {
	a := job.Args
	owner := fmt.Sprintf("%s/%d/%d", r.replica, job.ID, job.Attempt)
	c, row, wait, err := r.claimNode(jobCtx, a, owner)
	switch {
	case err != nil:
		return err
	case c == stale:
		return nil
	case c == busy:
		return river.JobSnooze(wait)
	case c == claimedCancelled:
		return r.complete(jobCtx, job, owner, workflow.Result{Err: errCancelled.Error()}, step.Output{}, nil)
	}
	node := templateNode(row.run, a.Node)
	if node == nil {
		return r.complete(jobCtx, job, owner, workflow.Result{Err: "node is not in the run's template"}, step.Output{}, nil)
	}

	// The step's context ends with the runner (hard stop), a Cancel, a lost
	// lease or the node's timeout; River's own job deadline is only its claim.
	stepCtx, cancel := context.WithCancelCause(r.base)
	defer cancel(nil)
	stopAfter := context.AfterFunc(jobCtx, func() {
		if !errors.Is(context.Cause(jobCtx), context.DeadlineExceeded) {
			cancel(errShutdown)
		}
	})
	defer stopAfter()
	key := runningKey(a.Tenant, a.Run, a.Node)
	r.mu.Lock()
	r.running[key] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, key)
		r.mu.Unlock()
	}()

	log := newTailLog(MaxLog)
	hbDone := make(chan struct{})
	hbStopped := make(chan struct{})
	go func() {
		defer close(hbStopped)
		r.heartbeat(a, owner, log, cancel, hbDone)
	}()

	timeout := time.Duration(node.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = workflow.DefaultTimeoutSeconds * time.Second
	}
	timeoutErr := fmt.Errorf("timeout after %ds", int(timeout/time.Second))
	runCtx, cancelRun := context.WithTimeoutCause(stepCtx, timeout, timeoutErr)
	out, stepErr := r.runStep(runCtx, row, node, a, log)
	cause := context.Cause(runCtx)
	cancelRun()
	close(hbDone)
	<-hbStopped

	var res workflow.Result
	switch {
	case errors.Is(cause, errLeaseLost):
		return nil // another delivery owns the node now
	case errors.Is(cause, errShutdown):
		return r.release(a, owner)
	case errors.Is(cause, errCancelled):
		res = workflow.Result{Err: errCancelled.Error()}
	case errors.Is(cause, timeoutErr):
		res = workflow.Result{Err: timeoutErr.Error(), Retriable: true}
	case stepErr != nil:
		res = workflow.Result{Err: stepErr.Error(), Retriable: step.IsRetriable(stepErr)}
	default:
		res = workflow.Result{Outputs: out.Values, Waiting: out.Waiting}
	}
	return r.complete(jobCtx, job, owner, res, out, log)
}

func templateNode(run *workflow.Run, id string) *workflow.Node {
	for i := range run.Template.Nodes {
		if run.Template.Nodes[i].ID == id {
			return &run.Template.Nodes[i]
		}
	}
	return nil
}

// runStep runs the node's step, turning a panic into a failed attempt.
func (r *Runner) runStep(ctx context.Context, row *runRow, node *workflow.Node, a nodeArgs, log *tailLog) (out step.Output, err error) {
	s, ok := r.reg.Lookup(node.Type)
	if !ok {
		return out, fmt.Errorf("unknown step type %q", node.Type)
	}
	// Steps act for the run's tenant, as the workflow: the deciders and
	// catalog lookups they call are tenant-scoped.
	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: a.Tenant, Actor: Actor})
	// Steps read the tenant from the inputs (approvals, deployments): it is
	// always the run's own, whatever the submitter passed.
	inputs := maps.Clone(row.run.Inputs)
	if inputs == nil {
		inputs = map[string]any{}
	}
	inputs["tenant"] = a.Tenant
	in := step.Input{RunID: a.Run, NodeID: a.Node, Attempt: a.Attempt, Config: node.Config,
		Inputs: inputs, Lookup: row.run.Lookup, Log: log}
	if r.o.secrets != nil {
		if in.Secrets, err = r.o.secrets(ctx, a.Tenant, *node); err != nil {
			return out, step.Retriable(fmt.Errorf("secrets: %w", err))
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("step %s panicked: %v", node.Type, p)
		}
	}()
	return s.Run(ctx, in)
}

// heartbeat renews the node lease every third of its length, cancels the
// step when the lease is lost or the run cancelled, and flushes new log
// output as step_log events.
func (r *Runner) heartbeat(a nodeArgs, owner string, log *tailLog, cancel context.CancelCauseFunc, done <-chan struct{}) {
	renew := time.NewTicker(r.o.lease / 3)
	defer renew.Stop()
	flush := time.NewTicker(logFlush)
	defer flush.Stop()
	ctx := context.WithoutCancel(r.base)
	for {
		select {
		case <-done:
			return
		case <-flush.C:
			r.flushLog(ctx, a, log)
		case <-renew.C:
			var cancelled bool
			err := r.bun.QueryRowContext(ctx, `UPDATE workflow_node_leases SET expires_at = ?
				WHERE tenant_id = ? AND run_id = ? AND node_id = ? AND token = ? AND owner = ? RETURNING cancelled`,
				time.Now().UTC().Add(r.o.lease), a.Tenant, a.Run, a.Node, a.Token, owner).Scan(&cancelled)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				cancel(errLeaseLost)
			case err != nil:
				r.o.logger.Warn("workflow node lease not renewed", slog.String("run", a.Run), slog.String("node", a.Node), slog.Any("error", err))
			case cancelled:
				cancel(errCancelled)
			}
		}
	}
}

// flushLog appends the log output written since the last flush as a
// step_log event and keeps the attempt's tail.
func (r *Runner) flushLog(ctx context.Context, a nodeArgs, log *tailLog) {
	chunk, tail, truncated, ok := log.flush()
	if !ok {
		return
	}
	var events []Event
	err := r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		events = []Event{{Tenant: a.Tenant, RunID: a.Run, Type: EventStepLog, NodeID: a.Node, At: time.Now().UTC(),
			Data: map[string]any{"attempt": a.Attempt, "text": string(chunk)}}}
		first, err := reserveSeq(ctx, tx, a.Tenant, a.Run, 1)
		if err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, first, events); err != nil {
			return err
		}
		return keepLog(ctx, tx, a, tail, truncated)
	})
	if err != nil {
		r.o.logger.Warn("workflow step log not written", slog.String("run", a.Run), slog.String("node", a.Node), slog.Any("error", err))
		return
	}
	r.publish(events)
}

func keepLog(ctx context.Context, tx bun.Tx, a nodeArgs, tail []byte, truncated bool) error {
	if tail == nil {
		tail = []byte{}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO workflow_node_logs (tenant_id, run_id, node_id, attempt, log, truncated, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, run_id, node_id, attempt)
		DO UPDATE SET log = EXCLUDED.log, truncated = EXCLUDED.truncated, updated_at = EXCLUDED.updated_at`,
		a.Tenant, a.Run, a.Node, a.Attempt, tail, truncated, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("runner: keep log of node %s: %w", a.Node, err)
	}
	return nil
}

// release gives the node back on shutdown: its lease is freed so that the
// snoozed job runs the attempt again on the next replica to fetch it.
func (r *Runner) release(a nodeArgs, owner string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.bun.ExecContext(ctx, `UPDATE workflow_node_leases SET owner = '', expires_at = NULL
		WHERE tenant_id = ? AND run_id = ? AND node_id = ? AND token = ? AND owner = ?`,
		a.Tenant, a.Run, a.Node, a.Token, owner); err != nil {
		r.o.logger.Warn("workflow node lease not released", slog.String("run", a.Run), slog.String("node", a.Node), slog.Any("error", err))
	}
	return river.JobSnooze(0)
}

// complete records an attempt's result: in one transaction it ends the
// lease (only its owner can), applies Finished, runs the Committer on
// success, starts the nodes that became ready with their jobs, and appends
// the events. It retries transient failures a few times; if the lease was
// taken over meanwhile nothing is written.
func (r *Runner) complete(jobCtx context.Context, job *river.Job[nodeArgs], owner string, res workflow.Result, out step.Output, log *tailLog) error {
	a := job.Args
	// Detached from cancellation, but River's worker context values stay:
	// the job completes in the same transaction (JobCompleteTx).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(jobCtx), time.Minute)
	defer cancel()
	var (
		events []Event
		lost   bool
		err    error
		lg     logFlushed
	)
	if log != nil {
		lg.chunk, lg.tail, lg.truncated, _ = log.flush()
	}
	for try := 0; try < 5; try++ {
		events, lost, err = r.completeTx(ctx, job, owner, res, out, lg)
		if err == nil {
			break
		}
		r.o.logger.Warn("workflow node completion failed", slog.String("run", a.Run), slog.String("node", a.Node),
			slog.Int("try", try+1), slog.Any("error", err))
		time.Sleep(time.Duration(try+1) * 50 * time.Millisecond)
	}
	if err != nil || lost {
		return err
	}
	r.driver.kick()
	r.signal(a.Tenant, a.Run)
	r.publish(events)
	return nil
}

// logFlushed is an attempt's last log output and kept tail.
type logFlushed struct {
	chunk, tail []byte
	truncated   bool
}

func (r *Runner) completeTx(ctx context.Context, job *river.Job[nodeArgs], owner string, res workflow.Result, out step.Output, lg logFlushed) (events []Event, lost bool, err error) {
	a := job.Args
	err = r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := r.loadRun(ctx, tx, a.Tenant, a.Run, true)
		if err != nil {
			return err
		}
		del, err := tx.ExecContext(ctx, `DELETE FROM workflow_node_leases
			WHERE tenant_id = ? AND run_id = ? AND node_id = ? AND token = ? AND owner = ?`, a.Tenant, a.Run, a.Node, a.Token, owner)
		if err != nil {
			return fmt.Errorf("runner: end lease of node %s: %w", a.Node, err)
		}
		if n, err := del.RowsAffected(); err != nil || n == 0 {
			lost = true
			return err
		}
		now := time.Now().UTC()
		if err := row.run.Finished(a.Node, res, now); err != nil {
			return err
		}
		if r.o.committer != nil && res.Err == "" && !res.Waiting {
			if err := r.o.committer(ctx, tx, row.run, a.Node, out); err != nil {
				return fmt.Errorf("runner: commit node %s: %w", a.Node, err)
			}
		}
		events = nil
		if len(lg.chunk) > 0 {
			events = append(events, Event{Tenant: a.Tenant, RunID: a.Run, Type: EventStepLog, NodeID: a.Node, At: now,
				Data: map[string]any{"attempt": a.Attempt, "text": string(lg.chunk)}})
		}
		events = append(events, completedEvent(row, a.Node, now))
		more, err := r.advance(ctx, tx, row, now)
		if err != nil {
			return err
		}
		events = append(events, more...)
		first, err := r.saveRun(ctx, tx, row, len(events), now)
		if err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, first, events); err != nil {
			return err
		}
		if len(lg.tail) > 0 {
			if err := keepLog(ctx, tx, a, lg.tail, lg.truncated); err != nil {
				return err
			}
		}
		// The job ends with the node's transition. It is no longer running
		// only if River rescued it meanwhile; that delivery will find no lease.
		if _, err := river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, tx.Tx, job); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			return fmt.Errorf("runner: complete job of node %s: %w", a.Node, err)
		}
		return nil
	})
	if lost {
		return nil, true, nil
	}
	return events, false, err
}

// Actor is who a workflow's steps act as.
const Actor = "system:workflow"
