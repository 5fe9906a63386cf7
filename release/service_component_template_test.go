package release_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/workflow"
)

func TestComponentDeploymentTemplate(t *testing.T) {
	f := newFixture(t)
	f.catalog(t)
	var verr *fault.ValidationError
	_, err := f.svc.CreateComponent(f.ctx, release.ComponentSpec{Name: "web", ImageRepository: "team/web", Registry: "hub", DeploymentTemplate: "diamond"})
	if !errors.As(err, &verr) || verr.Fields[0].Field != "deploymentTemplate" || !strings.Contains(err.Error(), `"diamond"`) {
		t.Fatalf("unknown template at create: %v, want a validation error on deploymentTemplate naming it", err)
	}
	if _, err := f.svc.SaveWorkflowTemplate(f.ctx, []byte(diamondYAML)); err != nil {
		t.Fatal(err)
	}
	web, err := f.svc.CreateComponent(f.ctx, release.ComponentSpec{Name: "web", ImageRepository: "team/web", Registry: "hub", DeploymentTemplate: "diamond"})
	if err != nil || web.DeploymentTemplate != "diamond" {
		t.Fatalf("create with a saved template: %+v %v", web, err)
	}

	if _, err := f.svc.SetComponentDeploymentTemplate(f.ctx, "api", "nope"); !errors.As(err, &verr) || verr.Fields[0].Field != "deploymentTemplate" {
		t.Fatalf("set an unknown template: %v, want a validation error on deploymentTemplate", err)
	}
	api, err := f.svc.SetComponentDeploymentTemplate(f.ctx, "api", "diamond")
	if err != nil || api.DeploymentTemplate != "diamond" || api.Version != 2 {
		t.Fatalf("set: %+v %v, want diamond at version 2", api, err)
	}
	if again, err := f.svc.SetComponentDeploymentTemplate(f.ctx, api.ID, "diamond"); err != nil || again.Version != 2 {
		t.Fatalf("setting the same template again: %+v %v, want version 2 unchanged", again, err)
	}
	api, err = f.svc.SetComponentDeploymentTemplate(f.ctx, "api", "")
	if err != nil || api.DeploymentTemplate != "" || api.Version != 3 {
		t.Fatalf("clear: %+v %v", api, err)
	}
	if got, err := f.svc.Component(f.ctx, "api"); err != nil || got.DeploymentTemplate != "" {
		t.Fatalf("read back after clear: %+v %v", got, err)
	}
	if _, err := f.svc.SetComponentDeploymentTemplate(f.ctx, "ghost", "diamond"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("set on a missing component: %v, want not found", err)
	}

	audit, err := f.svc.Audit(f.ctx, release.AuditFilter{EntityType: "component"}, release.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sets int
	for _, e := range audit.Items {
		if e.Action == "component.set_deployment_template" {
			sets++
		}
	}
	if sets != 2 {
		t.Errorf("%d set_deployment_template audit rows, want 2 (a no-op set is not audited)", sets)
	}
}

func TestDeploymentTemplateOfARelease(t *testing.T) {
	f := newFixture(t)
	f.push(t, "team/api", "v1.0.0")
	f.push(t, "team/web", "v1.0.0")
	f.catalog(t)
	if _, err := f.svc.CreateComponent(f.ctx, release.ComponentSpec{Name: "web", ImageRepository: "team/web", Registry: "hub"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"api", "web"} {
		if _, err := f.svc.SyncVersions(f.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	build := func(name string, comps ...string) *release.Release {
		t.Helper()
		rel, err := f.svc.CreateRelease(f.ctx, release.Draft{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range comps {
			if rel, err = f.svc.AddComponent(f.ctx, rel.ID, release.ComponentRef{Component: c, Tag: "v1.0.0"}); err != nil {
				t.Fatal(err)
			}
		}
		return rel
	}
	// web is added first: the choice must not follow the release's order.
	both, webOnly, none := build("both-v1", "web", "api"), build("web-v1", "web"), build("empty-v1")
	resolve := func(rel *release.Release) (string, int) {
		t.Helper()
		tpl, err := f.svc.DeploymentTemplate(f.ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		return tpl.Name, tpl.Version
	}
	want := func(what string, rel *release.Release, name string, version int) {
		t.Helper()
		if n, v := resolve(rel); n != name || v != version {
			t.Errorf("%s: %s@%d, want %s@%d", what, n, v, name, version)
		}
	}
	want("no templates named", both, release.DefaultDeployName, 1)
	want("a release without components", none, release.DefaultDeployName, 1)

	if _, err := f.svc.SaveWorkflowTemplate(f.ctx, []byte(diamondYAML)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetComponentDeploymentTemplate(f.ctx, "web", "diamond"); err != nil {
		t.Fatal(err)
	}
	want("web alone names diamond", webOnly, "diamond", 1)
	want("api names none, web names diamond", both, "diamond", 1)

	canary := strings.Replace(diamondYAML, "name: diamond", "name: canary", 1)
	if _, err := f.svc.SaveWorkflowTemplate(f.ctx, []byte(canary)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetComponentDeploymentTemplate(f.ctx, "api", "canary"); err != nil {
		t.Fatal(err)
	}
	want("api (first by name) names canary", both, "canary", 1)

	// The catalog is read at the call: a new version of canary is what runs.
	if _, err := f.svc.SaveWorkflowTemplate(f.ctx, bytes.Replace([]byte(canary), []byte("maxAttempts: 3"), []byte("maxAttempts: 5"), 1)); err != nil {
		t.Fatal(err)
	}
	tpl, err := f.svc.DeploymentTemplate(f.ctx, both)
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Name != "canary" || tpl.Version != 2 || !slices.ContainsFunc(tpl.Nodes, func(n workflow.Node) bool { return n.Retry.MaxAttempts == 5 }) {
		t.Errorf("after a new version: %+v, want canary@2 with maxAttempts 5", tpl)
	}
}
