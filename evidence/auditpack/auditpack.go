package auditpack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/tenant"
)

// Store is what a pack is gathered from; *store.DB implements it.
type Store interface {
	GetPromotion(ctx context.Context, tenant, id string) (*release.Promotion, error)
	Packets(ctx context.Context, tenant, promotionID string) ([]evidence.Packet, error)
	GetRelease(ctx context.Context, tenant, key string) (*release.Release, error)
	SBOMByImage(ctx context.Context, tenant, imageDigest string) (*sbom.Record, error)
	Decision(ctx context.Context, tenant, recordDigest string) (*record.Stored, error)
	// GateInputs holds the inputs the decision records name.
	GateInputs(tenant string) record.CAS
}

// ErrNoEvidence: the promotion has no sealed packet yet, so there is no
// pack to write.
var ErrNoEvidence = &fault.PreconditionError{Kind: "promotion", Code: "NO_EVIDENCE",
	Reason: "the promotion has no evidence packet yet (no final decision was made)"}

// Contents is what a pack of one promotion holds.
type Contents struct {
	Packets []*evidence.Packet
	Files   []evidence.File
}

// Write gathers the evidence of a promotion of the tenant in ctx and writes
// it as an audit pack signed by signer. The same stored evidence gives the
// same bytes.
func Write(ctx context.Context, w io.Writer, s Store, promotionID string, signer attest.Signer) error {
	c, err := Gather(ctx, s, promotionID)
	if err != nil {
		return err
	}
	return evidence.Export(ctx, w, c.Packets, c.Files, signer)
}

// Gather reads a promotion of the tenant in ctx, its packets and the files
// behind them. Another tenant's promotion is not found. A decision input
// the records name but the store lacks is an error, never a pack without it.
func Gather(ctx context.Context, s Store, promotionID string) (*Contents, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.GetPromotion(ctx, sc.Tenant, promotionID)
	if err != nil {
		return nil, err
	}
	stored, err := s.Packets(ctx, sc.Tenant, p.ID)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		pe := *ErrNoEvidence
		pe.Key = p.ID
		return nil, &pe
	}
	g := &gatherer{s: s, tenant: sc.Tenant, cas: s.GateInputs(sc.Tenant), seen: map[string]bool{}}
	c := &Contents{}
	digests := slices.Clone(p.DecisionIDs)
	for i := range stored {
		pk := &stored[i]
		c.Packets = append(c.Packets, pk)
		raw, err := pk.Canonical()
		if err != nil {
			return nil, err
		}
		info, err := evidence.Inspect(raw)
		if err != nil {
			return nil, fmt.Errorf("auditpack: packet %s: %w", pk.ID, err)
		}
		if d := info.Content.Why.DecisionRecordDigest; d != "" {
			digests = append(digests, d)
		}
	}
	slices.Sort(digests)
	for _, d := range slices.Compact(digests) {
		if err := g.decision(ctx, d); err != nil {
			return nil, err
		}
	}
	rel, err := s.GetRelease(ctx, sc.Tenant, p.ReleaseID)
	if err != nil {
		return nil, err
	}
	if err := g.sboms(ctx, rel); err != nil {
		return nil, err
	}
	c.Files = g.files
	return c, nil
}

type gatherer struct {
	s      Store
	tenant string
	cas    record.CAS
	files  []evidence.File
	seen   map[string]bool // kind/name already added
}

func (g *gatherer) add(f evidence.File) {
	key := string(f.Kind) + "/" + f.Name
	if !g.seen[key] {
		g.seen[key] = true
		g.files = append(g.files, f)
	}
}

// decision adds a record, its VEX consensus, exception log and policy
// bundles.
func (g *gatherer) decision(ctx context.Context, digest string) error {
	st, err := g.s.Decision(ctx, g.tenant, digest)
	if err != nil {
		return fmt.Errorf("auditpack: decision record %s: %w", digest, err)
	}
	f, err := evidence.DecisionFile(st.Decision)
	if err != nil {
		return err
	}
	g.add(f)
	rec := st.Decision
	in, err := g.get(ctx, "input document", rec.Inputs.InputDocumentDigest)
	if err != nil {
		return err
	}
	input, err := gate.UnmarshalReplayInput(in)
	if err != nil {
		return fmt.Errorf("auditpack: input document of %s: %w", digest, err)
	}
	if f, err = vexFile(rec, input); err != nil {
		return err
	}
	g.add(f)
	ex, err := g.get(ctx, "exceptions", rec.Inputs.ExceptionsDigest)
	if err != nil {
		return err
	}
	g.add(evidence.File{Kind: evidence.KindException, Name: hexOf(rec.Inputs.ExceptionsDigest) + ".json", Data: ex})
	if rec.Inputs.PolicyDigest != "" {
		return g.policies(ctx, rec.Inputs.PolicyDigest)
	}
	return nil
}

// policies adds the files of the bundle (or list of bundles) behind a
// policyDigest as policy/<bundle hex>/<path>.
func (g *gatherer) policies(ctx context.Context, digest string) error {
	raw, err := g.get(ctx, "policy", digest)
	if err != nil {
		return err
	}
	bundles := []string{digest}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		bundles = list
	}
	for _, d := range bundles {
		b, err := record.LoadBundle(ctx, g.cas, d)
		if err != nil {
			return fmt.Errorf("auditpack: policy bundle %s: %w", d, err)
		}
		files := b.Files()
		for _, p := range b.Paths() {
			g.add(evidence.File{Kind: evidence.KindPolicy, Name: hexOf(d) + "/" + p, Data: files[p]})
		}
	}
	return nil
}

// sboms adds the stored SBOM of each component image of the release, named
// by its content digest (the record's inputs.sbomDigests).
func (g *gatherer) sboms(ctx context.Context, rel *release.Release) error {
	for _, c := range rel.Components {
		r, err := g.s.SBOMByImage(ctx, g.tenant, c.Digest)
		if errors.Is(err, sbom.ErrNotFound) {
			continue // the decisions denied it as input.sbom-missing
		}
		if err != nil {
			return fmt.Errorf("auditpack: sbom of %s: %w", c.Name, err)
		}
		g.add(evidence.File{Kind: evidence.KindSBOM, Name: hexOf(r.ContentDigest) + ".json", Data: r.Document})
	}
	return nil
}

// get reads a decision input from the CAS, which checks its digest.
func (g *gatherer) get(ctx context.Context, what, digest string) ([]byte, error) {
	b, err := g.cas.Get(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("auditpack: %s %s: %w", what, digest, err)
	}
	if got := canon.SHA256(b); got != digest {
		return nil, fmt.Errorf("auditpack: %s %s: %w: the store holds %s", what, digest, record.ErrDigestMismatch, got)
	}
	return b, nil
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }
