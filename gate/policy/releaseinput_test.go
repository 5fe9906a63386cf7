package policy

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"
)

// releasePolicyDir is the twenty-rule policy the benchmark and the OPA
// agreement test evaluate.
var releasePolicyDir = filepath.Join("testdata", "release")

// The types below mirror stella.gate.input/v1 closely enough for the release
// policy; they are encoded with encoding/json, as the gate's own Input is.
type benchInput struct {
	Schema            string            `json:"schema"`
	Phase             string            `json:"phase"`
	ClockCutoff       time.Time         `json:"clockCutoff"`
	Release           benchRelease      `json:"release"`
	Environment       benchEnvironment  `json:"environment"`
	TargetEnvironment string            `json:"targetEnvironment"`
	SourceEnvironment *string           `json:"sourceEnvironment"`
	Requester         benchRequester    `json:"requester"`
	Findings          []benchFinding    `json:"findings"`
	Approvals         []benchApproval   `json:"approvals"`
	Provenance        []benchProvenance `json:"provenance"`
	Gates             []benchGate       `json:"gates"`
}

type benchRelease struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Digest     string           `json:"digest"`
	Components []benchComponent `json:"components"`
}

type benchComponent struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	Role  string `json:"role"`
	Tag   string `json:"tag"`
}

type benchEnvironment struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Tier       string `json:"tier"`
	OrderIndex int    `json:"orderIndex"`
}

type benchRequester struct {
	ID     string   `json:"id"`
	Groups []string `json:"groups"`
}

type benchFinding struct {
	ID            string              `json:"id"`
	AdvisoryID    string              `json:"advisoryId"`
	Aliases       []string            `json:"aliases"`
	Component     benchFindingPackage `json:"component"`
	Severity      string              `json:"severity"`
	CVSS          float64             `json:"cvss"`
	FixState      string              `json:"fixState"`
	FixedVersions []string            `json:"fixedVersions"`
	KEV           *benchKEV           `json:"kev"`
	EPSS          *benchEPSS          `json:"epss"`
	VEX           benchVEX            `json:"vex"`
	Exception     *benchException     `json:"exception"`
	Active        bool                `json:"active"`
}

type benchFindingPackage struct {
	Name  string `json:"name"`
	PURL  string `json:"purl"`
	Layer string `json:"layer"`
}

type benchKEV struct {
	DateAdded time.Time  `json:"dateAdded"`
	DueDate   *time.Time `json:"dueDate"`
}

type benchEPSS struct {
	Score        float64 `json:"score"`
	Percentile   float64 `json:"percentile"`
	ModelVersion string  `json:"modelVersion"`
}

type benchVEX struct {
	Status        string  `json:"status"`
	Justification *string `json:"justification"`
	Confidence    float64 `json:"confidence"`
	Conflict      bool    `json:"conflict"`
}

type benchException struct {
	ID     string `json:"id"`
	Effect string `json:"effect"`
}

type benchApproval struct {
	ApproverID    string    `json:"approverId"`
	Groups        []string  `json:"groups"`
	Action        string    `json:"action"`
	At            time.Time `json:"at"`
	ReleaseDigest string    `json:"releaseDigest"`
}

type benchProvenance struct {
	Image   string `json:"image"`
	Signed  bool   `json:"signed"`
	Signer  string `json:"signer"`
	Builder string `json:"builder"`
}

type benchGate struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"`
	ReasonCodes []string `json:"reasonCodes"`
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func digestOf(r *rand.Rand) string {
	return fmt.Sprintf("sha256:%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
}

// releaseInput builds a deterministic input with n findings over five
// components: mostly benign, with a realistic sprinkling of criticals, KEV
// entries, high EPSS scores, weak VEX verdicts and exceptions.
func releaseInput(n int, seed uint64, tier string) benchInput {
	r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	cut := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	in := benchInput{
		Schema:            "stella.gate.input/v1",
		Phase:             "pre-deploy",
		ClockCutoff:       cut,
		Environment:       benchEnvironment{ID: "env-3", Name: "prod", Tier: tier, OrderIndex: 2},
		TargetEnvironment: "prod",
		Requester:         benchRequester{ID: "u-alice", Groups: []string{"dev"}},
		Release:           benchRelease{ID: "rel-1", Name: "myapp-v2.3.1", Digest: digestOf(r)},
	}
	stage := "stage"
	in.SourceEnvironment = &stage
	for i, name := range []string{"api", "db-migrate", "frontend", "web", "worker"} {
		img := fmt.Sprintf("reg.example/app/%s@%s", name, digestOf(r))
		in.Release.Components = append(in.Release.Components, benchComponent{Name: name, Image: img, Role: pick(r, "primary", "sidecar"), Tag: "v2.3.1"})
		if i == 1 {
			continue // no provenance for db-migrate
		}
		in.Provenance = append(in.Provenance, benchProvenance{Image: img, Signed: i != 3, Signer: "ci@example.com", Builder: pick(r, "https://github.com/actions/runner", "https://github.com/actions/runner", "https://jenkins.example")})
	}
	for _, id := range []string{"aggregate", "approvals", "cve-delta", "epss", "freeze-window", "kev", "schedule-window", "security-thresholds", "vex-trust"} {
		g := benchGate{ID: id, Status: "pass", ReasonCodes: []string{}}
		if id == "epss" {
			g.Status, g.ReasonCodes = "fail", []string{"epss.threshold-exceeded"}
		}
		in.Gates = append(in.Gates, g)
	}
	for i, who := range []string{"u-bob", "u-carol", "u-dave"} {
		in.Approvals = append(in.Approvals, benchApproval{ApproverID: who, Groups: []string{"release-managers"}, Action: "approve", At: cut.Add(time.Duration(i-3) * time.Hour), ReleaseDigest: in.Release.Digest})
	}

	ecosystems := []string{"npm", "pypi", "golang", "deb", "maven"}
	for i := range n {
		f := benchFinding{
			ID:         digestOf(r),
			AdvisoryID: fmt.Sprintf("CVE-20%02d-%05d", 15+r.IntN(12), r.IntN(n)),
			Active:     true,
		}
		f.Aliases = []string{fmt.Sprintf("GHSA-%04x-%04x-%04x", r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16))}
		eco := pick(r, ecosystems...)
		pkg := fmt.Sprintf("pkg-%d", r.IntN(2000))
		if r.IntN(2000) == 0 {
			eco, pkg = "npm", "event-stream"
		}
		f.Component = benchFindingPackage{
			Name:  pick(r, "api", "db-migrate", "frontend", "web", "worker"),
			PURL:  fmt.Sprintf("pkg:%s/%s@%d.%d.%d", eco, pkg, r.IntN(5), r.IntN(20), r.IntN(30)),
			Layer: digestOf(r),
		}
		switch x := r.Float64(); {
		case x < 0.01:
			f.Severity, f.CVSS = "critical", 9+r.Float64()
		case x < 0.06:
			f.Severity, f.CVSS = "high", 7+2*r.Float64()
		case x < 0.26:
			f.Severity, f.CVSS = "medium", 4+3*r.Float64()
		case x < 0.76:
			f.Severity, f.CVSS = "low", 0.1+3.9*r.Float64()
		default:
			f.Severity, f.CVSS = "none", 0
		}
		f.CVSS = math.Round(f.CVSS*10) / 10
		switch x := r.Float64(); {
		case x < 0.5:
			f.FixState, f.FixedVersions = "fixed", []string{fmt.Sprintf("%d.%d.%d", r.IntN(5), r.IntN(20), 30+r.IntN(5))}
		case x < 0.8:
			f.FixState, f.FixedVersions = "not-fixed", []string{}
		default:
			f.FixState, f.FixedVersions = "unknown", []string{}
		}
		if r.IntN(200) == 0 {
			added := cut.Add(-time.Duration(r.IntN(40*24)) * time.Hour)
			f.KEV = &benchKEV{DateAdded: added}
			if r.IntN(2) == 0 {
				due := added.AddDate(0, 0, 21)
				f.KEV.DueDate = &due
			}
		}
		if r.IntN(5) != 0 {
			s := math.Round(math.Pow(r.Float64(), 4)*1e5) / 1e5
			f.EPSS = &benchEPSS{Score: s, Percentile: math.Round(math.Sqrt(s)*1e5) / 1e5, ModelVersion: "v2025.03.14"}
		}
		f.VEX = benchVEX{Confidence: math.Round((0.3+0.7*r.Float64())*100) / 100, Conflict: r.IntN(50) == 0}
		switch x := r.Float64(); {
		case x < 0.6:
			f.VEX.Status = "affected"
		case x < 0.8:
			just := "vulnerable_code_not_in_execute_path"
			f.VEX.Status, f.VEX.Justification, f.Active = "not_affected", &just, false
		case x < 0.9:
			f.VEX.Status = "under_investigation"
		default:
			f.VEX.Status, f.Active = "fixed", false
		}
		if r.IntN(100) == 0 {
			f.Exception = &benchException{ID: fmt.Sprintf("exc-%d", i), Effect: pick(r, "suppress", "downgrade")}
			if f.Exception.Effect == "suppress" {
				f.Active = false
			}
		}
		in.Findings = append(in.Findings, f)
	}
	slices.SortFunc(in.Findings, func(a, b benchFinding) int {
		return cmp.Or(cmp.Compare(a.AdvisoryID, b.AdvisoryID), cmp.Compare(a.Component.PURL, b.Component.PURL))
	})
	return in
}
