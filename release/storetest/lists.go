package storetest

import (
	"errors"
	"fmt"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

func testAudit(f *fixture) {
	add := func(tenant, actor, action, typ, id string) *release.AuditEntry {
		e := &release.AuditEntry{ID: newID(), TenantID: tenant, Actor: actor, Action: action,
			EntityType: typ, EntityID: id, BeforeDigest: digest("b" + id), AfterDigest: digest("a" + id), At: f.tick()}
		f.must(f.s.AppendAudit(f.ctx, e))
		return e
	}
	a1 := add(tenantA, "ann", "release.create", "release", "r1")
	a2 := add(tenantA, "bob", "release.finalize", "release", "r1")
	a3 := add(tenantA, "ann", "environment.update", "environment", "e1")
	a4 := add(tenantA, "ann", "release.create", "release", "r2")
	add(tenantB, "ann", "release.create", "release", "r1")

	cases := []struct {
		name   string
		filter release.AuditFilter
		want   []*release.AuditEntry
	}{
		{"all, newest first", release.AuditFilter{}, []*release.AuditEntry{a4, a3, a2, a1}},
		{"actor", release.AuditFilter{Actor: "ann"}, []*release.AuditEntry{a4, a3, a1}},
		{"action", release.AuditFilter{Action: "release.create"}, []*release.AuditEntry{a4, a1}},
		{"entity type", release.AuditFilter{EntityType: "environment"}, []*release.AuditEntry{a3}},
		{"entity", release.AuditFilter{EntityType: "release", EntityID: "r1"}, []*release.AuditEntry{a2, a1}},
		{"all fields", release.AuditFilter{Actor: "bob", Action: "release.finalize", EntityType: "release", EntityID: "r1"}, []*release.AuditEntry{a2}},
		{"no match", release.AuditFilter{Actor: "eve"}, []*release.AuditEntry{}},
	}
	for _, tc := range cases {
		p, err := f.s.ListAudit(f.ctx, tenantA, tc.filter, release.ListOptions{})
		f.must(err)
		want := make([]release.AuditEntry, len(tc.want))
		for i, e := range tc.want {
			want[i] = *e
		}
		f.sameJSON("audit, "+tc.name, p.Items, want)
	}
	f.conflict(f.s.AppendAudit(f.ctx, a1), "audit entry", a1.ID, "already exists")
}

// checkPaging walks a list three items at a time and checks the order, the
// cursors and HasNext against want (the keys of the whole list, in order).
func checkPaging[T any](f *fixture, what string, want []string, key func(*T) string, list func(release.ListOptions) (*release.Page[T], error)) {
	f.t.Helper()
	const size = 3
	var (
		got   []string
		after string
		first *release.Page[T]
	)
	for page := 1; ; page++ {
		if page > len(want) {
			f.t.Fatalf("%s: more pages than items", what)
		}
		p, err := list(release.ListOptions{First: size, After: after})
		f.must(err)
		if first == nil {
			first = p
		}
		if len(p.Cursors) != len(p.Items) {
			f.t.Fatalf("%s page %d: %d cursors for %d items", what, page, len(p.Cursors), len(p.Items))
		}
		if len(p.Items) > size {
			f.t.Fatalf("%s page %d: %d items, asked for %d", what, page, len(p.Items), size)
		}
		got = append(got, names(p, key)...)
		if wantNext := len(got) < len(want); p.HasNext != wantNext {
			f.t.Errorf("%s page %d: HasNext %v, want %v", what, page, p.HasNext, wantNext)
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor()
	}
	f.sameStrings(what+", paged by 3", got, want)

	// Each item's cursor resumes just after it.
	p, err := list(release.ListOptions{First: 2, After: first.Cursors[1]})
	f.must(err)
	f.sameStrings(what+", after the second item", names(p, key), want[2:4])
}

func testPaging(f *fixture) {
	shuffled := []int{4, 0, 6, 2, 1, 5, 3}
	name := func(i int) string { return fmt.Sprintf("n%d", i) }
	sorted := []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6"}

	var env *release.Environment
	hub := f.integration(tenantA, "zz-hub", release.IntegrationOCI)
	f.must(f.s.CreateIntegration(f.ctx, hub))
	for _, i := range shuffled {
		e := f.env(tenantA, name(i), i)
		f.must(f.s.CreateEnvironment(f.ctx, e))
		env = e
	}
	var tgt *release.Target
	for _, i := range shuffled {
		tgt = f.target(tenantA, name(i), env.ID)
		f.must(f.s.CreateTarget(f.ctx, tgt))
		f.must(f.s.CreateIntegration(f.ctx, f.integration(tenantA, name(i), release.IntegrationHarbor)))
		f.must(f.s.CreateComponent(f.ctx, f.component(tenantA, name(i), hub.ID)))
	}
	var newestFirst []string
	for i := range 7 {
		r := f.release(tenantA, fmt.Sprintf("app-v%d", i), "app")
		f.must(f.s.CreateRelease(f.ctx, r))
		f.must(f.s.AppendVersions(f.ctx, []release.VersionEntry{{ID: r.ID, TenantID: tenantA, ComponentID: "c",
			Tag: r.Name, Digest: digest(r.Name), Channel: "stable", ResolvedAt: f.tick(), Source: "auto"}}))
		f.must(f.s.AppendAudit(f.ctx, &release.AuditEntry{ID: r.ID, TenantID: tenantA, Actor: "ann",
			Action: r.Name, EntityType: "release", EntityID: r.ID, At: f.tick()}))
		newestFirst = append([]string{r.Name}, newestFirst...)
	}

	checkPaging(f, "environments by orderIndex", sorted, func(e *release.Environment) string { return e.Name },
		func(o release.ListOptions) (*release.Page[release.Environment], error) {
			return f.s.ListEnvironments(f.ctx, tenantA, o)
		})
	checkPaging(f, "targets by name", sorted, func(t *release.Target) string { return t.Name },
		func(o release.ListOptions) (*release.Page[release.Target], error) {
			return f.s.ListTargets(f.ctx, tenantA, release.TargetFilter{}, o)
		})
	checkPaging(f, "integrations by name", sorted, func(i *release.Integration) string { return i.Name },
		func(o release.ListOptions) (*release.Page[release.Integration], error) {
			return f.s.ListIntegrations(f.ctx, tenantA, release.IntegrationFilter{Type: release.IntegrationHarbor}, o)
		})
	checkPaging(f, "components by name", sorted, func(c *release.Component) string { return c.Name },
		func(o release.ListOptions) (*release.Page[release.Component], error) {
			return f.s.ListComponents(f.ctx, tenantA, release.ComponentFilter{}, o)
		})
	checkPaging(f, "releases newest first", newestFirst, func(r *release.Release) string { return r.Name },
		func(o release.ListOptions) (*release.Page[release.Release], error) {
			return f.s.ListReleases(f.ctx, tenantA, release.ReleaseFilter{Application: "app"}, o)
		})
	checkPaging(f, "versions newest first", newestFirst, func(v *release.VersionEntry) string { return v.Tag },
		func(o release.ListOptions) (*release.Page[release.VersionEntry], error) {
			return f.s.ListVersions(f.ctx, tenantA, release.VersionFilter{ComponentID: "c"}, o)
		})
	checkPaging(f, "audit newest first", newestFirst, func(a *release.AuditEntry) string { return a.Action },
		func(o release.ListOptions) (*release.Page[release.AuditEntry], error) {
			return f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{EntityType: "release"}, o)
		})

	// A list whose items all fit has no next page and an empty end cursor only when empty.
	p, err := f.s.ListEnvironments(f.ctx, tenantB, release.ListOptions{})
	f.must(err)
	if len(p.Items) != 0 || p.HasNext || p.EndCursor() != "" {
		f.t.Errorf("empty list: %d items, HasNext %v, end cursor %q", len(p.Items), p.HasNext, p.EndCursor())
	}

	// A cursor that is not one of the list's own is refused, not misread.
	for _, bad := range []string{"garbage!", "bm90LWEtY3Vyc29y"} {
		_, err = f.s.ListReleases(f.ctx, tenantA, release.ReleaseFilter{}, release.ListOptions{After: bad})
		if !errors.Is(err, fault.ErrValidation) {
			f.t.Errorf("cursor %q: want a validation error, got %v", bad, err)
		}
	}
}

func testPageSizes(f *fixture) {
	const n = release.MaxPageSize + 5
	f.must(f.s.InTx(f.ctx, func(tx release.Store) error {
		for i := range n {
			err := tx.AppendAudit(f.ctx, &release.AuditEntry{ID: newID(), TenantID: tenantA, Actor: "ann",
				Action: fmt.Sprint(i), EntityType: "release", EntityID: "r", At: f.tick()})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	for _, tc := range []struct {
		first, want int
		next        bool
	}{
		{0, release.DefaultPageSize, true},
		{-1, release.DefaultPageSize, true},
		{7, 7, true},
		{release.MaxPageSize + 100, release.MaxPageSize, true},
	} {
		p, err := f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{}, release.ListOptions{First: tc.first})
		f.must(err)
		if len(p.Items) != tc.want || p.HasNext != tc.next {
			f.t.Errorf("First %d: %d items, HasNext %v; want %d, %v", tc.first, len(p.Items), p.HasNext, tc.want, tc.next)
		}
	}
	p, err := f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{}, release.ListOptions{First: release.MaxPageSize})
	f.must(err)
	rest, err := f.s.ListAudit(f.ctx, tenantA, release.AuditFilter{}, release.ListOptions{First: release.MaxPageSize, After: p.EndCursor()})
	f.must(err)
	if len(rest.Items) != 5 || rest.HasNext {
		f.t.Errorf("last page: %d items, HasNext %v; want 5, false", len(rest.Items), rest.HasNext)
	}
}
