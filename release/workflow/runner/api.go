package runner

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
)

// Event types of release.md §3's workflowRunEvents stream.
const (
	EventStepStarted       = "step_started"
	EventStepProgress      = "step_progress" // an attempt ended without ending the node: retry scheduled, or waiting
	EventStepLog           = "step_log"
	EventStepCompleted     = "step_completed"
	EventWorkflowCompleted = "workflow_completed"
)

// Event is one entry of a run's append-only event stream; Seq numbers a
// run's events from 1 in commit order.
type Event struct {
	Tenant string         `json:"tenant"`
	RunID  string         `json:"runId"`
	Seq    int64          `json:"seq"`
	Type   string         `json:"type"`
	NodeID string         `json:"nodeId,omitempty"`
	At     time.Time      `json:"at"`
	Data   map[string]any `json:"data,omitempty"`
}

// RunOption tunes Submit.
type RunOption func(*runOptions)

type runOptions struct {
	id        string
	promotion string
	limit     int
}

// WithRunID gives the run its id. Submitting again with the same id returns
// that id and starts nothing: a retried request does not run twice.
func WithRunID(id string) RunOption { return func(o *runOptions) { o.id = id } }

// WithPromotion records the promotion the run deploys.
func WithPromotion(id string) RunOption { return func(o *runOptions) { o.promotion = id } }

// WithLimit sets how many nodes of the run may run at once (default 4).
func WithLimit(n int) RunOption { return func(o *runOptions) { o.limit = n } }

// Submit creates a run of t with inputs and starts its first nodes.
func (r *Runner) Submit(ctx context.Context, tenant string, t workflow.Template, inputs map[string]any, opts ...RunOption) (string, error) {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	if strings.TrimSpace(tenant) == "" {
		return "", fault.Invalid("tenant", "is required")
	}
	if o.limit < 0 {
		return "", fault.Invalid("limit", "must not be negative, got %d", o.limit)
	}
	t.Nodes = append([]workflow.Node(nil), t.Nodes...)
	if err := workflow.Validate(&t, r.reg.Known); err != nil {
		return "", err
	}
	if o.id == "" {
		o.id = uuid.Must(uuid.NewV7()).String()
	}
	run, err := workflow.NewRun(o.id, t, inputs)
	if err != nil {
		return "", err
	}
	if o.limit > 0 {
		run.Limit = o.limit
	}
	digest, err := workflow.Digest(t)
	if err != nil {
		return "", err
	}
	var events []Event
	err = r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := time.Now().UTC()
		var promotion any
		if o.promotion != "" {
			promotion = o.promotion
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO workflow_runs (tenant_id, id, promotion_id, template_name, template_version,
			template_digest, state, run, version, event_seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 0, 0, ?, ?) ON CONFLICT (tenant_id, id) DO NOTHING`,
			tenant, run.ID, promotion, t.Name, t.Version, digest, string(run.State), now, now)
		if err != nil {
			return fmt.Errorf("runner: create run: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return sameRun(ctx, tx, tenant, run.ID, digest, err)
		}
		row := &runRow{tenant: tenant, run: run}
		if events, err = r.advance(ctx, tx, row, now); err != nil {
			return err
		}
		first, err := r.saveRun(ctx, tx, row, len(events), now)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, first, events)
	})
	if err != nil {
		return "", err
	}
	r.driver.kick()
	r.signal(tenant, run.ID)
	r.publish(events)
	return run.ID, nil
}

// sameRun accepts a repeated submission: the run with that id exists, and
// must be of the same template.
func sameRun(ctx context.Context, tx bun.Tx, tenant, id, digest string, err error) error {
	if err != nil {
		return err
	}
	var existing string
	if err := tx.QueryRowContext(ctx, `SELECT template_digest FROM workflow_runs WHERE tenant_id = ? AND id = ?`,
		tenant, id).Scan(&existing); err != nil {
		return fmt.Errorf("runner: read run %s: %w", id, err)
	}
	if existing != digest {
		return &fault.ConflictError{Kind: "workflow run", Key: id, Reason: "exists with another template (" + existing + ")"}
	}
	return nil
}

// Get returns the state of a run.
func (r *Runner) Get(ctx context.Context, tenant, runID string) (*workflow.Run, error) {
	row, err := r.loadRun(ctx, r.bun, tenant, runID, false)
	if err != nil {
		return nil, err
	}
	return row.run, nil
}

// Wait returns the run once it is final (succeeded, failed, cancelled) or
// waiting for a Poke, or ctx's error.
func (r *Runner) Wait(ctx context.Context, tenant, runID string) (*workflow.Run, error) {
	return r.waitFor(ctx, tenant, runID, func(s workflow.RunState) bool { return s == workflow.RunWaiting || isFinal(s) })
}

// WaitDone returns the run once it is final, however long it waits for
// approvals on the way, or ctx's error.
func (r *Runner) WaitDone(ctx context.Context, tenant, runID string) (*workflow.Run, error) {
	return r.waitFor(ctx, tenant, runID, isFinal)
}

func (r *Runner) waitFor(ctx context.Context, tenant, runID string, done func(workflow.RunState) bool) (*workflow.Run, error) {
	changes, stop := r.watch(tenant, runID)
	defer stop()
	for {
		changed := changes()
		run, err := r.Get(ctx, tenant, runID)
		if err != nil {
			return nil, err
		}
		if done(run.State) {
			return run, nil
		}
		// Another replica's commits are seen by polling.
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-changed:
		case <-time.After(max(r.o.poll, 50*time.Millisecond)):
		}
	}
}

// Cancel cancels a run: pending and waiting nodes are cancelled at once,
// running ones get their context cancelled and end cancelled, nothing else
// starts. Cancelling a final run changes nothing.
func (r *Runner) Cancel(ctx context.Context, tenant, runID string) error {
	var (
		events []Event
		owned  []string
	)
	err := r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		events, owned = nil, nil
		row, err := r.loadRun(ctx, tx, tenant, runID, true)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		wasFinal := isFinal(row.run.State)
		plan := row.run.Cancel(now)
		if wasFinal {
			return nil
		}
		for _, node := range plan.Cancel {
			var owner string
			err := tx.QueryRowContext(ctx, `UPDATE workflow_node_leases SET cancelled = ? WHERE tenant_id = ? AND run_id = ? AND node_id = ?
				RETURNING owner`, true, tenant, runID, node).Scan(&owner)
			if err != nil && !errors.Is(err, sql.ErrNoRows) { // no lease: nobody runs it
				return fmt.Errorf("runner: cancel node %s: %w", node, err)
			}
			if owner != "" {
				owned = append(owned, node) // its owner ends it when its step returns
				continue
			}
			// Its job has not started the step: end the node now; the job will find no lease.
			if _, err := tx.ExecContext(ctx, `DELETE FROM workflow_node_leases WHERE tenant_id = ? AND run_id = ? AND node_id = ?`,
				tenant, runID, node); err != nil {
				return err
			}
			if err := row.run.Finished(node, workflow.Result{Err: errCancelled.Error()}, now); err != nil {
				return err
			}
			events = append(events, completedEvent(row, node, now))
		}
		events = append(events, Event{Tenant: tenant, RunID: runID, Type: EventWorkflowCompleted, At: now,
			Data: map[string]any{"state": string(row.run.State)}})
		first, err := r.saveRun(ctx, tx, row, len(events), now)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, first, events)
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	for _, node := range owned {
		if cancel, ok := r.running[runningKey(tenant, runID, node)]; ok {
			cancel(errCancelled) // on other replicas the lease heartbeat notices
		}
	}
	r.mu.Unlock()
	r.signal(tenant, runID)
	r.publish(events)
	return nil
}

// Poke runs a waiting node's step again (an approval was given, a manual
// step confirmed). A node that is not waiting is a conflict.
func (r *Runner) Poke(ctx context.Context, tenant, runID, nodeID string) error {
	err := r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := r.loadRun(ctx, tx, tenant, runID, true)
		if err != nil {
			return err
		}
		if _, err := waitingNode(row, nodeID); err != nil {
			return err
		}
		now := time.Now().UTC()
		if err := r.restart(ctx, tx, row, nodeID, now); err != nil {
			return err
		}
		_, err = r.saveRun(ctx, tx, row, 0, now)
		return err
	})
	if err == nil {
		r.driver.kick()
		r.signal(tenant, runID)
	}
	return err
}

// Logs returns the kept log of a node's attempts, oldest first; each
// attempt keeps its last MaxLog bytes.
func (r *Runner) Logs(ctx context.Context, tenant, runID, nodeID string) ([]byte, error) {
	row, err := r.loadRun(ctx, r.bun, tenant, runID, false)
	if err != nil {
		return nil, err
	}
	if row.run.Node(nodeID) == nil {
		return nil, &fault.NotFoundError{Kind: "workflow node", Key: nodeID}
	}
	rows, err := r.bun.QueryContext(ctx, `SELECT log FROM workflow_node_logs WHERE tenant_id = ? AND run_id = ? AND node_id = ?
		ORDER BY attempt`, tenant, runID, nodeID)
	if err != nil {
		return nil, fmt.Errorf("runner: read logs: %w", err)
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, rows.Err()
}

// maxEvents bounds one page of Events.
const maxEvents = 1000

// Events returns up to 1000 events of a run with Seq > afterSeq, in order.
func (r *Runner) Events(ctx context.Context, tenant, runID string, afterSeq int64) ([]Event, error) {
	if _, err := r.loadRun(ctx, r.bun, tenant, runID, false); err != nil {
		return nil, err
	}
	rows, err := r.bun.QueryContext(ctx, `SELECT seq, type, node_id, at, data FROM workflow_events
		WHERE tenant_id = ? AND run_id = ? AND seq > ? ORDER BY seq LIMIT ?`, tenant, runID, afterSeq, maxEvents)
	if err != nil {
		return nil, fmt.Errorf("runner: read events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{Tenant: tenant, RunID: runID}
		var data string
		if err := rows.Scan(&e.Seq, &e.Type, &e.NodeID, &e.At, &data); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, fmt.Errorf("runner: decode event %d: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func isFinal(s workflow.RunState) bool {
	return s == workflow.RunSucceeded || s == workflow.RunFailed || s == workflow.RunCancelled
}

// completedEvent reports how a node's attempt ended: step_completed when the
// node is done, step_progress when it waits or will retry.
func completedEvent(row *runRow, node string, now time.Time) Event {
	n := row.run.Node(node)
	typ := EventStepCompleted
	data := map[string]any{"state": string(n.State), "attempt": n.Attempts}
	if n.Error != "" {
		data["error"] = n.Error
	}
	switch n.State {
	case workflow.NodeWaiting:
		typ = EventStepProgress
	case workflow.NodePending:
		typ = EventStepProgress
		data["retryAt"] = n.NotBefore
	default:
		if len(n.Outputs) > 0 {
			data["outputs"] = maps.Clone(n.Outputs)
		}
	}
	return Event{Tenant: row.tenant, RunID: row.run.ID, Type: typ, NodeID: node, At: now, Data: data}
}

// restart starts a waiting node's step again: a new attempt's job.
func (r *Runner) restart(ctx context.Context, tx bun.Tx, row *runRow, nodeID string, now time.Time) error {
	if err := row.run.Started(nodeID, now); err != nil {
		return err
	}
	job, err := r.lease(ctx, tx, row, nodeID)
	if err != nil {
		return err
	}
	if _, err := r.client.InsertManyTx(ctx, tx.Tx, []riverInsert{job}); err != nil {
		return fmt.Errorf("runner: hand off node %s: %w", nodeID, err)
	}
	return nil
}
