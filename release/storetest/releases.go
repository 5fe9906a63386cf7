package storetest

import (
	"time"

	"github.com/stella-ops/stella/release"
)

func testReleaseCRUD(f *fixture) {
	hub := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	api, web, worker := f.component(tenantA, "api", hub.ID), f.component(tenantA, "web", hub.ID), f.component(tenantA, "worker", hub.ID)
	for _, c := range []*release.Component{api, web, worker} {
		f.must(f.s.CreateComponent(f.ctx, c))
	}

	r := f.release(tenantA, "shop-v1.0.0", "shop", rc(web.ID, "web", digest("w1")), rc(api.ID, "api", digest("a1")))
	r.Components[1].Role = release.RoleSidecar
	r.SourceRef = &release.SourceRef{SCM: "github", Repository: "acme/shop", Commit: "abc123", Branch: "main"}
	f.must(f.s.CreateRelease(f.ctx, r))
	for _, key := range []string{r.ID, r.Name} {
		got, err := f.s.GetRelease(f.ctx, tenantA, key)
		f.must(err)
		f.sameJSON("release by "+key+" (components keep their order)", got, r)
	}

	// Draft without components and without a source.
	empty := f.release(tenantA, "shop-v1.1.0", "shop")
	f.must(f.s.CreateRelease(f.ctx, empty))
	got, err := f.s.GetRelease(f.ctx, tenantA, empty.ID)
	f.must(err)
	if got.SourceRef != nil || len(got.Components) != 0 {
		f.t.Errorf("empty draft read back with source %v and %d components", got.SourceRef, len(got.Components))
	}

	// Update replaces the components: drop web, keep api, add worker; then finalize.
	r.Components = []release.ReleaseComponent{rc(api.ID, "api", digest("a2")), rc(worker.ID, "worker", digest("k1"))}
	r.Version, r.UpdatedAt = 2, f.tick()
	f.must(f.s.UpdateRelease(f.ctx, r))
	finalized := f.tick()
	r.Status, r.Digest, r.FinalizedBy, r.FinalizedAt = release.StatusFinalized, digest("release"), "bob", &finalized
	r.Version, r.UpdatedAt = 3, finalized
	f.must(f.s.UpdateRelease(f.ctx, r))
	got, err = f.s.GetRelease(f.ctx, tenantA, r.Name)
	f.must(err)
	f.sameJSON("updated release", got, r)

	// Component usage follows the replaced rows.
	for c, want := range map[*release.Component]int{api: 1, web: 0, worker: 1} {
		n, err := f.s.ComponentUsage(f.ctx, tenantA, c.ID)
		f.must(err)
		if n != want {
			f.t.Errorf("usage of component %s: got %d, want %d", c.Name, n, want)
		}
	}

	// Unique names: per tenant for releases, per release for components.
	f.conflict(f.s.CreateRelease(f.ctx, f.release(tenantA, "shop-v1.0.0", "shop")), "release", "shop-v1.0.0", "name already exists")
	twice := f.release(tenantA, "shop-v2.0.0", "shop", rc(api.ID, "api", digest("a1")), rc(api.ID, "api", digest("a2")))
	f.conflict(f.s.CreateRelease(f.ctx, twice), "release", "shop-v2.0.0", "same name")
	_, err = f.s.GetRelease(f.ctx, tenantA, "shop-v2.0.0")
	f.notFound(err, "release", "shop-v2.0.0") // the release row was not left behind
	bad := *r
	bad.Components = append(bad.Components, rc(api.ID, "api", digest("a3")))
	bad.Version = 4
	f.conflict(f.s.UpdateRelease(f.ctx, &bad), "release", r.Name, "same name")
	got, err = f.s.GetRelease(f.ctx, tenantA, r.ID)
	f.must(err)
	f.sameJSON("release after a refused update", got, r)

	f.must(f.s.DeleteRelease(f.ctx, tenantA, r.ID))
	_, err = f.s.GetRelease(f.ctx, tenantA, r.ID)
	f.notFound(err, "release", r.ID)
	f.notFound(f.s.DeleteRelease(f.ctx, tenantA, r.ID), "release", r.ID)
	n, err := f.s.ComponentUsage(f.ctx, tenantA, api.ID)
	f.must(err)
	if n != 0 {
		f.t.Errorf("a deleted release still pins api (%d)", n)
	}
}

func testReleaseFilters(f *fixture) {
	hub := f.integration(tenantA, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	api, web, worker := f.component(tenantA, "api", hub.ID), f.component(tenantA, "web", hub.ID), f.component(tenantA, "worker", hub.ID)
	for _, c := range []*release.Component{api, web, worker} {
		f.must(f.s.CreateComponent(f.ctx, c))
	}
	shared := digest("shared")
	mk := func(name, app string, status release.Status, relDigest string, comps ...release.ReleaseComponent) *release.Release {
		r := f.release(tenantA, name, app, comps...)
		r.Status, r.Digest = status, relDigest
		f.must(f.s.CreateRelease(f.ctx, r))
		return r
	}
	r1 := mk("shop-v1.0.0", "shop", release.StatusFinalized, digest("r1"), rc(api.ID, "api", shared), rc(web.ID, "web", digest("w1")))
	r2 := mk("shop-v1.1.0", "shop", release.StatusDraft, "", rc(api.ID, "api", digest("a2")))
	r3 := mk("billing-v2.0.0", "billing", release.StatusFinalized, digest("r3"), rc(worker.ID, "worker", digest("k1")), rc(api.ID, "api", shared))
	r5 := mk("shop-v0.9.0", "shop", release.StatusDeprecated, digest("r5"), rc(web.ID, "web", digest("w5")))

	// Another tenant's release matches every filter below but must never show.
	bhub := f.integration(tenantB, "hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, bhub))
	bapi := f.component(tenantB, "api", bhub.ID)
	f.must(f.s.CreateComponent(f.ctx, bapi))
	other := f.release(tenantB, "shop-v1.0.1", "shop", rc(bapi.ID, "api", shared))
	other.Digest = digest("r1")
	f.must(f.s.CreateRelease(f.ctx, other))

	at := func(r *release.Release) *time.Time { t := r.CreatedAt; return &t }
	cases := []struct {
		name   string
		filter release.ReleaseFilter
		want   []*release.Release
	}{
		{"none", release.ReleaseFilter{}, []*release.Release{r5, r3, r2, r1}},
		{"name, any case", release.ReleaseFilter{NameContains: "BILL"}, []*release.Release{r3}},
		{"name substring", release.ReleaseFilter{NameContains: "v1."}, []*release.Release{r2, r1}},
		{"name with a LIKE wildcard", release.ReleaseFilter{NameContains: "%"}, nil},
		{"name with a wildcard among letters", release.ReleaseFilter{NameContains: "v1_0"}, nil},
		{"short name substring", release.ReleaseFilter{NameContains: "Bi"}, []*release.Release{r3}},
		{"name substring across the version", release.ReleaseFilter{NameContains: "p-V1.1"}, []*release.Release{r2}},
		{"application", release.ReleaseFilter{Application: "shop"}, []*release.Release{r5, r2, r1}},
		{"component", release.ReleaseFilter{Component: "worker"}, []*release.Release{r3}},
		{"component in several", release.ReleaseFilter{Component: "api"}, []*release.Release{r3, r2, r1}},
		{"unknown component", release.ReleaseFilter{Component: "nope"}, nil},
		{"component image digest", release.ReleaseFilter{Digest: shared}, []*release.Release{r3, r1}},
		{"release digest", release.ReleaseFilter{Digest: digest("r3")}, []*release.Release{r3}},
		{"status", release.ReleaseFilter{Status: release.StatusFinalized}, []*release.Release{r3, r1}},
		{"deprecated", release.ReleaseFilter{Status: release.StatusDeprecated}, []*release.Release{r5}},
		{"created after, inclusive", release.ReleaseFilter{CreatedAfter: at(r2)}, []*release.Release{r5, r3, r2}},
		{"created before, exclusive", release.ReleaseFilter{CreatedBefore: at(r3)}, []*release.Release{r2, r1}},
		{"created in [r2, r3)", release.ReleaseFilter{CreatedAfter: at(r2), CreatedBefore: at(r3)}, []*release.Release{r2}},
		{"application and component", release.ReleaseFilter{Application: "shop", Component: "api"}, []*release.Release{r2, r1}},
		{"digest and status", release.ReleaseFilter{Digest: shared, Status: release.StatusDraft}, nil},
	}
	for _, tc := range cases {
		p, err := f.s.ListReleases(f.ctx, tenantA, tc.filter, release.ListOptions{})
		f.must(err)
		want := make([]string, len(tc.want))
		for i, r := range tc.want {
			want[i] = r.Name
		}
		f.sameStrings(tc.name, names(p, func(r *release.Release) string { return r.Name }), want)
	}

	// Listed releases carry their components, as GetRelease does.
	p, err := f.s.ListReleases(f.ctx, tenantA, release.ReleaseFilter{Component: "worker"}, release.ListOptions{})
	f.must(err)
	f.sameJSON("listed release", p.Items, []release.Release{*r3})
}
