package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/release"
)

var (
	_ release.EvidenceStore = (*DB)(nil)
	_ release.EvidenceStore = (*Tx)(nil)
)

type evidencePacketRow struct {
	bun.BaseModel `bun:"table:evidence_packets,alias:ep"`

	TenantID         string    `bun:"tenant_id,pk"`
	ID               string    `bun:"id,pk"`
	PromotionID      string    `bun:"promotion_id"`
	Type             string    `bun:"type"`
	ContentHash      string    `bun:"content_hash"`
	Envelope         string    `bun:"envelope"` // the DSSE envelope's JSON
	KeyID            string    `bun:"key_id"`
	Algorithm        string    `bun:"algorithm"`
	GeneratorVersion string    `bun:"generator_version"`
	CreatedAt        time.Time `bun:"created_at"`
}

// AppendPacket stores a sealed packet; packets are never updated or
// deleted (the database refuses both). A taken id is a *fault.ConflictError.
func (s *store) AppendPacket(ctx context.Context, p *evidence.Packet) error {
	if p == nil || p.Envelope == nil {
		return invalidField("packet", "a sealed packet with its envelope is required")
	}
	env, err := json.Marshal(p.Envelope)
	if err != nil {
		return err
	}
	row := &evidencePacketRow{TenantID: p.TenantID, ID: p.ID, PromotionID: p.PromotionID, Type: string(p.Type),
		ContentHash: p.ContentHash, Envelope: string(env), KeyID: p.KeyID, Algorithm: p.Algorithm,
		GeneratorVersion: p.GeneratorVersion, CreatedAt: p.CreatedAt.UTC()}
	_, err = s.db.NewInsert().Model(row).Exec(ctx)
	return mapErr(err, ref{kind: "evidence packet", key: p.ID})
}

// Packets returns the packets of a promotion in the order sealed.
func (s *store) Packets(ctx context.Context, tenant, promotionID string) ([]evidence.Packet, error) {
	var rows []evidencePacketRow
	err := s.db.NewSelect().Model(&rows).Where("ep.tenant_id = ? AND ep.promotion_id = ?", tenant, promotionID).
		OrderExpr("ep.created_at, ep.id").Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]evidence.Packet, len(rows))
	for i := range rows {
		p, err := rows[i].packet()
		if err != nil {
			return nil, err
		}
		out[i] = *p
	}
	return out, nil
}
