package release

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/tenant"
)

// CreateRelease starts a draft release.
func (s *Service) CreateRelease(ctx context.Context, d Draft) (*Release, error) {
	if d.Application == "" {
		d.Application = defaultApplication(d.Name)
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	var r Release
	err := s.change(ctx, "release.create", "release", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		s.stamp(sc, &r.ID, &r.TenantID, &r.CreatedAt, &r.UpdatedAt, &r.Version)
		r.Name, r.DisplayName, r.Application, r.SourceRef = d.Name, d.DisplayName, d.Application, d.SourceRef
		if r.DisplayName == "" {
			r.DisplayName = r.Name
		}
		r.Status, r.CreatedBy, r.Components = StatusDraft, sc.Actor, []ReleaseComponent{}
		return nil, &r, r.ID, tx.CreateRelease(ctx, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// AddComponent pins a component into a draft release. A tag is resolved to its
// digest through the registry now and never looked at again; a digest is checked
// to exist. Adding a component that is already there replaces its pin.
func (s *Service) AddComponent(ctx context.Context, releaseKey string, ref ComponentRef) (*Release, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	cur, err := s.Release(ctx, releaseKey)
	if err != nil {
		return nil, err
	}
	if err := cur.mustBeDraft("add component"); err != nil {
		return nil, err
	}
	c, reg, err := s.componentRegistry(ctx, ref.Component)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, invalid("component", "component %q does not exist", ref.Component)
	} else if err != nil {
		return nil, err
	}
	repo, _ := ParseRepository(c.ImageRepository)
	want := ref.Tag
	if want == "" {
		want = ref.Digest
	}
	digest, err := reg.Resolve(ctx, repo.Repository, want)
	switch {
	case errors.Is(err, ErrTagNotFound) && ref.Tag != "":
		return nil, invalid("tag", "tag %q not found in %s", ref.Tag, c.ImageRepository)
	case errors.Is(err, ErrTagNotFound):
		return nil, invalid("digest", "digest %s not found in %s", ref.Digest, c.ImageRepository)
	case err != nil:
		return nil, s.registryError(ctx, c, err)
	}
	rc := ReleaseComponent{ComponentID: c.ID, Name: c.Name, Repository: c.ImageRepository, Digest: digest, Tag: ref.Tag, Role: ref.Role}
	if rc.Role == "" {
		rc.Role = RolePrimary
	}
	if rules, err := newTagRules(c); err == nil && ref.Tag != "" {
		if v := rules.semver(ref.Tag); v != "" {
			var e VersionEntry
			rules.describe(ref.Tag, &e)
			rc.Semver = e.Semver
		}
	}
	return s.editRelease(ctx, cur, "release.add_component", func(r *Release) error {
		kept := r.Components[:0]
		for _, x := range r.Components {
			if x.Name != rc.Name {
				kept = append(kept, x)
			}
		}
		r.Components = append(kept, rc)
		return nil
	})
}

// RemoveComponent takes a component out of a draft release.
func (s *Service) RemoveComponent(ctx context.Context, releaseKey, component string) (*Release, error) {
	cur, err := s.Release(ctx, releaseKey)
	if err != nil {
		return nil, err
	}
	return s.editRelease(ctx, cur, "release.remove_component", func(r *Release) error {
		for i, x := range r.Components {
			if x.Name == component || x.ComponentID == component {
				r.Components = append(r.Components[:i], r.Components[i+1:]...)
				return nil
			}
		}
		return &fault.NotFoundError{Kind: "release component", Key: r.Name + "/" + component}
	})
}

// FinalizeRelease freezes a draft: it sets the digest of its canonical manifest.
func (s *Service) FinalizeRelease(ctx context.Context, key string) (*Release, error) {
	cur, err := s.Release(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.editRelease(ctx, cur, "release.finalize", func(r *Release) error {
		if len(r.Components) == 0 {
			return invalid("components", "release %q has no components; add at least one before finalizing", r.Name)
		}
		_, digest, err := r.CanonicalManifest()
		if err != nil {
			return err
		}
		sc, err := tenant.ScopeFrom(ctx)
		if err != nil {
			return err
		}
		now := s.clock()
		r.Status, r.Digest, r.FinalizedAt, r.FinalizedBy = StatusFinalized, digest, &now, sc.Actor
		return nil
	})
}

// editRelease applies edit to a draft release read at cur's version, writing it
// with its audit entry. A concurrent change since cur was read is a conflict.
func (s *Service) editRelease(ctx context.Context, cur *Release, action string, edit func(*Release) error) (*Release, error) {
	var after *Release
	err := s.change(ctx, action, "release", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		before, err := tx.GetRelease(ctx, sc.Tenant, cur.ID)
		if err != nil {
			return nil, nil, "", err
		}
		if err := before.mustBeDraft(action); err != nil {
			return nil, nil, "", err
		}
		if before.Version != cur.Version {
			return nil, nil, "", &fault.ConflictError{Kind: "release", Key: before.Name, Reason: "was changed concurrently; retry"}
		}
		a := *before
		a.Components = append([]ReleaseComponent(nil), before.Components...)
		if err := edit(&a); err != nil {
			return nil, nil, "", err
		}
		sort.Slice(a.Components, func(i, j int) bool { return a.Components[i].Name < a.Components[j].Name })
		a.UpdatedAt, a.Version = s.clock(), before.Version+1
		after = &a
		return before, after, a.ID, tx.UpdateRelease(ctx, after)
	})
	if err != nil {
		return nil, err
	}
	return after, nil
}

// DeleteRelease removes a draft. Finalized releases are permanent.
func (s *Service) DeleteRelease(ctx context.Context, key string) error {
	return s.change(ctx, "release.delete", "release", func(tx Store, sc tenant.Scope) (any, any, string, error) {
		r, err := tx.GetRelease(ctx, sc.Tenant, key)
		if err != nil {
			return nil, nil, "", err
		}
		if err := r.mustBeDraft("delete"); err != nil {
			return nil, nil, "", err
		}
		return r, nil, r.ID, tx.DeleteRelease(ctx, sc.Tenant, r.ID)
	})
}

// Release returns one release by id or name.
func (s *Service) Release(ctx context.Context, key string) (*Release, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.GetRelease(ctx, sc.Tenant, key)
}

// Releases lists releases, newest first.
func (s *Service) Releases(ctx context.Context, f ReleaseFilter, opts ListOptions) (*Page[Release], error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if f.Status != "" && f.Status != StatusDraft && f.Status != StatusFinalized && f.Status != StatusDeprecated {
		return nil, invalid("status", "%q is not one of draft, finalized, deprecated", f.Status)
	}
	if f.CreatedAfter != nil && f.CreatedBefore != nil && !f.CreatedBefore.After(*f.CreatedAfter) {
		return nil, invalid("createdBefore", "must be after createdAfter")
	}
	return s.store.ListReleases(ctx, sc.Tenant, f, opts)
}

// VerifyDigest recomputes a finalized release's digest from its components.
func (r *Release) VerifyDigest() error {
	_, d, err := r.CanonicalManifest()
	if err != nil {
		return err
	}
	if d != r.Digest {
		return fmt.Errorf("release %q: digest %s does not match its manifest (%s)", r.Name, r.Digest, d)
	}
	return nil
}
