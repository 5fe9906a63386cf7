package step

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// deploy starts the deployment of the run's release to its environment.
//
// Config: {"strategy": {…deploy.md §2…}} (absent: the environment's default)
// Outputs: deploymentJobId.
type deploy struct{ d Deployer }

type deployConfig struct {
	Strategy json.RawMessage `json:"strategy"`
}

func (s deploy) Run(ctx context.Context, in Input) (Output, error) {
	var cfg deployConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	if st := bytes.TrimSpace(cfg.Strategy); len(st) > 0 && st[0] != '{' && !bytes.Equal(st, []byte("null")) {
		return Output{}, invalid("strategy", "want an object")
	}
	return startDeploy(ctx, s.d, in, DeployRequest{Strategy: cfg.Strategy})
}

// rollback deploys an earlier release to the run's environment.
//
// Config: {"targetRelease": "shop@1.4.0"} (absent: the previous release there)
// Outputs: deploymentJobId.
type rollback struct{ d Deployer }

type rollbackConfig struct {
	TargetRelease string `json:"targetRelease"`
}

func (s rollback) Run(ctx context.Context, in Input) (Output, error) {
	var cfg rollbackConfig
	if err := DecodeConfig(in.Config, &cfg); err != nil {
		return Output{}, err
	}
	return startDeploy(ctx, s.d, in, DeployRequest{Rollback: true, TargetRelease: cfg.TargetRelease})
}

func startDeploy(ctx context.Context, d Deployer, in Input, req DeployRequest) (Output, error) {
	if d == nil {
		return Output{}, missing("deployer")
	}
	var err error
	if req.Tenant, req.Release, req.Environment, err = subject(in); err != nil {
		return Output{}, err
	}
	req.Promotion = optionalString(in, "promotion")
	req.IdempotencyKey = idempotencyKey(in)
	job, err := d.Deploy(ctx, req)
	if err != nil {
		return Output{}, depErr("deploy", err)
	}
	if job == "" {
		return Output{}, fmt.Errorf("deployer returned an empty job id")
	}
	logf(in, "deployment job %s (rollback %v)", job, req.Rollback)
	return Output{Values: map[string]any{"deploymentJobId": job}}, nil
}
