package graph

import (
	"context"
	"crypto"
	"errors"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/evidence"
	"github.com/stella-ops/stella/graph/model"
	"github.com/stella-ops/stella/tenant"
)

// EvidenceService is what the evidence queries read: the public half of
// the evidence key (the private key never reaches the API) and the
// packets.
type EvidenceService struct {
	Key     crypto.PublicKey
	Packets PacketStore
}

// PacketStore reads one packet of a tenant by id.
type PacketStore interface {
	Packet(ctx context.Context, tenant, id string) (*evidence.Packet, error)
}

var errNoEvidence = errors.New("this server serves no evidence")

func (r *Resolver) evidenceKey() (*model.EvidenceKey, error) {
	if r.Evidence == nil || r.Evidence.Key == nil {
		return nil, errNoEvidence
	}
	v, err := attest.NewVerifier(r.Evidence.Key)
	if err != nil {
		return nil, err
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(r.Evidence.Key)
	if err != nil {
		return nil, err
	}
	return &model.EvidenceKey{KeyID: v.KeyID(), Algorithm: v.Algorithm(), PublicKeyPem: string(pem)}, nil
}

func (r *Resolver) evidencePacket(ctx context.Context, id string) (*evidence.Packet, error) {
	if r.Evidence == nil || r.Evidence.Packets == nil {
		return nil, errNoEvidence
	}
	if strings.TrimSpace(id) == "" {
		return nil, fieldError("id", "is required")
	}
	sc, err := tenant.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return r.Evidence.Packets.Packet(ctx, sc.Tenant, id)
}

// packetStatement decodes a packet's signed statement, for display.
func packetStatement(p *evidence.Packet) (*attest.Statement, error) {
	if p.Envelope == nil {
		return nil, errors.New("graph: packet without an envelope")
	}
	payload, err := p.Envelope.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	return attest.ParseStatement(payload)
}
