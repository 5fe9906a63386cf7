package decide

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/builtin"
	"github.com/stella-ops/stella/gate/exception"
	"github.com/stella-ops/stella/gate/policy"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/scan"
)

// Decider turns Requests into decision records. It holds a prepared gate
// engine (configuration resolved and every policy bundle compiled once)
// and is safe for concurrent use.
type Decider struct {
	engine *gate.Engine
}

// Option configures a Decider.
type Option func(*options)

type options struct {
	cfg     gate.Config
	bundles []*policy.Bundle
	engine  []gate.Option
}

// WithConfig sets the gates (default builtin.DefaultConfig).
func WithConfig(cfg gate.Config) Option { return func(o *options) { o.cfg = cfg } }

// WithPolicies adds Rego policy bundles. A bundle no policy gate names by
// digest gets a policy gate of its own (gate.Config.WithPolicyGates).
func WithPolicies(bundles ...*policy.Bundle) Option {
	return func(o *options) { o.bundles = append(o.bundles, bundles...) }
}

// WithEngineOptions passes options to the gate engine (gate timeout,
// engine version, gate types: gate.WithTypes replaces the built-in types,
// so pass builtin.Types() with plugin types added to extend them).
func WithEngineOptions(opts ...gate.Option) Option {
	return func(o *options) { o.engine = append(o.engine, opts...) }
}

// New prepares a Decider; ctx bounds the preparation.
func New(ctx context.Context, opts ...Option) (*Decider, error) {
	o := options{cfg: builtin.DefaultConfig()}
	for _, opt := range opts {
		opt(&o)
	}
	cfg := o.cfg.WithPolicyGates(o.bundles...)
	eng, err := gate.NewEngine(ctx, append([]gate.Option{gate.WithConfig(cfg), gate.WithPolicies(o.bundles...),
		gate.WithTypes(builtin.Types()), gate.WithDefaults(builtin.Defaults)}, o.engine...)...)
	if err != nil {
		return nil, err
	}
	return &Decider{engine: eng}, nil
}

// Decide builds the Input of req and decides it. The Input is returned
// too: explanations read the findings behind each failing gate from it.
func (d *Decider) Decide(ctx context.Context, req Request, opts ...gate.DecideOption) (*gate.Decision, *gate.Input, error) {
	in, meta, err := Input(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	rec, err := d.engine.Decide(ctx, in, meta, opts...)
	if err != nil {
		return nil, nil, err
	}
	return rec, in, nil
}

// Input builds the gate Input of req and the metadata its record names:
// each image's SBOM is matched against the advisory snapshot (each SBOM
// once), every finding gets its VEX verdict with the image digest as
// product, and the exception log as known at the cut-off is applied.
// Replay goes through here too, so a replay differs only where an input
// did.
func Input(ctx context.Context, req Request) (*gate.Input, gate.DecideMeta, error) {
	if req.Cutoff.IsZero() {
		return nil, gate.DecideMeta{}, errors.New("decide: request has no cut-off")
	}
	cutoff := req.Cutoff.UTC().Truncate(time.Second)
	exs, revs := exception.LogAt(req.Exceptions, req.Revocations, cutoff)
	sc := scanner(req)
	b := builder{sc: sc, cutoff: cutoff, envName: req.Environment.Name, exs: exs, revs: revs, docs: map[string]*scanned{}}

	rel, findings, err := b.release(ctx, req.Release)
	if err != nil {
		return nil, gate.DecideMeta{}, err
	}
	in := &gate.Input{
		Schema:            gate.InputSchema,
		Phase:             cmp.Or(req.Phase, gate.PhaseRequest),
		ClockCutoff:       cutoff,
		Release:           rel,
		Environment:       req.Environment,
		TargetEnvironment: req.Environment.Name,
		Requester:         req.Requester,
		Findings:          findings,
		SBOM:              b.summary,
		Approvals:         req.Approvals,
		ImagesWithoutSBOM: b.withoutSBOM,
	}
	meta := gate.DecideMeta{Tenant: req.Tenant, PromotionID: req.PromotionID, Exceptions: exs, Revocations: revs,
		Inputs: gate.InputDigests{SBOMDigests: b.summary.Digests}}
	if req.Advisories != nil {
		meta.Inputs.AdvisorySnapshotID = req.Advisories.Digest()
		if req.Advisories.HasEPSS() {
			in.EPSSSnapshot = req.Advisories.Digest()
		}
	}
	if req.VEX != nil {
		meta.Inputs.IssuerRegistryDigest = req.VEX.Registry().Digest()
	}
	if req.Baseline != nil {
		base := builder{sc: sc, cutoff: cutoff, envName: b.envName, exs: exs, revs: revs, docs: b.docs}
		_, bf, err := base.release(ctx, *req.Baseline)
		if err != nil {
			return nil, gate.DecideMeta{}, fmt.Errorf("decide: baseline %s: %w", req.Baseline.Name, err)
		}
		in.Baseline = &gate.Baseline{ReleaseDigest: req.Baseline.Digest, Findings: bf}
	}
	return in, meta, nil
}

// scanner is the request's scanner, nil without advisories.
func scanner(req Request) *scan.Scanner {
	if req.Advisories == nil {
		return nil
	}
	var opts []scan.Option
	if req.VEX != nil {
		opts = append(opts, scan.WithVEX(req.VEX))
	}
	return scan.New(req.Advisories, opts...)
}

// builder assembles the gate view of one release.
type builder struct {
	sc      *scan.Scanner
	cutoff  time.Time
	envName string
	exs     []exception.Exception
	revs    []exception.Revocation
	docs    map[string]*scanned // by SBOM content digest, shared with the baseline

	summary     gate.SBOMSummary
	withoutSBOM []string
}

// scanned is one decoded SBOM.
type scanned struct {
	doc    *sbom.Document
	digest string
}

// release gives the Input's view of rel and its findings. Each distinct
// SBOM is summarized once; an image without one is named in withoutSBOM.
func (b *builder) release(ctx context.Context, rel Release) (gate.Release, []gate.Finding, error) {
	out := gate.Release{ID: rel.ID, Name: rel.Name, Digest: rel.Digest, Components: []gate.Component{}}
	b.summary = gate.SBOMSummary{Digests: []string{}, ByType: map[string]int{}}
	counted := map[string]bool{}
	var srcs []gate.FindingSource
	for _, c := range rel.Components {
		image := c.Image
		if c.SBOM == nil {
			b.withoutSBOM = append(b.withoutSBOM, image)
			out.Components = append(out.Components, gate.Component{Name: c.Name, Image: image, Role: c.Role, Tag: c.Tag})
			continue
		}
		s, err := b.decode(c.SBOM)
		if err != nil {
			return out, nil, fmt.Errorf("decide: sbom of %s: %w", c.Name, err)
		}
		if image == "" { // a scanned source: the SBOM names what it is
			digest := cmp.Or(s.doc.Subject.Digest, s.digest)
			image = s.doc.Subject.Name + "@" + digest
			out.Digest = cmp.Or(out.Digest, digest)
		}
		out.Components = append(out.Components, gate.Component{Name: c.Name, Image: image, Role: c.Role, Tag: c.Tag})
		if !counted[s.digest] {
			counted[s.digest] = true
			b.summary.Digests = append(b.summary.Digests, s.digest)
			b.summary.ComponentCount += len(s.doc.Components)
			for _, dc := range s.doc.Components {
				if t := purlType(dc.PURL); t != "" {
					b.summary.ByType[t]++
				}
			}
		}
		if b.sc == nil {
			continue
		}
		_, product, _ := strings.Cut(image, "@")
		res, err := b.sc.Scan(ctx, s.doc, scan.InProduct(product), scan.AsOf(b.cutoff))
		if err != nil {
			return out, nil, fmt.Errorf("decide: scan of %s: %w", c.Name, err)
		}
		for i, f := range res.Report.Findings {
			src := gate.FindingSource{Finding: f, Component: c.Name}
			if res.Applied != nil {
				src.VEX = &res.Applied[i].Verdict
			}
			srcs = append(srcs, src)
		}
	}
	findings, err := gate.BuildFindings(srcs, gate.FindingScope{Cutoff: b.cutoff, ReleaseName: rel.Name, Environment: b.envName,
		Exceptions: b.exs, Revocations: b.revs})
	return out, findings, err
}

// decode reads an encoded SBOM once per content digest.
func (b *builder) decode(raw []byte) (*scanned, error) {
	digest, err := sbom.ContentDigest(raw)
	if err != nil {
		return nil, err
	}
	if s, ok := b.docs[digest]; ok {
		return s, nil
	}
	doc, _, err := codec.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	s := &scanned{doc: doc, digest: digest}
	b.docs[digest] = s
	return s, nil
}

// purlType is the type of a purl ("npm" of "pkg:npm/…"), or "".
func purlType(purl string) string {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return ""
	}
	t, _, _ := strings.Cut(rest, "/")
	return t
}
