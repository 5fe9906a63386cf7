package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/server"
)

// TestCLIComponentDeploymentTemplate creates components with and without
// a template, sets and clears one, and checks list, get and the refusals.
func TestCLIComponentDeploymentTemplate(t *testing.T) {
	s := newShopServer(t, nil)
	ci, viewer := s.token(server.DefaultTenant, "ci", auth.RoleReleaser), s.token(server.DefaultTenant, "reader", auth.RoleViewer)
	s.must(s.admin, "integration", "create", "hub", "--endpoint", "registry.example")

	if out, code := run(t, s.URL, ci, "component", "create", "api", "--repo", "shop/api", "--registry", "hub", "--deployment-template", "deploy-verify"); code != ExitUsage || !strings.Contains(out, "deploymentTemplate") {
		t.Fatalf("create with an unknown template: exit %d: %s", code, out)
	}
	s.must(ci, "workflow", "template", "apply", exampleTemplate)
	s.must(ci, "component", "create", "api", "--repo", "shop/api", "--registry", "hub", "--deployment-template", "deploy-verify")
	s.must(ci, "component", "create", "worker", "--repo", "shop/worker", "--registry", "hub")

	templates := func() map[string]string {
		t.Helper()
		var list []struct{ Name, DeploymentTemplate string }
		if err := json.Unmarshal([]byte(s.must(viewer, "component", "list", "-o", "json")), &list); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range list {
			out[c.Name] = c.DeploymentTemplate
		}
		return out
	}
	if got := templates(); got["api"] != "deploy-verify" || got["worker"] != "" {
		t.Errorf("after create: %v", got)
	}
	table := s.must(viewer, "component", "list")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); !strings.Contains(lines[0], "TEMPLATE") || !strings.Contains(lines[1], "deploy-verify") {
		t.Errorf("list table:\n%s", table)
	}

	s.must(ci, "component", "set-template", "worker", "deploy-verify")
	if got := templates(); got["worker"] != "deploy-verify" {
		t.Errorf("after set: %v", got)
	}
	s.must(ci, "component", "set-template", "worker", "--clear")
	s.must(ci, "component", "set-template", "api", "")
	if got := templates(); got["api"] != "" || got["worker"] != "" {
		t.Errorf("after clearing: %v", got)
	}
	if shown := s.must(viewer, "component", "get", "api"); !strings.Contains(shown, "TEMPLATE") {
		t.Errorf("get:\n%s", shown)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"unknown template", []string{"api", "nope"}, ExitUsage},
		{"neither template nor --clear", []string{"api"}, ExitUsage},
		{"both template and --clear", []string{"api", "deploy-verify", "--clear"}, ExitUsage},
	} {
		if out, code := run(t, s.URL, ci, append([]string{"component", "set-template"}, tc.args...)...); code != tc.code {
			t.Errorf("%s: exit %d, want %d: %s", tc.name, code, tc.code, out)
		}
	}
	if out, code := run(t, s.URL, viewer, "component", "set-template", "api", "deploy-verify"); code != ExitTrust {
		t.Errorf("viewer set-template: exit %d: %s", code, out)
	}
}
