package gate

import (
	"time"

	"github.com/stella-ops/stella/advisory"
	"github.com/stella-ops/stella/gate/exception"
)

// InputSchema names the input document (gate.md §3).
const InputSchema = "stella.gate.input/v1"

// Phase is when a decision is made (gate.md §6.6).
type Phase string

// Phases.
const (
	PhaseRequest      Phase = "request"
	PhasePreDeploy    Phase = "pre-deploy"
	PhaseReevaluation Phase = "reevaluation"
)

// Input is everything gates may read. Its JSON form is the Rego input
// document stella.gate.input/v1; fields tagged "-" are facts only the
// built-in gates read. Absent optional values stay explicit nulls in the
// Rego document, so pointer fields have no omitempty.
type Input struct {
	Schema            string       `json:"schema"`
	Phase             Phase        `json:"phase"`
	ClockCutoff       time.Time    `json:"clockCutoff"`
	Release           Release      `json:"release"`
	Environment       Environment  `json:"environment"`
	TargetEnvironment string       `json:"targetEnvironment"`
	SourceEnvironment *string      `json:"sourceEnvironment"`
	Requester         Requester    `json:"requester"`
	Findings          []Finding    `json:"findings"` // by advisoryId, then purl
	SBOM              SBOMSummary  `json:"sbom"`
	Approvals         []Approval   `json:"approvals"`  // by at, then approverId
	Provenance        []Provenance `json:"provenance"` // by image
	// Gates holds the results of every other gate; the engine fills it
	// before the policy gate runs.
	Gates []GateSummary `json:"gates"` // by id

	// EPSSSnapshot names the EPSS data the findings were enriched from;
	// empty means no EPSS snapshot at all.
	EPSSSnapshot string `json:"-"`
	// Baseline is the release of the same application currently deployed
	// in the target environment, with its findings; nil when none.
	Baseline *Baseline `json:"-"`
	// Confirmations are answers to manual gates.
	Confirmations []Confirmation `json:"-"`
	// ImagesWithoutSBOM lists release images no SBOM was found for; a
	// verified decision denies them as input.sbom-missing.
	ImagesWithoutSBOM []string `json:"-"`
}

// Release is the release being decided on.
type Release struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Digest     string      `json:"digest"`
	Components []Component `json:"components"` // by name
}

// Component is one image of a release.
type Component struct {
	Name  string `json:"name"`
	Image string `json:"image"` // repository@sha256:…
	Role  string `json:"role"`
	Tag   string `json:"tag"`
}

// Environment is the target environment with the settings gates read.
type Environment struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Tier       string `json:"tier"` // production | staging | development
	OrderIndex int    `json:"orderIndex"`

	RequiredApprovals         int            `json:"-"`
	ApproverGroups            []string       `json:"-"`
	ApproverUsers             []string       `json:"-"`
	RequireSeparationOfDuties bool           `json:"-"`
	FreezeWindows             []FreezeWindow `json:"-"`
}

// FreezeWindow blocks deployments in [Start, End) except for Exceptions.
type FreezeWindow struct {
	Name       string    `json:"name"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Exceptions []string  `json:"exceptions"` // user ids
}

// Requester is who asked for the promotion.
type Requester struct {
	ID     string   `json:"id"`
	Groups []string `json:"groups"`
}

// Finding is one vulnerability finding of the release, with its VEX
// verdict and exception already applied.
type Finding struct {
	ID            string               `json:"id"` // sha256 of JCS {advisoryId, component.name, component.purl}
	AdvisoryID    string               `json:"advisoryId"`
	Aliases       []string             `json:"aliases"`
	Component     FindingRef           `json:"component"`
	Severity      advisory.Rating      `json:"severity"` // none | low | medium | high | critical | unknown (unscored)
	CVSS          *float64             `json:"cvss"`
	FixState      string               `json:"fixState"` // fixed | not-fixed | unknown
	FixedVersions []string             `json:"fixedVersions"`
	KEV           *KEV                 `json:"kev"`
	EPSS          *EPSS                `json:"epss"`
	VEX           *VEX                 `json:"vex"`
	Exception     *exception.Exception `json:"exception"`
	// Reachable is unknown (nil) unless a reachability provider supplied
	// it; gates treat unknown as reachable.
	Reachable *bool `json:"reachable"`
	Active    bool  `json:"active"`
}

// FindingRef is the package a finding is in.
type FindingRef struct {
	Name  string `json:"name"` // release component name
	Purl  string `json:"purl"`
	Layer string `json:"layer"`
}

// KEV is a CISA KEV listing (dates YYYY-MM-DD).
type KEV struct {
	DateAdded  string `json:"dateAdded"`
	DueDate    string `json:"dueDate"`
	Ransomware bool   `json:"ransomware"`
}

// EPSS is an exploit-prediction score.
type EPSS struct {
	Score        float64 `json:"score"`
	Percentile   float64 `json:"percentile"`
	ModelVersion string  `json:"modelVersion"`
}

// VEX is the consensus verdict applied to a finding.
type VEX struct {
	Status          string  `json:"status"`
	Justification   *string `json:"justification"`
	Confidence      float64 `json:"confidence"`
	Conflict        bool    `json:"conflict"`
	ConsensusDigest string  `json:"consensusDigest"`
}

// SBOMSummary describes the SBOMs behind the findings.
type SBOMSummary struct {
	Digests        []string       `json:"digests"`
	ComponentCount int            `json:"componentCount"`
	ByType         map[string]int `json:"byType"`
}

// Approval is one approve or reject on the promotion.
type Approval struct {
	ApproverID string    `json:"approverId"`
	Groups     []string  `json:"groups"` // the approver's groups at evaluation time
	Action     string    `json:"action"` // approve | reject
	At         time.Time `json:"at"`
	// ReleaseDigest binds the approval to the release it was given for.
	ReleaseDigest string `json:"releaseDigest"`
	System        bool   `json:"system,omitempty"` // system actors never count
}

// Provenance is what is known about how an image was built and signed.
type Provenance struct {
	Image   string `json:"image"`
	Signed  bool   `json:"signed"`
	Signer  string `json:"signer"`
	Builder string `json:"builder"`
}

// GateSummary is another gate's result as the policy gate sees it.
type GateSummary struct {
	ID          string   `json:"id"`
	Status      Status   `json:"status"`
	ReasonCodes []string `json:"reasonCodes"`
}

// Baseline is the release currently deployed in the target environment.
type Baseline struct {
	ReleaseDigest string    `json:"releaseDigest"`
	Findings      []Finding `json:"findings"`
}

// Confirmation answers a manual gate.
type Confirmation struct {
	GateID string    `json:"gateId"`
	UserID string    `json:"userId"`
	Groups []string  `json:"groups"`
	Action string    `json:"action"` // confirm | decline
	At     time.Time `json:"at"`
}
