package server

import (
	"context"
	"fmt"
	"os"

	"github.com/stella-ops/stella/graph"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow/runner"
	"github.com/stella-ops/stella/release/workflow/step"
)

// newWorkflows prepares the workflow engine (release.md §3): the built-in
// steps wired to this server's gates, deployment jobs and webhook
// integrations, and a runner on the server's database. Approvals of
// approval and manual nodes are the runner's own.
func (s *Server) newWorkflows(res *graph.Resolver) (*runner.Runner, error) {
	approvals := &runner.LateApprovals{} // the registry comes before the runner
	reg := step.Builtins(step.Deps{
		Decider:   graph.StepDecider{R: res},
		Deployer:  s.cfg.Jobs,
		Notifier:  webhooks{s.catalog},
		Approvals: approvals,
	})
	host, _ := os.Hostname()
	opts := []runner.Option{runner.WithLogger(s.log), runner.WithReplicaID(fmt.Sprintf("%s-%d", host, os.Getpid())),
		runner.WithEvents(s.feeds.Workflow)}
	opts = append(opts, s.cfg.WorkflowOptions...)
	r, err := runner.New(s.db, reg, opts...)
	if err != nil {
		return nil, err
	}
	approvals.Set(r)
	res.Workflows = r
	return r, nil
}

// webhooks posts notify steps' messages to notify.webhook integrations of
// the run's tenant.
type webhooks struct{ catalog *release.Service }

func (w webhooks) Notify(ctx context.Context, integration string, payload []byte) error {
	in, err := w.catalog.Integration(ctx, integration)
	if err != nil {
		return err
	}
	if in.Type != release.IntegrationWebhook {
		return fmt.Errorf("integration %q is a %s integration, not %s", in.Name, in.Type, release.IntegrationWebhook)
	}
	return step.WebhookNotifier{URL: func(string) (string, error) { return in.Config.Endpoint, nil }}.Notify(ctx, integration, payload)
}

// startWorkflows makes the workflow engine and starts it: promotions hand
// their deployments to it from the moment the server exists, whether or
// not it serves HTTP yet.
func (s *Server) startWorkflows(ctx context.Context, res *graph.Resolver) (*runner.Runner, error) {
	r, err := s.newWorkflows(res)
	if err != nil {
		return nil, err
	}
	if err := r.Start(context.WithoutCancel(ctx)); err != nil {
		_ = r.Stop(ctx)
		return nil, err
	}
	return r, nil
}

// deployer is the configured Deployer, or the workflow engine's.
func (s *Server) deployer() release.Deployer {
	if s.cfg.Deployer != nil {
		return s.cfg.Deployer
	}
	return runner.Deployer{Runner: s.flows, Template: s.catalog.DeploymentTemplate}
}
