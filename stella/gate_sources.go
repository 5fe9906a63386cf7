package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
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
	Schema      string    `json:"schema"`
	ReleaseName string    `json:"releaseName"`
	Environment string    `json:"environment"`
	Requester   string    `json:"requester"`
	Phase       string    `json:"phase"`
	ClockCutoff time.Time `json:"clockCutoff"`
	SBOM        string    `json:"sbom"`       // the encoded SBOM
	Advisories  string    `json:"advisories"` // the advisory snapshot
	VEX         []string  `json:"vex"`        // raw VEX documents, sorted
	Issuers     string    `json:"issuers"`    // issuer registry file, or ""
	Gates       string    `json:"gates"`      // the --config file, or ""
	Exceptions  string    `json:"exceptions"` // the --exceptions file, or ""
}

// gateBlobs are the raw inputs themselves.
type gateBlobs struct {
	sbom, advisories, issuers, gates, exceptions []byte
	vex                                          [][]byte
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
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return gateFile{}, err
	}
	var f gateFile
	if envs, ok := doc["environments"]; ok {
		js, err := json.Marshal(envs)
		if err != nil {
			return gateFile{}, err
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f.Environments); err != nil {
			return gateFile{}, fmt.Errorf("environments: %w", err)
		}
		delete(doc, "environments")
	}
	rest, err := json.Marshal(doc)
	if err != nil {
		return gateFile{}, err
	}
	if f.Config, err = gate.ParseConfig(rest); err != nil {
		return gateFile{}, err
	}
	if err := f.Config.Validate(nil); err != nil {
		return gateFile{}, err
	}
	return f, nil
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
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return f, err
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return f, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
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

// buildDecisionInput rebuilds the gate Input from raw sources: the SBOM is
// matched against the advisory snapshot, VEX consensus is computed for
// every finding (unknown where no statement speaks), exceptions applied.
// eval and replay both go through here, so a replay differs only where an
// input did.
func buildDecisionInput(ctx context.Context, s gateSources, b gateBlobs) (*decisionInput, error) {
	doc, _, err := codec.Decode(bytes.NewReader(b.sbom))
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	sbomDigest, err := sbom.ContentDigest(b.sbom)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
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
	matched, err := advisory.NewMatcher(advs).Scan(ctx, doc)
	if err != nil {
		return nil, err
	}
	for i := range matched.Findings {
		e := byID[matched.Findings[i].AdvisoryID]
		matched.Findings[i].KEV, matched.Findings[i].EPSS = e.KEV, e.EPSS
	}

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
	product := ""
	if doc.Subject.Kind == "image" {
		product = doc.Subject.Digest
	}
	applied, err := vex.Apply(ctx, matched.Findings, stmts, c, product, s.ClockCutoff)
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
	srcs := make([]gate.FindingSource, len(applied))
	for i := range applied {
		srcs[i] = gate.FindingSource{Finding: applied[i].Finding, Component: s.ReleaseName, VEX: &applied[i].Verdict}
	}
	findings, err := gate.BuildFindings(srcs, gate.FindingScope{
		Cutoff: s.ClockCutoff, ReleaseName: s.ReleaseName, Environment: env.Name,
		Exceptions: exs.Exceptions, Revocations: exs.Revocations,
	})
	if err != nil {
		return nil, err
	}

	releaseDigest := doc.Subject.Digest
	if releaseDigest == "" {
		releaseDigest = sbomDigest
	}
	image := doc.Subject.Name + "@" + releaseDigest
	byType := map[string]int{}
	for _, comp := range doc.Components {
		if t := purlType(comp.PURL); t != "" {
			byType[t]++
		}
	}
	snapshotID := canon.SHA256(b.advisories)
	in := &gate.Input{
		Schema:      gate.InputSchema,
		Phase:       gate.Phase(s.Phase),
		ClockCutoff: s.ClockCutoff,
		Release: gate.Release{Name: s.ReleaseName, Digest: releaseDigest,
			Components: []gate.Component{{Name: s.ReleaseName, Image: image, Role: "primary"}}},
		Environment:       env,
		TargetEnvironment: env.Name,
		Requester:         gate.Requester{ID: s.Requester, Groups: []string{}},
		Findings:          findings,
		SBOM:              gate.SBOMSummary{Digests: []string{sbomDigest}, ComponentCount: len(doc.Components), ByType: byType},
		Approvals:         []gate.Approval{},
		Provenance:        []gate.Provenance{},
	}
	if hasEPSS {
		in.EPSSSnapshot = snapshotID
	}
	meta := gate.DecideMeta{
		Inputs: gate.Inputs{
			SBOMDigests:          []string{sbomDigest},
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
