package step

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// jobBook is a small real Deployer: one job per idempotency key.
type jobBook struct {
	mu   sync.Mutex
	jobs map[string]DeployRequest // job id → request
	keys map[string]string        // idempotency key → job id
}

func (b *jobBook) Deploy(_ context.Context, req DeployRequest) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.keys[req.IdempotencyKey]; ok {
		return id, nil
	}
	if b.jobs == nil {
		b.jobs, b.keys = map[string]DeployRequest{}, map[string]string{}
	}
	id := fmt.Sprintf("job-%d", len(b.jobs)+1)
	b.jobs[id], b.keys[req.IdempotencyKey] = req, id
	return id, nil
}

func deployInput(node string, attempt int, config string) Input {
	return Input{RunID: "run1", NodeID: node, Attempt: attempt, Config: json.RawMessage(config),
		Inputs: map[string]any{"tenant": "acme", "release": "shop@2.0.0", "environment": "prod", "promotion": "p-9"}}
}

func TestDeployIsIdempotentAcrossAttempts(t *testing.T) {
	b := &jobBook{}
	s, _ := Builtins(Deps{Deployer: b}).Lookup(TypeDeploy)
	cfg := `{"strategy": {"type": "rolling", "batchSize": 2}}`
	first, err := s.Run(context.Background(), deployInput("deploy", 1, cfg))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Run(context.Background(), deployInput("deploy", 2, cfg)) // re-run after a crash
	if err != nil {
		t.Fatal(err)
	}
	if first.Values["deploymentJobId"] != again.Values["deploymentJobId"] || len(b.jobs) != 1 {
		t.Fatalf("deployed twice: %v %v, %d jobs", first.Values, again.Values, len(b.jobs))
	}
	req := b.jobs[first.Values["deploymentJobId"].(string)]
	if req.Tenant != "acme" || req.Promotion != "p-9" || req.Release != "shop@2.0.0" || req.Environment != "prod" ||
		string(req.Strategy) != `{"type": "rolling", "batchSize": 2}` || req.Rollback || req.IdempotencyKey != "run1/deploy" {
		t.Fatalf("request %+v", req)
	}
	if _, err := s.Run(context.Background(), deployInput("deploy", 1, `{"strategy": "fast"}`)); err == nil || !contains(err.Error(), "config.strategy") {
		t.Fatalf("strategy string: %v", err)
	}
}

func TestRollback(t *testing.T) {
	b := &jobBook{}
	s, _ := Builtins(Deps{Deployer: b}).Lookup(TypeRollback)
	out, err := s.Run(context.Background(), deployInput("undo", 1, `{"targetRelease": "shop@1.0.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	req := b.jobs[out.Values["deploymentJobId"].(string)]
	if !req.Rollback || req.TargetRelease != "shop@1.0.0" || req.IdempotencyKey != "run1/undo" {
		t.Fatalf("request %+v", req)
	}
}
