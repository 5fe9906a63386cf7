// Package storetest is the conformance suite for release.Store: every
// implementation runs the same subtests.
//
//	func TestStore(t *testing.T) { storetest.Run(t, func(t *testing.T) release.Store { return open(t) }) }
//
// RunAudited checks, for a store whose transactions write more than
// release.Store (tokens, gate decisions, VEX documents), that each such
// change lands together with its audit entry or not at all.
//
// open must return a new, empty store for each call; subtests run in parallel.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

// CurrentReleaseSetter is implemented by stores that let tests record the
// release an environment now runs (release.Store has no such method; the
// promotion service writes it through release.PromotionTx).
// When the store has it, the suite checks EnvironmentUsage.CurrentReleases.
type CurrentReleaseSetter interface {
	SetCurrentRelease(ctx context.Context, tenant string, c release.CurrentRelease) error
}

// Run runs the suite. open is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) release.Store) {
	tests := []struct {
		name string
		fn   func(f *fixture)
	}{
		{"EnvironmentCRUD", testEnvironmentCRUD},
		{"EnvironmentUnique", testEnvironmentUnique},
		{"TargetCRUD", testTargetCRUD},
		{"TargetFilters", testTargetFilters},
		{"IntegrationCRUD", testIntegrationCRUD},
		{"IntegrationFilters", testIntegrationFilters},
		{"ComponentCRUD", testComponentCRUD},
		{"Versions", testVersions},
		{"ReleaseCRUD", testReleaseCRUD},
		{"ReleaseFilters", testReleaseFilters},
		{"Audit", testAudit},
		{"Paging", testPaging},
		{"PageSizes", testPageSizes},
		{"TenantIsolation", testTenantIsolation},
		{"StaleVersions", testStaleVersions},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"InTx", testInTx},
		{"Usage", testUsage},
		{"Times", testTimes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(newFixture(t, open(t)))
		})
	}
	t.Run("AuditedChanges", func(t *testing.T) {
		RunAudited(t, func(t *testing.T) (release.Store, Transact[release.Store]) {
			s := open(t)
			return s, s.InTx
		}, releaseChanges()...)
	})
}

// Tenants used by the suite.
const (
	tenantA = "acme"
	tenantB = "globex"
)

// fixture holds one subtest's store, a fixed clock and builders of valid objects.
type fixture struct {
	t   *testing.T
	s   release.Store
	ctx context.Context

	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T, s release.Store) *fixture {
	// Microseconds, not nanoseconds: both databases keep µs.
	return &fixture{t: t, s: s, ctx: context.Background(),
		now: time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)}
}

// tick advances the fixed clock by a second and returns the new time.
func (f *fixture) tick() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(time.Second)
	return f.now
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (f *fixture) env(tenant, name string, order int) *release.Environment {
	now := f.tick()
	return &release.Environment{
		ID: newID(), TenantID: tenant, Name: name, DisplayName: strings.ToUpper(name),
		OrderIndex: order, Tier: release.TierStaging, RequiredApprovals: 1,
		ApproverGroups:             []string{"leads", "ops"},
		RequireSeparationOfDuties:  true,
		RequirePreviousEnvironment: true,
		FreezeWindows: []release.FreezeWindow{{ID: newID(), Start: now, End: now.Add(time.Hour),
			Reason: "release train", CreatedBy: "ann", Exceptions: []string{"bob"}}},
		Config: release.EnvironmentConfig{Variables: map[string]string{"LOG": "debug"},
			SecretRefs: []string{"db"}, AgentLabels: []string{"linux"}, DeploymentTimeoutSeconds: 600},
		Compliance: "unknown", CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

func (f *fixture) target(tenant, name, envID string) *release.Target {
	now := f.tick()
	return &release.Target{
		ID: newID(), TenantID: tenant, Name: name, EnvironmentID: envID, Type: release.TargetDockerHost,
		Labels:     map[string]string{"zone": "a"},
		Connection: map[string]string{"socket": "/var/run/docker.sock"},
		SecretKeys: []string{"password"}, Sealed: []byte{0x01, 0x00, 0xfe, 0xff},
		HealthStatus: release.HealthUnknown, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

func (f *fixture) integration(tenant, name, typ string) *release.Integration {
	now := f.tick()
	return &release.Integration{
		ID: newID(), TenantID: tenant, Name: name, Type: typ,
		Config: release.IntegrationConfig{Endpoint: "127.0.0.1:5000", AuthMode: release.AuthNone,
			TimeoutSeconds: 30, Headers: map[string]string{}},
		HealthStatus: release.HealthUnknown, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

func (f *fixture) component(tenant, name, integrationID string) *release.Component {
	now := f.tick()
	return &release.Component{
		ID: newID(), TenantID: tenant, Name: name, DisplayName: name,
		ImageRepository: "127.0.0.1:5000/" + name, RegistryIntegrationID: integrationID,
		Versioning:     release.Versioning{Type: release.VersionSemver, TagPattern: `v\d+\.\d+\.\d+`},
		DefaultChannel: "stable", Metadata: map[string]string{"team": "core"},
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

func (f *fixture) release(tenant, name, application string, comps ...release.ReleaseComponent) *release.Release {
	now := f.tick()
	return &release.Release{
		ID: newID(), TenantID: tenant, Application: application, Name: name, DisplayName: name,
		Status: release.StatusDraft, Components: comps, CreatedBy: "ann",
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

// rc is a release component pinned to digest.
func rc(componentID, name, digest string) release.ReleaseComponent {
	return release.ReleaseComponent{ComponentID: componentID, Name: name,
		Repository: "127.0.0.1:5000/" + name, Digest: digest, Tag: "v1.0.0", Semver: "1.0.0", Role: release.RolePrimary}
}

// digest returns a valid-looking sha256 digest made from a short seed.
func digest(seed string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = hex[(int(seed[i%len(seed)])+i)%16]
	}
	return "sha256:" + string(b)
}

// must fails the test on err.
func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// sameJSON compares two values by their JSON form, which is how the API shows them.
func (f *fixture) sameJSON(what string, got, want any) {
	f.t.Helper()
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		f.t.Fatalf("%s: marshal: %v %v", what, err1, err2)
	}
	if string(g) != string(w) {
		f.t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// notFound checks that err is a *fault.NotFoundError for kind and key.
func (f *fixture) notFound(err error, kind, key string) {
	f.t.Helper()
	var nf *fault.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, fault.ErrNotFound) {
		f.t.Fatalf("want a NotFoundError for %s %q, got %v", kind, key, err)
	}
	if nf.Kind != kind || nf.Key != key {
		f.t.Errorf("NotFoundError names %s %q, want %s %q", nf.Kind, nf.Key, kind, key)
	}
}

// conflict checks that err is a *fault.ConflictError for kind and key whose
// reason contains reason.
func (f *fixture) conflict(err error, kind, key, reason string) {
	f.t.Helper()
	var ce *fault.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, fault.ErrConflict) {
		f.t.Fatalf("want a ConflictError for %s %q (%s), got %v", kind, key, reason, err)
	}
	if ce.Kind != kind || ce.Key != key || !strings.Contains(ce.Reason, reason) {
		f.t.Errorf("ConflictError is %q, want %s %q with a reason containing %q", ce.Error(), kind, key, reason)
	}
}

// names lists the Name of each item of a page, in order.
func names[T any](p *release.Page[T], name func(*T) string) []string {
	out := make([]string, len(p.Items))
	for i := range p.Items {
		out[i] = name(&p.Items[i])
	}
	return out
}

func (f *fixture) sameStrings(what string, got, want []string) {
	f.t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") || len(got) != len(want) {
		f.t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// raceOutcomes tallies concurrent writers of one version: a win, a lost
// race (a conflict) or anything else, which no writer should see.
type raceOutcomes struct {
	mu              sync.Mutex
	wins, conflicts int
	unexpected      []error
}

func (o *raceOutcomes) add(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case err == nil:
		o.wins++
	case errors.Is(err, fault.ErrConflict):
		o.conflicts++
	default:
		o.unexpected = append(o.unexpected, err)
	}
}

func (o *raceOutcomes) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.unexpected = append(o.unexpected, err)
}
