package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release/workflow"
	"github.com/stella-ops/stella/tenant"
)

// SetComponentDeploymentTemplate names the workflow template that deploys a
// component (by id or name); "" clears it, so default-deploy runs. The
// template must be in the tenant's catalog (or be default-deploy): a
// missing one is a *fault.ValidationError on deploymentTemplate. Setting
// the value the component already has changes nothing and is not audited.
func (s *Service) SetComponentDeploymentTemplate(ctx context.Context, component, template string) (*Component, error) {
	var out *Component
	err := s.change(ctx, "component.set_deployment_template", "component", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		before, err := tx.GetComponent(ctx, sc.Tenant, component)
		if err != nil {
			return nil, nil, "", err
		}
		if before.DeploymentTemplate == template {
			out = before
			return nil, nil, "", errUnchanged
		}
		if err := checkDeploymentTemplate(ctx, tx, sc.Tenant, template); err != nil {
			return nil, nil, "", err
		}
		after := *before
		after.DeploymentTemplate = template
		after.UpdatedAt, after.Version = s.clock(), before.Version+1
		out = &after
		return before, out, out.ID, tx.UpdateComponent(ctx, out)
	})
	if errors.Is(err, errUnchanged) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errUnchanged rolls back a change that would write what is stored.
var errUnchanged = errors.New("release: unchanged")

// checkDeploymentTemplate refuses a template name that is neither
// default-deploy nor saved in the tenant's catalog. "" passes: it means
// default-deploy.
func checkDeploymentTemplate(ctx context.Context, tx Store, tenantID, name string) error {
	if name == "" || name == DefaultDeployName {
		return nil
	}
	ws, err := templateStore(tx)
	if err != nil {
		return err
	}
	_, err = ws.GetWorkflowTemplate(ctx, tenantID, name, 0)
	var nf *fault.NotFoundError
	if errors.As(err, &nf) {
		return invalid("deploymentTemplate", "workflow template %q does not exist; save it first or leave it empty for %s", name, DefaultDeployName)
	}
	return err
}

// DeploymentTemplate returns the workflow template that deploys rel: the
// one its components name, read from the catalog now (the latest version,
// with Version set). When the components name different templates, the
// first component by name that names one decides, so the choice does not
// depend on the order the release lists them in. A release whose
// components name none (or whose component records are gone: the release
// pins digests, not components) gets default-deploy.
func (s *Service) DeploymentTemplate(ctx context.Context, rel *Release) (workflow.Template, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return workflow.Template{}, err
	}
	if rel == nil {
		return workflow.Template{}, errors.New("release: DeploymentTemplate of a nil release")
	}
	name, first := DefaultDeployName, ""
	for _, rc := range rel.Components {
		c, err := s.store.GetComponent(ctx, sc.Tenant, rc.ComponentID)
		var nf *fault.NotFoundError
		switch {
		case errors.As(err, &nf):
			continue
		case err != nil:
			return workflow.Template{}, fmt.Errorf("release %s: component %s: %w", rel.Name, rc.Name, err)
		}
		if c.DeploymentTemplate != "" && (first == "" || c.Name < first) {
			name, first = c.DeploymentTemplate, c.Name
		}
	}
	t, err := s.WorkflowTemplate(ctx, name, 0)
	if err != nil {
		return workflow.Template{}, err
	}
	return t.Template, nil
}
