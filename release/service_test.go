package release_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/seal"
	"github.com/stella-ops/stella/store"
	"github.com/stella-ops/stella/tenant"
)

// fixture is a Service over a SQLite file, with a real OCI registry in process.
type fixture struct {
	svc    *release.Service
	ctx    context.Context
	host   string
	dbPath string
	events *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []release.Event
}

func (l *eventLog) Publish(_ context.Context, e release.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.Type)
	}
	return out
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	dbPath := filepath.Join(t.TempDir(), "stella.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	events := &eventLog{}
	clock := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	svc := release.NewService(db, box, release.WithPublisher(events), release.WithClock(func() time.Time { return clock }))
	ctx := tenant.WithScope(context.Background(), tenant.Scope{Tenant: "acme", Actor: "alice"})
	return &fixture{svc: svc, ctx: ctx, host: strings.TrimPrefix(reg.URL, "http://"), dbPath: dbPath, events: events}
}

// push writes a random image under repo:tag and returns its digest.
func (f *fixture) push(t *testing.T, repo, tag string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(f.host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return digestOf(t, img)
}

func digestOf(t *testing.T, img v1.Image) string {
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// catalog creates the registry integration and the "api" component.
func (f *fixture) catalog(t *testing.T) *release.Component {
	t.Helper()
	_, err := f.svc.CreateIntegration(f.ctx, release.IntegrationSpec{
		Name: "hub", Type: release.IntegrationOCI,
		Config:     release.IntegrationConfig{Endpoint: f.host, Insecure: true},
		Credential: &release.Credential{Username: "robot", Password: "s3cr3t-registry-password"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.CreateComponent(f.ctx, release.ComponentSpec{Name: "api", ImageRepository: "team/api", Registry: "hub"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReleaseByTagKeepsItsDigestWhenTheTagMoves(t *testing.T) {
	f := newFixture(t)
	first := f.push(t, "team/api", "v2.3.1")
	f.push(t, "team/api", "not-a-version")
	c := f.catalog(t)
	if c.ImageRepository != f.host+"/team/api" {
		t.Fatalf("repository = %q, want it qualified with the registry host", c.ImageRepository)
	}

	sync1, err := f.svc.SyncVersions(f.ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	if len(sync1.Added) != 1 || sync1.Added[0].Tag != "v2.3.1" || sync1.Added[0].Digest != first || sync1.Added[0].Semver != "2.3.1" {
		t.Fatalf("first sync added %+v, want v2.3.1 → %s", sync1.Added, first)
	}
	if len(sync1.Skipped) != 1 || sync1.Skipped[0] != "not-a-version" {
		t.Fatalf("skipped %v, want the non-semver tag", sync1.Skipped)
	}

	rel, err := f.svc.CreateRelease(f.ctx, release.Draft{Name: "myapp-v2.3.1"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Application != "myapp" || rel.Status != release.StatusDraft {
		t.Fatalf("draft = %+v", rel)
	}
	rel, err = f.svc.AddComponent(f.ctx, rel.Name, release.ComponentRef{Component: "api", Tag: "v2.3.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rel.Components[0]; got.Digest != first || got.Tag != "v2.3.1" || got.Ref() != f.host+"/team/api@"+first {
		t.Fatalf("pinned %+v, want digest %s", got, first)
	}
	rel, err = f.svc.FinalizeRelease(f.ctx, rel.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rel.Digest, "sha256:") || rel.VerifyDigest() != nil || rel.FinalizedBy != "alice" {
		t.Fatalf("finalized release %+v: digest must be the manifest's sha256", rel)
	}

	// Push another image under the same tag: the tag moves, the release does not.
	second := f.push(t, "team/api", "v2.3.1")
	if second == first {
		t.Fatal("random images collided")
	}
	sync2, err := f.svc.SyncVersions(f.ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	if len(sync2.Added) != 1 || sync2.Added[0].Digest != second {
		t.Fatalf("second sync added %+v, want the moved tag", sync2.Added)
	}
	history, err := f.svc.Versions(f.ctx, "api", release.VersionFilter{Tag: "v2.3.1"}, release.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(history.Items) != 2 || history.Items[0].Digest != second || history.Items[1].Digest != first {
		t.Fatalf("version map for v2.3.1 = %+v, want the new entry then the old one", history.Items)
	}
	again, err := f.svc.Release(f.ctx, "myapp-v2.3.1")
	if err != nil {
		t.Fatal(err)
	}
	if again.Components[0].Digest != first || again.Digest != rel.Digest {
		t.Fatalf("release changed after the tag moved: %+v", again)
	}
	if n := strings.Count(strings.Join(f.events.types(), " "), "version.updated"); n != 2 {
		t.Fatalf("events %v, want version.updated once per sync that added an entry", f.events.types())
	}

	// A finalized release is immutable.
	_, err = f.svc.AddComponent(f.ctx, rel.ID, release.ComponentRef{Component: "api", Digest: second})
	var conflict *fault.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "myapp-v2.3.1") {
		t.Fatalf("editing a finalized release: %v, want a conflict naming it", err)
	}
	if _, err := f.svc.FinalizeRelease(f.ctx, rel.ID); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("finalizing twice: %v, want conflict", err)
	}
	if err := f.svc.DeleteRelease(f.ctx, rel.ID); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("deleting a finalized release: %v, want conflict", err)
	}
}

func TestAddComponentRefusesAnUnknownTagByName(t *testing.T) {
	f := newFixture(t)
	f.push(t, "team/api", "v1.0.0")
	f.catalog(t)
	rel, err := f.svc.CreateRelease(f.ctx, release.Draft{Name: "myapp-v1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddComponent(f.ctx, rel.ID, release.ComponentRef{Component: "api", Tag: "v9.9.9"})
	var verr *fault.ValidationError
	if !errors.As(err, &verr) || verr.Fields[0].Field != "tag" || !strings.Contains(err.Error(), `"v9.9.9"`) {
		t.Fatalf("unknown tag: %v, want a validation error on tag naming v9.9.9", err)
	}
	_, err = f.svc.AddComponent(f.ctx, rel.ID, release.ComponentRef{Component: "api", Digest: "sha256:" + strings.Repeat("0", 64)})
	if !errors.As(err, &verr) || verr.Fields[0].Field != "digest" {
		t.Fatalf("unknown digest: %v, want a validation error on digest", err)
	}
	if _, err := f.svc.FinalizeRelease(f.ctx, rel.ID); !errors.As(err, &verr) {
		t.Fatalf("finalizing an empty release: %v, want a validation error", err)
	}
}

func TestUnreachableRegistryIsNamed(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateIntegration(f.ctx, release.IntegrationSpec{Name: "gone", Type: release.IntegrationOCI,
		Config: release.IntegrationConfig{Endpoint: "127.0.0.1:1", Insecure: true, TimeoutSeconds: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateComponent(f.ctx, release.ComponentSpec{Name: "web", ImageRepository: "web", Registry: "gone"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.SyncVersions(f.ctx, "web")
	var unreachable *fault.UnreachableError
	if !errors.As(err, &unreachable) || !strings.Contains(err.Error(), `registry "gone" (127.0.0.1:1)`) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("sync against a dead registry: %v, want an error naming the registry and the cause", err)
	}
	in, err := f.svc.TestIntegration(f.ctx, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if in.HealthStatus != release.HealthUnhealthy || !strings.Contains(in.LastHealthMessage, "connection refused") || in.LastHealthCheckAt == nil {
		t.Fatalf("health after a failed test = %s %q", in.HealthStatus, in.LastHealthMessage)
	}
}

func TestIntegrationHealthAndConnectionProfile(t *testing.T) {
	f := newFixture(t)
	f.catalog(t)
	in, err := f.svc.TestIntegration(f.ctx, "hub")
	if err != nil {
		t.Fatal(err)
	}
	if in.HealthStatus != release.HealthHealthy || !in.HasCredential {
		t.Fatalf("tested integration = %+v", in)
	}
	if got := f.events.types(); len(got) != 1 || got[0] != "integration.health_changed" {
		t.Fatalf("events = %v, want integration.health_changed", got)
	}
	// The next integration of the type reuses the credential only when asked...
	reused, err := f.svc.CreateIntegration(f.ctx, release.IntegrationSpec{Name: "hub-ci", Type: release.IntegrationOCI, ReuseCredential: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reused.HasCredential || reused.Config.AuthMode != release.AuthBasic || reused.Config.Endpoint != f.host {
		t.Fatalf("reused credential: %+v", reused)
	}
	// ...otherwise it is pre-filled from the profile, without the credential.
	plain, err := f.svc.CreateIntegration(f.ctx, release.IntegrationSpec{Name: "hub-mirror", Type: release.IntegrationOCI})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Config.Endpoint != f.host || !plain.Config.Insecure || plain.HasCredential {
		t.Fatalf("pre-filled integration = %+v, want the profile's endpoint and no credential", plain)
	}
	_, err = f.svc.CreateIntegration(f.ctx, release.IntegrationSpec{Name: "hub-x", Type: release.IntegrationOCI, ReuseCredential: true})
	if !errors.Is(err, fault.ErrValidation) || !strings.Contains(err.Error(), `"hub-mirror"`) {
		t.Fatalf("reusing from a profile without a credential: %v, want a validation error naming it", err)
	}
	// Secrets are sealed in the file: the plaintext appears nowhere on disk.
	for _, path := range []string{f.dbPath, f.dbPath + "-wal"} {
		raw, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("s3cr3t-registry-password")) {
			t.Fatalf("%s holds the registry password in plaintext", filepath.Base(path))
		}
	}
}

func TestDeletingAnEnvironmentWithTargetsConflictsAndKeepsIt(t *testing.T) {
	f := newFixture(t)
	prod, err := f.svc.CreateEnvironment(f.ctx, release.EnvironmentSpec{Name: "prod", OrderIndex: 2, Tier: release.TierProduction, RequiredApprovals: 2, RequireSeparationOfDuties: true})
	if err != nil {
		t.Fatal(err)
	}
	if !prod.IsProduction() || !prod.RequirePreviousEnvironment || prod.Config.DeploymentTimeoutSeconds != 600 {
		t.Fatalf("prod defaults = %+v", prod)
	}
	_, err = f.svc.RegisterTarget(f.ctx, release.TargetSpec{Name: "web-1", Environment: "prod", Type: release.TargetDockerHost,
		Connection: map[string]string{"socket": "/var/run/docker.sock"}, Secrets: map[string]string{"tlsKey": "-----PRIVATE KEY material-----"}})
	if err != nil {
		t.Fatal(err)
	}
	err = f.svc.DeleteEnvironment(f.ctx, "prod")
	if !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), `"prod"`) || !strings.Contains(err.Error(), "1 target") {
		t.Fatalf("deleting prod with a target: %v, want a conflict naming prod and its target", err)
	}
	if _, err := f.svc.Environment(f.ctx, "prod"); err != nil {
		t.Fatalf("prod is gone after a refused delete: %v", err)
	}
	secrets, err := f.svc.TargetSecrets(f.ctx, "web-1")
	if err != nil || secrets["tlsKey"] != "-----PRIVATE KEY material-----" {
		t.Fatalf("target secrets = %v, %v", secrets, err)
	}
	if err := f.svc.UnregisterTarget(f.ctx, "web-1"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteEnvironment(f.ctx, "prod"); err != nil {
		t.Fatalf("deleting an empty environment: %v", err)
	}
}

func TestValidationListsEveryBadField(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateEnvironment(f.ctx, release.EnvironmentSpec{Name: "Prod!", OrderIndex: -1, Tier: "live",
		FreezeWindows: []release.FreezeWindow{{Start: time.Unix(100, 0), End: time.Unix(50, 0)}}})
	var verr *fault.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a validation error", err)
	}
	var fields []string
	for _, fe := range verr.Fields {
		fields = append(fields, fe.Field)
	}
	if got := strings.Join(fields, ","); got != "freezeWindows[0].end,name,orderIndex,tier" {
		t.Fatalf("fields = %s", got)
	}
	if _, err := f.svc.CreateEnvironment(f.ctx, release.EnvironmentSpec{Name: "dev", Tier: release.TierDevelopment}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateEnvironment(f.ctx, release.EnvironmentSpec{Name: "dev", OrderIndex: 1, Tier: release.TierDevelopment})
	if !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), `"dev"`) {
		t.Fatalf("duplicate name: %v, want a conflict naming dev", err)
	}
}

func TestTenantsAreIsolatedAndEveryChangeIsAudited(t *testing.T) {
	f := newFixture(t)
	env, err := f.svc.CreateEnvironment(f.ctx, release.EnvironmentSpec{Name: "dev", Tier: release.TierDevelopment})
	if err != nil {
		t.Fatal(err)
	}
	other := tenant.WithScope(context.Background(), tenant.Scope{Tenant: "globex", Actor: "bob"})
	if _, err := f.svc.Environment(other, env.ID); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("tenant globex reading acme's environment: %v, want not found", err)
	}
	if err := f.svc.DeleteEnvironment(other, "dev"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("tenant globex deleting acme's environment: %v, want not found", err)
	}
	if _, err := f.svc.Environment(context.Background(), "dev"); !errors.Is(err, tenant.ErrNoScope) {
		t.Fatalf("no scope: %v, want ErrNoScope", err)
	}
	audit, err := f.svc.Audit(f.ctx, release.AuditFilter{}, release.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Items) != 1 || audit.Items[0].Action != "environment.create" || audit.Items[0].Actor != "alice" || audit.Items[0].EntityID != env.ID || !strings.HasPrefix(audit.Items[0].AfterDigest, "sha256:") {
		t.Fatalf("audit = %+v", audit.Items)
	}
	if theirs, _ := f.svc.Audit(other, release.AuditFilter{}, release.ListOptions{}); len(theirs.Items) != 0 {
		t.Fatalf("globex sees acme's audit entries: %+v", theirs.Items)
	}
}

func TestSameManifestGivesSameDigestAcrossTenants(t *testing.T) {
	a := release.Release{Name: "myapp-v1", Components: []release.ReleaseComponent{
		{Name: "web", Repository: "r.io/web", Digest: "sha256:" + strings.Repeat("b", 64), Role: "primary", Tag: "v1"},
		{Name: "api", Repository: "r.io/api", Digest: "sha256:" + strings.Repeat("a", 64), Role: "primary"},
	}, TenantID: "acme", ID: "1"}
	b := a
	b.TenantID, b.ID = "globex", "2"
	b.Components = []release.ReleaseComponent{a.Components[1], a.Components[0]} // other order, no tag
	b.Components[1].Tag = ""
	ma, da, err := a.CanonicalManifest()
	if err != nil {
		t.Fatal(err)
	}
	_, db, _ := b.CanonicalManifest()
	if da != db {
		t.Fatalf("digests differ: %s vs %s", da, db)
	}
	want := `{"components":[{"digest":"sha256:` + strings.Repeat("a", 64) + `","name":"api","repository":"r.io/api","role":"primary"},{"digest":"sha256:` + strings.Repeat("b", 64) + `","name":"web","repository":"r.io/web","role":"primary"}],"name":"myapp-v1","schema":"stella.release/v1"}`
	if string(ma) != want {
		t.Fatalf("manifest\n%s\nwant\n%s", ma, want)
	}
}
