package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/release"
)

var (
	_ release.PromotionStore = (*DB)(nil)
	_ release.PromotionStore = (*Tx)(nil)
	_ release.PromotionTx    = (*DB)(nil)
	_ release.PromotionTx    = (*Tx)(nil)
)

type promotionRow struct {
	bun.BaseModel `bun:"table:promotions,alias:p"`

	TenantID            string     `bun:"tenant_id,pk"`
	ID                  string     `bun:"id,pk"`
	ReleaseID           string     `bun:"release_id"`
	ReleaseDigest       string     `bun:"release_digest"`
	Application         string     `bun:"application"`
	SourceEnvironmentID string     `bun:"source_environment_id"`
	TargetEnvironmentID string     `bun:"target_environment_id"`
	Status              string     `bun:"status"`
	RequestedBy         string     `bun:"requested_by"`
	RequestedAt         time.Time  `bun:"requested_at"`
	Reason              string     `bun:"reason"`
	DecisionIDs         string     `bun:"decision_ids"` // JSON array
	FinalDecisionID     string     `bun:"final_decision_id"`
	WorkflowRunID       string     `bun:"workflow_run_id"`
	DeploymentJobID     string     `bun:"deployment_job_id"`
	EvidencePacketIDs   string     `bun:"evidence_packet_ids"` // JSON array
	DecidedAt           *time.Time `bun:"decided_at"`
	StartedAt           *time.Time `bun:"started_at"`
	CompletedAt         *time.Time `bun:"completed_at"`
	Failure             *string    `bun:"failure"` // JSON, NULL when there is none
	NotBefore           *time.Time `bun:"not_before"`
	CreatedAt           time.Time  `bun:"created_at"`
	UpdatedAt           time.Time  `bun:"updated_at"`
	Version             int        `bun:"version"`
}

type approvalRow struct {
	bun.BaseModel `bun:"table:approvals,alias:a"`

	TenantID       string    `bun:"tenant_id,pk"`
	ID             string    `bun:"id,pk"`
	PromotionID    string    `bun:"promotion_id"`
	ReleaseDigest  string    `bun:"release_digest"`
	ApproverID     string    `bun:"approver_id"`
	ApproverName   string    `bun:"approver_name"`
	ApproverGroups string    `bun:"approver_groups"` // JSON array
	Action         string    `bun:"action"`
	Comment        string    `bun:"comment"`
	At             time.Time `bun:"at"`
}

func promotionToRow(p *release.Promotion) (*promotionRow, error) {
	r := &promotionRow{
		TenantID: p.TenantID, ID: p.ID, ReleaseID: p.ReleaseID, ReleaseDigest: p.ReleaseDigest,
		Application: p.Application, SourceEnvironmentID: p.SourceEnvironmentID, TargetEnvironmentID: p.TargetEnvironmentID,
		Status: string(p.Status), RequestedBy: p.RequestedBy, RequestedAt: p.RequestedAt.UTC(), Reason: p.Reason,
		FinalDecisionID: p.FinalDecisionID, WorkflowRunID: p.WorkflowRunID, DeploymentJobID: p.DeploymentJobID,
		DecidedAt: utcPtr(p.DecidedAt), StartedAt: utcPtr(p.StartedAt), CompletedAt: utcPtr(p.CompletedAt),
		NotBefore: utcPtr(p.NotBefore), CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Version: p.Version,
	}
	var j jsonColumns
	j.put(&r.DecisionIDs, nonNilSlice(p.DecisionIDs))
	j.put(&r.EvidencePacketIDs, nonNilSlice(p.EvidencePacketIDs))
	if p.Failure != nil {
		var failure string
		j.put(&failure, p.Failure)
		r.Failure = &failure
	}
	return r, j.err
}

func (r *promotionRow) toPromotion() (release.Promotion, error) {
	p := release.Promotion{
		ID: r.ID, TenantID: r.TenantID, ReleaseID: r.ReleaseID, ReleaseDigest: r.ReleaseDigest,
		Application: r.Application, SourceEnvironmentID: r.SourceEnvironmentID, TargetEnvironmentID: r.TargetEnvironmentID,
		Status: release.PromotionStatus(r.Status), RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt.UTC(), Reason: r.Reason,
		FinalDecisionID: r.FinalDecisionID, WorkflowRunID: r.WorkflowRunID, DeploymentJobID: r.DeploymentJobID,
		DecidedAt: utcPtr(r.DecidedAt), StartedAt: utcPtr(r.StartedAt), CompletedAt: utcPtr(r.CompletedAt),
		NotBefore: utcPtr(r.NotBefore), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
	}
	var j jsonColumns
	j.get(r.DecisionIDs, &p.DecisionIDs)
	j.get(r.EvidencePacketIDs, &p.EvidencePacketIDs)
	if r.Failure != nil {
		p.Failure = &release.PromotionFailure{}
		j.get(*r.Failure, p.Failure)
	}
	p.DecisionIDs = nonNilSlice(p.DecisionIDs)
	p.EvidencePacketIDs = nonNilSlice(p.EvidencePacketIDs)
	return p, j.err
}

// promotionRef names the unique indexes a promotion write can clash with:
// the id, rule 1's one open promotion of a release per environment, and
// the deploy lock.
func promotionRef(p *release.Promotion) ref {
	return ref{kind: "promotion", key: p.ID,
		clash: map[string]string{
			"target_environment_id": "another promotion of release " + p.ReleaseID + " into environment " + p.TargetEnvironmentID + " is already under way (or deployed)",
			"application":           "the deploy lock is held: another promotion of " + p.Application + " is deploying in environment " + p.TargetEnvironmentID,
		},
		missing: &fault.NotFoundError{Kind: "release", Key: p.ReleaseID},
	}
}

func (s *store) CreatePromotion(ctx context.Context, p *release.Promotion) error {
	row, err := promotionToRow(p)
	if err != nil {
		return err
	}
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, promotionRef(p))
}

func (s *store) GetPromotion(ctx context.Context, tenant, id string) (*release.Promotion, error) {
	var row promotionRow
	if err := s.db.NewSelect().Model(&row).Where("p.tenant_id = ? AND p.id = ?", tenant, id).Scan(ctx); err != nil {
		return nil, mapErr(err, ref{kind: "promotion", key: id})
	}
	p, err := row.toPromotion()
	return &p, err
}

func (s *store) UpdatePromotion(ctx context.Context, p *release.Promotion) error {
	row, err := promotionToRow(p)
	if err != nil {
		return err
	}
	return s.updateVersioned(ctx, row, "promotions", p.TenantID, p.ID, p.Version, promotionRef(p))
}

// ListPromotions pages promotions newest first by keyset on (requested_at,
// id); each filter combination the API uses has an index ending in that order.
func (s *store) ListPromotions(ctx context.Context, tenant string, f release.PromotionFilter, opts release.ListOptions) (*release.Page[release.Promotion], error) {
	var rows []promotionRow
	q := s.db.NewSelect().Model(&rows).Where("p.tenant_id = ?", tenant)
	for _, c := range []struct{ col, value string }{
		{"p.release_id", f.ReleaseID}, {"p.target_environment_id", f.TargetEnvironmentID},
		{"p.application", f.Application}, {"p.status", string(f.Status)},
	} {
		if c.value != "" {
			q = q.Where("? = ?", bun.Safe(c.col), c.value)
		}
	}
	q, err := newestFirst(q, "p.requested_at", "p.id", opts)
	if err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return toPage(rows, opts, cursorTime, func(r *promotionRow) string { return timeCursorValue(r.RequestedAt, r.ID) },
		(*promotionRow).toPromotion)
}

func (s *store) AppendApproval(ctx context.Context, a *release.Approval) error {
	row := &approvalRow{TenantID: a.TenantID, ID: a.ID, PromotionID: a.PromotionID, ReleaseDigest: a.ReleaseDigest,
		ApproverID: a.ApproverID, ApproverName: a.ApproverName, Action: string(a.Action), Comment: a.Comment, At: a.At.UTC()}
	groups, err := toJSON(nonNilSlice(a.Groups))
	if err != nil {
		return err
	}
	row.ApproverGroups = groups
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, ref{kind: "approval", key: a.ID,
		missing: &fault.NotFoundError{Kind: "promotion", Key: a.PromotionID}})
}

func (s *store) Approvals(ctx context.Context, tenant, promotionID string) ([]release.Approval, error) {
	var rows []approvalRow
	err := s.db.NewSelect().Model(&rows).
		Where("a.tenant_id = ? AND a.promotion_id = ?", tenant, promotionID).
		OrderExpr("a.at, a.id").Scan(ctx)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		// None, or no such promotion: only the second is an error.
		if _, err := s.GetPromotion(ctx, tenant, promotionID); err != nil {
			return nil, err
		}
	}
	out := make([]release.Approval, len(rows))
	for i, r := range rows {
		out[i] = release.Approval{ID: r.ID, TenantID: r.TenantID, PromotionID: r.PromotionID, ReleaseDigest: r.ReleaseDigest,
			ApproverID: r.ApproverID, ApproverName: r.ApproverName, Action: release.ApprovalAction(r.Action),
			Comment: r.Comment, At: r.At.UTC()}
		if err := fromJSON(r.ApproverGroups, &out[i].Groups); err != nil {
			return nil, err
		}
		out[i].Groups = nonNilSlice(out[i].Groups)
	}
	return out, nil
}

// RequestFacts looks the facts up with one query each; a caller that writes
// the promotion should do so in the same transaction. Even outside one, the
// promotions_open index refuses a second open promotion that slipped past.
func (s *store) RequestFacts(ctx context.Context, tenant string, req release.PromotionRequest) (release.RequestFacts, error) {
	var f release.RequestFacts
	absent := func(err error) bool { return errors.Is(err, fault.ErrNotFound) }
	if req.ReleaseID != "" {
		rel, err := s.GetRelease(ctx, tenant, req.ReleaseID)
		if err != nil && !absent(err) {
			return f, err
		}
		f.Release = rel
	}
	if req.Target != "" {
		env, err := s.GetEnvironment(ctx, tenant, req.Target)
		if err != nil && !absent(err) {
			return f, err
		}
		f.Target = env
	}
	if f.Target == nil {
		return f, nil
	}
	var prev environmentRow
	err := s.db.NewSelect().Model(&prev).
		Where("tenant_id = ? AND order_index < ?", tenant, f.Target.OrderIndex).
		OrderExpr("order_index DESC").Limit(1).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return f, err
	default:
		e, err := prev.toEnvironment()
		if err != nil {
			return f, err
		}
		f.Previous = &e
	}
	if f.Release == nil {
		return f, nil
	}
	if f.Previous != nil {
		n, err := s.db.NewSelect().Model((*promotionRow)(nil)).
			Where("p.tenant_id = ? AND p.release_id = ? AND p.target_environment_id = ? AND p.status = ?",
				tenant, f.Release.ID, f.Previous.ID, release.PromotionDeployed).
			Count(ctx)
		if err != nil {
			return f, err
		}
		f.DeployedIntoPrevious = n > 0
	}
	var open []string
	err = s.db.NewSelect().Model((*promotionRow)(nil)).Column("p.id").
		Where("p.tenant_id = ? AND p.release_id = ? AND p.target_environment_id = ?", tenant, f.Release.ID, f.Target.ID).
		Where("p.status NOT IN (?)", bun.List(terminalStatuses())).
		OrderExpr("p.requested_at, p.id").Limit(1).
		Scan(ctx, &open)
	if err != nil {
		return f, err
	}
	if len(open) > 0 {
		f.OpenPromotionID = open[0]
	}
	return f, nil
}

func terminalStatuses() []string {
	var out []string
	for _, st := range release.PromotionStatuses() {
		if st.Terminal() {
			out = append(out, string(st))
		}
	}
	return out
}

// ClaimDeploy reads the lane's approved and deploying promotions in one
// transaction and lets release.NextToDeploy choose. On PostgreSQL the read
// locks those rows (FOR UPDATE, not SKIP LOCKED: skipping the row another
// claimer holds would let this one take the next in line while the first
// starts), so a second claimer waits and then sees the first one
// deploying. On SQLite the transaction is the single writer (_txlock=immediate).
// promotions_deploy_lock backs both: a write that got past would fail.
func (s *store) ClaimDeploy(ctx context.Context, tenant, environmentID, application string, start func(release.Promotion) (release.Promotion, error)) (*release.Promotion, error) {
	var claimed *release.Promotion
	err := s.inTxStore(ctx, func(tx *store) error {
		var rows []promotionRow
		q := tx.db.NewSelect().Model(&rows).
			Where("p.tenant_id = ? AND p.target_environment_id = ? AND p.application = ?", tenant, environmentID, application).
			Where("p.status IN (?)", bun.List([]string{string(release.PromotionApproved), string(release.PromotionDeploying)})).
			OrderExpr("p.requested_at, p.id")
		if tx.dialect == DialectPostgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		lane := make([]release.Promotion, len(rows))
		for i := range rows {
			p, err := rows[i].toPromotion()
			if err != nil {
				return err
			}
			lane[i] = p
		}
		next := release.NextToDeploy(lane)
		if len(next) == 0 {
			return nil
		}
		p, err := start(next[0])
		if err != nil {
			return err
		}
		if p.ID != next[0].ID || p.TenantID != tenant || p.TargetEnvironmentID != environmentID || p.Application != application {
			return fmt.Errorf("claim deploy: start returned promotion %s of %s in %s, not the claimed %s", p.ID, p.Application, p.TargetEnvironmentID, next[0].ID)
		}
		if err := tx.UpdatePromotion(ctx, &p); err != nil {
			return err
		}
		claimed = &p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}
