package server

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/stella-ops/stella/attest"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/evidence/auditpack"
	"github.com/stella-ops/stella/fault"
	"github.com/stella-ops/stella/graph"
	"github.com/stella-ops/stella/store"
)

var _ auditpack.Store = (*store.DB)(nil)

// evidenceService serves the evidence key's public half and the packets.
func evidenceService(signer attest.Signer, db *store.DB) (*graph.EvidenceService, error) {
	pub, ok := signer.(interface{ Public() crypto.PublicKey })
	if !ok {
		return nil, fmt.Errorf("evidence key: signer %s has no public key", signer.KeyID())
	}
	return &graph.EvidenceService{Key: pub.Public(), Packets: db}, nil
}

// evidencePack answers GET /v1/promotions/{id}/evidence-pack with the
// promotion's audit pack, signed with the evidence key. Any role may read
// it; another tenant's promotion is NOT_FOUND. The pack is built in memory
// first, so an error is never a half-sent archive.
func (s *Server) evidencePack(w http.ResponseWriter, r *http.Request) {
	p, ok := graph.PrincipalFrom(r.Context())
	if !ok {
		writeGraphQLError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "authentication required: send Authorization: Bearer <token>")
		return
	}
	if !p.Role.Allows(auth.RoleViewer) {
		writeGraphQLError(w, http.StatusForbidden, "FORBIDDEN", "forbidden")
		return
	}
	id := r.PathValue("id")
	var buf bytes.Buffer
	err := auditpack.Write(r.Context(), &buf, s.db, id, s.signer)
	var perr *fault.PreconditionError
	switch {
	case err == nil:
	case errors.Is(err, fault.ErrNotFound):
		writeGraphQLError(w, http.StatusNotFound, "NOT_FOUND", err.Error())
		return
	case errors.As(err, &perr):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": err.Error(),
			"extensions": map[string]string{"code": "PRECONDITION", "reason": perr.Code}}}})
		return
	default:
		s.log.ErrorContext(r.Context(), "evidence pack", "promotion", id, "error", err)
		writeGraphQLError(w, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-pack.tar.gz"`)
	_, _ = w.Write(buf.Bytes())
}
