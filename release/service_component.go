package release

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/semver"
	"golang.org/x/sync/errgroup"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/tenant"
)

// CreateComponent adds a component in a registry integration.
func (s *Service) CreateComponent(ctx context.Context, spec ComponentSpec) (*Component, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var c Component
	err := s.change(ctx, "component.create", "component", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		reg, err := tx.GetIntegration(ctx, sc.Tenant, spec.Registry)
		if err != nil {
			return nil, nil, "", invalid("registry", "integration %q does not exist", spec.Registry)
		}
		if reg.Category() != "registry" {
			return nil, nil, "", invalid("registry", "integration %q is a %s integration, not a registry", reg.Name, reg.Type)
		}
		repo, err := componentRepository(spec.ImageRepository, reg)
		if err != nil {
			return nil, nil, "", err
		}
		if err := checkDeploymentTemplate(ctx, tx, sc.Tenant, spec.DeploymentTemplate); err != nil {
			return nil, nil, "", err
		}
		s.stamp(sc, &c.ID, &c.TenantID, &c.CreatedAt, &c.UpdatedAt, &c.Version)
		c.Name, c.DisplayName, c.ImageRepository, c.RegistryIntegrationID = spec.Name, spec.DisplayName, repo, reg.ID
		if c.DisplayName == "" {
			c.DisplayName = c.Name
		}
		c.Versioning, c.DefaultChannel, c.Metadata = spec.Versioning, spec.DefaultChannel, nonNil(spec.Metadata)
		c.DeploymentTemplate = spec.DeploymentTemplate
		if c.Versioning.Type == "" {
			c.Versioning.Type = VersionSemver
		}
		if c.DefaultChannel == "" {
			c.DefaultChannel = "stable"
		}
		return nil, &c, c.ID, tx.CreateComponent(ctx, &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// componentRepository returns "host/path" for a repository given with or
// without the registry's host, refusing a host other than the integration's.
func componentRepository(in string, reg *Integration) (string, error) {
	host, err := registryHost(reg.Config.Endpoint)
	if err != nil {
		return "", err
	}
	full := in
	if r, err := ParseRepository(in); err != nil || r.Registry != host {
		if err == nil {
			return "", invalid("imageRepository", "repository %q is on %s, but registry %q is %s", in, r.Registry, reg.Name, host)
		}
		full = host + "/" + strings.TrimPrefix(in, "/")
	}
	r, err := ParseRepository(full)
	if err != nil {
		return "", invalid("imageRepository", "%v", err)
	}
	return r.Name(), nil
}

// DeleteComponent removes a component that no release pins.
func (s *Service) DeleteComponent(ctx context.Context, key string) error {
	return s.change(ctx, "component.delete", "component", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		c, err := tx.GetComponent(ctx, sc.Tenant, key)
		if err != nil {
			return nil, nil, "", err
		}
		n, err := tx.ComponentUsage(ctx, sc.Tenant, c.ID)
		if err != nil {
			return nil, nil, "", err
		}
		if n > 0 {
			return nil, nil, "", &fault.ConflictError{Kind: "component", Key: c.Name, Reason: fmt.Sprintf("is pinned by %d release(s)", n)}
		}
		return c, nil, c.ID, tx.DeleteComponent(ctx, sc.Tenant, c.ID)
	})
}

// Component returns one component by id or name.
func (s *Service) Component(ctx context.Context, key string) (*Component, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.GetComponent(ctx, sc.Tenant, key)
}

// Components lists components by name.
func (s *Service) Components(ctx context.Context, f ComponentFilter, opts ListOptions) (*Page[Component], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.ListComponents(ctx, sc.Tenant, f, opts)
}

// Versions lists a component's version map, newest first.
func (s *Service) Versions(ctx context.Context, component string, f VersionFilter, opts ListOptions) (*Page[VersionEntry], error) {
	c, err := s.Component(ctx, component)
	if err != nil {
		return nil, err
	}
	f.ComponentID = c.ID
	return s.store.ListVersions(ctx, c.TenantID, f, opts)
}

// SyncResult reports what a version sync found.
type SyncResult struct {
	Component *Component
	Added     []VersionEntry // new tags and tags that moved
	Unchanged int
	Skipped   []string // tags listed but not matching the versioning rules
}

// syncConcurrency bounds parallel manifest lookups against one registry.
const syncConcurrency = 8

// SyncVersions lists the component's tags, resolves each matching tag to its
// digest and appends an entry for every tag that is new or has moved.
func (s *Service) SyncVersions(ctx context.Context, key string) (*SyncResult, error) {
	c, reg, err := s.componentRegistry(ctx, key)
	if err != nil {
		return nil, err
	}
	repo, _ := ParseRepository(c.ImageRepository)
	tags, err := reg.Tags(ctx, repo.Repository)
	if err != nil {
		return nil, s.registryError(ctx, c, err)
	}
	rules, err := newTagRules(c)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Component: c}
	var wanted []string
	for _, t := range tags {
		if rules.match(t) {
			wanted = append(wanted, t)
		} else {
			res.Skipped = append(res.Skipped, t)
		}
	}
	digests := make([]string, len(wanted))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(syncConcurrency)
	for i, t := range wanted {
		g.Go(func() error {
			d, err := reg.Resolve(gctx, repo.Repository, t)
			if errors.Is(err, ErrTagNotFound) {
				return nil // deleted between list and lookup
			}
			digests[i] = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, s.registryError(ctx, c, err)
	}
	err = s.change(ctx, "component.sync", "component", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		latest, err := tx.LatestVersions(ctx, sc.Tenant, c.ID)
		if err != nil {
			return nil, nil, "", err
		}
		known := make(map[string]string, len(latest))
		for _, e := range latest {
			known[e.Tag] = e.Digest
		}
		now := s.clock()
		res.Added = res.Added[:0]
		for i, t := range wanted {
			if digests[i] == "" {
				continue
			}
			if known[t] == digests[i] {
				res.Unchanged++
				continue
			}
			e := VersionEntry{ID: s.newID(), TenantID: sc.Tenant, ComponentID: c.ID, Tag: t, Digest: digests[i], Channel: c.DefaultChannel, ResolvedAt: now, Source: "auto"}
			rules.describe(t, &e)
			res.Added = append(res.Added, e)
		}
		if len(res.Added) == 0 {
			return nil, nil, c.ID, nil
		}
		return nil, res.Added, c.ID, tx.AppendVersions(ctx, res.Added)
	})
	if err != nil {
		return nil, err
	}
	for _, e := range res.Added {
		s.publish(ctx, "version.updated", e.TenantID, c.ID, map[string]string{"component": c.Name, "tag": e.Tag, "digest": e.Digest})
	}
	return res, nil
}

// componentRegistry loads a component and connects to its registry.
func (s *Service) componentRegistry(ctx context.Context, key string) (*Component, Registry, error) {
	c, err := s.Component(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	in, err := s.store.GetIntegration(ctx, c.TenantID, c.RegistryIntegrationID)
	if err != nil {
		return nil, nil, err
	}
	cred, err := s.credential(in)
	if err != nil {
		return nil, nil, err
	}
	reg, err := s.openRegistry(ctx, in, cred)
	if err != nil {
		return nil, nil, err
	}
	return c, reg, nil
}

// registryError names the registry behind a failed call, and its cause.
func (s *Service) registryError(ctx context.Context, c *Component, err error) error {
	name := c.RegistryIntegrationID
	if sc, serr := tenant.ScopeFrom(ctx); serr == nil {
		if in, gerr := s.store.GetIntegration(ctx, sc.Tenant, c.RegistryIntegrationID); gerr == nil {
			name = in.Name
		}
	}
	host, _, _ := strings.Cut(c.ImageRepository, "/")
	system := fmt.Sprintf("registry %q (%s)", name, host)
	if isTransportFailure(err) {
		return &fault.UnreachableError{System: system, Err: err}
	}
	return &RegistryError{System: system, Err: err}
}

// tagRules applies a component's versioning settings to tags.
type tagRules struct {
	typ     string
	pattern *regexp.Regexp
	extract *regexp.Regexp
}

func compiled(p string) (*regexp.Regexp, error) {
	if p == "" {
		return nil, nil
	}
	return regexp.Compile(p)
}

func newTagRules(c *Component) (*tagRules, error) {
	r := &tagRules{typ: c.Versioning.Type}
	var err error
	if c.Versioning.TagPattern != "" {
		if r.pattern, err = regexp.Compile("^(?:" + c.Versioning.TagPattern + ")$"); err != nil {
			return nil, invalid("versioning.tagPattern", "%v", err)
		}
	}
	if r.extract, err = compiled(c.Versioning.SemverExtract); err != nil {
		return nil, invalid("versioning.semverExtract", "%v", err)
	}
	return r, nil
}

func (r *tagRules) match(tag string) bool {
	if r.pattern != nil && !r.pattern.MatchString(tag) {
		return false
	}
	if r.typ == VersionSemver {
		return r.semver(tag) != ""
	}
	return true
}

// semver returns the canonical "vX.Y.Z[-pre][+build]" in tag, or "".
func (r *tagRules) semver(tag string) string {
	v := tag
	if r.extract != nil {
		m := r.extract.FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		v = m[1]
	}
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return ""
	}
	return v
}

func (r *tagRules) describe(tag string, e *VersionEntry) {
	v := r.semver(tag)
	if v == "" {
		return
	}
	e.Semver = strings.TrimPrefix(semver.Canonical(v), "v")
	e.Prerelease = strings.TrimPrefix(semver.Prerelease(v), "-")
	e.BuildMetadata = strings.TrimPrefix(semver.Build(v), "+")
	if e.Prerelease != "" {
		e.Channel = "prerelease"
	}
}

// RegistryAccess is what a puller needs to read a component's images: the
// registry host, whether it speaks plain HTTP, and the opened credential.
// It is for in-process use (scanners, deployers); never return it from an API.
type RegistryAccess struct {
	Host       string
	Insecure   bool
	Credential *Credential
}

// RegistryAccess opens the registry settings of a component's integration.
func (s *Service) RegistryAccess(ctx context.Context, component string) (*RegistryAccess, error) {
	c, err := s.Component(ctx, component)
	if err != nil {
		return nil, err
	}
	in, err := s.store.GetIntegration(ctx, c.TenantID, c.RegistryIntegrationID)
	if err != nil {
		return nil, err
	}
	cred, err := s.credential(in)
	if err != nil {
		return nil, err
	}
	host, err := registryHost(in.Config.Endpoint)
	if err != nil {
		return nil, err
	}
	return &RegistryAccess{Host: host, Insecure: in.Config.Insecure, Credential: cred}, nil
}
