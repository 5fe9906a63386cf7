package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/tenant"
)

// WithStepTypes sets which step types a workflow template may use; a
// template naming another type is refused at save. Without it any type
// passes that check (the structure is still validated).
func WithStepTypes(known func(typ string) bool) Option {
	return func(s *Service) { s.knownStep = known }
}

// SaveWorkflowTemplate parses a template (YAML or JSON), validates it and
// saves it as the next version of its name. Content identical to the
// latest version (the same digest) saves nothing and returns that version,
// so applying a file twice is harmless; only a new version is audited.
// A version in the document is ignored: the store assigns versions.
// Invalid templates are a *fault.ValidationError naming the field, and
// nothing is saved. The name default-deploy is built in and refused.
// Two saves of different content racing for the same next version cannot
// both win: the loser gets a *fault.ConflictError and may save again.
func (s *Service) SaveWorkflowTemplate(ctx context.Context, data []byte) (*WorkflowTemplate, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	t, err := workflow.ParseTemplate(data)
	if err != nil {
		return nil, err
	}
	if s.knownStep != nil {
		if err := workflow.Validate(&t, s.knownStep); err != nil {
			return nil, err
		}
	}
	if t.Name == DefaultDeployName {
		return nil, invalid("name", "%s is built in and cannot be saved; choose another name", DefaultDeployName)
	}
	t.Version = 0
	source, digest, err := canonicalTemplate(t)
	if err != nil {
		return nil, err
	}
	var saved *WorkflowTemplate
	err = s.store.InTx(ctx, func(tx Store) error {
		ws, err := templateStore(tx)
		if err != nil {
			return err
		}
		latest, err := ws.GetWorkflowTemplate(ctx, sc.Tenant, t.Name, 0)
		var nf *fault.NotFoundError
		switch {
		case errors.As(err, &nf):
			latest = nil
		case err != nil:
			return err
		case latest.Digest == digest:
			saved = latest
			return nil
		}
		next := &WorkflowTemplate{Template: t, TenantID: sc.Tenant, Digest: digest, Source: source,
			CreatedAt: s.clock(), CreatedBy: sc.Actor}
		next.Version = 1
		if latest != nil {
			next.Version = latest.Version + 1
		}
		if err := ws.AppendWorkflowTemplate(ctx, next); err != nil {
			return err
		}
		saved = next
		return s.appendAudit(ctx, tx, sc, "workflow_template.save", "workflow_template",
			templateID(next.Name, next.Version), nil, next)
	})
	if err != nil {
		return nil, err
	}
	return decodeTemplate(saved)
}

// WorkflowTemplate returns one version of a template, the latest when
// version is 0. default-deploy is always there, as version 1.
func (s *Service) WorkflowTemplate(ctx context.Context, name string, version int) (*WorkflowTemplate, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if version < 0 {
		return nil, invalid("version", "must be 1 or more, or 0 for the latest")
	}
	if name == DefaultDeployName {
		if version > 1 {
			return nil, &fault.NotFoundError{Kind: "workflow template", Key: templateID(name, version)}
		}
		return DefaultDeployTemplate()
	}
	ws, err := templateStore(s.store)
	if err != nil {
		return nil, err
	}
	t, err := ws.GetWorkflowTemplate(ctx, sc.Tenant, name, version)
	if err != nil {
		return nil, err
	}
	return decodeTemplate(t)
}

// WorkflowTemplates pages the saved templates (the latest version of each
// by name, or every version with f.AllVersions). The built-in
// default-deploy is not listed: WorkflowTemplate reads it by name.
func (s *Service) WorkflowTemplates(ctx context.Context, f WorkflowTemplateFilter, opts ListOptions) (*Page[WorkflowTemplate], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := templateStore(s.store)
	if err != nil {
		return nil, err
	}
	p, err := ws.ListWorkflowTemplates(ctx, sc.Tenant, f, opts)
	if err != nil {
		return nil, err
	}
	for i := range p.Items {
		t, err := decodeTemplate(&p.Items[i])
		if err != nil {
			return nil, err
		}
		p.Items[i] = *t
	}
	return p, nil
}

// DefaultDeployTemplate returns the built-in default-deploy as version 1.
func DefaultDeployTemplate() (*WorkflowTemplate, error) {
	t := workflow.DefaultDeploy()
	if err := workflow.Validate(&t, nil); err != nil {
		return nil, fmt.Errorf("built-in %s: %w", DefaultDeployName, err)
	}
	source, digest, err := canonicalTemplate(t)
	if err != nil {
		return nil, err
	}
	t.Version = 1
	return &WorkflowTemplate{Template: t, Digest: digest, Source: source, BuiltIn: true}, nil
}

// templateStore is the template half of a store: an optional capability,
// so that a Store that predates templates (or a small test double) still
// serves the rest of the catalog.
func templateStore(st Store) (WorkflowTemplateStore, error) {
	ws, ok := st.(WorkflowTemplateStore)
	if !ok {
		return nil, fmt.Errorf("release: the store %T keeps no workflow templates", st)
	}
	return ws, nil
}

// decodeTemplate fills t.Template from its stored canonical JSON.
func decodeTemplate(t *WorkflowTemplate) (*WorkflowTemplate, error) {
	var tpl workflow.Template
	if err := json.Unmarshal(t.Source, &tpl); err != nil {
		return nil, fmt.Errorf("workflow template %s: stored source: %w", templateID(t.Name, t.Version), err)
	}
	out := *t
	tpl.Name, tpl.Version = t.Name, t.Version
	out.Template = tpl
	return &out, nil
}

func templateID(name string, version int) string { return name + "@" + strconv.Itoa(version) }

// canonicalTemplate is what a saved template is kept as: its canonical
// JSON and that JSON's digest.
func canonicalTemplate(t workflow.Template) ([]byte, string, error) {
	source, err := workflow.Canonical(t)
	if err != nil {
		return nil, "", err
	}
	digest, err := workflow.Digest(t)
	return source, digest, err
}
