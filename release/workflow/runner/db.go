package runner

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
)

// runRow is a run as loaded in a transaction.
type runRow struct {
	tenant  string
	run     *workflow.Run
	version int64
}

// loadRun reads a run; forUpdate locks its row on PostgreSQL so that the
// transaction's changes to the run, its leases and events serialize per run
// (SQLite transactions are serialized whole). Locks are always taken run
// first, then leases, so that transactions cannot deadlock.
func (r *Runner) loadRun(ctx context.Context, db bun.IDB, tenant, id string, forUpdate bool) (*runRow, error) {
	q := `SELECT run, version FROM workflow_runs WHERE tenant_id = ? AND id = ?`
	if forUpdate && r.pg {
		q += ` FOR UPDATE`
	}
	var (
		data    string
		version int64
	)
	if err := db.QueryRowContext(ctx, q, tenant, id).Scan(&data, &version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &fault.NotFoundError{Kind: "workflow run", Key: id}
		}
		return nil, fmt.Errorf("runner: load run %s: %w", id, err)
	}
	run := &workflow.Run{}
	if err := json.Unmarshal([]byte(data), run); err != nil {
		return nil, fmt.Errorf("runner: decode run %s: %w", id, err)
	}
	return &runRow{tenant: tenant, run: run, version: version}, nil
}

// saveRun writes the run back if nobody changed it since it was loaded
// (optimistic concurrency) and reserves n event numbers; it returns the
// first of them.
func (r *Runner) saveRun(ctx context.Context, tx bun.Tx, row *runRow, n int, now time.Time) (int64, error) {
	data, err := json.Marshal(row.run)
	if err != nil {
		return 0, fmt.Errorf("runner: encode run %s: %w", row.run.ID, err)
	}
	var last int64
	err = tx.QueryRowContext(ctx, `UPDATE workflow_runs SET run = ?, state = ?, version = version + 1,
		event_seq = event_seq + ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ? RETURNING event_seq`,
		string(data), string(row.run.State), n, now, row.tenant, row.run.ID, row.version).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &fault.ConflictError{Kind: "workflow run", Key: row.run.ID, Reason: "changed concurrently"}
	}
	if err != nil {
		return 0, fmt.Errorf("runner: save run %s: %w", row.run.ID, err)
	}
	row.version++
	return last - int64(n) + 1, nil
}

// reserveSeq reserves n event numbers of a run without changing it.
func reserveSeq(ctx context.Context, tx bun.Tx, tenant, run string, n int) (int64, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `UPDATE workflow_runs SET event_seq = event_seq + ? WHERE tenant_id = ? AND id = ? RETURNING event_seq`,
		n, tenant, run).Scan(&last); err != nil {
		return 0, fmt.Errorf("runner: number events of run %s: %w", run, err)
	}
	return last - int64(n) + 1, nil
}

// insertEvents numbers events from first and appends them.
func insertEvents(ctx context.Context, tx bun.Tx, first int64, events []Event) error {
	for i := range events {
		e := &events[i]
		e.Seq = first + int64(i)
		data, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("runner: encode event: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO workflow_events (tenant_id, run_id, seq, type, node_id, at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Tenant, e.RunID, e.Seq, e.Type, e.NodeID, e.At, string(data)); err != nil {
			return fmt.Errorf("runner: append event: %w", err)
		}
	}
	return nil
}

// nodeArgs is the River job of one node attempt. Token is the node's lease
// token at the time the attempt was started: a job whose token is no longer
// the lease's is a stale delivery and does nothing.
type nodeArgs struct {
	Tenant  string `json:"tenant"`
	Run     string `json:"run"`
	Node    string `json:"node"`
	Attempt int    `json:"attempt"`
	Token   string `json:"token"`
}

func (nodeArgs) Kind() string { return "stella_workflow_node" }

// wakeArgs is the River job that advances a run when a retry delay ends.
// Every transition of a run that has a node in a retry delay plans the same
// wake; the job is unique by its args, so it is inserted once.
type wakeArgs struct {
	Tenant string    `json:"tenant"`
	Run    string    `json:"run"`
	At     time.Time `json:"at"`
}

func (wakeArgs) Kind() string { return "stella_workflow_wake" }

// advance starts what the run's plan says may start now: each started node
// gets a fresh lease and its job, and a retry delay gets a wake job at its
// end, all in tx. It returns the events of the transition.
func (r *Runner) advance(ctx context.Context, tx bun.Tx, row *runRow, now time.Time) ([]Event, error) {
	plan := row.run.Next(now)
	var (
		jobs   []river.InsertManyParams
		events []Event
	)
	for _, id := range plan.Start {
		if err := row.run.Started(id, now); err != nil {
			return nil, err
		}
		job, err := r.lease(ctx, tx, row, id)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job)
	}
	if !plan.Wake.IsZero() {
		jobs = append(jobs, river.InsertManyParams{
			Args: wakeArgs{Tenant: row.tenant, Run: row.run.ID, At: plan.Wake},
			InsertOpts: &river.InsertOpts{Queue: queue, ScheduledAt: plan.Wake, MaxAttempts: jobAttempts,
				UniqueOpts: river.UniqueOpts{ByArgs: true}},
		})
	}
	if len(jobs) > 0 {
		if _, err := r.client.InsertManyTx(ctx, tx.Tx, jobs); err != nil {
			return nil, fmt.Errorf("runner: hand off jobs of run %s: %w", row.run.ID, err)
		}
	}
	if plan.Done {
		events = append(events, Event{Tenant: row.tenant, RunID: row.run.ID, Type: EventWorkflowCompleted, At: now,
			Data: map[string]any{"state": string(row.run.State), "error": row.run.Error}})
	}
	return events, nil
}

// lease gives a node that was just started a fresh lease token and returns
// the job that runs it.
func (r *Runner) lease(ctx context.Context, tx bun.Tx, row *runRow, node string) (river.InsertManyParams, error) {
	token := newToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO workflow_node_leases (tenant_id, run_id, node_id, token, owner, expires_at, cancelled)
		VALUES (?, ?, ?, ?, '', NULL, ?) ON CONFLICT (tenant_id, run_id, node_id)
		DO UPDATE SET token = EXCLUDED.token, owner = '', expires_at = NULL, cancelled = EXCLUDED.cancelled`,
		row.tenant, row.run.ID, node, token, false); err != nil {
		return river.InsertManyParams{}, fmt.Errorf("runner: lease node %s: %w", node, err)
	}
	return river.InsertManyParams{
		Args:       nodeArgs{Tenant: row.tenant, Run: row.run.ID, Node: node, Attempt: row.run.Node(node).Attempts, Token: token},
		InsertOpts: &river.InsertOpts{Queue: queue, MaxAttempts: jobAttempts},
	}, nil
}
