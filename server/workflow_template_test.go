package server_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

func TestWorkflowTemplatesOverGraphQL_SQLite(t *testing.T) { workflowTemplatesOverGraphQL(t, "") }

func TestWorkflowTemplatesOverGraphQL_PostgreSQL(t *testing.T) {
	workflowTemplatesOverGraphQL(t, testenv.PostgresDSN(t))
}

const saveTemplate = `mutation($doc: String!) { saveWorkflowTemplate(input: {template: $doc}) {
	name version digest createdBy builtIn source inputs outputs
	nodes { id type dependsOn when timeoutSeconds onFailure retry { maxAttempts backoffSeconds multiplier maxBackoffSeconds } } } }`

// workflowTemplatesOverGraphQL saves the README's example template, saves
// it again, changes it, and checks what is refused and what stays put.
func workflowTemplatesOverGraphQL(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	doc, err := os.ReadFile("../examples/workflows/deploy-verify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	save := func(doc string) map[string]any {
		return path(e.ok(e.admin, saveTemplate, map[string]any{"doc": doc}), "saveWorkflowTemplate").(map[string]any)
	}
	v1 := save(string(doc))
	if v1["name"] != "deploy-verify" || v1["version"] != 1.0 || v1["builtIn"] != false || v1["createdBy"] == nil {
		t.Fatalf("first save: %v", v1)
	}
	nodes := v1["nodes"].([]any)
	health, announce := nodes[1].(map[string]any), nodes[2].(map[string]any)
	if path(health, "retry", "maxAttempts") != 3.0 || path(health, "retry", "multiplier") != 2.0 || health["timeoutSeconds"] != 120.0 {
		t.Errorf("health node (retry with defaults filled): %v", health)
	}
	if announce["when"] != `{"op":"==","ref":"inputs.announce","value":true}` || announce["onFailure"] != "continue" {
		t.Errorf("announce node: %v", announce)
	}
	if v1["inputs"] != `{"announce":false}` || v1["outputs"] != `{"healthy":"nodes.health.outputs.healthy"}` {
		t.Errorf("inputs %v, outputs %v", v1["inputs"], v1["outputs"])
	}

	// Saving the same content, even as its canonical JSON, changes nothing.
	if again := save(v1["source"].(string)); again["version"] != 1.0 || again["digest"] != v1["digest"] {
		t.Errorf("identical re-save: version %v digest %v, want 1 %v", again["version"], again["digest"], v1["digest"])
	}
	v2 := save(strings.Replace(string(doc), "maxAttempts: 3", "maxAttempts: 5", 1))
	if v2["version"] != 2.0 || v2["digest"] == v1["digest"] {
		t.Errorf("changed save: version %v digest %v", v2["version"], v2["digest"])
	}

	// Version 1 is still exactly what was saved first.
	got := e.ok(e.admin, `{ workflowTemplate(name: "deploy-verify", version: 1) { version digest source } }`, nil)
	if path(got, "workflowTemplate", "digest") != v1["digest"] || path(got, "workflowTemplate", "source") != v1["source"] {
		t.Errorf("version 1 after version 2: %v", got)
	}
	latest := e.ok(e.admin, `{ workflowTemplate(name: "deploy-verify") { version } }`, nil)
	if path(latest, "workflowTemplate", "version") != 2.0 {
		t.Errorf("latest: %v", latest)
	}
	list := e.ok(e.admin, `{ workflowTemplates { nodes { name version } pageInfo { hasNextPage } }
		all: workflowTemplates(allVersions: true, first: 1) { edges { cursor node { version } } pageInfo { hasNextPage endCursor } } }`, nil)
	if n := path(list, "workflowTemplates", "nodes").([]any); len(n) != 1 || path(n[0], "version") != 2.0 {
		t.Errorf("latest versions: %v", n)
	}
	after := path(list, "all", "pageInfo", "endCursor")
	next := e.ok(e.admin, `query($a: String) { workflowTemplates(allVersions: true, after: $a) { nodes { version } } }`, map[string]any{"a": after})
	if n := path(next, "workflowTemplates", "nodes").([]any); len(n) != 1 || path(n[0], "version") != 1.0 {
		t.Errorf("second page of all versions: %v", n)
	}

	builtin := e.ok(e.admin, `{ workflowTemplate(name: "default-deploy") { version builtIn createdAt nodes { id type dependsOn } } }`, nil)
	if path(builtin, "workflowTemplate", "builtIn") != true || path(builtin, "workflowTemplate", "version") != 1.0 {
		t.Errorf("default-deploy: %v", builtin)
	}

	for _, tc := range []struct{ name, doc, field string }{
		{"cycle", "name: loop\nnodes:\n  - {id: a, type: deploy, dependsOn: [b]}\n  - {id: b, type: deploy, dependsOn: [a]}\n", "nodes[0].dependsOn"},
		{"unknown step type", "name: odd\nnodes:\n  - {id: a, type: teleport}\n", "nodes[0].type"},
		{"built-in name", "name: default-deploy\nnodes:\n  - {id: a, type: deploy}\n", "name"},
	} {
		r := e.gql(e.admin, saveTemplate, map[string]any{"doc": tc.doc})
		if r.code() != "VALIDATION" || !strings.Contains(validationFields(r), tc.field+":") {
			t.Errorf("%s: %+v, want VALIDATION naming %s", tc.name, r.Errors, tc.field)
		}
	}
	if r := e.gql(e.admin, `{ workflowTemplate(name: "loop") { version } }`, nil); r.code() != "NOT_FOUND" {
		t.Errorf("a refused template was saved: %+v", r)
	}

	_, viewer, err := e.srv.CreateToken(context.Background(), server.DefaultTenant, "vic", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.gql(viewer, saveTemplate, map[string]any{"doc": string(doc)}); r.code() != "FORBIDDEN" {
		t.Errorf("viewer saving: %+v, want FORBIDDEN", r.Errors)
	}
	if r := e.gql(viewer, `{ workflowTemplate(name: "deploy-verify") { version } }`, nil); len(r.Errors) != 0 {
		t.Errorf("viewer reading: %+v", r.Errors)
	}
}

// validationFields lists the fields of a VALIDATION error as "field: message" lines.
func validationFields(r *gqlResponse) string {
	var b strings.Builder
	for _, e := range r.Errors {
		fields, _ := e.Extensions["fields"].([]any)
		for _, f := range fields {
			b.WriteString(fmt.Sprintf("%v: %v\n", path(f, "field"), path(f, "message")))
		}
	}
	return b.String()
}
