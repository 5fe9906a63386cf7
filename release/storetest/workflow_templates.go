package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stella-ops/stella/release"
)

// WorkflowTemplateStore is what RunWorkflowTemplates needs of a store.
type WorkflowTemplateStore interface {
	release.Store
	release.WorkflowTemplateStore
}

// RunWorkflowTemplates runs the workflow template suite. open must return a
// new, empty store for each call; subtests run in parallel.
func RunWorkflowTemplates(t *testing.T, open func(t *testing.T) WorkflowTemplateStore) {
	tests := []struct {
		name string
		fn   func(f *fixture, ws WorkflowTemplateStore)
	}{
		{"Versions", testTemplateVersions},
		{"Paging", testTemplatePaging},
		{"TenantIsolation", testTemplateTenants},
		{"InTx", testTemplateInTx},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tc.fn(newFixture(t, s), s)
		})
	}
}

// template is a stored version whose body names it, so that a mix-up shows.
func (f *fixture) template(tenant, name string, version int) *release.WorkflowTemplate {
	body := fmt.Sprintf(`{"name":%q,"nodes":[{"id":"v%d","type":"deploy"}]}`, name, version)
	t := &release.WorkflowTemplate{TenantID: tenant, Digest: digest(body), Source: []byte(body),
		CreatedAt: f.tick(), CreatedBy: "ann"}
	t.Name, t.Version = name, version
	return t
}

func testTemplateVersions(f *fixture, ws WorkflowTemplateStore) {
	v1, v2 := f.template(tenantA, "blue-green", 1), f.template(tenantA, "blue-green", 2)
	f.must(ws.AppendWorkflowTemplate(f.ctx, v1))
	f.must(ws.AppendWorkflowTemplate(f.ctx, v2))

	latest, err := ws.GetWorkflowTemplate(f.ctx, tenantA, "blue-green", 0)
	f.must(err)
	f.sameJSON("latest", latest, v2)
	first, err := ws.GetWorkflowTemplate(f.ctx, tenantA, "blue-green", 1)
	f.must(err)
	f.sameJSON("version 1", first, v1)

	_, err = ws.GetWorkflowTemplate(f.ctx, tenantA, "blue-green", 3)
	f.notFound(err, "workflow template", "blue-green@3")
	_, err = ws.GetWorkflowTemplate(f.ctx, tenantA, "canary", 0)
	f.notFound(err, "workflow template", "canary")

	// A saved version is never replaced, not even by identical content.
	again := f.template(tenantA, "blue-green", 2)
	again.Source = []byte(`{"name":"blue-green","nodes":[]}`)
	f.conflict(ws.AppendWorkflowTemplate(f.ctx, again), "workflow template", "blue-green", "version 2 already exists")
	kept, err := ws.GetWorkflowTemplate(f.ctx, tenantA, "blue-green", 2)
	f.must(err)
	f.sameJSON("version 2 after a clash", kept, v2)
}

func testTemplatePaging(f *fixture, ws WorkflowTemplateStore) {
	for _, n := range []string{"e", "a", "g", "c", "b", "f", "d"} {
		f.must(ws.AppendWorkflowTemplate(f.ctx, f.template(tenantA, n, 1)))
	}
	for v := 2; v <= 3; v++ {
		f.must(ws.AppendWorkflowTemplate(f.ctx, f.template(tenantA, "c", v)))
	}
	key := func(t *release.WorkflowTemplate) string { return fmt.Sprintf("%s@%d", t.Name, t.Version) }
	checkPaging(f, "latest versions", []string{"a@1", "b@1", "c@3", "d@1", "e@1", "f@1", "g@1"}, key,
		func(o release.ListOptions) (*release.Page[release.WorkflowTemplate], error) {
			return ws.ListWorkflowTemplates(f.ctx, tenantA, release.WorkflowTemplateFilter{}, o)
		})
	checkPaging(f, "all versions", []string{"a@1", "b@1", "c@3", "c@2", "c@1", "d@1", "e@1", "f@1", "g@1"}, key,
		func(o release.ListOptions) (*release.Page[release.WorkflowTemplate], error) {
			return ws.ListWorkflowTemplates(f.ctx, tenantA, release.WorkflowTemplateFilter{AllVersions: true}, o)
		})
	p, err := ws.ListWorkflowTemplates(f.ctx, tenantA, release.WorkflowTemplateFilter{Name: "c", AllVersions: true}, release.ListOptions{})
	f.must(err)
	f.sameStrings("versions of c", names(p, key), []string{"c@3", "c@2", "c@1"})
	p, err = ws.ListWorkflowTemplates(f.ctx, tenantA, release.WorkflowTemplateFilter{Name: "c"}, release.ListOptions{})
	f.must(err)
	f.sameStrings("latest of c", names(p, key), []string{"c@3"})

	// A cursor of one ordering is refused by the other.
	byName, err := ws.ListWorkflowTemplates(f.ctx, tenantA, release.WorkflowTemplateFilter{}, release.ListOptions{First: 1})
	f.must(err)
	if _, err := ws.ListWorkflowTemplates(f.ctx, tenantA, release.WorkflowTemplateFilter{AllVersions: true},
		release.ListOptions{After: byName.EndCursor()}); err == nil {
		f.t.Error("a by-name cursor was accepted by the all-versions list")
	}
}

func testTemplateTenants(f *fixture, ws WorkflowTemplateStore) {
	f.must(ws.AppendWorkflowTemplate(f.ctx, f.template(tenantA, "canary", 1)))
	// The same name and version in another tenant is another template.
	f.must(ws.AppendWorkflowTemplate(f.ctx, f.template(tenantB, "canary", 1)))
	f.must(ws.AppendWorkflowTemplate(f.ctx, f.template(tenantA, "canary", 2)))

	got, err := ws.GetWorkflowTemplate(f.ctx, tenantB, "canary", 0)
	f.must(err)
	if got.TenantID != tenantB || got.Version != 1 {
		f.t.Errorf("tenant B's latest canary is %s v%d", got.TenantID, got.Version)
	}
	_, err = ws.GetWorkflowTemplate(f.ctx, tenantB, "canary", 2)
	f.notFound(err, "workflow template", "canary@2")
	p, err := ws.ListWorkflowTemplates(f.ctx, "initech", release.WorkflowTemplateFilter{AllVersions: true}, release.ListOptions{})
	f.must(err)
	if len(p.Items) != 0 {
		f.t.Errorf("a tenant without templates lists %d", len(p.Items))
	}
}

func testTemplateInTx(f *fixture, ws WorkflowTemplateStore) {
	boom := errors.New("boom")
	err := ws.InTx(f.ctx, func(tx release.Store) error {
		tws, ok := tx.(release.WorkflowTemplateStore)
		if !ok {
			f.t.Fatalf("the transaction %T keeps no workflow templates", tx)
		}
		f.must(tws.AppendWorkflowTemplate(f.ctx, f.template(tenantA, "rolled-back", 1)))
		if _, err := tws.GetWorkflowTemplate(f.ctx, tenantA, "rolled-back", 1); err != nil {
			f.t.Errorf("the transaction does not read its own write: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		f.t.Fatalf("InTx returned %v, want fn's error", err)
	}
	_, err = ws.GetWorkflowTemplate(f.ctx, tenantA, "rolled-back", 0)
	f.notFound(err, "workflow template", "rolled-back")
}
