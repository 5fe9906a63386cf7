package server_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

func TestWorkflowRunsOverGraphQL_SQLite(t *testing.T) { workflowRunsOverGraphQL(t, "") }

func TestWorkflowRunsOverGraphQL_PostgreSQL(t *testing.T) {
	workflowRunsOverGraphQL(t, testenv.PostgresDSN(t))
}

const runFields = `id state error template { name version digest } inputs outputs
	nodes { id type state attempts error outputs logs startedAt finishedAt }`

// awaitRun polls the run until it is in one of states.
func (e *env) awaitRun(token, id string, states ...string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		run := path(e.ok(token, `query($id: ID!) { workflowRun(id: $id) { `+runFields+` } }`, map[string]any{"id": id}), "workflowRun").(map[string]any)
		for _, s := range states {
			if run["state"] == s {
				return run
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("run %s is %v, want one of %v", id, run["state"], states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) token(tenant, name string, role auth.Role) string {
	e.t.Helper()
	_, secret, err := e.srv.CreateToken(context.Background(), tenant, name, role, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// workflowRunsOverGraphQL starts the example gated template, watches its
// events over a websocket, approves it twice and checks roles and tenants.
func workflowRunsOverGraphQL(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	doc, err := os.ReadFile("../examples/workflows/gated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.ok(e.admin, `mutation($d: String!) { saveWorkflowTemplate(input: {template: $d}) { version } }`, map[string]any{"d": string(doc)})
	viewer := e.token(server.DefaultTenant, "vera", auth.RoleViewer)
	approver := e.token(server.DefaultTenant, "alice", auth.RoleApprover)
	other := e.token("globex", "bob", auth.RoleAdmin)

	start := `mutation($in: String) { startWorkflowRun(template: "gated", inputs: $in) { ` + runFields + ` } }`
	if r := e.gql(viewer, start, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("viewer starting a run: %+v, want FORBIDDEN", r.Errors)
	}
	if r := e.gql(e.admin, start, map[string]any{"in": "[1]"}); r.code() != "VALIDATION" {
		t.Fatalf("inputs not an object: %+v, want VALIDATION", r.Errors)
	}
	run := path(e.ok(e.admin, start, map[string]any{"in": `{"tenant":"globex"}`}), "startWorkflowRun").(map[string]any)
	id := run["id"].(string)
	if path(run, "template", "name") != "gated" || path(run, "template", "version") != 1.0 || run["inputs"] != `{"tenant":"default"}` {
		t.Fatalf("started run: %v", run)
	}

	ws := e.open("graphql-transport-ws", viewer)
	ws.subscribe("1", `subscription($r: ID!) { workflowRunEvents(run: $r) { seq type nodeId data } }`, map[string]any{"r": id})
	e.awaitSubscriptions(1)

	run = e.awaitRun(viewer, id, "waiting")
	nodes := run["nodes"].([]any)
	if path(nodes[0], "state") != "succeeded" || path(nodes[1], "state") != "waiting" || path(nodes[1], "logs") == nil {
		t.Fatalf("waiting run's nodes: %v", nodes)
	}

	approve := `mutation($r: ID!, $n: String!) { approveWorkflowNode(run: $r, node: $n) { state } }`
	if r := e.gql(viewer, approve, map[string]any{"r": id, "n": "approve"}); r.code() != "FORBIDDEN" {
		t.Errorf("viewer approving: %+v, want FORBIDDEN", r.Errors)
	}
	if r := e.gql(other, approve, map[string]any{"r": id, "n": "approve"}); r.code() != "NOT_FOUND" {
		t.Errorf("another tenant approving: %+v, want NOT_FOUND", r.Errors)
	}
	if r := e.gql(other, `query($id: ID!) { workflowRun(id: $id) { id } }`, map[string]any{"id": id}); r.code() != "NOT_FOUND" {
		t.Errorf("another tenant reading: %+v, want NOT_FOUND", r.Errors)
	}
	if r := e.gql(e.admin, approve, map[string]any{"r": id, "n": "pause"}); r.code() != "CONFLICT" {
		t.Errorf("approving a succeeded node: %+v, want CONFLICT", r.Errors)
	}
	e.ok(approver, `mutation($r: ID!, $n: String!) { approveWorkflowNode(run: $r, node: $n, comment: "checked") { state } }`, map[string]any{"r": id, "n": "approve"})
	e.awaitRun(viewer, id, "waiting")
	e.ok(e.admin, approve, map[string]any{"r": id, "n": "approve"})
	run = e.awaitRun(viewer, id, "succeeded")
	if got := path(run["nodes"].([]any)[1], "outputs"); got == nil {
		t.Errorf("approval node outputs: %v", run["nodes"])
	}

	// The stream carried the run's events as committed, in seq order,
	// through workflow_completed; the query returns the same history.
	var seqs []float64
	var last string
	for last != "workflow_completed" {
		_, data := ws.data()
		ev := data["workflowRunEvents"].(map[string]any)
		seqs = append(seqs, ev["seq"].(float64))
		last = ev["type"].(string)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("event seqs %v, want consecutive", seqs)
		}
	}
	hist := e.ok(viewer, `query($id: ID!) { workflowRun(id: $id) { events { seq type data } tail: events(after: 2, first: 1) { seq } } }`, map[string]any{"id": id})
	all := path(hist, "workflowRun", "events").([]any)
	if len(all) == 0 || path(all[len(all)-1], "seq") != seqs[len(seqs)-1] {
		t.Errorf("stored events end at %v, the stream at %v", all, seqs)
	}
	approvals := 0
	for _, ev := range all {
		if path(ev, "type") == "approval" {
			approvals++
			if approvals == 1 && !strings.Contains(path(ev, "data").(string), `"comment":"checked"`) {
				t.Errorf("first approval's data %v lacks its comment", path(ev, "data"))
			}
		}
	}
	if approvals != 2 {
		t.Errorf("%d approval events, want 2", approvals)
	}
	if tail := path(hist, "workflowRun", "tail").([]any); len(tail) != 1 || path(tail[0], "seq") != 3.0 {
		t.Errorf("events(after: 2, first: 1) = %v", tail)
	}

	// Cancelling a run while it runs: the pause step stops, nothing else starts.
	run = path(e.ok(e.admin, start, nil), "startWorkflowRun").(map[string]any)
	cancel := `mutation($id: ID!) { cancelWorkflowRun(id: $id) { state nodes { id state } } }`
	if r := e.gql(viewer, cancel, map[string]any{"id": run["id"]}); r.code() != "FORBIDDEN" {
		t.Errorf("viewer cancelling: %+v, want FORBIDDEN", r.Errors)
	}
	e.ok(e.admin, cancel, map[string]any{"id": run["id"]})
	run = e.awaitRun(viewer, run["id"].(string), "cancelled")
	if path(run["nodes"].([]any)[1], "state") != "cancelled" {
		t.Errorf("cancelled run's nodes: %v", run["nodes"])
	}
}
