package evidence_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
)

func ExampleSeal() {
	ctx := context.Background()
	// A fixed key keeps the example's output stable; a server loads its evidence key.
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	signer, _ := attest.NewSigner(priv)
	verifier, _ := attest.NewVerifier(priv.Public())

	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p, err := evidence.Seal(ctx, evidence.Draft{
		ID: "0195f1c0-0000-7000-8000-000000000001", TenantID: "acme", PromotionID: "prom-1",
		Type: evidence.Deployment, GeneratorVersion: "stella example", CreatedAt: at,
		Content: evidence.Content{
			What: evidence.What{Release: evidence.Release{ID: "rel-1", Name: "myapp-v2.3.1",
				Digest:     "sha256:" + fmt.Sprintf("%064d", 1),
				Components: []evidence.Component{{Name: "api", Repository: "registry.example/api", Digest: "sha256:" + fmt.Sprintf("%064d", 2)}}}},
			Where: evidence.Where{Environment: evidence.Environment{ID: "env-1", Name: "prod", Tier: "production"}},
			Who:   evidence.Who{Requester: evidence.Person{ID: "u-alice"}},
			Why:   evidence.Why{Decision: "allow", Phase: "pre-deploy"},
			How:   &evidence.How{DeploymentJobID: "job-1", Strategy: "rolling"},
			When:  evidence.When{StartedAt: &at},
		},
	}, signer)
	if err != nil {
		fmt.Println(err)
		return
	}
	packetJSON, _ := p.Canonical()
	info, err := evidence.Verify(ctx, packetJSON, attest.Trust{Verifiers: []attest.Verifier{verifier}})
	fmt.Println(info.Type, info.Subjects[0].Name, info.ContentHash, err)

	var pack bytes.Buffer
	_ = evidence.Export(ctx, &pack, []*evidence.Packet{p}, nil, signer)
	verified, err := evidence.VerifyPack(ctx, &pack, attest.Trust{Verifiers: []attest.Verifier{verifier}})
	fmt.Println(verified.Manifest.Entries[0].Path, len(verified.Packets), err)
	// Output:
	// deployment release:myapp-v2.3.1 sha256:c1132f966ee085cc1cc016f45e8a64844716ee40a67b4b4fc9750928bb5e3bb0 <nil>
	// packets/0195f1c0-0000-7000-8000-000000000001.json 1 <nil>
}
