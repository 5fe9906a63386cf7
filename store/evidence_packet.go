package store

import (
	"context"
	"encoding/json"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
)

// Packet returns one of the tenant's packets by id; another tenant's reads
// as not found.
func (s *store) Packet(ctx context.Context, tenant, id string) (*evidence.Packet, error) {
	var row evidencePacketRow
	err := s.db.NewSelect().Model(&row).Where("ep.tenant_id = ? AND ep.id = ?", tenant, id).Scan(ctx)
	if err != nil {
		return nil, mapErr(err, ref{kind: "evidence packet", key: id})
	}
	return row.packet()
}

func (r *evidencePacketRow) packet() (*evidence.Packet, error) {
	var env attest.Envelope
	if err := json.Unmarshal([]byte(r.Envelope), &env); err != nil {
		return nil, err
	}
	return &evidence.Packet{ID: r.ID, TenantID: r.TenantID, PromotionID: r.PromotionID, Type: evidence.Type(r.Type),
		ContentHash: r.ContentHash, Envelope: &env, KeyID: r.KeyID, Algorithm: r.Algorithm,
		GeneratorVersion: r.GeneratorVersion, CreatedAt: r.CreatedAt.UTC()}, nil
}
