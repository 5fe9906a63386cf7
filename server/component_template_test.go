package server_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/internal/testenv"
	"github.com/stella-ops/stella/server"
)

func TestComponentDeploymentTemplateOverGraphQL_SQLite(t *testing.T) {
	componentDeploymentTemplateOverGraphQL(t, "")
}

func TestComponentDeploymentTemplateOverGraphQL_PostgreSQL(t *testing.T) {
	componentDeploymentTemplateOverGraphQL(t, testenv.PostgresDSN(t))
}

const setTemplate = `mutation($c: String!, $t: String) { setComponentDeploymentTemplate(component: $c, template: $t) { name deploymentTemplate version } }`

// componentDeploymentTemplateOverGraphQL names a template at create, sets
// and clears it, and checks what is refused.
func componentDeploymentTemplateOverGraphQL(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	e.ok(e.admin, `mutation($in: IntegrationInput!) { createIntegration(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "hub", "type": "registry.oci", "endpoint": e.registry, "insecure": true}})
	create := `mutation($in: ComponentInput!) { createComponent(input: $in) { name deploymentTemplate } }`
	component := func(name, template string) map[string]any {
		in := map[string]any{"name": name, "imageRepository": "team/" + name, "registry": "hub"}
		if template != "" {
			in["deploymentTemplate"] = template
		}
		return map[string]any{"in": in}
	}
	r := e.gql(e.admin, create, component("api", "deploy-verify"))
	if r.code() != "VALIDATION" || !strings.Contains(validationFields(r), "deploymentTemplate:") {
		t.Fatalf("unknown template at create: %+v, want VALIDATION on deploymentTemplate", r.Errors)
	}
	doc, err := os.ReadFile("../examples/workflows/deploy-verify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.ok(e.admin, saveTemplate, map[string]any{"doc": string(doc)})
	api := e.ok(e.admin, create, component("api", "deploy-verify"))
	if path(api, "createComponent", "deploymentTemplate") != "deploy-verify" {
		t.Fatalf("created with a template: %v", api)
	}
	web := e.ok(e.admin, create, component("web", ""))
	if got := path(web, "createComponent", "deploymentTemplate"); got != nil {
		t.Fatalf("created without a template: deploymentTemplate %v, want null", got)
	}

	set := e.ok(e.admin, setTemplate, map[string]any{"c": "web", "t": "deploy-verify"})
	if path(set, "setComponentDeploymentTemplate", "deploymentTemplate") != "deploy-verify" || path(set, "setComponentDeploymentTemplate", "version") != 2.0 {
		t.Errorf("set: %v", set)
	}
	cleared := e.ok(e.admin, setTemplate, map[string]any{"c": "web", "t": nil})
	if path(cleared, "setComponentDeploymentTemplate", "deploymentTemplate") != nil {
		t.Errorf("clear with null: %v", cleared)
	}
	e.ok(e.admin, setTemplate, map[string]any{"c": "api", "t": ""})
	read := e.ok(e.admin, `{ components { nodes { name deploymentTemplate } } }`, nil)
	for _, n := range path(read, "components", "nodes").([]any) {
		if path(n, "deploymentTemplate") != nil {
			t.Errorf("after clearing: %v", n)
		}
	}
	if r := e.gql(e.admin, setTemplate, map[string]any{"c": "api", "t": "nope"}); r.code() != "VALIDATION" || !strings.Contains(validationFields(r), "deploymentTemplate:") {
		t.Errorf("set an unknown template: %+v, want VALIDATION on deploymentTemplate", r.Errors)
	}
	if r := e.gql(e.admin, setTemplate, map[string]any{"c": "ghost", "t": "deploy-verify"}); r.code() != "NOT_FOUND" {
		t.Errorf("set on a missing component: %+v, want NOT_FOUND", r.Errors)
	}

	_, viewer, err := e.srv.CreateToken(context.Background(), server.DefaultTenant, "vic", auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.gql(viewer, setTemplate, map[string]any{"c": "api", "t": "deploy-verify"}); r.code() != "FORBIDDEN" {
		t.Errorf("viewer setting: %+v, want FORBIDDEN", r.Errors)
	}
}
