package auditpack

import (
	"slices"
	"strings"

	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/gate"
	"github.com/stella-ops/stella/internal/canon"
)

// VEXSchema names the VEX file of a decision in a pack.
const VEXSchema = "stella.evidence-pack.vex/v1"

// VEXConsensus is vex/<record hex>.json: the consensus verdict each finding
// of a decision carried, as its stored input document holds them (the
// record's inputs.inputDocumentDigest), with the registry they were
// computed under.
type VEXConsensus struct {
	Schema               string       `json:"schema"`
	RecordDigest         string       `json:"recordDigest"`
	IssuerRegistryDigest string       `json:"issuerRegistryDigest"`
	ConsensusDigests     []string     `json:"vexConsensusDigests"` // the record's, sorted
	Verdicts             []VEXVerdict `json:"verdicts"`            // by findingId
}

// VEXVerdict is the consensus one finding carried.
type VEXVerdict struct {
	FindingID       string  `json:"findingId"`
	AdvisoryID      string  `json:"advisoryId"`
	Component       string  `json:"component"`
	Purl            string  `json:"purl"`
	Status          string  `json:"status"`
	Justification   string  `json:"justification,omitempty"`
	Confidence      float64 `json:"confidence"`
	Conflict        bool    `json:"conflict"`
	ConsensusDigest string  `json:"consensusDigest"`
}

func vexFile(rec *gate.Decision, in *gate.Input) (evidence.File, error) {
	v := VEXConsensus{Schema: VEXSchema, RecordDigest: rec.RecordDigest, IssuerRegistryDigest: rec.Inputs.IssuerRegistryDigest,
		ConsensusDigests: slices.Sorted(slices.Values(rec.Inputs.VEXConsensusDigests)), Verdicts: []VEXVerdict{}}
	if v.ConsensusDigests == nil {
		v.ConsensusDigests = []string{}
	}
	for _, f := range in.Findings {
		if f.VEX == nil {
			continue
		}
		x := VEXVerdict{FindingID: f.ID, AdvisoryID: f.AdvisoryID, Component: f.Component.Name, Purl: f.Component.Purl,
			Status: f.VEX.Status, Confidence: f.VEX.Confidence, Conflict: f.VEX.Conflict, ConsensusDigest: f.VEX.ConsensusDigest}
		if f.VEX.Justification != nil {
			x.Justification = *f.VEX.Justification
		}
		v.Verdicts = append(v.Verdicts, x)
	}
	slices.SortFunc(v.Verdicts, func(a, b VEXVerdict) int { return strings.Compare(a.FindingID, b.FindingID) })
	b, err := canon.Marshal(v)
	if err != nil {
		return evidence.File{}, err
	}
	return evidence.File{Kind: evidence.KindVEX, Name: hexOf(rec.RecordDigest) + ".json", Data: b}, nil
}
