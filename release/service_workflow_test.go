package release_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/seal"
	"github.com/stella-ops/stella/store"
	"github.com/stella-ops/stella/tenant"
)

const diamondYAML = `name: diamond
description: deploy, then check health and notify, then gate
nodes:
  - {id: a, type: deploy}
  - {id: b, type: health-check, dependsOn: [a], retry: {maxAttempts: 3}}
  - {id: c, type: notify, dependsOn: [a], when: {ref: inputs.notify, op: "==", value: true}}
  - {id: d, type: security-gate, dependsOn: [b, c]}
inputs: {notify: false}
`

func templateService(t *testing.T) (*release.Service, context.Context) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "stella.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	known := []string{"deploy", "health-check", "notify", "security-gate"}
	clock := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	svc := release.NewService(db, box, release.WithClock(func() time.Time { return clock }),
		release.WithStepTypes(func(typ string) bool { return slices.Contains(known, typ) }))
	return svc, tenant.WithScope(context.Background(), tenant.Scope{Tenant: "acme", Actor: "alice"})
}

func TestWorkflowTemplateVersions(t *testing.T) {
	svc, ctx := templateService(t)
	v1, err := svc.SaveWorkflowTemplate(ctx, []byte(diamondYAML))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.CreatedBy != "alice" || v1.Nodes[1].Retry.MaxAttempts != 3 {
		t.Fatalf("first save: %+v", v1)
	}
	// The same content as JSON, with defaults spelled out, is the same template.
	same, err := svc.SaveWorkflowTemplate(ctx, v1.Source)
	if err != nil {
		t.Fatal(err)
	}
	if same.Version != 1 || same.Digest != v1.Digest {
		t.Errorf("identical re-save made version %d (%s), want 1 (%s)", same.Version, same.Digest, v1.Digest)
	}
	v2, err := svc.SaveWorkflowTemplate(ctx, bytes.Replace([]byte(diamondYAML), []byte("maxAttempts: 3"), []byte("maxAttempts: 4"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Digest == v1.Digest {
		t.Errorf("changed save: version %d digest %s", v2.Version, v2.Digest)
	}
	old, err := svc.WorkflowTemplate(ctx, "diamond", 1)
	if err != nil || old.Digest != v1.Digest || old.Nodes[1].Retry.MaxAttempts != 3 {
		t.Errorf("version 1 after version 2: %+v %v", old, err)
	}
	audit, err := svc.Audit(ctx, release.AuditFilter{EntityType: "workflow_template"}, release.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range audit.Items {
		ids = append(ids, e.Action+" "+e.EntityID)
	}
	if want := []string{"workflow_template.save diamond@2", "workflow_template.save diamond@1"}; !slices.Equal(ids, want) {
		t.Errorf("audit %q, want %q (a no-op re-save is not audited)", ids, want)
	}
}

func TestWorkflowTemplateRefusals(t *testing.T) {
	svc, ctx := templateService(t)
	for _, tc := range []struct{ name, doc, field string }{
		{"cycle", "name: loop\nnodes:\n  - {id: a, type: deploy, dependsOn: [b]}\n  - {id: b, type: deploy, dependsOn: [a]}\n", "nodes[0].dependsOn"},
		{"unknown type", "name: odd\nnodes:\n  - {id: a, type: teleport}\n", "nodes[0].type"},
		{"built-in name", "name: default-deploy\nnodes:\n  - {id: a, type: deploy}\n", "name"},
		{"unknown field", "name: x\nnodez: []\n", "template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.SaveWorkflowTemplate(ctx, []byte(tc.doc))
			var ve *fault.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want VALIDATION, got %v", err)
			}
			if !slices.ContainsFunc(ve.Fields, func(f fault.FieldError) bool { return f.Field == tc.field }) {
				t.Errorf("fields %+v name no %q", ve.Fields, tc.field)
			}
		})
	}
	p, err := svc.WorkflowTemplates(ctx, release.WorkflowTemplateFilter{AllVersions: true}, release.ListOptions{})
	if err != nil || len(p.Items) != 0 {
		t.Errorf("refused saves stored %d templates (%v)", len(p.Items), err)
	}
}

func TestDefaultDeployIsBuiltIn(t *testing.T) {
	svc, ctx := templateService(t)
	for _, v := range []int{0, 1} {
		d, err := svc.WorkflowTemplate(ctx, release.DefaultDeployName, v)
		if err != nil {
			t.Fatal(err)
		}
		if !d.BuiltIn || d.Version != 1 || len(d.Nodes) != 2 || d.Nodes[1].DependsOn[0] != "deploy" {
			t.Errorf("default-deploy version %d: %+v", v, d)
		}
	}
	_, err := svc.WorkflowTemplate(ctx, release.DefaultDeployName, 2)
	if !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("default-deploy version 2: %v, want NOT_FOUND", err)
	}
}
