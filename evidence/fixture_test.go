package evidence

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/attest"
)

// Fixed keys from seeds: Ed25519 signatures are deterministic, so whole
// packets and packs are reproducible in tests.
func keyFromSeed(t testing.TB, b byte) (attest.Signer, attest.Verifier) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed([]byte(strings.Repeat(string(rune(b)), ed25519.SeedSize)))
	s, err := attest.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.NewVerifier(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func trustOf(vs ...attest.Verifier) attest.Trust { return attest.Trust{Verifiers: vs} }

func dg(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func at(h, m, s int) *time.Time {
	t := time.Date(2026, 3, 1, h, m, s, 0, time.UTC)
	return &t
}

// fixtureContent is a packet's content with every block of type t filled,
// its arrays deliberately out of order.
func fixtureContent(t Type) Content {
	c := Content{
		What: What{Release: Release{
			ID: "rel-231", Name: "myapp-v2.3.1", Digest: dg(1),
			Components: []Component{
				{Name: "worker", Repository: "registry.example/myapp/worker", Digest: dg(3)},
				{Name: "api", Repository: "registry.example/myapp/api", Digest: dg(2), Semver: "2.3.1"},
			},
			SourceRef: &SourceRef{SCM: "github", Repository: "acme/myapp", Commit: "0123456789abcdef0123456789abcdef01234567", Branch: "main"},
		}},
		Where: Where{
			Environment: Environment{ID: "env-prod", Name: "prod", Tier: "production"},
			Targets: []Target{
				{ID: "tg-2", Name: "prod-b", Type: "compose_host"},
				{ID: "tg-1", Name: "prod-a", Type: "docker_host"},
			},
		},
		Who: Who{
			Requester: Person{ID: "u-alice", Name: "Alice", Email: "alice@example.com"},
			Approvers: []Approver{
				{ID: "u-carol", Name: "Carol", Action: "approve", At: *at(10, 5, 0), Comment: "ship it"},
				{ID: "u-bob", Name: "Bob", Action: "approve", At: *at(10, 1, 0)},
			},
		},
		Why: Why{
			Decision: "allow", Phase: "pre-deploy",
			ReasonCodes: []string{"kev.none", "approvals.met", "kev.none"},
			Gates: []Gate{
				{ID: "security", Type: "security-thresholds", Status: "pass", ReasonCodes: []string{}, Message: "no finding above high"},
				{ID: "approvals", Type: "approvals", Status: "pass", ReasonCodes: []string{"approvals.met"}, Message: "2 of 2"},
			},
			DecisionRecordDigest: dg(10), InputsHash: dg(11),
		},
		When: When{RequestedAt: at(9, 0, 0), DecidedAt: at(10, 6, 0)},
	}
	switch t {
	case Deployment, Rollback:
		c.How = &How{
			WorkflowRunID: "run-7", DeploymentJobID: "job-7", Strategy: "rolling",
			Artifacts: []Artifact{
				{Type: "sticker", Name: "stella.version.json", ContentHash: dg(21)},
				{Type: "lockfile", Name: "compose.stella.lock.yml", ContentHash: dg(20)},
			},
			LogsDigest: dg(22),
		}
		c.When.StartedAt, c.When.CompletedAt = at(10, 7, 0), at(10, 9, 30)
	}
	switch t {
	case Rollback:
		c.Why = Why{Decision: "rollback", ReasonCodes: []string{"deploy.health-check-failed"}}
		c.Previous = &Previous{Release: ReleaseRef{ID: "rel-232", Name: "myapp-v2.3.2", Digest: dg(5)}, Reason: "health check failed on prod-b"}
	case ABPromotion:
		c.Why = Why{Decision: "promote", ReasonCodes: []string{"experiment.healthy"}}
		c.Previous = &Previous{Release: ReleaseRef{ID: "rel-230", Name: "myapp-v2.3.0", Digest: dg(4)}, Reason: "control"}
	}
	return c
}

func fixtureDraft(t Type) Draft {
	return Draft{
		ID: "0195f1c0-0000-7000-8000-00000000000" + fmt.Sprint(1+indexOf(t)), TenantID: "acme", PromotionID: "prom-1",
		Type: t, Content: fixtureContent(t), GeneratorVersion: "stella test", CreatedAt: *at(10, 10, 0),
	}
}

func indexOf(t Type) int {
	for i, x := range Types() {
		if x == t {
			return i
		}
	}
	return -1
}

func seal(t testing.TB, d Draft, s attest.Signer) *Packet {
	t.Helper()
	p, err := Seal(context.Background(), d, s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func canonical(t testing.TB, p *Packet) []byte {
	t.Helper()
	b, err := p.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shuffled reverses and shuffles every array of the content and moves its
// times to another zone with sub-second noise: none of it may change the hash.
func shuffled(c Content, r *rand.Rand) Content {
	shuffle := func(n int, swap func(i, j int)) { r.Shuffle(n, swap) }
	rel := &c.What.Release
	rel.Components = append([]Component(nil), rel.Components...)
	shuffle(len(rel.Components), func(i, j int) { rel.Components[i], rel.Components[j] = rel.Components[j], rel.Components[i] })
	c.Where.Targets = append([]Target(nil), c.Where.Targets...)
	shuffle(len(c.Where.Targets), func(i, j int) { c.Where.Targets[i], c.Where.Targets[j] = c.Where.Targets[j], c.Where.Targets[i] })
	zone := time.FixedZone("X", 5*3600+1800)
	c.Who.Approvers = append([]Approver(nil), c.Who.Approvers...)
	for i := range c.Who.Approvers {
		c.Who.Approvers[i].At = c.Who.Approvers[i].At.In(zone).Add(time.Duration(r.IntN(1e9)))
	}
	shuffle(len(c.Who.Approvers), func(i, j int) { c.Who.Approvers[i], c.Who.Approvers[j] = c.Who.Approvers[j], c.Who.Approvers[i] })
	c.Why.ReasonCodes = append(append([]string(nil), c.Why.ReasonCodes...), c.Why.ReasonCodes...)
	shuffle(len(c.Why.ReasonCodes), func(i, j int) {
		c.Why.ReasonCodes[i], c.Why.ReasonCodes[j] = c.Why.ReasonCodes[j], c.Why.ReasonCodes[i]
	})
	c.Why.Gates = append([]Gate(nil), c.Why.Gates...)
	shuffle(len(c.Why.Gates), func(i, j int) { c.Why.Gates[i], c.Why.Gates[j] = c.Why.Gates[j], c.Why.Gates[i] })
	if c.How != nil {
		h := *c.How
		h.Artifacts = append([]Artifact(nil), h.Artifacts...)
		shuffle(len(h.Artifacts), func(i, j int) { h.Artifacts[i], h.Artifacts[j] = h.Artifacts[j], h.Artifacts[i] })
		c.How = &h
	}
	if c.When.DecidedAt != nil {
		d := c.When.DecidedAt.In(zone).Add(time.Duration(r.IntN(1e9)))
		c.When.DecidedAt = &d
	}
	return c
}
