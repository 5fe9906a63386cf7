package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/tenant"
)

// CreateIntegration adds an integration. Settings left empty are pre-filled from
// the last integration of the same type; its credential is reused only on request.
func (s *Service) CreateIntegration(ctx context.Context, spec IntegrationSpec) (*Integration, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var in Integration
	err := s.change(ctx, "integration.create", "integration", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		s.stamp(sc, &in.ID, &in.TenantID, &in.CreatedAt, &in.UpdatedAt, &in.Version)
		in.Name, in.Type, in.Config = spec.Name, spec.Type, spec.Config
		var reused []byte
		if prev, err := tx.LastIntegrationOfType(ctx, sc.Tenant, spec.Type); err == nil {
			in.Config = prefill(in.Config, prev.Config)
			if spec.ReuseCredential && spec.Credential.empty() {
				if len(prev.Sealed) == 0 {
					return nil, nil, "", invalid("reuseCredential", "the last %s integration, %q, has no credential to reuse", spec.Type, prev.Name)
				}
				if reused, err = s.sealer.Open(prev.Sealed, sealAD("integration", prev.ID)); err != nil {
					return nil, nil, "", fmt.Errorf("integration %q: %w", prev.Name, err)
				}
			}
		} else if !errors.Is(err, fault.ErrNotFound) {
			return nil, nil, "", err
		} else if spec.ReuseCredential && spec.Credential.empty() {
			return nil, nil, "", invalid("reuseCredential", "there is no earlier %s integration to reuse a credential from", spec.Type)
		}
		if in.Config.AuthMode == "" {
			in.Config.AuthMode = AuthNone
			if !spec.Credential.empty() {
				in.Config.AuthMode = AuthBasic
				if spec.Credential.Token != "" {
					in.Config.AuthMode = AuthToken
				}
			}
		}
		in.Config.Headers = nonNil(in.Config.Headers)
		in.HealthStatus = HealthUnknown
		if in.Category() == "registry" {
			if _, err := registryHost(in.Config.Endpoint); err != nil {
				return nil, nil, "", err
			}
		}
		raw := reused
		if !spec.Credential.empty() {
			var err error
			if raw, err = json.Marshal(spec.Credential); err != nil {
				return nil, nil, "", err
			}
		}
		if raw != nil {
			var err error
			if in.Sealed, err = s.sealer.Seal(raw, sealAD("integration", in.ID)); err != nil {
				return nil, nil, "", err
			}
			in.HasCredential = true
		}
		return nil, &in, in.ID, tx.CreateIntegration(ctx, &in)
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// prefill takes the connection profile's settings where c leaves them empty.
func prefill(c, profile IntegrationConfig) IntegrationConfig {
	if c.Endpoint == "" {
		c.Endpoint, c.Insecure = profile.Endpoint, profile.Insecure
	}
	if c.AuthMode == "" {
		c.AuthMode = profile.AuthMode
	}
	if c.TimeoutSeconds == 0 {
		c.TimeoutSeconds = profile.TimeoutSeconds
	}
	if len(c.Headers) == 0 {
		c.Headers = profile.Headers
	}
	return c
}

// DeleteIntegration removes an integration that no component uses.
func (s *Service) DeleteIntegration(ctx context.Context, key string) error {
	return s.change(ctx, "integration.delete", "integration", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		in, err := tx.GetIntegration(ctx, sc.Tenant, key)
		if err != nil {
			return nil, nil, "", err
		}
		n, err := tx.IntegrationUsage(ctx, sc.Tenant, in.ID)
		if err != nil {
			return nil, nil, "", err
		}
		if n > 0 {
			return nil, nil, "", &fault.ConflictError{Kind: "integration", Key: in.Name, Reason: fmt.Sprintf("is used by %d component(s)", n)}
		}
		return in, nil, in.ID, tx.DeleteIntegration(ctx, sc.Tenant, in.ID)
	})
}

// Integration returns one integration by id or name. Its credential stays sealed.
func (s *Service) Integration(ctx context.Context, key string) (*Integration, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.GetIntegration(ctx, sc.Tenant, key)
}

// Integrations lists integrations by name.
func (s *Service) Integrations(ctx context.Context, f IntegrationFilter, opts ListOptions) (*Page[Integration], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.ListIntegrations(ctx, sc.Tenant, f, opts)
}

// TestIntegration connects to the integration and records its health. A failed
// connection is a result, not an error: the integration comes back unhealthy with
// the cause in LastHealthMessage. Moving health emits integration.health_changed.
func (s *Service) TestIntegration(ctx context.Context, key string) (*Integration, error) {
	in, err := s.Integration(ctx, key)
	if err != nil {
		return nil, err
	}
	cred, err := s.credential(in)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, in.Config.timeout())
	defer cancel()
	status, msg := HealthHealthy, "connected"
	if err := s.ping(cctx, in, cred); err != nil {
		status, msg = HealthUnhealthy, err.Error()
	}
	var after *Integration
	err = s.change(ctx, "integration.test", "integration", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		before, err := tx.GetIntegration(ctx, sc.Tenant, in.ID)
		if err != nil {
			return nil, nil, "", err
		}
		a := *before
		now := s.clock()
		a.HealthStatus, a.LastHealthMessage, a.LastHealthCheckAt = status, msg, &now
		a.UpdatedAt, a.Version = now, before.Version+1
		after = &a
		return before, after, a.ID, tx.UpdateIntegration(ctx, after)
	})
	if err != nil {
		return nil, err
	}
	if after.HealthStatus != in.HealthStatus {
		s.publish(ctx, "integration.health_changed", after.TenantID, after.ID, map[string]string{"from": string(in.HealthStatus), "to": string(after.HealthStatus)})
	}
	s.log.InfoContext(ctx, "integration tested", "integration", in.Name, "type", in.Type, "health", after.HealthStatus)
	return after, nil
}

func (s *Service) ping(ctx context.Context, in *Integration, cred *Credential) error {
	switch in.Category() {
	case "registry":
		reg, err := s.openRegistry(ctx, in, cred)
		if err != nil {
			return err
		}
		return reg.Ping(ctx)
	case "scm":
		return s.pingGitHub(ctx, in, cred)
	}
	return fmt.Errorf("integration type %q has no connection test", in.Type)
}

// pingGitHub calls GET /user (with a token) or GET /meta (anonymous) on the API.
func (s *Service) pingGitHub(ctx context.Context, in *Integration, cred *Credential) error {
	base := strings.TrimRight(in.Config.Endpoint, "/")
	if base == "" {
		base = "https://api.github.com"
	}
	path := "/meta"
	if cred != nil && cred.Token != "" {
		path = "/user"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	for k, v := range in.Config.Headers {
		req.Header.Set(k, v)
	}
	if cred != nil && cred.Token != "" {
		req.Header.Set("Authorization", "Bearer "+cred.Token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", base+path, resp.Status)
	}
	return nil
}

// credential opens an integration's sealed credential; nil when it has none.
func (s *Service) credential(in *Integration) (*Credential, error) {
	if len(in.Sealed) == 0 {
		return nil, nil
	}
	raw, err := s.sealer.Open(in.Sealed, sealAD("integration", in.ID))
	if err != nil {
		return nil, fmt.Errorf("integration %q: %w", in.Name, err)
	}
	var c Credential
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("integration %q: credential: %w", in.Name, err)
	}
	return &c, nil
}
