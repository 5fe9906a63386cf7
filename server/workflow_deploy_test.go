package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/server"
	"github.com/stella-ops/stella/tenant"
)

func TestPromotionRunsItsWorkflow_SQLite(t *testing.T) { promotionRunsItsWorkflow(t, "") }

func TestPromotionRunsItsWorkflow_PostgreSQL(t *testing.T) {
	promotionRunsItsWorkflow(t, testenv.PostgresDSN(t))
}

// promotionRunsItsWorkflow deploys through the component's template
// (deploy → health-check → notify) on the server's workflow engine: the
// deployment job, the health probe and the webhook each happen once, and an
// unhealthy deployment fails the promotion naming the node.
func promotionRunsItsWorkflow(t *testing.T, dsn string) {
	ctx := context.Background()
	jobs := &release.InProcessJobs{}
	e := newEnv(t, dsn, func(c *server.Config) { c.Jobs = jobs })

	var healthy atomic.Bool
	healthy.Store(true)
	var probes atomic.Int32
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		probes.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer health.Close()
	var mu sync.Mutex
	var messages []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		messages = append(messages, string(b))
		mu.Unlock()
	}))
	defer hook.Close()

	e.scannedRelease("myapp-v1")
	e.ok(e.admin, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "chat", "type": "notify.webhook", "endpoint": hook.URL}})
	doc := fmt.Sprintf(`{"name": "verified-deploy", "nodes": [
		{"id": "deploy", "type": "deploy"},
		{"id": "health", "type": "health-check", "dependsOn": ["deploy"],
		 "config": {"checks": [{"name": "api", "http": %q}], "attempts": 1}},
		{"id": "tell", "type": "notify", "dependsOn": ["health"],
		 "config": {"integration": "chat", "template": "{{.Inputs.release}} is live in {{.Inputs.environment}}"}}]}`, health.URL)
	e.ok(e.admin, saveTemplate, map[string]any{"doc": doc})
	e.ok(e.admin, setTemplate, map[string]any{"c": "api", "t": "verified-deploy"})
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "dev", orderIndex: 0, tier: development}) { id } }`, nil)
	e.ok(e.admin, `mutation { createEnvironment(input: {name: "qa", orderIndex: 1, tier: staging}) { id } }`, nil)

	request := `mutation($r: String!, $e: String!) { requestPromotion(release: $r, environment: $e) { id status } }`
	dev := path(e.ok(e.admin, request, map[string]any{"r": "myapp-v1", "e": "dev"}), "requestPromotion")
	if path(dev, "status") != "deployed" {
		t.Fatalf("dev = %v", dev)
	}
	sctx := tenant.WithScope(ctx, tenant.Scope{Tenant: server.DefaultTenant, Actor: "test"})
	p, err := e.srv.Promotions().Get(sctx, path(dev, "id").(string))
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.srv.Workflows().Get(ctx, server.DefaultTenant, p.WorkflowRunID)
	if err != nil {
		t.Fatal(err)
	}
	if run.State != workflow.RunSucceeded || run.Template.Name != "verified-deploy" || run.Inputs["promotion"] != p.ID {
		t.Fatalf("run %s: %s of %s, inputs %v", run.ID, run.State, run.Template.Name, run.Inputs)
	}
	for _, n := range run.Nodes {
		if n.State != workflow.NodeSucceeded || n.Attempts != 1 {
			t.Errorf("node %s: %s after %d attempts", n.ID, n.State, n.Attempts)
		}
	}
	if js := jobs.Jobs(); len(js) != 1 || js[0].Promotion != p.ID || js[0].ID != run.Node("deploy").Outputs["deploymentJobId"] {
		t.Errorf("jobs = %+v, deploy outputs %v", js, run.Node("deploy").Outputs)
	}
	mu.Lock()
	if len(messages) != 1 || !strings.Contains(messages[0], p.ReleaseID+" is live in "+p.TargetEnvironmentID) {
		t.Errorf("webhook messages = %q", messages)
	}
	mu.Unlock()
	if probes.Load() != 1 {
		t.Errorf("%d health probes, want 1", probes.Load())
	}

	// Unhealthy: the promotion fails and says which node; nothing is announced.
	healthy.Store(false)
	qa := path(e.ok(e.admin, request, map[string]any{"r": "myapp-v1", "e": "qa"}), "requestPromotion")
	if path(qa, "status") != "failed" {
		t.Fatalf("qa = %v", qa)
	}
	p, err = e.srv.Promotions().Get(sctx, path(qa, "id").(string))
	if err != nil {
		t.Fatal(err)
	}
	if p.Failure == nil || !strings.Contains(p.Failure.Message, "health:") || !strings.Contains(p.Failure.Message, p.WorkflowRunID) {
		t.Errorf("failure = %+v", p.Failure)
	}
	mu.Lock()
	if len(messages) != 1 {
		t.Errorf("webhook messages after a failed deployment = %q", messages)
	}
	mu.Unlock()
}
