package storetest

import (
	"errors"
	"sync"
	"time"

	"github.com/stella-ops/stella/release"
)

func testTenantIsolation(f *fixture) {
	env := f.env(tenantA, "prod", 0)
	f.must(f.s.CreateEnvironment(f.ctx, env))
	tgt := f.target(tenantA, "web-1", env.ID)
	f.must(f.s.CreateTarget(f.ctx, tgt))
	in := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, in))
	comp := f.component(tenantA, "api", in.ID)
	f.must(f.s.CreateComponent(f.ctx, comp))
	rel := f.release(tenantA, "shop-v1", "shop", rc(comp.ID, "api", digest("a")))
	f.must(f.s.CreateRelease(f.ctx, rel))
	f.must(f.s.AppendVersions(f.ctx, []release.VersionEntry{{ID: newID(), TenantID: tenantA, ComponentID: comp.ID,
		Tag: "v1", Digest: digest("a"), ResolvedAt: f.tick(), Source: "auto"}}))
	f.must(f.s.AppendAudit(f.ctx, &release.AuditEntry{ID: newID(), TenantID: tenantA, Actor: "ann",
		Action: "release.create", EntityType: "release", EntityID: rel.ID, At: f.tick()}))

	// Tenant B sees none of it, by id or by name.
	for _, key := range []string{env.ID, env.Name} {
		_, err := f.s.GetEnvironment(f.ctx, tenantB, key)
		f.notFound(err, "environment", key)
	}
	for _, key := range []string{tgt.ID, tgt.Name} {
		_, err := f.s.GetTarget(f.ctx, tenantB, key)
		f.notFound(err, "target", key)
	}
	for _, key := range []string{in.ID, in.Name} {
		_, err := f.s.GetIntegration(f.ctx, tenantB, key)
		f.notFound(err, "integration", key)
	}
	for _, key := range []string{comp.ID, comp.Name} {
		_, err := f.s.GetComponent(f.ctx, tenantB, key)
		f.notFound(err, "component", key)
	}
	for _, key := range []string{rel.ID, rel.Name} {
		_, err := f.s.GetRelease(f.ctx, tenantB, key)
		f.notFound(err, "release", key)
	}
	_, err := f.s.LastIntegrationOfType(f.ctx, tenantB, release.IntegrationOCI)
	f.notFound(err, "integration", release.IntegrationOCI)

	// B's lists are empty.
	count := func(what string, n int, err error) {
		f.t.Helper()
		f.must(err)
		if n != 0 {
			f.t.Errorf("tenant %s lists %d %s of tenant %s", tenantB, n, what, tenantA)
		}
	}
	envs, err := f.s.ListEnvironments(f.ctx, tenantB, release.ListOptions{})
	count("environments", len(envs.Items), err)
	tgts, err := f.s.ListTargets(f.ctx, tenantB, release.TargetFilter{}, release.ListOptions{})
	count("targets", len(tgts.Items), err)
	ins, err := f.s.ListIntegrations(f.ctx, tenantB, release.IntegrationFilter{}, release.ListOptions{})
	count("integrations", len(ins.Items), err)
	comps, err := f.s.ListComponents(f.ctx, tenantB, release.ComponentFilter{}, release.ListOptions{})
	count("components", len(comps.Items), err)
	rels, err := f.s.ListReleases(f.ctx, tenantB, release.ReleaseFilter{}, release.ListOptions{})
	count("releases", len(rels.Items), err)
	vers, err := f.s.ListVersions(f.ctx, tenantB, release.VersionFilter{}, release.ListOptions{})
	count("versions", len(vers.Items), err)
	latest, err := f.s.LatestVersions(f.ctx, tenantB, comp.ID)
	count("latest versions", len(latest), err)
	audit, err := f.s.ListAudit(f.ctx, tenantB, release.AuditFilter{}, release.ListOptions{})
	count("audit entries", len(audit.Items), err)
	usage, err := f.s.EnvironmentUsage(f.ctx, tenantB, env.ID)
	count("targets in usage", usage.Targets, err)
	n, err := f.s.IntegrationUsage(f.ctx, tenantB, in.ID)
	count("integration users", n, err)
	n, err = f.s.ComponentUsage(f.ctx, tenantB, comp.ID)
	count("component users", n, err)

	// B can neither change nor delete A's rows.
	e2 := *env
	e2.TenantID, e2.Version = tenantB, 2
	f.notFound(f.s.UpdateEnvironment(f.ctx, &e2), "environment", env.ID)
	t2 := *tgt
	t2.TenantID, t2.Version = tenantB, 2
	f.notFound(f.s.UpdateTarget(f.ctx, &t2), "target", tgt.ID)
	i2 := *in
	i2.TenantID, i2.Version = tenantB, 2
	f.notFound(f.s.UpdateIntegration(f.ctx, &i2), "integration", in.ID)
	r2 := *rel
	r2.TenantID, r2.Version = tenantB, 2
	f.notFound(f.s.UpdateRelease(f.ctx, &r2), "release", rel.ID)
	f.notFound(f.s.DeleteTarget(f.ctx, tenantB, tgt.ID), "target", tgt.ID)
	f.notFound(f.s.DeleteEnvironment(f.ctx, tenantB, env.ID), "environment", env.ID)
	f.notFound(f.s.DeleteIntegration(f.ctx, tenantB, in.ID), "integration", in.ID)
	f.notFound(f.s.DeleteComponent(f.ctx, tenantB, comp.ID), "component", comp.ID)
	f.notFound(f.s.DeleteRelease(f.ctx, tenantB, rel.ID), "release", rel.ID)

	// B cannot point at A's rows either.
	f.notFound(f.s.CreateTarget(f.ctx, f.target(tenantB, "web-1", env.ID)), "environment", env.ID)
	f.notFound(f.s.CreateComponent(f.ctx, f.component(tenantB, "api", in.ID)), "integration", in.ID)

	// A still has everything, unchanged.
	got, err := f.s.GetRelease(f.ctx, tenantA, rel.Name)
	f.must(err)
	f.sameJSON("tenant A's release", got, rel)
	gotEnv, err := f.s.GetEnvironment(f.ctx, tenantA, env.ID)
	f.must(err)
	f.sameJSON("tenant A's environment", gotEnv, env)
}

func testStaleVersions(f *fixture) {
	env := f.env(tenantA, "dev", 0)
	f.must(f.s.CreateEnvironment(f.ctx, env))
	in := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, in))
	tgt := f.target(tenantA, "web-1", env.ID)
	f.must(f.s.CreateTarget(f.ctx, tgt))
	rel := f.release(tenantA, "shop-v1", "shop")
	f.must(f.s.CreateRelease(f.ctx, rel))

	// Each write is made to version 1 (so carries 2); the second one is stale.
	check := func(kind, key string, update func(version int) error) {
		f.t.Helper()
		f.must(update(2))
		f.conflict(update(2), kind, key, "changed concurrently (version 2")
		f.conflict(update(5), kind, key, "changed concurrently")
		f.must(update(3))
	}
	check("environment", env.Name, func(v int) error {
		e := *env
		e.Version, e.DisplayName = v, "v"+string(rune('0'+v))
		return f.s.UpdateEnvironment(f.ctx, &e)
	})
	check("target", tgt.Name, func(v int) error { t := *tgt; t.Version = v; return f.s.UpdateTarget(f.ctx, &t) })
	check("integration", in.Name, func(v int) error { i := *in; i.Version = v; return f.s.UpdateIntegration(f.ctx, &i) })
	check("release", rel.Name, func(v int) error {
		r := *rel
		r.Version, r.DisplayName = v, "v"+string(rune('0'+v))
		return f.s.UpdateRelease(f.ctx, &r)
	})
	got, err := f.s.GetEnvironment(f.ctx, tenantA, env.ID)
	f.must(err)
	if got.Version != 3 || got.DisplayName != "v3" {
		f.t.Errorf("environment is v%d %q, want v3 %q", got.Version, got.DisplayName, "v3")
	}
	gotRel, err := f.s.GetRelease(f.ctx, tenantA, rel.ID)
	f.must(err)
	if gotRel.Version != 3 || gotRel.DisplayName != "v3" {
		f.t.Errorf("release is v%d %q, want v3 %q", gotRel.Version, gotRel.DisplayName, "v3")
	}
}

func testConcurrentUpdates(f *fixture) {
	env := f.env(tenantA, "dev", 0)
	f.must(f.s.CreateEnvironment(f.ctx, env))
	const writers = 8
	var (
		wg                sync.WaitGroup
		out               raceOutcomes
		hub               = f.integration(tenantA, "hub", release.IntegrationOCI)
		releasesPerWriter = 5
	)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := *env
			e.Version, e.DisplayName = 2, string(rune('a'+w))
			err := f.s.UpdateEnvironment(f.ctx, &e)
			// Meanwhile every writer also adds releases with an audit entry, each in a transaction.
			for i := range releasesPerWriter {
				r := f.release(tenantA, string(rune('a'+w))+"-v"+string(rune('0'+i)), "app")
				if txErr := f.s.InTx(f.ctx, func(tx release.Store) error {
					if err := tx.CreateRelease(f.ctx, r); err != nil {
						return err
					}
					return tx.AppendAudit(f.ctx, &release.AuditEntry{ID: newID(), TenantID: tenantA, Actor: "w",
						Action: "release.create", EntityType: "release", EntityID: r.ID, At: r.CreatedAt})
				}); txErr != nil {
					out.fail(txErr)
				}
			}
			out.add(err)
		}()
	}
	wg.Wait()
	if len(out.unexpected) > 0 {
		f.t.Fatalf("concurrent writers failed: %v", out.unexpected)
	}
	if out.wins != 1 || out.conflicts != writers-1 {
		f.t.Errorf("%d writers updated version 1: %d won, %d conflicted; want 1 and %d", writers, out.wins, out.conflicts, writers-1)
	}
	p, err := f.s.ListReleases(f.ctx, tenantA, release.ReleaseFilter{}, release.ListOptions{First: release.MaxPageSize})
	f.must(err)
	a, err := f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{}, release.ListOptions{First: release.MaxPageSize})
	f.must(err)
	if len(p.Items) != writers*releasesPerWriter || len(a.Items) != writers*releasesPerWriter {
		f.t.Errorf("%d releases and %d audit entries, want %d of each", len(p.Items), len(a.Items), writers*releasesPerWriter)
	}
}

func testInTx(f *fixture) {
	boom := errors.New("boom")
	env := f.env(tenantA, "dev", 0)

	// Committed: every write lands, and the transaction reads its own writes.
	f.must(f.s.InTx(f.ctx, func(tx release.Store) error {
		if err := tx.CreateEnvironment(f.ctx, env); err != nil {
			return err
		}
		got, err := tx.GetEnvironment(f.ctx, tenantA, "dev")
		if err != nil {
			return err
		}
		got.Version++
		return tx.UpdateEnvironment(f.ctx, got)
	}))
	got, err := f.s.GetEnvironment(f.ctx, tenantA, env.ID)
	f.must(err)
	if got.Version != 2 {
		f.t.Errorf("committed environment has version %d, want 2", got.Version)
	}

	// Rolled back: nothing of a failed transaction is written, nested calls included.
	tgt := f.target(tenantA, "web-1", env.ID)
	rel := f.release(tenantA, "shop-v1", "shop")
	prod := f.env(tenantA, "prod", 1)
	audit := &release.AuditEntry{ID: newID(), TenantID: tenantA, Actor: "ann", Action: "x", EntityType: "release", EntityID: rel.ID, At: f.tick()}
	err = f.s.InTx(f.ctx, func(tx release.Store) error {
		if err := tx.CreateTarget(f.ctx, tgt); err != nil {
			return err
		}
		if err := tx.CreateRelease(f.ctx, rel); err != nil {
			return err
		}
		if err := tx.InTx(f.ctx, func(inner release.Store) error {
			if err := inner.CreateEnvironment(f.ctx, prod); err != nil {
				return err
			}
			return inner.AppendAudit(f.ctx, audit)
		}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		f.t.Fatalf("InTx returned %v, want fn's error", err)
	}
	_, err = f.s.GetTarget(f.ctx, tenantA, tgt.ID)
	f.notFound(err, "target", tgt.ID)
	_, err = f.s.GetRelease(f.ctx, tenantA, rel.ID)
	f.notFound(err, "release", rel.ID)
	_, err = f.s.GetEnvironment(f.ctx, tenantA, prod.ID)
	f.notFound(err, "environment", prod.ID)
	a, err := f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{}, release.ListOptions{})
	f.must(err)
	if len(a.Items) != 0 {
		f.t.Errorf("a rolled-back audit entry was written")
	}

	// A store error inside a transaction comes out typed, and rolls back too.
	err = f.s.InTx(f.ctx, func(tx release.Store) error {
		if err := tx.CreateTarget(f.ctx, tgt); err != nil {
			return err
		}
		return tx.CreateEnvironment(f.ctx, f.env(tenantA, "dev", 7))
	})
	f.conflict(err, "environment", "dev", "name already exists")
	_, err = f.s.GetTarget(f.ctx, tenantA, tgt.ID)
	f.notFound(err, "target", tgt.ID)
}

func testUsage(f *fixture) {
	env := f.env(tenantA, "prod", 0)
	f.must(f.s.CreateEnvironment(f.ctx, env))
	idle := f.env(tenantA, "dev", 1)
	f.must(f.s.CreateEnvironment(f.ctx, idle))
	f.must(f.s.CreateTarget(f.ctx, f.target(tenantA, "web-1", env.ID)))
	f.must(f.s.CreateTarget(f.ctx, f.target(tenantA, "web-2", env.ID)))
	hub := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	unused := f.integration(tenantA, "unused", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, unused))
	api, web := f.component(tenantA, "api", hub.ID), f.component(tenantA, "web", hub.ID)
	f.must(f.s.CreateComponent(f.ctx, api))
	f.must(f.s.CreateComponent(f.ctx, web))
	shop1 := f.release(tenantA, "shop-v1", "shop", rc(api.ID, "api", digest("a1")), rc(web.ID, "web", digest("w1")))
	shop2 := f.release(tenantA, "shop-v2", "shop", rc(api.ID, "api", digest("a2")))
	billing := f.release(tenantA, "billing-v1", "billing")
	for _, r := range []*release.Release{shop1, shop2, billing} {
		f.must(f.s.CreateRelease(f.ctx, r))
	}

	wantCurrent := 0
	if cs, ok := f.s.(CurrentReleaseSetter); ok {
		f.must(cs.SetCurrentRelease(f.ctx, tenantA, release.CurrentRelease{EnvironmentID: env.ID, Application: "shop", ReleaseID: shop1.ID}))
		f.must(cs.SetCurrentRelease(f.ctx, tenantA, release.CurrentRelease{EnvironmentID: env.ID, Application: "billing", ReleaseID: billing.ID}))
		f.must(cs.SetCurrentRelease(f.ctx, tenantA, release.CurrentRelease{EnvironmentID: env.ID, Application: "shop", ReleaseID: shop2.ID})) // replaces shop1
		wantCurrent = 2
	} else {
		f.t.Log("the store does not implement CurrentReleaseSetter: current releases are not checked")
	}
	u, err := f.s.EnvironmentUsage(f.ctx, tenantA, env.ID)
	f.must(err)
	if u != (release.Usage{Targets: 2, CurrentReleases: wantCurrent}) {
		f.t.Errorf("usage of prod: %+v, want 2 targets and %d current releases", u, wantCurrent)
	}
	u, err = f.s.EnvironmentUsage(f.ctx, tenantA, idle.ID)
	f.must(err)
	if u != (release.Usage{}) {
		f.t.Errorf("usage of dev: %+v, want none", u)
	}

	for _, tc := range []struct {
		name string
		got  func() (int, error)
		want int
	}{
		{"integration hub", func() (int, error) { return f.s.IntegrationUsage(f.ctx, tenantA, hub.ID) }, 2},
		{"integration unused", func() (int, error) { return f.s.IntegrationUsage(f.ctx, tenantA, unused.ID) }, 0},
		{"component api", func() (int, error) { return f.s.ComponentUsage(f.ctx, tenantA, api.ID) }, 2},
		{"component web", func() (int, error) { return f.s.ComponentUsage(f.ctx, tenantA, web.ID) }, 1},
	} {
		n, err := tc.got()
		f.must(err)
		if n != tc.want {
			f.t.Errorf("usage of %s: %d, want %d", tc.name, n, tc.want)
		}
	}
}

func testTimes(f *fixture) {
	// Nanoseconds in a zone that is not UTC: read back in UTC, to the microsecond.
	zone := time.FixedZone("UTC+2", 2*3600)
	at := time.Date(2025, 6, 30, 23, 59, 59, 123456789, zone)
	want := at.Truncate(time.Microsecond).UTC()
	same := func(what string, got time.Time) {
		f.t.Helper()
		if got.Location() != time.UTC || !got.Equal(want) {
			f.t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}

	env := f.env(tenantA, "dev", 0)
	env.CreatedAt, env.UpdatedAt = at, at
	f.must(f.s.CreateEnvironment(f.ctx, env))
	gotEnv, err := f.s.GetEnvironment(f.ctx, tenantA, env.ID)
	f.must(err)
	same("environment createdAt", gotEnv.CreatedAt)
	same("environment updatedAt", gotEnv.UpdatedAt)

	tgt := f.target(tenantA, "web-1", env.ID)
	tgt.LastHealthCheckAt = &at
	f.must(f.s.CreateTarget(f.ctx, tgt))
	gotTgt, err := f.s.GetTarget(f.ctx, tenantA, tgt.ID)
	f.must(err)
	same("target lastHealthCheckAt", *gotTgt.LastHealthCheckAt)

	rel := f.release(tenantA, "shop-v1", "shop")
	rel.FinalizedAt, rel.CreatedAt = &at, at
	f.must(f.s.CreateRelease(f.ctx, rel))
	gotRel, err := f.s.GetRelease(f.ctx, tenantA, rel.ID)
	f.must(err)
	same("release finalizedAt", *gotRel.FinalizedAt)
	same("release createdAt", gotRel.CreatedAt)
	// Filters compare instants, whatever zone they are given in.
	from := want.In(zone)
	p, err := f.s.ListReleases(f.ctx, tenantA, release.ReleaseFilter{CreatedAfter: &from, CreatedBefore: ptr(from.Add(time.Microsecond))}, release.ListOptions{})
	f.must(err)
	if len(p.Items) != 1 {
		f.t.Errorf("a one-microsecond window around createdAt finds %d releases, want 1", len(p.Items))
	}

	f.must(f.s.AppendAudit(f.ctx, &release.AuditEntry{ID: newID(), TenantID: tenantA, Actor: "ann", Action: "x", EntityType: "t", EntityID: "i", At: at}))
	a, err := f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{}, release.ListOptions{})
	f.must(err)
	same("audit at", a.Items[0].At)

	f.must(f.s.AppendVersions(f.ctx, []release.VersionEntry{{ID: newID(), TenantID: tenantA, ComponentID: "c", Tag: "v1", Digest: digest("v"), ResolvedAt: at, Source: "auto"}}))
	v, err := f.s.LatestVersions(f.ctx, tenantA, "c")
	f.must(err)
	same("version resolvedAt", v[0].ResolvedAt)
}

func ptr[T any](v T) *T { return &v }
