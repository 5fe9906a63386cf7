package release

import "context"

// PromotionStore keeps promotions and their approvals. It is separate from
// Store so that code which only reads the catalog need not know about
// promotions, and so that a test double stays small. The store in package
// store implements it on SQLite and PostgreSQL, both on the pool and inside
// a transaction; package release/storetest checks any implementation
// (RunPromotions).
//
// Every method is scoped by tenant: another tenant's promotion reads as
// *fault.NotFoundError. The store never decides a transition: callers
// compute the next value with Promotion.Apply and write it with
// UpdatePromotion, which refuses a value made from a stale read.
type PromotionStore interface {
	// CreatePromotion stores a new promotion (NewPromotion's result); a
	// taken id is a *fault.ConflictError.
	CreatePromotion(ctx context.Context, p *Promotion) error
	GetPromotion(ctx context.Context, tenant, id string) (*Promotion, error)
	// UpdatePromotion writes p if the stored version is p.Version-1: two
	// writers that read the same version cannot both win, the loser gets a
	// *fault.ConflictError and reads again.
	UpdatePromotion(ctx context.Context, p *Promotion) error
	// ListPromotions pages promotions newest first by (requestedAt, id).
	ListPromotions(ctx context.Context, tenant string, f PromotionFilter, opts ListOptions) (*Page[Promotion], error)

	// AppendApproval adds an approval of an existing promotion. Approvals
	// are append-only: there is no update or delete.
	AppendApproval(ctx context.Context, a *Approval) error
	// Approvals returns a promotion's approvals ordered by (at, id).
	Approvals(ctx context.Context, tenant, promotionID string) ([]Approval, error)

	// RequestFacts looks up what ValidateRequest checks for req: the
	// release and the target (by id or name; nil when absent), the
	// environment before the target, whether the release is deployed there,
	// and a promotion of the release into the target already under way.
	RequestFacts(ctx context.Context, tenant string, req PromotionRequest) (RequestFacts, error)

	// ClaimDeploy takes the deploy lock of one (environment, application)
	// (release.md §2 rule 3). In one transaction it locks the lane, picks
	// the promotion NextToDeploy allows, hands it to start and writes what
	// start returns (normally the deploying value from Apply with
	// TriggerPreDeployAllow; a denied or pending pre-deploy evaluation
	// returns rejected or pending_gate instead). It returns the written
	// promotion, or nil when a promotion of the lane is already deploying or
	// none is approved. Two claimers, in one process or two, never both
	// move a promotion of the same lane to deploying.
	ClaimDeploy(ctx context.Context, tenant, environmentID, application string, start func(Promotion) (Promotion, error)) (*Promotion, error)
}

// PromotionFilter narrows a promotion list; zero fields match everything.
type PromotionFilter struct {
	ReleaseID           string
	TargetEnvironmentID string
	Application         string
	Status              PromotionStatus
}
