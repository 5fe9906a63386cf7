package release

import (
	"context"
	"fmt"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/tenant"
)

// CreateEnvironment adds an environment.
func (s *Service) CreateEnvironment(ctx context.Context, spec EnvironmentSpec) (*Environment, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var env Environment
	err := s.change(ctx, "environment.create", "environment", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		if err := s.checkAutoPromote(ctx, tx, sc, &spec); err != nil {
			return nil, nil, "", err
		}
		s.stamp(sc, &env.ID, &env.TenantID, &env.CreatedAt, &env.UpdatedAt, &env.Version)
		spec.apply(&env, s.newID)
		return nil, &env, env.ID, tx.CreateEnvironment(ctx, &env)
	})
	if err != nil {
		return nil, err
	}
	return &env, nil
}

// EventEnvironmentUpdated is published when an environment's settings change.
const EventEnvironmentUpdated = "environment.updated"

// UpdateEnvironment replaces an environment's settings. The name may change.
func (s *Service) UpdateEnvironment(ctx context.Context, key string, spec EnvironmentSpec) (*Environment, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var env *Environment
	err := s.change(ctx, "environment.update", "environment", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		before, err := tx.GetEnvironment(ctx, sc.Tenant, key)
		if err != nil {
			return nil, nil, "", err
		}
		if err := s.checkAutoPromote(ctx, tx, sc, &spec); err != nil {
			return nil, nil, "", err
		}
		after := *before
		spec.apply(&after, s.newID)
		if spec.AutoPromoteFrom == after.ID {
			return nil, nil, "", invalid("autoPromoteFrom", "an environment cannot promote from itself")
		}
		after.UpdatedAt, after.Version = s.clock(), before.Version+1
		env = &after
		return before, env, env.ID, tx.UpdateEnvironment(ctx, env)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, EventEnvironmentUpdated, env.TenantID, env.ID, nil)
	return env, nil
}

// checkAutoPromote resolves AutoPromoteFrom (an id or name) to an id.
func (s *Service) checkAutoPromote(ctx context.Context, tx Store, sc tenant.Scope, spec *EnvironmentSpec) error {
	if spec.AutoPromoteFrom == "" {
		return nil
	}
	from, err := tx.GetEnvironment(ctx, sc.Tenant, spec.AutoPromoteFrom)
	if err != nil {
		return invalid("autoPromoteFrom", "environment %q does not exist", spec.AutoPromoteFrom)
	}
	spec.AutoPromoteFrom = from.ID
	return nil
}

// DeleteEnvironment removes an environment that has no targets and no current releases.
func (s *Service) DeleteEnvironment(ctx context.Context, key string) error {
	return s.change(ctx, "environment.delete", "environment", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		env, err := tx.GetEnvironment(ctx, sc.Tenant, key)
		if err != nil {
			return nil, nil, "", err
		}
		use, err := tx.EnvironmentUsage(ctx, sc.Tenant, env.ID)
		if err != nil {
			return nil, nil, "", err
		}
		if use.Targets > 0 || use.CurrentReleases > 0 {
			return nil, nil, "", &fault.ConflictError{Kind: "environment", Key: env.Name,
				Reason: fmt.Sprintf("still has %d target(s) and %d current release(s); remove them first", use.Targets, use.CurrentReleases)}
		}
		return env, nil, env.ID, tx.DeleteEnvironment(ctx, sc.Tenant, env.ID)
	})
}

// Environment returns one environment by id or name.
func (s *Service) Environment(ctx context.Context, key string) (*Environment, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.GetEnvironment(ctx, sc.Tenant, key)
}

// Environments lists environments in promotion order.
func (s *Service) Environments(ctx context.Context, opts ListOptions) (*Page[Environment], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.ListEnvironments(ctx, sc.Tenant, opts)
}
