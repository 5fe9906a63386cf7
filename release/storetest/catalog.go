package storetest

import (
	"bytes"

	"github.com/stella-ops/stella/release"
)

func testEnvironmentCRUD(f *fixture) {
	e := f.env(tenantA, "stage", 1)
	f.must(f.s.CreateEnvironment(f.ctx, e))

	for _, key := range []string{e.ID, e.Name} {
		got, err := f.s.GetEnvironment(f.ctx, tenantA, key)
		f.must(err)
		f.sameJSON("environment by "+key, got, e)
	}

	e.DisplayName, e.Tier, e.RequiredApprovals = "Staging", release.TierProduction, 2
	e.ApproverGroups = []string{"release-managers"}
	e.FreezeWindows = []release.FreezeWindow{}
	e.Config.Variables = map[string]string{"LOG": "info", "REGION": "eu"}
	e.AutoPromoteFrom = newID()
	e.Compliance = "compliant"
	e.UpdatedAt = f.tick()
	e.Version++
	f.must(f.s.UpdateEnvironment(f.ctx, e))
	got, err := f.s.GetEnvironment(f.ctx, tenantA, e.ID)
	f.must(err)
	f.sameJSON("updated environment", got, e)

	f.must(f.s.DeleteEnvironment(f.ctx, tenantA, e.ID))
	_, err = f.s.GetEnvironment(f.ctx, tenantA, e.ID)
	f.notFound(err, "environment", e.ID)
	_, err = f.s.GetEnvironment(f.ctx, tenantA, "stage")
	f.notFound(err, "environment", "stage")
	f.notFound(f.s.DeleteEnvironment(f.ctx, tenantA, e.ID), "environment", e.ID)
	e.Version++
	f.notFound(f.s.UpdateEnvironment(f.ctx, e), "environment", e.ID)
}

func testEnvironmentUnique(f *fixture) {
	f.must(f.s.CreateEnvironment(f.ctx, f.env(tenantA, "dev", 0)))
	f.must(f.s.CreateEnvironment(f.ctx, f.env(tenantA, "prod", 2)))
	f.conflict(f.s.CreateEnvironment(f.ctx, f.env(tenantA, "dev", 5)), "environment", "dev", "name already exists")
	f.conflict(f.s.CreateEnvironment(f.ctx, f.env(tenantA, "stage", 0)), "environment", "stage", "orderIndex 0")
	// A clash made by an update is reported the same way.
	stage := f.env(tenantA, "stage", 1)
	f.must(f.s.CreateEnvironment(f.ctx, stage))
	stage.Name, stage.Version = "prod", 2
	f.conflict(f.s.UpdateEnvironment(f.ctx, stage), "environment", "prod", "name already exists")
	// Names and order indexes are unique per tenant only.
	f.must(f.s.CreateEnvironment(f.ctx, f.env(tenantB, "dev", 0)))
	// A clash leaves the stored row untouched.
	got, err := f.s.GetEnvironment(f.ctx, tenantA, stage.ID)
	f.must(err)
	if got.Name != "stage" || got.Version != 1 {
		f.t.Errorf("after a failed update the environment is %q v%d, want stage v1", got.Name, got.Version)
	}
}

func testTargetCRUD(f *fixture) {
	env := f.env(tenantA, "dev", 0)
	f.must(f.s.CreateEnvironment(f.ctx, env))
	tg := f.target(tenantA, "web-1", env.ID)
	f.must(f.s.CreateTarget(f.ctx, tg))
	for _, key := range []string{tg.ID, tg.Name} {
		got, err := f.s.GetTarget(f.ctx, tenantA, key)
		f.must(err)
		f.sameJSON("target by "+key, got, tg)
		if !bytes.Equal(got.Sealed, tg.Sealed) {
			f.t.Errorf("sealed bytes: got %x, want %x", got.Sealed, tg.Sealed)
		}
	}
	f.conflict(f.s.CreateTarget(f.ctx, f.target(tenantA, "web-1", env.ID)), "target", "web-1", "name already exists")

	checked := f.tick()
	tg.HealthStatus, tg.LastHealthCheckAt = release.HealthHealthy, &checked
	tg.Labels = map[string]string{"zone": "b", "tier": "front"}
	tg.Sealed, tg.SecretKeys = nil, []string{}
	tg.AgentID = "agent-7"
	tg.UpdatedAt, tg.Version = f.tick(), 2
	f.must(f.s.UpdateTarget(f.ctx, tg))
	got, err := f.s.GetTarget(f.ctx, tenantA, tg.ID)
	f.must(err)
	f.sameJSON("updated target", got, tg)
	if len(got.Sealed) != 0 {
		f.t.Errorf("sealed bytes after clearing: got %x", got.Sealed)
	}

	f.must(f.s.DeleteTarget(f.ctx, tenantA, tg.ID))
	_, err = f.s.GetTarget(f.ctx, tenantA, tg.ID)
	f.notFound(err, "target", tg.ID)
	f.notFound(f.s.DeleteTarget(f.ctx, tenantA, tg.ID), "target", tg.ID)
}

func testTargetFilters(f *fixture) {
	dev, prod := f.env(tenantA, "dev", 0), f.env(tenantA, "prod", 1)
	f.must(f.s.CreateEnvironment(f.ctx, dev))
	f.must(f.s.CreateEnvironment(f.ctx, prod))
	mk := func(name string, env *release.Environment, typ release.TargetType, labels map[string]string) {
		tg := f.target(tenantA, name, env.ID)
		tg.Type, tg.Labels = typ, labels
		f.must(f.s.CreateTarget(f.ctx, tg))
	}
	mk("dev-api", dev, release.TargetDockerHost, map[string]string{"app.kubernetes.io/name": "api", "zone": "a"})
	mk("dev-web", dev, release.TargetComposeHost, map[string]string{"app.kubernetes.io/name": "web", "zone": "a"})
	mk("prod-api", prod, release.TargetDockerHost, map[string]string{"app.kubernetes.io/name": "api", "zone": "b"})
	mk("prod-web", prod, release.TargetComposeHost, map[string]string{"zone": "b"})

	list := func(filter release.TargetFilter) []string {
		f.t.Helper()
		p, err := f.s.ListTargets(f.ctx, tenantA, filter, release.ListOptions{})
		f.must(err)
		return names(p, func(t *release.Target) string { return t.Name })
	}
	f.sameStrings("all", list(release.TargetFilter{}), []string{"dev-api", "dev-web", "prod-api", "prod-web"})
	f.sameStrings("environment", list(release.TargetFilter{EnvironmentID: prod.ID}), []string{"prod-api", "prod-web"})
	f.sameStrings("type", list(release.TargetFilter{Type: release.TargetComposeHost}), []string{"dev-web", "prod-web"})
	f.sameStrings("label with dots", list(release.TargetFilter{Label: map[string]string{"app.kubernetes.io/name": "api"}}), []string{"dev-api", "prod-api"})
	f.sameStrings("two labels", list(release.TargetFilter{Label: map[string]string{"app.kubernetes.io/name": "api", "zone": "b"}}), []string{"prod-api"})
	f.sameStrings("absent label", list(release.TargetFilter{Label: map[string]string{"nope": "x"}}), nil)
	f.sameStrings("name contains, any case", list(release.TargetFilter{NameContains: "API"}), []string{"dev-api", "prod-api"})
	f.sameStrings("name contains a LIKE wildcard", list(release.TargetFilter{NameContains: "_"}), nil)
	f.sameStrings("combined", list(release.TargetFilter{EnvironmentID: dev.ID, Type: release.TargetDockerHost, NameContains: "dev"}), []string{"dev-api"})

	// A target needs an existing environment of its tenant.
	missing := newID()
	err := f.s.CreateTarget(f.ctx, f.target(tenantA, "orphan", missing))
	f.notFound(err, "environment", missing)
}

func testIntegrationCRUD(f *fixture) {
	in := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, in))
	got, err := f.s.GetIntegration(f.ctx, tenantA, "hub")
	f.must(err)
	f.sameJSON("integration", got, in)
	if got.HasCredential {
		f.t.Error("an integration without sealed bytes has no credential")
	}

	checked := f.tick()
	in.Sealed = []byte("\x00ciphertext\xff")
	in.HealthStatus, in.LastHealthCheckAt, in.LastHealthMessage = release.HealthDegraded, &checked, "slow"
	in.Config.Headers = map[string]string{"X-Trace": "1"}
	in.UpdatedAt, in.Version = f.tick(), 2
	f.must(f.s.UpdateIntegration(f.ctx, in))
	got, err = f.s.GetIntegration(f.ctx, tenantA, in.ID)
	f.must(err)
	in.HasCredential = true // derived from the sealed bytes
	f.sameJSON("updated integration", got, in)
	if !got.HasCredential || !bytes.Equal(got.Sealed, in.Sealed) {
		f.t.Errorf("credential: has=%v sealed=%x, want true %x", got.HasCredential, got.Sealed, in.Sealed)
	}
	f.conflict(f.s.CreateIntegration(f.ctx, f.integration(tenantA, "hub", release.IntegrationHarbor)), "integration", "hub", "name already exists")

	// The connection profile is the newest integration of a type.
	_, err = f.s.LastIntegrationOfType(f.ctx, tenantA, release.IntegrationGitHub)
	f.notFound(err, "integration", release.IntegrationGitHub)
	newer := f.integration(tenantA, "hub-2", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, newer))
	f.must(f.s.CreateIntegration(f.ctx, f.integration(tenantA, "gh", release.IntegrationGitHub)))
	last, err := f.s.LastIntegrationOfType(f.ctx, tenantA, release.IntegrationOCI)
	f.must(err)
	if last.ID != newer.ID {
		f.t.Errorf("last OCI integration is %q, want hub-2", last.Name)
	}

	f.must(f.s.DeleteIntegration(f.ctx, tenantA, in.ID))
	_, err = f.s.GetIntegration(f.ctx, tenantA, in.ID)
	f.notFound(err, "integration", in.ID)
	f.notFound(f.s.DeleteIntegration(f.ctx, tenantA, in.ID), "integration", in.ID)
}

func testIntegrationFilters(f *fixture) {
	for _, in := range []struct{ name, typ string }{
		{"hub", release.IntegrationOCI}, {"harbor-eu", release.IntegrationHarbor},
		{"github", release.IntegrationGitHub}, {"harbor-us", release.IntegrationHarbor},
	} {
		f.must(f.s.CreateIntegration(f.ctx, f.integration(tenantA, in.name, in.typ)))
	}
	list := func(filter release.IntegrationFilter) []string {
		f.t.Helper()
		p, err := f.s.ListIntegrations(f.ctx, tenantA, filter, release.ListOptions{})
		f.must(err)
		return names(p, func(i *release.Integration) string { return i.Name })
	}
	f.sameStrings("all", list(release.IntegrationFilter{}), []string{"github", "harbor-eu", "harbor-us", "hub"})
	f.sameStrings("type", list(release.IntegrationFilter{Type: release.IntegrationHarbor}), []string{"harbor-eu", "harbor-us"})
	f.sameStrings("category registry", list(release.IntegrationFilter{Category: "registry"}), []string{"harbor-eu", "harbor-us", "hub"})
	f.sameStrings("category scm", list(release.IntegrationFilter{Category: "scm"}), []string{"github"})
	f.sameStrings("category is a whole prefix", list(release.IntegrationFilter{Category: "reg"}), nil)
	f.sameStrings("name contains", list(release.IntegrationFilter{NameContains: "HARBOR-"}), []string{"harbor-eu", "harbor-us"})
}

func testComponentCRUD(f *fixture) {
	hub := f.integration(tenantA, "hub", release.IntegrationOCI)
	other := f.integration(tenantA, "other", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	f.must(f.s.CreateIntegration(f.ctx, other))
	api := f.component(tenantA, "api", hub.ID)
	f.must(f.s.CreateComponent(f.ctx, api))
	f.must(f.s.CreateComponent(f.ctx, f.component(tenantA, "api-gateway", other.ID)))
	f.must(f.s.CreateComponent(f.ctx, f.component(tenantA, "web", hub.ID)))
	for _, key := range []string{api.ID, "api"} {
		got, err := f.s.GetComponent(f.ctx, tenantA, key)
		f.must(err)
		f.sameJSON("component by "+key, got, api)
	}
	f.conflict(f.s.CreateComponent(f.ctx, f.component(tenantA, "api", hub.ID)), "component", "api", "name already exists")
	missing := newID()
	f.notFound(f.s.CreateComponent(f.ctx, f.component(tenantA, "lost", missing)), "integration", missing)

	list := func(filter release.ComponentFilter) []string {
		f.t.Helper()
		p, err := f.s.ListComponents(f.ctx, tenantA, filter, release.ListOptions{})
		f.must(err)
		return names(p, func(c *release.Component) string { return c.Name })
	}
	f.sameStrings("all", list(release.ComponentFilter{}), []string{"api", "api-gateway", "web"})
	f.sameStrings("name contains", list(release.ComponentFilter{NameContains: "Api"}), []string{"api", "api-gateway"})
	f.sameStrings("registry", list(release.ComponentFilter{RegistryIntegrationID: hub.ID}), []string{"api", "web"})

	stale := *api
	api.DeploymentTemplate, api.UpdatedAt, api.Version = "blue-green", f.tick(), 2
	f.must(f.s.UpdateComponent(f.ctx, api))
	got, err := f.s.GetComponent(f.ctx, tenantA, api.ID)
	f.must(err)
	f.sameJSON("updated component", got, api)
	stale.DeploymentTemplate, stale.Version = "canary", 2
	f.conflict(f.s.UpdateComponent(f.ctx, &stale), "component", "api", "changed concurrently")
	lost := f.component(tenantB, "api", hub.ID)
	lost.ID, lost.Version = api.ID, 2
	f.notFound(f.s.UpdateComponent(f.ctx, lost), "component", api.ID)

	f.must(f.s.DeleteComponent(f.ctx, tenantA, api.ID))
	_, err = f.s.GetComponent(f.ctx, tenantA, "api")
	f.notFound(err, "component", "api")
	f.notFound(f.s.DeleteComponent(f.ctx, tenantA, api.ID), "component", api.ID)
}

func testVersions(f *fixture) {
	hub := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	api, web := f.component(tenantA, "api", hub.ID), f.component(tenantA, "web", hub.ID)
	f.must(f.s.CreateComponent(f.ctx, api))
	f.must(f.s.CreateComponent(f.ctx, web))

	entry := func(c *release.Component, tag, seed string) release.VersionEntry {
		return release.VersionEntry{ID: newID(), TenantID: c.TenantID, ComponentID: c.ID, Tag: tag,
			Digest: digest(seed), Semver: tag[1:], Channel: "stable", ResolvedAt: f.tick(), Source: "auto"}
	}
	v1, v2, w1 := entry(api, "v1.0.0", "a1"), entry(api, "v2.0.0", "a2"), entry(web, "v1.0.0", "w1")
	f.must(f.s.AppendVersions(f.ctx, []release.VersionEntry{v1, v2, w1}))
	f.must(f.s.AppendVersions(f.ctx, nil))
	// The tag v1.0.0 of api moves: a new entry, the old one stays.
	moved := entry(api, "v1.0.0", "a3")
	moved.Prerelease, moved.BuildMetadata, moved.Source = "rc.1", "build.5", "manual"
	f.must(f.s.AppendVersions(f.ctx, []release.VersionEntry{moved}))

	latest, err := f.s.LatestVersions(f.ctx, tenantA, api.ID)
	f.must(err)
	f.sameJSON("latest versions of api", latest, []release.VersionEntry{moved, v2})

	list := func(filter release.VersionFilter) []release.VersionEntry {
		f.t.Helper()
		p, err := f.s.ListVersions(f.ctx, tenantA, filter, release.ListOptions{})
		f.must(err)
		return p.Items
	}
	f.sameJSON("all versions, newest first", list(release.VersionFilter{}), []release.VersionEntry{moved, w1, v2, v1})
	f.sameJSON("versions of api", list(release.VersionFilter{ComponentID: api.ID}), []release.VersionEntry{moved, v2, v1})
	f.sameJSON("history of a tag", list(release.VersionFilter{ComponentID: api.ID, Tag: "v1.0.0"}), []release.VersionEntry{moved, v1})

	// An id used twice is refused, and the batch it came in lands not at all.
	dup := entry(api, "v3.0.0", "a4")
	err = f.s.AppendVersions(f.ctx, []release.VersionEntry{dup, v1})
	if err == nil {
		f.t.Fatal("appending an existing entry id succeeded")
	}
	if got := list(release.VersionFilter{Tag: "v3.0.0"}); len(got) != 0 {
		f.t.Errorf("a failed batch left %d entries behind", len(got))
	}

	latest, err = f.s.LatestVersions(f.ctx, tenantB, api.ID)
	f.must(err)
	if len(latest) != 0 {
		f.t.Errorf("tenant %s sees %d versions of another tenant's component", tenantB, len(latest))
	}
}
