package release

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/fault"
)

// Codes of the business rules that refuse a promotion request.
const (
	ReasonReleaseNotFinalized = "RELEASE_NOT_FINALIZED"
	ReasonReleaseDeprecated   = "RELEASE_DEPRECATED"
	ReasonPreviousNotDeployed = "PREVIOUS_ENVIRONMENT_NOT_DEPLOYED"
)

// PromotionRequest is what a caller asks for: this release into that
// environment, and why.
type PromotionRequest struct {
	ReleaseID   string
	Target      string // the target environment's id or name, as asked
	Reason      string
	RequestedBy string // the actor; AutoPromoteActor for auto-promotions
}

// RequestFacts are what a store looked up for a request, so that the rules
// of release.md §2 rule 1 can be checked without one.
type RequestFacts struct {
	Release *Release     // nil when not found in the tenant
	Target  *Environment // nil when not found in the tenant
	// Previous is the tenant's environment with the next lower orderIndex
	// than Target's, nil when Target is the lowest.
	Previous *Environment
	// DeployedIntoPrevious: a promotion of Release into Previous is
	// deployed (not rolled back).
	DeployedIntoPrevious bool
	// OpenPromotionID is a promotion of Release into Target that is not
	// Terminal (deployed and failed count: they may still roll back), "" when
	// there is none.
	OpenPromotionID string
}

// ValidateRequest applies the rules of a promotion request in the order a
// caller fixes them: the input (*fault.ValidationError, every field), what
// does not exist (*fault.NotFoundError), the release and the environment
// before it (*fault.PreconditionError), and last a promotion already under
// way (*fault.ConflictError).
func ValidateRequest(req PromotionRequest, f RequestFacts) error {
	v := validator{}
	v.check(req.ReleaseID != "", "releaseId", "is required")
	v.check(req.Target != "", "targetEnvironment", "is required")
	v.check(req.RequestedBy != "", "requestedBy", "is required")
	if err := v.err(); err != nil {
		return err
	}
	rel, env := f.Release, f.Target
	if rel == nil {
		return &fault.NotFoundError{Kind: "release", Key: req.ReleaseID}
	}
	// Another tenant's environment reads as absent, never as a mismatch.
	if env == nil || env.TenantID != rel.TenantID {
		return &fault.NotFoundError{Kind: "environment", Key: req.Target}
	}
	if prev := f.Previous; prev != nil && (prev.TenantID != env.TenantID || prev.OrderIndex >= env.OrderIndex) {
		return fmt.Errorf("promotion facts: environment %s (orderIndex %d) does not come before %s (orderIndex %d) in tenant %s",
			prev.Name, prev.OrderIndex, env.Name, env.OrderIndex, env.TenantID)
	}
	switch rel.Status {
	case StatusFinalized:
	case StatusDeprecated:
		return &fault.PreconditionError{Kind: "release", Key: rel.Name, Code: ReasonReleaseDeprecated,
			Reason: "is deprecated and may not be promoted any more"}
	default:
		return &fault.PreconditionError{Kind: "release", Key: rel.Name, Code: ReasonReleaseNotFinalized,
			Reason: fmt.Sprintf("is %s; finalize it before promoting it", rel.Status)}
	}
	if rel.Digest == "" {
		return fmt.Errorf("release %s is finalized but has no digest", rel.Name)
	}
	if env.RequirePreviousEnvironment && f.Previous != nil && !f.DeployedIntoPrevious {
		return &fault.PreconditionError{Kind: "release", Key: rel.Name, Code: ReasonPreviousNotDeployed,
			Reason: fmt.Sprintf("has not been deployed to %s, which comes before %s", f.Previous.Name, env.Name)}
	}
	if f.OpenPromotionID != "" {
		return &fault.ConflictError{Kind: "release", Key: rel.Name,
			Reason: fmt.Sprintf("promotion %s into %s is already under way (or deployed); cancel or roll it back first", f.OpenPromotionID, env.Name)}
	}
	return nil
}

// NewPromotion is the first edge of the state machine: a request that
// passes ValidateRequest becomes a promotion in status requested, with the
// promotion.requested event. The release digest is copied now, so that
// approvals bind to it and a later release cannot slip in.
//
// The source environment is Previous when the release is deployed there,
// none otherwise (a first deployment, or an environment that does not
// require the previous one).
func NewPromotion(id string, req PromotionRequest, f RequestFacts, at time.Time) (Promotion, Event, error) {
	if id == "" {
		return Promotion{}, Event{}, fault.Invalid("id", "is required")
	}
	if err := ValidateRequest(req, f); err != nil {
		return Promotion{}, Event{}, err
	}
	at = at.UTC()
	p := Promotion{
		ID: id, TenantID: f.Release.TenantID,
		ReleaseID: f.Release.ID, ReleaseDigest: f.Release.Digest, Application: f.Release.Application,
		TargetEnvironmentID: f.Target.ID, Status: PromotionRequested,
		RequestedBy: req.RequestedBy, RequestedAt: at, Reason: req.Reason,
		DecisionIDs: []string{}, EvidencePacketIDs: []string{},
		CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	if f.Previous != nil && f.DeployedIntoPrevious {
		p.SourceEnvironmentID = f.Previous.ID
	}
	return p, p.event(EventPromotionRequested, "", "", at), nil
}

// AutoPromotions returns the requests that follow deployed (release.md §2
// rule 5): one into each of envs whose autoPromoteFrom is the environment
// deployed reached, requested by AutoPromoteActor, ordered by orderIndex.
// None unless deployed is in status deployed. Each request still goes
// through ValidateRequest: an auto-promotion obeys the same rules.
func AutoPromotions(deployed Promotion, envs []Environment) []PromotionRequest {
	if deployed.Status != PromotionDeployed {
		return nil
	}
	var next []Environment
	for _, e := range envs {
		if e.TenantID == deployed.TenantID && e.AutoPromoteFrom == deployed.TargetEnvironmentID && e.ID != deployed.TargetEnvironmentID {
			next = append(next, e)
		}
	}
	slices.SortFunc(next, func(a, b Environment) int {
		return cmp.Or(cmp.Compare(a.OrderIndex, b.OrderIndex), strings.Compare(a.ID, b.ID))
	})
	out := make([]PromotionRequest, len(next))
	for i, e := range next {
		out[i] = PromotionRequest{ReleaseID: deployed.ReleaseID, Target: e.ID, RequestedBy: AutoPromoteActor,
			Reason: fmt.Sprintf("auto-promoted after promotion %s deployed", deployed.ID)}
	}
	return out
}
