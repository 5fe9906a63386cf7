package runner

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/release/workflow/step"
)

// EventApproval records one approval (or confirmation) of a waiting
// approval or manual node; its data is the step.Approval. The event stream
// is append-only, so approvals are kept with the run's history.
const EventApproval = "approval"

// Approve records a's approval of a waiting node and runs its step again,
// which counts the approvals. A node that is not waiting is a conflict (a
// re-check in flight: retry once it waits again). The same approver twice
// counts once: the second is not recorded.
func (r *Runner) Approve(ctx context.Context, tenant, runID, nodeID string, a step.Approval) error {
	if strings.TrimSpace(a.By) == "" {
		return fault.Invalid("approval.by", "is required")
	}
	if a.At.IsZero() {
		a.At = time.Now()
	}
	a.At = a.At.UTC()
	var events []Event
	err := r.db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		events = nil
		row, err := r.loadRun(ctx, tx, tenant, runID, true)
		if err != nil {
			return err
		}
		if _, err := waitingNode(row, nodeID); err != nil {
			return err
		}
		list, err := readApprovals(ctx, tx, tenant, runID, nodeID)
		if err != nil {
			return err
		}
		for _, prev := range list {
			if prev.By == a.By {
				return nil // counted once already; the node waits for someone else
			}
		}
		now := time.Now().UTC()
		events = []Event{{Tenant: tenant, RunID: runID, Type: EventApproval, NodeID: nodeID, At: now,
			Data: map[string]any{"by": a.By, "group": a.Group, "at": a.At}}}
		if a.Comment != "" {
			events[0].Data["comment"] = a.Comment
		}
		if err := r.restart(ctx, tx, row, nodeID, now); err != nil {
			return err
		}
		first, err := r.saveRun(ctx, tx, row, len(events), now)
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, first, events)
	})
	if err != nil {
		return err
	}
	r.driver.kick()
	r.signal(tenant, runID)
	r.publish(events)
	return nil
}

// Approvals lists the approvals recorded against a node, oldest first: the
// Runner is the step.Approvals of the approval and manual steps.
func (r *Runner) Approvals(ctx context.Context, tenant, runID, nodeID string) ([]step.Approval, error) {
	row, err := r.loadRun(ctx, r.bun, tenant, runID, false)
	if err != nil {
		return nil, err
	}
	if row.run.Node(nodeID) == nil {
		return nil, &fault.NotFoundError{Kind: "workflow node", Key: nodeID}
	}
	return readApprovals(ctx, r.bun, tenant, runID, nodeID)
}

func readApprovals(ctx context.Context, db bun.IDB, tenant, runID, nodeID string) ([]step.Approval, error) {
	rows, err := db.QueryContext(ctx, `SELECT data FROM workflow_events
		WHERE tenant_id = ? AND run_id = ? AND node_id = ? AND type = ? ORDER BY seq`, tenant, runID, nodeID, EventApproval)
	if err != nil {
		return nil, fmt.Errorf("runner: read approvals: %w", err)
	}
	defer rows.Close()
	out := []step.Approval{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var a step.Approval
		if err := json.Unmarshal([]byte(data), &a); err != nil {
			return nil, fmt.Errorf("runner: decode approval: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// waitingNode returns the node if it waits, else why it cannot be poked.
func waitingNode(row *runRow, nodeID string) (*workflow.NodeRun, error) {
	n := row.run.Node(nodeID)
	if n == nil {
		return nil, &fault.NotFoundError{Kind: "workflow node", Key: nodeID}
	}
	if n.State != workflow.NodeWaiting {
		return nil, &fault.ConflictError{Kind: "workflow node", Key: nodeID, Reason: "node is " + string(n.State) + ", not waiting"}
	}
	return n, nil
}

// LateApprovals forwards to a Runner set after the step registry was built:
// step.Builtins needs its Approvals before the Runner (which needs the
// registry) exists.
//
//	var late runner.LateApprovals
//	reg := step.Builtins(step.Deps{Approvals: &late})
//	r, _ := runner.New(db, reg)
//	late.Set(r)
type LateApprovals struct{ r atomic.Pointer[Runner] }

// Set gives the runner to forward to.
func (l *LateApprovals) Set(r *Runner) { l.r.Store(r) }

// Approvals implements step.Approvals; before Set it is unavailable.
func (l *LateApprovals) Approvals(ctx context.Context, tenant, runID, nodeID string) ([]step.Approval, error) {
	r := l.r.Load()
	if r == nil {
		return nil, fmt.Errorf("runner: approvals asked before the runner was set: %w", fault.ErrUnreachable)
	}
	return r.Approvals(ctx, tenant, runID, nodeID)
}

// RunInfo is a run with what the runner keeps beside it.
type RunInfo struct {
	Tenant         string
	Run            *workflow.Run
	PromotionID    string // empty: the run deploys no promotion
	TemplateDigest string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Info returns a run with its promotion, template digest and times.
func (r *Runner) Info(ctx context.Context, tenant, runID string) (*RunInfo, error) {
	var (
		data      string
		promotion sql.NullString
		info      = RunInfo{Tenant: tenant}
	)
	err := r.bun.QueryRowContext(ctx, `SELECT run, promotion_id, template_digest, created_at, updated_at FROM workflow_runs
		WHERE tenant_id = ? AND id = ?`, tenant, runID).Scan(&data, &promotion, &info.TemplateDigest, &info.CreatedAt, &info.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &fault.NotFoundError{Kind: "workflow run", Key: runID}
	}
	if err != nil {
		return nil, fmt.Errorf("runner: load run %s: %w", runID, err)
	}
	info.Run = &workflow.Run{}
	if err := json.Unmarshal([]byte(data), info.Run); err != nil {
		return nil, fmt.Errorf("runner: decode run %s: %w", runID, err)
	}
	info.PromotionID = promotion.String
	info.CreatedAt, info.UpdatedAt = info.CreatedAt.UTC(), info.UpdatedAt.UTC()
	return &info, nil
}
