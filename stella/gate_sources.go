package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
	"github.com/stella-ops/stella/internal/yamljson"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/sbom/codec"
	"github.com/stella-ops/stella/vex"
)

// sourcesSchema names the manifest of raw inputs kept beside a decision
// record, from which replay rebuilds the Input.
const sourcesSchema = "stella.gate.sources/v1"

// gateSources names, by content digest, every raw input of a CLI decision.
// Replay rebuilds the Input from them exactly as eval built it.
type gateSources struct {
	Schema      string `json:"schema"`
	ReleaseID   string `json:"releaseId"`
	ReleaseName string `json:"releaseName"`
	// ReleaseDigest is the stored release's digest; for a scanned source
	// it is derived from the SBOM.
	ReleaseDigest string            `json:"releaseDigest"`
	Components    []sourceComponent `json:"components"` // by name
	Environment   string            `json:"environment"`
	Requester     string            `json:"requester"`
	Phase         string            `json:"phase"`
	ClockCutoff   time.Time         `json:"clockCutoff"`
	Advisories    string            `json:"advisories"` // the advisory snapshot
	VEX           []string          `json:"vex"`        // raw VEX documents, sorted
	Issuers       string            `json:"issuers"`    // issuer registry file, or ""
	Gates         string            `json:"gates"`      // the --config file, or ""
	Exceptions    string            `json:"exceptions"` // the --exceptions file, or ""
}

// sourceComponent is one image of the release with its SBOM.
type sourceComponent struct {
	Name  string `json:"name"`
	Image string `json:"image"` // repository@sha256:…, or "" for a scanned source
	Tag   string `json:"tag"`
	Role  string `json:"role"`
	SBOM  string `json:"sbom"` // digest of the encoded SBOM, "" when none is stored
}

// gateBlobs are the raw inputs themselves; sboms parallels the components.
type gateBlobs struct {
	sboms                                  [][]byte
	advisories, issuers, gates, exceptions []byte
	vex                                    [][]byte
}

// snapshotEntry is one advisory of the snapshot a decision matched
// against, with the enrichment that gates read.
type snapshotEntry struct {
	Advisory advisory.Advisory `json:"advisory"`
	KEV      *advisory.KEV     `json:"kev,omitempty"`
	EPSS     *advisory.EPSS    `json:"epss,omitempty"`
}

// snapshotBlob is the canonical advisory snapshot of set: its digest is
// the decision's advisorySnapshotId.
func snapshotBlob(set advisorySet) ([]byte, error) {
	entries := make([]snapshotEntry, 0, len(set.advisories))
	for _, a := range set.advisories {
		e := snapshotEntry{Advisory: a}
		if eff := set.effective[a.ID]; eff != nil {
			e.KEV, e.EPSS = eff.KEV, eff.EPSS
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b snapshotEntry) int { return strings.Compare(a.Advisory.ID, b.Advisory.ID) })
	return canon.Marshal(entries)
}

// gateFile is the --config file: environments and the gate configuration.
type gateFile struct {
	Environments []gateEnvironment
	Config       gate.Config
}

// gateEnvironment is an environment as gates see it.
type gateEnvironment struct {
	Name                      string              `json:"name"`
	Tier                      string              `json:"tier"`
	OrderIndex                int                 `json:"orderIndex"`
	RequiredApprovals         int                 `json:"requiredApprovals"`
	ApproverGroups            []string            `json:"approverGroups"`
	ApproverUsers             []string            `json:"approverUsers"`
	RequireSeparationOfDuties bool                `json:"requireSeparationOfDuties"`
	FreezeWindows             []gate.FreezeWindow `json:"freezeWindows"`
}

// parseGateFile reads {environments: [...], gates: [...]} (YAML or JSON).
// Without a file, the environment is production and the gates are
// gate.DefaultConfig.
func parseGateFile(raw []byte) (gateFile, error) {
	if raw == nil {
		return gateFile{Config: gate.DefaultConfig()}, nil
	}
	var doc struct {
		Environments []gateEnvironment `json:"environments"`
		Gates        json.RawMessage   `json:"gates"`
	}
	if err := yamljson.Unmarshal(raw, &doc); err != nil {
		return gateFile{}, err
	}
	for _, e := range doc.Environments {
		// With groups, membership is not known here; with users only,
		// N of M must be satisfiable (gate.md §4.1).
		if len(e.ApproverGroups) == 0 {
			if err := gate.ValidateApprovers(e.RequiredApprovals, e.ApproverUsers); err != nil {
				return gateFile{}, fmt.Errorf("environment %q: %w", e.Name, err)
			}
		}
	}
	cfg, err := gate.ParseConfig(fmt.Appendf(nil, `{"gates":%s}`, cmp.Or(string(doc.Gates), "[]")))
	if err != nil {
		return gateFile{}, err
	}
	if err := cfg.Validate(nil); err != nil {
		return gateFile{}, err
	}
	return gateFile{Environments: doc.Environments, Config: cfg}, nil
}

// environment finds name among the file's environments. A file without
// environments evaluates name as a production environment: the strictest
// defaults apply unless the file says otherwise.
func (f gateFile) environment(name string) (gate.Environment, error) {
	if len(f.Environments) == 0 {
		return gate.Environment{ID: name, Name: name, Tier: "production"}, nil
	}
	names := make([]string, 0, len(f.Environments))
	for _, e := range f.Environments {
		if e.Name == name {
			return gate.Environment{
				ID: e.Name, Name: e.Name, Tier: e.Tier, OrderIndex: e.OrderIndex,
				RequiredApprovals: e.RequiredApprovals, ApproverGroups: e.ApproverGroups, ApproverUsers: e.ApproverUsers,
				RequireSeparationOfDuties: e.RequireSeparationOfDuties, FreezeWindows: e.FreezeWindows,
			}, nil
		}
		names = append(names, e.Name)
	}
	return gate.Environment{}, fmt.Errorf("environment %q is not in the configuration (it has %s)", name, strings.Join(names, ", "))
}

// exceptionsFile is the --exceptions file.
type exceptionsFile struct {
	Exceptions  []gate.Exception  `json:"exceptions"`
	Revocations []gate.Revocation `json:"revocations"`
}

func parseExceptions(raw []byte) (exceptionsFile, error) {
	var f exceptionsFile
	if raw == nil {
		return f, nil
	}
	if err := yamljson.Unmarshal(raw, &f); err != nil {
		return f, err
	}
	for _, e := range f.Exceptions {
		if err := gate.ValidateException(e, 0); err != nil {
			return f, err
		}
	}
	return f, nil
}

// decisionInput is what one decision is computed from.
type decisionInput struct {
	in   *gate.Input
	meta gate.DecideMeta
	file gateFile
}

// buildDecisionInput rebuilds the gate Input from raw sources: each
// component's SBOM is matched against the advisory snapshot, VEX consensus
// is computed for every finding (unknown where no statement speaks, with
// the component's image as product) and exceptions are applied. eval and
// replay both go through here, so a replay differs only where an input did.
// A component without an SBOM contributes no findings and is named in
// ImagesWithoutSBOM, which the engine denies as input.sbom-missing.
func buildDecisionInput(ctx context.Context, s gateSources, b gateBlobs) (*decisionInput, error) {
	var entries []snapshotEntry
	if err := json.Unmarshal(b.advisories, &entries); err != nil {
		return nil, fmt.Errorf("advisory snapshot: %w", err)
	}
	advs := make([]advisory.Advisory, len(entries))
	byID := make(map[string]snapshotEntry, len(entries))
	hasEPSS := false
	for i, e := range entries {
		advs[i], byID[e.Advisory.ID] = e.Advisory, e
		hasEPSS = hasEPSS || e.EPSS != nil
	}
	matcher := advisory.NewMatcher(advs)

	reg, err := vex.NewRegistry("")
	if b.issuers != nil {
		reg, err = vex.ReadRegistry(bytes.NewReader(b.issuers))
	}
	if err != nil {
		return nil, err
	}
	var stmts []vex.Statement
	for i, raw := range b.vex {
		d, err := readVEXBytes(ctx, raw, reg)
		if err != nil {
			return nil, fmt.Errorf("vex document %d: %w", i+1, err)
		}
		stmts = append(stmts, d.Statements...)
	}
	c, err := vex.NewConsensus(reg)
	if err != nil {
		return nil, err
	}

	file, err := parseGateFile(b.gates)
	if err != nil {
		return nil, fmt.Errorf("gate configuration: %w", err)
	}
	env, err := file.environment(s.Environment)
	if err != nil {
		return nil, err
	}
	exs, err := parseExceptions(b.exceptions)
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}

	rel := gate.Release{ID: s.ReleaseID, Name: s.ReleaseName, Digest: s.ReleaseDigest, Components: []gate.Component{}}
	summary := gate.SBOMSummary{Digests: []string{}, ByType: map[string]int{}}
	var srcs []gate.FindingSource
	var withoutSBOM []string
	for i, comp := range s.Components {
		image := comp.Image
		if b.sboms[i] == nil {
			withoutSBOM = append(withoutSBOM, image)
		} else {
			doc, _, err := codec.Decode(bytes.NewReader(b.sboms[i]))
			if err != nil {
				return nil, fmt.Errorf("sbom of %s: %w", comp.Name, err)
			}
			sbomDigest, err := sbom.ContentDigest(b.sboms[i])
			if err != nil {
				return nil, fmt.Errorf("sbom of %s: %w", comp.Name, err)
			}
			if image == "" { // a scanned source: the SBOM names what it is
				digest := cmp.Or(doc.Subject.Digest, sbomDigest)
				image = doc.Subject.Name + "@" + digest
				rel.Digest = cmp.Or(rel.Digest, digest)
			}
			summary.Digests = append(summary.Digests, sbomDigest)
			summary.ComponentCount += len(doc.Components)
			for _, dc := range doc.Components {
				if t := purlType(dc.PURL); t != "" {
					summary.ByType[t]++
				}
			}
			matched, err := matcher.Scan(ctx, doc)
			if err != nil {
				return nil, err
			}
			for i := range matched.Findings {
				e := byID[matched.Findings[i].AdvisoryID]
				matched.Findings[i].KEV, matched.Findings[i].EPSS = e.KEV, e.EPSS
			}
			_, product, _ := strings.Cut(image, "@")
			applied, err := vex.Apply(ctx, matched.Findings, stmts, c, product, s.ClockCutoff)
			if err != nil {
				return nil, err
			}
			for i := range applied {
				srcs = append(srcs, gate.FindingSource{Finding: applied[i].Finding, Component: comp.Name, VEX: &applied[i].Verdict})
			}
		}
		rel.Components = append(rel.Components, gate.Component{Name: comp.Name, Image: image, Role: comp.Role, Tag: comp.Tag})
	}
	findings, err := gate.BuildFindings(srcs, gate.FindingScope{
		Cutoff: s.ClockCutoff, ReleaseName: s.ReleaseName, Environment: env.Name,
		Exceptions: exs.Exceptions, Revocations: exs.Revocations,
	})
	if err != nil {
		return nil, err
	}
	snapshotID := canon.SHA256(b.advisories)
	in := &gate.Input{
		Schema:            gate.InputSchema,
		Phase:             gate.Phase(s.Phase),
		ClockCutoff:       s.ClockCutoff,
		Release:           rel,
		Environment:       env,
		TargetEnvironment: env.Name,
		Requester:         gate.Requester{ID: s.Requester, Groups: []string{}},
		Findings:          findings,
		SBOM:              summary,
		Approvals:         []gate.Approval{},
		Provenance:        []gate.Provenance{},
		ImagesWithoutSBOM: withoutSBOM,
	}
	if hasEPSS {
		in.EPSSSnapshot = snapshotID
	}
	meta := gate.DecideMeta{
		Inputs: gate.Inputs{
			SBOMDigests:          summary.Digests,
			AdvisorySnapshotID:   snapshotID,
			IssuerRegistryDigest: reg.Digest(),
		},
		Exceptions:  exs.Exceptions,
		Revocations: exs.Revocations,
	}
	return &decisionInput{in: in, meta: meta, file: file}, nil
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
