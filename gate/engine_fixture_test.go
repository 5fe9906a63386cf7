package gate

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// engGate is a plugin gate whose behaviour is a function of the Input.
type engGate struct {
	id, typ string
	eval    func(ctx context.Context, in *Input) (Result, error)
}

func (g engGate) ID() string   { return g.id }
func (g engGate) Type() string { return g.typ }
func (g engGate) Evaluate(ctx context.Context, in *Input) (Result, error) {
	return g.eval(ctx, in)
}

func engStatus(id string, s Status, codes ...string) Gate {
	return engGate{id: id, typ: "test", eval: func(context.Context, *Input) (Result, error) {
		return Result{Status: s, ReasonCodes: codes, Message: string(s)}, nil
	}}
}

// engCritical fails for every active critical finding: enough of a
// security gate to see exceptions and VEX through the engine.
func engCritical(id string) Gate {
	return engGate{id: id, typ: "test-critical", eval: func(_ context.Context, in *Input) (Result, error) {
		var ids []any
		for _, f := range in.Findings {
			if f.Active && f.Severity == "critical" {
				ids = append(ids, f.AdvisoryID)
			}
		}
		if len(ids) > 0 {
			return Result{Status: StatusFail, ReasonCodes: []string{"test-critical.found"}, Message: "critical", Details: map[string]any{"findings": ids}}, nil
		}
		return Result{Status: StatusPass, Message: "none"}, nil
	}}
}

func engPanics(id string) Gate {
	return engGate{id: id, typ: "test", eval: func(context.Context, *Input) (Result, error) { panic("boom") }}
}

func engErrors(id string) Gate {
	return engGate{id: id, typ: "test", eval: func(context.Context, *Input) (Result, error) {
		return Result{}, errors.New("feed unreachable")
	}}
}

// engSleeps honours its context; stuck ignores it.
func engSleeps(id string) Gate {
	return engGate{id: id, typ: "test", eval: func(ctx context.Context, _ *Input) (Result, error) {
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(time.Minute):
			return Result{Status: StatusPass}, nil
		}
	}}
}

func engStuck(id string, released *atomic.Bool) Gate {
	return engGate{id: id, typ: "test", eval: func(context.Context, *Input) (Result, error) {
		for !released.Load() {
			time.Sleep(time.Millisecond)
		}
		return Result{Status: StatusPass}, nil
	}}
}

var engCutoff = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	engRelease  = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	engSBOMA    = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	engSBOMB    = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	engVEXC     = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	engVEXD     = "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	engSnapshot = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
)

func engPtr[T any](v T) *T { return &v }

// engFixture is a release of two components with three findings, two
// approvals and provenance, deliberately listed out of order.
func engFixture() *Input {
	stage := "stage"
	return &Input{
		Phase:       PhaseRequest,
		ClockCutoff: engCutoff,
		Release: Release{ID: "rel-1", Name: "myapp-v2.3.1", Digest: engRelease, Components: []Component{
			{Name: "web", Image: "reg/app/web@" + engSBOMB, Role: "sidecar", Tag: "v2.3.1"},
			{Name: "api", Image: "reg/app/api@" + engSBOMA, Role: "primary", Tag: "v2.3.1"},
		}},
		Environment:       Environment{ID: "env-prod", Name: "prod", Tier: "production", OrderIndex: 2, RequiredApprovals: 1, ApproverGroups: []string{"release-managers"}},
		TargetEnvironment: "prod",
		SourceEnvironment: &stage,
		Requester:         Requester{ID: "u-alice", Groups: []string{"qa", "dev"}},
		Findings: []Finding{
			{ID: "sha256:f3", AdvisoryID: "CVE-2026-9999", Aliases: []string{"GHSA-zzzz"},
				Component: FindingRef{Name: "web", Purl: "pkg:deb/debian/openssl@3.0.0"}, Severity: "critical", CVSS: engPtr(9.8),
				FixState: "not-fixed", FixedVersions: []string{}, KEV: &KEV{DateAdded: "2026-01-10", DueDate: "2026-01-31"},
				VEX: &VEX{Status: "affected", Confidence: 0.9, ConsensusDigest: engVEXD}, Active: true},
			{ID: "sha256:f1", AdvisoryID: "CVE-2026-1234", Aliases: []string{"GHSA-bbbb", "GHSA-aaaa"},
				Component: FindingRef{Name: "api", Purl: "pkg:npm/lodash@4.17.20", Layer: engSBOMA}, Severity: "high", CVSS: engPtr(7.5),
				FixState: "fixed", FixedVersions: []string{"4.17.21"},
				EPSS: &EPSS{Score: 0.0212345678, Percentile: 0.41, ModelVersion: "v2025.03.14"},
				VEX:  &VEX{Status: "affected", Confidence: 0.8, ConsensusDigest: engVEXC}, Active: true},
			{ID: "sha256:f2", AdvisoryID: "CVE-2026-1234", Aliases: []string{"GHSA-aaaa"},
				Component: FindingRef{Name: "web", Purl: "pkg:npm/lodash@4.17.19"}, Severity: "high", CVSS: engPtr(7.5),
				FixState: "fixed", FixedVersions: []string{"4.17.21"},
				VEX: &VEX{Status: "not_affected", Justification: engPtr("vulnerable_code_not_in_execute_path"), Confidence: 0.7, ConsensusDigest: engVEXC}},
		},
		SBOM: SBOMSummary{Digests: []string{engSBOMB, engSBOMA}, ComponentCount: 412, ByType: map[string]int{"npm": 380, "deb": 32}},
		Approvals: []Approval{
			{ApproverID: "u-carol", Groups: []string{"release-managers"}, Action: "approve", At: engCutoff.Add(-30 * time.Minute), ReleaseDigest: engRelease},
			{ApproverID: "u-bob", Groups: []string{"release-managers"}, Action: "approve", At: engCutoff.Add(-time.Hour), ReleaseDigest: engRelease},
		},
		Provenance: []Provenance{
			{Image: "reg/app/web@" + engSBOMB, Signed: false},
			{Image: "reg/app/api@" + engSBOMA, Signed: true, Signer: "ci@example.com", Builder: "github-actions"},
		},
	}
}

func engMeta() DecideMeta {
	return DecideMeta{Tenant: "t1", PromotionID: "p-1", Inputs: InputDigests{AdvisorySnapshotID: engSnapshot, IssuerRegistryDigest: engVEXD}}
}
