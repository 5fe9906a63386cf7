package release_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

func finalized() *release.Release {
	return &release.Release{ID: "rel-1", TenantID: "acme", Application: "myapp", Name: "myapp-v2.3.1",
		Status: release.StatusFinalized, Digest: "sha256:0f1e"}
}

func env(id string, order int) *release.Environment {
	return &release.Environment{ID: "env-" + id, TenantID: "acme", Name: id, OrderIndex: order, RequirePreviousEnvironment: true}
}

func request() release.PromotionRequest {
	return release.PromotionRequest{ReleaseID: "rel-1", Target: "stage", Reason: "weekly release", RequestedBy: "alice"}
}

// The rules of release.md §2 rule 1, each with the error kind and the
// words that tell the caller what to fix.
func TestValidateRequest(t *testing.T) {
	draft := finalized()
	draft.Status, draft.Digest = release.StatusDraft, ""
	deprecated := finalized()
	deprecated.Status = release.StatusDeprecated
	noPrevious := env("stage", 1)
	noPrevious.RequirePreviousEnvironment = false
	otherTenant := env("stage", 1)
	otherTenant.TenantID = "globex"

	for _, c := range []struct {
		name  string
		blank bool // an empty request instead of request()
		f     release.RequestFacts
		kind  error
		code  string // the precondition's code
		says  string
	}{
		{name: "first environment needs no previous one",
			f: release.RequestFacts{Release: finalized(), Target: env("dev", 0)}},
		{name: "deployed into the previous environment",
			f: release.RequestFacts{Release: finalized(), Target: env("stage", 1), Previous: env("dev", 0), DeployedIntoPrevious: true}},
		{name: "previous environment not required",
			f: release.RequestFacts{Release: finalized(), Target: noPrevious, Previous: env("dev", 0)}},
		{name: "missing input lists every field", blank: true,
			f: release.RequestFacts{Release: finalized(), Target: env("dev", 0)}, kind: fault.ErrValidation,
			says: "releaseId: is required; requestedBy: is required; targetEnvironment: is required"},
		{name: "release not found", f: release.RequestFacts{Target: env("dev", 0)}, kind: fault.ErrNotFound, says: `release "rel-1"`},
		{name: "environment not found", f: release.RequestFacts{Release: finalized()}, kind: fault.ErrNotFound, says: `environment "stage"`},
		{name: "another tenant's environment reads as absent", f: release.RequestFacts{Release: finalized(), Target: otherTenant},
			kind: fault.ErrNotFound, says: `environment "stage" not found`},
		{name: "draft release", f: release.RequestFacts{Release: draft, Target: env("dev", 0)},
			kind: fault.ErrPrecondition, code: release.ReasonReleaseNotFinalized, says: "is draft; finalize it"},
		{name: "deprecated release", f: release.RequestFacts{Release: deprecated, Target: env("dev", 0)},
			kind: fault.ErrPrecondition, code: release.ReasonReleaseDeprecated, says: "deprecated"},
		{name: "not deployed into the previous environment",
			f:    release.RequestFacts{Release: finalized(), Target: env("prod", 2), Previous: env("stage", 1)},
			kind: fault.ErrPrecondition, code: release.ReasonPreviousNotDeployed, says: "has not been deployed to stage, which comes before prod"},
		{name: "a promotion already under way",
			f:    release.RequestFacts{Release: finalized(), Target: env("dev", 0), OpenPromotionID: "p-7"},
			kind: fault.ErrConflict, says: "promotion p-7 into dev is already under way"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := request()
			if c.blank {
				req = release.PromotionRequest{}
			}
			err := release.ValidateRequest(req, c.f)
			if c.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want %v saying %q", err, c.kind, c.says)
			}
			var pre *fault.PreconditionError
			if errors.As(err, &pre) && pre.Code != c.code {
				t.Fatalf("code = %q, want %q", pre.Code, c.code)
			}
		})
	}
}

// Facts that contradict each other are the store's bug, not the caller's:
// a plain error, never a refusal the API would show as the user's fault.
func TestValidateRequestRefusesInconsistentFacts(t *testing.T) {
	err := release.ValidateRequest(request(), release.RequestFacts{Release: finalized(), Target: env("stage", 1), Previous: env("prod", 2)})
	for _, kind := range []error{fault.ErrValidation, fault.ErrNotFound, fault.ErrConflict, fault.ErrPrecondition} {
		if err == nil || errors.Is(err, kind) {
			t.Fatalf("err = %v", err)
		}
	}
}

func TestNewPromotion(t *testing.T) {
	f := release.RequestFacts{Release: finalized(), Target: env("stage", 1), Previous: env("dev", 0), DeployedIntoPrevious: true}
	p, ev, err := release.NewPromotion("p-1", request(), f, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := release.Promotion{ID: "p-1", TenantID: "acme", ReleaseID: "rel-1", ReleaseDigest: "sha256:0f1e", Application: "myapp",
		SourceEnvironmentID: "env-dev", TargetEnvironmentID: "env-stage", Status: release.PromotionRequested,
		RequestedBy: "alice", RequestedAt: t0, Reason: "weekly release", DecisionIDs: []string{}, EvidencePacketIDs: []string{},
		CreatedAt: t0, UpdatedAt: t0, Version: 1}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got  %+v\nwant %+v", p, want)
	}
	if ev.Type != release.EventPromotionRequested || ev.EntityID != "p-1" || ev.Data["targetEnvironmentId"] != "env-stage" {
		t.Fatalf("event %+v", ev)
	}
	// A first deployment has no source.
	first, _, err := release.NewPromotion("p-2", request(), release.RequestFacts{Release: finalized(), Target: env("dev", 0)}, t0)
	if err != nil || first.SourceEnvironmentID != "" {
		t.Fatalf("first deployment: source %q, %v", first.SourceEnvironmentID, err)
	}
	if _, _, err := release.NewPromotion("p-3", request(), release.RequestFacts{Release: finalized(), Target: env("dev", 0), OpenPromotionID: "p-1"}, t0); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("open promotion: %v", err)
	}
}

// When a promotion into stage deploys, every environment that auto-promotes
// from stage gets a request by system:auto-promote, lowest orderIndex first;
// other tenants and other environments are untouched.
func TestAutoPromotions(t *testing.T) {
	prodEU, prodUS, qa, other := env("prod-eu", 3), env("prod-us", 2), env("qa", 4), env("prod", 2)
	prodEU.AutoPromoteFrom, prodUS.AutoPromoteFrom, qa.AutoPromoteFrom = "env-stage", "env-stage", "env-dev"
	other.AutoPromoteFrom, other.TenantID = "env-stage", "globex"
	envs := []release.Environment{*prodEU, *qa, *other, *prodUS, *env("stage", 1)}

	p := promotionIn(deployed)
	p.TargetEnvironmentID = "env-stage"
	got := release.AutoPromotions(p, envs)
	var targets []string
	for _, r := range got {
		targets = append(targets, r.Target)
		if r.RequestedBy != release.AutoPromoteActor || r.ReleaseID != "r1" || r.Reason == "" {
			t.Errorf("request %+v", r)
		}
	}
	if !reflect.DeepEqual(targets, []string{"env-prod-us", "env-prod-eu"}) {
		t.Fatalf("targets %v", targets)
	}
	for _, s := range []release.PromotionStatus{deploying, failed, rolledBack} {
		p.Status = s
		if got := release.AutoPromotions(p, envs); len(got) != 0 {
			t.Errorf("%s: %v", s, got)
		}
	}
}
