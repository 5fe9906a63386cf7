package release

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stella-ops/stella/tenant"
)

// RegisterTarget adds a target to an environment. Secret settings are sealed.
func (s *Service) RegisterTarget(ctx context.Context, spec TargetSpec) (*Target, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var t Target
	err := s.change(ctx, "target.register", "target", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		env, err := tx.GetEnvironment(ctx, sc.Tenant, spec.Environment)
		if err != nil {
			return nil, nil, "", invalid("environment", "environment %q does not exist", spec.Environment)
		}
		s.stamp(sc, &t.ID, &t.TenantID, &t.CreatedAt, &t.UpdatedAt, &t.Version)
		t.Name, t.EnvironmentID, t.Type, t.AgentID = spec.Name, env.ID, spec.Type, spec.AgentID
		t.Labels, t.Connection = nonNil(spec.Labels), nonNil(spec.Connection)
		t.SecretKeys = sortedKeys(spec.Secrets)
		t.HealthStatus = HealthUnknown
		if len(spec.Secrets) > 0 {
			raw, err := json.Marshal(spec.Secrets)
			if err != nil {
				return nil, nil, "", err
			}
			if t.Sealed, err = s.sealer.Seal(raw, sealAD("target", t.ID)); err != nil {
				return nil, nil, "", err
			}
		}
		return nil, &t, t.ID, tx.CreateTarget(ctx, &t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// UnregisterTarget removes a target.
func (s *Service) UnregisterTarget(ctx context.Context, key string) error {
	return s.change(ctx, "target.unregister", "target", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		t, err := tx.GetTarget(ctx, sc.Tenant, key)
		if err != nil {
			return nil, nil, "", err
		}
		return t, nil, t.ID, tx.DeleteTarget(ctx, sc.Tenant, t.ID)
	})
}

// Target returns one target by id or name.
func (s *Service) Target(ctx context.Context, key string) (*Target, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.GetTarget(ctx, sc.Tenant, key)
}

// Targets lists targets by name.
func (s *Service) Targets(ctx context.Context, f TargetFilter, opts ListOptions) (*Page[Target], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if f.EnvironmentID != "" {
		env, err := s.store.GetEnvironment(ctx, sc.Tenant, f.EnvironmentID)
		if err != nil {
			return nil, err
		}
		f.EnvironmentID = env.ID
	}
	return s.store.ListTargets(ctx, sc.Tenant, f, opts)
}

// TargetSecrets opens a target's secret settings, for a deployer. Never expose them.
func (s *Service) TargetSecrets(ctx context.Context, key string) (map[string]string, error) {
	t, err := s.Target(ctx, key)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(t.Sealed) == 0 {
		return out, nil
	}
	raw, err := s.sealer.Open(t.Sealed, sealAD("target", t.ID))
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	return out, json.Unmarshal(raw, &out)
}

// sealAD binds sealed bytes to their row.
func sealAD(kind, id string) []byte { return []byte("stella/" + kind + "/" + id) }
