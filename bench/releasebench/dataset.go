package main

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/release"
)

// benchTenant owns every row the benchmark writes; the load generator's token
// is in the same tenant.
const benchTenant = "bench"

// baseTime is the creation time of the oldest release; the others spread over
// the following year. Fixed, so that a seed always yields the same rows.
var baseTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const span = 365 * 24 * time.Hour

var appNames = []string{
	"billing", "checkout", "catalog", "search", "identity", "payments", "notifications",
	"inventory", "shipping", "analytics", "gateway", "reporting", "recommendations",
	"pricing", "loyalty", "reviews", "media", "scheduler", "ledger", "support",
}

// componentPool holds the component names applications draw from. Some are
// generic (sidecars, migrators) and end up shared by several applications.
var componentPool = []string{
	"api-server", "web-frontend", "worker", "cron-runner", "db-migrator", "envoy-sidecar",
	"otel-collector", "redis-cache", "nginx-proxy", "auth-proxy", "event-consumer",
	"event-producer", "grpc-gateway", "graphql-api", "admin-ui", "batch-runner",
	"pdf-renderer", "image-resizer", "mailer", "sms-sender", "webhook-dispatcher",
	"search-indexer", "feature-flags", "rate-limiter", "session-store", "ledger-core",
	"fx-rates", "tax-engine", "fraud-scorer", "ml-inference", "feature-store",
	"report-builder", "export-worker", "import-worker", "audit-shipper", "log-forwarder",
	"config-agent", "vault-agent", "cert-renewer", "backup-agent", "cdn-purger",
	"sitemap-builder", "thumbnailer", "transcoder", "recommender", "ranker",
	"notifier", "scheduler-core", "inventory-sync", "carrier-adapter",
}

var releasers = []string{"ci:github-actions", "ci:gitlab", "alice", "bob", "carol", "ci:jenkins"}

// appSpec is one application: its components and a running version counter.
type appSpec struct {
	name       string
	components []string
	roles      []string
	digests    []string // current image digest per component; rolled now and then
	count      int
	weight     float64
}

// dataset generates the benchmark's releases deterministically from a seed.
// It never holds all releases at once: Next yields them oldest first.
type dataset struct {
	n     int
	rng   *rand.Rand
	apps  []*appSpec
	total float64
	step  time.Duration
	i     int

	// Probes: values seen while generating, for filters that must match.
	usedComponents map[string]bool
	sampleDigests  []string // component image digests of releases spread over the year
	sampleNames    []string // release names spread over the year
	releaseDigest  string   // one finalized release's own digest
	sampleAt       map[int]bool
}

func newDataset(n int, seed uint64) *dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x5ee11a))
	d := &dataset{n: n, rng: rng, step: span / time.Duration(max(n, 1)), usedComponents: map[string]bool{}, sampleAt: map[int]bool{}}
	pool := rng.Perm(len(componentPool))
	next := 0
	for i, name := range appNames {
		k := 1 + rng.IntN(3)
		a := &appSpec{name: name, weight: 1 / float64(1+i%7)} // some apps ship far more often
		for j := 0; j < k; j++ {
			var c string
			if j > 0 && rng.IntN(4) == 0 {
				c = componentPool[5+rng.IntN(3)] // a shared sidecar: envoy, otel, redis
			} else {
				c = componentPool[pool[next%len(pool)]]
				next++
			}
			if contains(a.components, c) {
				continue
			}
			a.components = append(a.components, c)
			role := release.RolePrimary
			if j > 0 {
				role = []string{release.RoleSidecar, release.RoleInit, release.RoleMigration}[rng.IntN(3)]
			}
			a.roles = append(a.roles, role)
			a.digests = append(a.digests, randDigest(rng))
		}
		d.total += a.weight
		d.apps = append(d.apps, a)
	}
	for k := 0; k < 8; k++ {
		d.sampleAt[(n-1)*k/7] = true // newest to oldest, evenly spread
	}
	return d
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func randDigest(rng *rand.Rand) string {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return "sha256:" + hex.EncodeToString(b[:])
}

// uuidV7At builds a UUIDv7 whose timestamp is t, so that id order is time order.
func uuidV7At(t time.Time, rng *rand.Rand) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	r1, r2 := rng.Uint64(), rng.Uint64()
	u[6] = 0x70 | byte(r1&0x0f)
	u[7] = byte(r1 >> 8)
	u[8] = 0x80 | byte((r1>>16)&0x3f)
	for i := 9; i < 16; i++ {
		u[i] = byte(r2 >> (8 * (i - 9)))
	}
	return u.String()
}

func (d *dataset) pickApp() *appSpec {
	x := d.rng.Float64() * d.total
	for _, a := range d.apps {
		if x < a.weight {
			return a
		}
		x -= a.weight
	}
	return d.apps[len(d.apps)-1]
}

// createdAt is the creation time of the i-th release: evenly spaced with jitter,
// strictly increasing.
func (d *dataset) createdAt(i int) time.Time {
	return baseTime.Add(time.Duration(i)*d.step + time.Duration(d.rng.Int64N(int64(d.step))))
}

// Next returns the next release, or nil after the last.
func (d *dataset) Next() (*release.Release, error) {
	if d.i >= d.n {
		return nil, nil
	}
	i := d.i
	d.i++
	created := d.createdAt(i).Truncate(time.Millisecond)
	a := d.pickApp()
	c := a.count
	a.count++
	r := &release.Release{
		ID:          uuidV7At(created, d.rng),
		TenantID:    benchTenant,
		Application: a.name,
		Name:        fmt.Sprintf("%s-v%d.%d.%d", a.name, 1+c/1000, (c/50)%20, c%50),
		Status:      release.StatusFinalized,
		CreatedBy:   releasers[d.rng.IntN(len(releasers))],
		CreatedAt:   created,
		UpdatedAt:   created,
		Version:     1,
		SourceRef: &release.SourceRef{
			SCM: "github", Repository: "https://github.com/example/" + a.name,
			Commit: randDigest(d.rng)[7:47], Branch: "main",
		},
	}
	r.DisplayName = r.Name
	for j, name := range a.components {
		if j == 0 || d.rng.IntN(3) == 0 { // the primary image changes every release, others now and then
			a.digests[j] = randDigest(d.rng)
		}
		r.Components = append(r.Components, release.ReleaseComponent{
			ComponentID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("stella-bench/component/"+name)).String(),
			Name:        name,
			Repository:  "registry.example.com/" + a.name + "/" + name,
			Digest:      a.digests[j],
			Tag:         fmt.Sprintf("%d.%d.%d", 1+c/1000, (c/50)%20, c%50),
			Semver:      fmt.Sprintf("%d.%d.%d", 1+c/1000, (c/50)%20, c%50),
			Role:        a.roles[j],
		})
		d.usedComponents[name] = true
	}
	switch x := d.rng.IntN(100); {
	case x < 5:
		r.Status = release.StatusDraft
	case x < 7:
		r.Status = release.StatusDeprecated
	}
	if r.Status != release.StatusDraft {
		_, digest, err := r.CanonicalManifest()
		if err != nil {
			return nil, err
		}
		r.Digest = digest
		fin := created.Add(time.Duration(1+d.rng.IntN(30)) * time.Minute)
		r.FinalizedAt, r.FinalizedBy, r.UpdatedAt, r.Version = &fin, r.CreatedBy, fin, 2
	}
	if d.sampleAt[i] {
		// The primary's digest is unique to this release; a sidecar's is often shared.
		d.sampleDigests = append(d.sampleDigests, r.Components[len(r.Components)-1].Digest)
		d.sampleNames = append(d.sampleNames, r.Name)
		if r.Digest != "" && d.releaseDigest == "" && i > d.n/3 {
			d.releaseDigest = r.Digest
		}
	}
	if d.releaseDigest == "" && r.Digest != "" && i > d.n/2 {
		d.releaseDigest = r.Digest
	}
	return r, nil
}
