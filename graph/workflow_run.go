package graph

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
	"github.com/stella-ops/stella/tenant"
)

var errNoWorkflows = &fault.PreconditionError{Kind: "server", Key: "workflows", Code: "WORKFLOWS_UNAVAILABLE",
	Reason: "this server does not run workflows (a :memory: database, or none configured)"}

// workflows returns the runner and the caller's tenant.
func (r *Resolver) workflows(ctx context.Context) (*runner.Runner, tenant.Scope, error) {
	if r.Workflows == nil {
		return nil, tenant.Scope{}, errNoWorkflows
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, tenant.Scope{}, err
	}
	return r.Workflows, sc, nil
}

// workflowRun reads a run of the caller's tenant; another tenant's is NOT_FOUND.
func (r *Resolver) workflowRun(ctx context.Context, id string) (*model.WorkflowRun, error) {
	wf, sc, err := r.workflows(ctx)
	if err != nil {
		return nil, err
	}
	info, err := wf.Info(ctx, sc.Tenant, id)
	if err != nil {
		return nil, err
	}
	return &model.WorkflowRun{Info: info, CreatedAt: info.CreatedAt, UpdatedAt: info.UpdatedAt}, nil
}

func (r *Resolver) startWorkflowRun(ctx context.Context, name string, version *int, inputs *string) (*model.WorkflowRun, error) {
	wf, sc, err := r.workflows(ctx)
	if err != nil {
		return nil, err
	}
	in := map[string]any{}
	if s := strings.TrimSpace(deref(inputs)); s != "" {
		if err := json.Unmarshal([]byte(s), &in); err != nil || in == nil {
			return nil, fieldError("inputs", "want a JSON object of input name → value")
		}
	}
	in["tenant"] = sc.Tenant // steps act for the caller's tenant only
	t, err := r.Catalog.WorkflowTemplate(ctx, name, deref(version))
	if err != nil {
		return nil, err
	}
	var opts []runner.RunOption
	if r.NewID != nil {
		opts = append(opts, runner.WithRunID(r.NewID()))
	}
	id, err := wf.Submit(ctx, sc.Tenant, t.Template, in, opts...)
	if err != nil {
		return nil, err
	}
	return r.workflowRun(ctx, id)
}

func (r *Resolver) cancelWorkflowRun(ctx context.Context, id string) (*model.WorkflowRun, error) {
	wf, sc, err := r.workflows(ctx)
	if err != nil {
		return nil, err
	}
	if err := wf.Cancel(ctx, sc.Tenant, id); err != nil {
		return nil, err
	}
	return r.workflowRun(ctx, id)
}

func (r *Resolver) approveWorkflowNode(ctx context.Context, run, node, comment string) (*model.WorkflowRun, error) {
	wf, sc, err := r.workflows(ctx)
	if err != nil {
		return nil, err
	}
	a := r.approver(ctx)
	if release.IsSystemActor(a.ID) {
		return nil, &fault.PreconditionError{Kind: "workflow node", Key: node, Code: "APPROVER_NOT_ELIGIBLE",
			Reason: "system actors (" + a.ID + ") never approve: an approval stands for a person's judgement"}
	}
	ap := step.Approval{By: a.ID, Comment: comment}
	if len(a.Groups) > 0 {
		ap.Group = a.Groups[0]
	}
	if r.Now != nil {
		ap.At = r.Now()
	}
	if err := wf.Approve(ctx, sc.Tenant, run, node, ap); err != nil {
		return nil, err
	}
	return r.workflowRun(ctx, run)
}

func (r *Resolver) workflowRunEvents(ctx context.Context, obj *model.WorkflowRun, after, first *int) ([]model.WorkflowRunEvent, error) {
	wf, _, err := r.workflows(ctx)
	if err != nil {
		return nil, err
	}
	n := 1000
	if first != nil {
		if *first < 0 || *first > 1000 {
			return nil, fieldError("first", "want 0…1000, got %d", *first)
		}
		n = *first
	}
	if deref(after) < 0 {
		return nil, fieldError("after", "must not be negative, got %d", *after)
	}
	events, err := wf.Events(ctx, obj.Info.Tenant, obj.Info.Run.ID, int64(deref(after)))
	if err != nil {
		return nil, err
	}
	if len(events) > n {
		events = events[:n]
	}
	out := make([]model.WorkflowRunEvent, 0, len(events))
	for _, e := range events {
		v, err := eventModel(e)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

func eventModel(e runner.Event) (*model.WorkflowRunEvent, error) {
	v := &model.WorkflowRunEvent{Seq: int(e.Seq), Type: e.Type, At: e.At}
	if e.NodeID != "" {
		v.NodeID = &e.NodeID
	}
	if len(e.Data) > 0 {
		s, err := canonicalJSON(e.Data)
		if err != nil {
			return nil, err
		}
		v.Data = s
	}
	return v, nil
}

func (r *Resolver) workflowRunEventStream(ctx context.Context, run string) (<-chan *model.WorkflowRunEvent, error) {
	f, tn, err := r.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := r.workflowRun(ctx, run); err != nil { // NOT_FOUND for another tenant's run
		return nil, err
	}
	sub := f.workflows.Subscribe(ctx, subscriptionBuffer, func(e runner.Event) bool {
		return e.Tenant == tn && e.RunID == run
	})
	return relay(ctx, sub, eventModel, f.fail(ctx)), nil
}

// jsonOrNil renders m as canonical JSON, or nil when empty.
func jsonOrNil[M ~map[string]any](m M) (*string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return canonicalJSON(m)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func stringOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
