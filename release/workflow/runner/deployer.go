package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow"
)

// Deployer carries out promotions as workflow runs (release.md §4): a
// promotion entering deploying starts its release's deployment template
// (a component's, or the built-in default-deploy) with the promotion's
// run id, and the run's end is the job's end. It implements
// release.Deployer.
//
// Recovery after a crash hands the same promotion again: the run with its
// id is then waited for, not started twice.
type Deployer struct {
	Runner *Runner
	// Template picks the template for a release, normally
	// (*release.Service).DeploymentTemplate.
	Template func(ctx context.Context, rel *release.Release) (workflow.Template, error)
}

// Deploy starts (or finds) the promotion's run and waits until it is final.
func (d Deployer) Deploy(ctx context.Context, p release.Promotion, rel *release.Release, env *release.Environment) error {
	id := p.WorkflowRunID
	if id == "" {
		id = p.DeploymentJobID
	}
	if id == "" {
		return fault.Invalid("workflowRunId", "promotion %s has neither a workflow run nor a deployment job id", p.ID)
	}
	_, err := d.Runner.Get(ctx, p.TenantID, id)
	var nf *fault.NotFoundError
	switch {
	case errors.As(err, &nf):
		t, err := d.Template(ctx, rel)
		if err != nil {
			return err
		}
		inputs := map[string]any{"tenant": p.TenantID, "promotion": p.ID, "release": rel.ID, "releaseDigest": rel.Digest,
			"environment": env.ID, "application": p.Application}
		if _, err := d.Runner.Submit(ctx, p.TenantID, t, inputs, WithRunID(id), WithPromotion(p.ID)); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	run, err := d.Runner.WaitDone(ctx, p.TenantID, id)
	if err != nil {
		return err
	}
	if run.State != workflow.RunSucceeded {
		return &RunError{Run: run}
	}
	return nil
}

// RunError is a run that ended other than succeeded; its message names the
// nodes that failed.
type RunError struct{ Run *workflow.Run }

func (e *RunError) Error() string {
	var failed []string
	for _, n := range e.Run.Nodes {
		if n.State == workflow.NodeFailed {
			failed = append(failed, fmt.Sprintf("%s: %s", n.ID, n.Error))
		}
	}
	msg := fmt.Sprintf("workflow run %s (%s@%d) %s", e.Run.ID, e.Run.Template.Name, e.Run.Template.Version, e.Run.State)
	if len(failed) > 0 {
		msg += ": " + strings.Join(failed, "; ")
	}
	return msg
}
