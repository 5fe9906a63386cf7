package decide

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/gate/record"
	"github.com/stella-ops/stella/scan"
	"github.com/stella-ops/stella/vex"
)

// SourcesSchema names the manifest of raw inputs kept beside a decision
// record, from which replay rebuilds the Input.
const SourcesSchema = "stella.gate.sources/v1"

// Sources names, by content digest, every raw input of a decision made
// outside a server (stella gate eval), so the decision replays offline
// from the files alone.
type Sources struct {
	Schema      string `json:"schema"`
	Tenant      string `json:"tenant,omitempty"`
	ReleaseID   string `json:"releaseId"`
	ReleaseName string `json:"releaseName"`
	// ReleaseDigest is the stored release's digest; for a scanned source
	// it is derived from the SBOM.
	ReleaseDigest string             `json:"releaseDigest"`
	Components    []SourceComponent  `json:"components"` // by name
	Environment   string             `json:"environment"`
	Env           *EnvironmentConfig `json:"environmentSettings,omitempty"` // from a store; else Gates names it
	Requester     string             `json:"requester"`
	Phase         string             `json:"phase"`
	ClockCutoff   time.Time          `json:"clockCutoff"`
	Advisories    string             `json:"advisories"`              // the canonical advisory snapshot
	VEX           []string           `json:"vex"`                     // raw VEX documents, sorted
	Statements    string             `json:"vexStatements,omitempty"` // statements read from a store
	Issuers       string             `json:"issuers"`                 // issuer registry, or ""
	Gates         string             `json:"gates"`                   // the gates file, or ""
	Exceptions    string             `json:"exceptions"`              // the exception log, or ""
	Baseline      *BaselineSource    `json:"baseline,omitempty"`
}

// SourceComponent is one image of the release with its SBOM.
type SourceComponent struct {
	Name  string `json:"name"`
	Image string `json:"image"` // repository@sha256:…, or "" for a scanned source
	Tag   string `json:"tag"`
	Role  string `json:"role"`
	SBOM  string `json:"sbom"` // digest of the encoded SBOM, "" when none is stored
}

// BaselineSource is the deployed release a decision compared against.
type BaselineSource struct {
	ReleaseID   string            `json:"releaseId"`
	ReleaseName string            `json:"releaseName"`
	Digest      string            `json:"releaseDigest"`
	Components  []SourceComponent `json:"components"`
}

// Blobs are the raw inputs Sources names; SBOMs parallel the components.
type Blobs struct {
	SBOMs, BaselineSBOMs                               [][]byte
	Advisories, Issuers, Gates, Exceptions, Statements []byte
	VEX                                                [][]byte
}

// Keep stores every blob in cas and names it in s.
func (s *Sources) Keep(ctx context.Context, cas record.CAS, b Blobs) error {
	put := func(raw []byte) (string, error) {
		if raw == nil {
			return "", nil
		}
		return cas.Put(ctx, raw)
	}
	var err error
	for _, x := range []struct {
		dst *string
		raw []byte
	}{{&s.Advisories, b.Advisories}, {&s.Issuers, b.Issuers}, {&s.Gates, b.Gates}, {&s.Exceptions, b.Exceptions}, {&s.Statements, b.Statements}} {
		if *x.dst, err = put(x.raw); err != nil {
			return err
		}
	}
	if len(b.SBOMs) != len(s.Components) {
		return fmt.Errorf("decide: %d SBOMs for %d components", len(b.SBOMs), len(s.Components))
	}
	for i := range s.Components {
		if s.Components[i].SBOM, err = put(b.SBOMs[i]); err != nil {
			return err
		}
	}
	if s.Baseline != nil {
		if len(b.BaselineSBOMs) != len(s.Baseline.Components) {
			return fmt.Errorf("decide: %d SBOMs for %d baseline components", len(b.BaselineSBOMs), len(s.Baseline.Components))
		}
		for i := range s.Baseline.Components {
			if s.Baseline.Components[i].SBOM, err = put(b.BaselineSBOMs[i]); err != nil {
				return err
			}
		}
	}
	s.VEX = []string{}
	for _, raw := range b.VEX {
		d, err := put(raw)
		if err != nil {
			return err
		}
		s.VEX = append(s.VEX, d)
	}
	slices.Sort(s.VEX)
	return nil
}

// ParseSources reads a manifest strictly: an unknown field is an error.
func ParseSources(raw []byte) (Sources, error) {
	var s Sources
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.Schema != SourcesSchema {
		return s, fmt.Errorf("not a %s manifest (%v)", SourcesSchema, err)
	}
	return s, nil
}

// Load reads every blob s names from r.
func (s Sources) Load(ctx context.Context, r record.Resolver) (Blobs, error) {
	var b Blobs
	get := func(digest string) ([]byte, error) {
		if digest == "" {
			return nil, nil
		}
		return r.Get(ctx, digest)
	}
	var err error
	for _, x := range []struct {
		dst    *[]byte
		digest string
	}{{&b.Advisories, s.Advisories}, {&b.Issuers, s.Issuers}, {&b.Gates, s.Gates}, {&b.Exceptions, s.Exceptions}, {&b.Statements, s.Statements}} {
		if *x.dst, err = get(x.digest); err != nil {
			return b, err
		}
	}
	for _, c := range s.Components {
		raw, err := get(c.SBOM)
		if err != nil {
			return b, err
		}
		b.SBOMs = append(b.SBOMs, raw)
	}
	if s.Baseline != nil {
		for _, c := range s.Baseline.Components {
			raw, err := get(c.SBOM)
			if err != nil {
				return b, err
			}
			b.BaselineSBOMs = append(b.BaselineSBOMs, raw)
		}
	}
	for _, d := range s.VEX {
		raw, err := get(d)
		if err != nil {
			return b, err
		}
		b.VEX = append(b.VEX, raw)
	}
	return b, nil
}

// Request rebuilds the Request the blobs describe, and the gates file it
// is to be decided with. A VEX document that fails its signature check
// keeps vex's error (attest.ErrVerify) in the chain.
func (s Sources) Request(ctx context.Context, b Blobs) (Request, ConfigFile, error) {
	if len(b.SBOMs) != len(s.Components) || (s.Baseline != nil && len(b.BaselineSBOMs) != len(s.Baseline.Components)) {
		return Request{}, ConfigFile{}, errors.New("decide: the blobs do not match the sources' components")
	}
	file, err := ParseConfigFile(b.Gates)
	if err != nil {
		return Request{}, file, fmt.Errorf("gate configuration: %w", err)
	}
	var env gate.Environment
	if s.Env != nil {
		env = s.Env.Gate()
	} else if env, err = file.Environment(s.Environment); err != nil {
		return Request{}, file, err
	}
	exs, err := ParseExceptionLog(b.Exceptions)
	if err != nil {
		return Request{}, file, fmt.Errorf("exceptions: %w", err)
	}
	advs, err := scan.ReadAdvisories(b.Advisories)
	if err != nil {
		return Request{}, file, err
	}
	reg, err := vex.NewRegistry("")
	if b.Issuers != nil {
		reg, err = vex.ReadRegistry(bytes.NewReader(b.Issuers))
	}
	if err != nil {
		return Request{}, file, err
	}
	var stmts scan.Statements
	if b.Statements != nil {
		if err := json.Unmarshal(b.Statements, &stmts); err != nil {
			return Request{}, file, fmt.Errorf("vex statements: %w", err)
		}
	}
	for i, raw := range b.VEX {
		d, err := vex.ReadAny(ctx, raw, reg)
		if err != nil {
			return Request{}, file, fmt.Errorf("vex document %d: %w", i+1, err)
		}
		stmts = append(stmts, d.Statements...)
	}
	v, err := scan.NewVEX(reg, stmts)
	if err != nil {
		return Request{}, file, err
	}
	req := Request{
		Tenant: s.Tenant, Phase: gate.Phase(s.Phase), Cutoff: s.ClockCutoff,
		Release:     Release{ID: s.ReleaseID, Name: s.ReleaseName, Digest: s.ReleaseDigest, Components: components(s.Components, b.SBOMs)},
		Environment: env,
		Requester:   gate.Requester{ID: s.Requester},
		Advisories:  advs, VEX: v,
		Exceptions: exs.Exceptions, Revocations: exs.Revocations,
	}
	if bl := s.Baseline; bl != nil {
		req.Baseline = &Release{ID: bl.ReleaseID, Name: bl.ReleaseName, Digest: bl.Digest, Components: components(bl.Components, b.BaselineSBOMs)}
	}
	return req, file, nil
}

func components(cs []SourceComponent, sboms [][]byte) []Component {
	out := make([]Component, len(cs))
	for i, c := range cs {
		out[i] = Component{Name: c.Name, Image: c.Image, Tag: c.Tag, Role: c.Role, SBOM: sboms[i]}
	}
	return out
}
