package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/tenant"
)

// advisoryCache keeps, per tenant, the advisory snapshot prepared from
// the effective view (its matcher and canonical digest), rebuilt only when
// an import changed the view: the observations (the snapshot id) or the
// KEV and EPSS enrichment, which the snapshot id does not name.
type advisoryCache struct {
	mu       sync.Mutex
	byTenant map[string]cachedAdvisories
}

type cachedAdvisories struct {
	key        string
	advisories *scan.Advisories
}

// get returns the prepared snapshot of effs, building it when the cached
// one is of another view. A view stored without a snapshot id is never
// cached.
func (c *advisoryCache) get(tenant, snapshot string, effs []advisory.Effective) (*scan.Advisories, error) {
	key := ""
	if snapshot != "" {
		key = snapshot + "+" + enrichmentKey(effs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.byTenant[tenant]; ok && key != "" && a.key == key {
		return a.advisories, nil
	}
	advs, err := scan.FromEffective(effs)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if c.byTenant == nil {
			c.byTenant = map[string]cachedAdvisories{}
		}
		c.byTenant[tenant] = cachedAdvisories{key: key, advisories: advs}
	}
	return advs, nil
}

// enrichmentKey hashes the KEV and EPSS data of a view, in its order.
func enrichmentKey(effs []advisory.Effective) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for i := range effs {
		if e := &effs[i]; e.KEV != nil || e.EPSS != nil {
			_ = enc.Encode([]any{e.ID, e.KEV, e.EPSS}) // writes to a hash cannot fail
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// effectiveView is the tenant's effective advisories for one request: the
// prepared snapshot and the records by group id.
type effectiveView struct {
	snapshot   advisory.Snapshot
	advisories *scan.Advisories
	byID       map[string]*advisory.Effective
}

func (r *Resolver) effectiveView(ctx context.Context) (*effectiveView, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	effs, snap, err := r.Advisories.EffectiveAll(ctx, sc.Tenant)
	if err != nil {
		return nil, err
	}
	advs, err := r.snapshots.get(sc.Tenant, snap.ID, effs)
	if err != nil {
		return nil, err
	}
	v := &effectiveView{snapshot: snap, advisories: advs, byID: make(map[string]*advisory.Effective, len(effs))}
	for i := range effs {
		v.byID[effs[i].ID] = &effs[i]
	}
	return v, nil
}

// findings matches one stored SBOM against the view.
func (v *effectiveView) findings(ctx context.Context, rec *sbom.Record) ([]model.Finding, error) {
	doc, _, err := codec.Decode(bytes.NewReader(rec.Document))
	if err != nil {
		return nil, err
	}
	rep, err := v.advisories.Match(ctx, doc)
	if err != nil {
		return nil, err
	}
	out := make([]model.Finding, 0, len(rep.Findings))
	for _, f := range rep.Findings {
		eff := v.byID[f.AdvisoryID]
		if eff == nil {
			continue // the snapshot only knows advisories of the view
		}
		out = append(out, model.Finding{
			Sbom:             rec.ContentDigest,
			ImageDigest:      rec.ImageDigest,
			Purl:             f.Package,
			PackageKey:       &f.PackageKey,
			InstalledVersion: f.InstalledVersion,
			AdvisoryID:       f.AdvisoryID,
			Aliases:          f.Aliases,
			Advisory:         eff,
			Severity:         chosenSeverity(eff),
			FixedVersions:    f.FixedVersions,
			Kev:              f.KEV,
			Epss:             f.EPSS,
			Evidence:         &f.Evidence,
		})
	}
	return out, nil
}

// sbomFindings returns the findings of the stored SBOM with this content digest.
func (r *Resolver) sbomFindings(ctx context.Context, contentDigest string) ([]model.Finding, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := r.SBOMs.SBOMByDigest(ctx, sc.Tenant, contentDigest)
	if err != nil {
		return nil, err
	}
	v, err := r.effectiveView(ctx)
	if err != nil {
		return nil, err
	}
	return v.findings(ctx, rec)
}

// releaseFindings returns the findings of every scanned image of a release,
// each SBOM once even when several components share an image.
func (r *Resolver) releaseFindings(ctx context.Context, rel *release.Release) ([]model.Finding, error) {
	items, err := r.releaseSBOMs(ctx, rel)
	if err != nil {
		return nil, err
	}
	out := []model.Finding{}
	if !slices.ContainsFunc(items, func(it model.ReleaseSbom) bool { return it.Sbom != nil }) {
		return out, nil // nothing scanned: no need to load the advisories
	}
	v, err := r.effectiveView(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, it := range items {
		if it.Sbom == nil || seen[it.Sbom.ContentDigest] {
			continue
		}
		seen[it.Sbom.ContentDigest] = true
		fs, err := v.findings(ctx, it.Sbom)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// sbomsAffectedBy resolves advisory ids or aliases to effective groups and
// returns the stored SBOMs holding a package those groups name: the SBOMs to
// match again after an import changed them (advisory.AffectedSBOMs, with the
// groups as added).
func (r *Resolver) sbomsAffectedBy(ctx context.Context, ids []string) (*model.AffectedSboms, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	res := &model.AffectedSboms{Advisories: []string{}, Unknown: []string{}}
	var groups []advisory.Effective
	for _, id := range ids {
		eff, err := r.Advisories.Effective(ctx, sc.Tenant, id)
		switch {
		case errors.Is(err, advisory.ErrNotFound):
			res.Unknown = append(res.Unknown, id)
			continue
		case err != nil:
			return nil, err
		}
		if !slices.Contains(res.Advisories, eff.ID) {
			res.Advisories = append(res.Advisories, eff.ID)
			groups = append(groups, *eff)
		}
	}
	slices.Sort(res.Advisories)
	res.Sboms, err = advisory.AffectedSBOMs(ctx, r.SBOMs, sc.Tenant, nil, groups)
	return res, err
}

// advisorySnapshot returns the snapshot of the tenant's effective view, nil
// before any import.
func (r *Resolver) advisorySnapshot(ctx context.Context) (*advisory.Snapshot, error) {
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	_, snap, err := r.Advisories.EffectiveAll(ctx, sc.Tenant)
	if err != nil || snap.ID == "" {
		return nil, err
	}
	return &snap, nil
}

// chosenSeverity is the record's precedence winner, with its source.
func chosenSeverity(e *advisory.Effective) *model.Severity {
	if e.Severity == nil {
		return nil
	}
	s := newSeverity(*e.Severity)
	for _, p := range e.Provenance {
		if p.Pointer == "/severity" {
			s.Source = &p.Source
			break
		}
	}
	return s
}

// newSeverity converts an effective severity: a label and maybe a vector.
func newSeverity(es advisory.EffectiveSeverity) *model.Severity {
	s := &model.Severity{Rating: string(es.Label)}
	if c := es.CVSS; c != nil {
		t := string(advisory.CVSSv3)
		if c.Version == "4.0" {
			t = string(advisory.CVSSv4)
		}
		s.Type, s.Vector, s.Score = &t, &c.Vector, c.BaseScore
	}
	return s
}
