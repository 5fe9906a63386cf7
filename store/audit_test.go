package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stella-ops/stella/advisory"
	advisorytest "github.com/stella-ops/stella/advisory/storetest"
	"github.com/stella-ops/stella/auth"
	"github.com/stella-ops/stella/gate/exception"
	exceptiontest "github.com/stella-ops/stella/gate/exception/storetest"
	"github.com/stella-ops/stella/gate/record"
	recordtest "github.com/stella-ops/stella/gate/record/storetest"
	"github.com/stella-ops/stella/release"
	"github.com/stella-ops/stella/release/storetest"
	"github.com/stella-ops/stella/sbom"
	"github.com/stella-ops/stella/vex"
	vextest "github.com/stella-ops/stella/vex/storetest"
)

// Every change made outside release.Service (graph's mutations, the server's
// tokens, stella's mirror imports) is written through a Tx together with its
// audit entry: both land, or neither does.
func TestAuditedChangesAreAtomic(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(t *testing.T) *DB) {
		storetest.RunAudited(t, func(t *testing.T) (release.Store, storetest.Transact[*Tx]) {
			db := open(t)
			return db, db.Transact
		}, auditedChanges(t)...)
	})
}

const auditTenant = "acme" // the tenant whose audit log storetest.RunAudited reads

// found turns a not-found error into false.
func found(err error, notFound error) (bool, error) {
	if errors.Is(err, notFound) {
		return false, nil
	}
	return err == nil, err
}

func auditedChanges(t *testing.T) []storetest.Change[*Tx] {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	token := func(name string) *auth.Token {
		tok, _, err := auth.NewToken(auditTenant, name, auth.RoleViewer, "admin", at, uuid.Must(uuid.NewV7()).String())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tokens := func(ctx context.Context, tx *Tx) ([]auth.Token, error) { return tx.ListTokens(ctx, auditTenant) }
	rec, raw := recordtest.Decide(t, auditTenant, "shop-1", "prod", recordtest.Cutoff)
	waiver := exceptiontest.Exception(auditTenant, "x-1", "CVE-2024-0001", exceptiontest.Cutoff)
	doc := vextest.OpenVEX(t, "", "audited", vextest.ImageDigest, "pkg:deb/debian/openssl", "not_affected", "CVE-2024-0001")
	issuer := vex.Issuer{ID: "vendor", Name: "Vendor", Class: vex.ClassVendor}
	sbomRecord := func(content byte) *sbom.Record {
		return &sbom.Record{TenantID: auditTenant, ContentDigest: "sha256:" + strings.Repeat(string(content), 64),
			ImageDigest: "sha256:" + strings.Repeat("a", 64), ImageName: "r.io/app", Format: "cyclonedx-json@1.7",
			Document: []byte(`{"bomFormat":"CycloneDX"}`), CreatedAt: at}
	}
	obs := advisorytest.Obs("osv", "X-1", "a")
	cursor := &advisory.FeedCursor{Feed: "mirror k1", Generation: 1, ContentHash: "sha256:" + strings.Repeat("c", 64), UpdatedAt: at}

	return []storetest.Change[*Tx]{
		{
			Name: "CreateToken",
			Make: func(ctx context.Context, tx *Tx) error { return tx.CreateToken(ctx, token("ci")) },
			Refused: func(ctx context.Context, tx *Tx) error {
				tok := token("ci")
				if err := tx.CreateToken(ctx, tok); err != nil {
					return err
				}
				dup := token("copy")
				dup.Hash = tok.Hash
				return tx.CreateToken(ctx, dup)
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) { ts, err := tokens(ctx, tx); return len(ts) > 0, err },
		},
		{
			Name: "RevokeToken",
			Make: func(ctx context.Context, tx *Tx) error {
				tok := token("ci")
				if err := tx.CreateToken(ctx, tok); err != nil {
					return err
				}
				_, err := tx.RevokeToken(ctx, auditTenant, tok.ID, at)
				return err
			},
			Refused: func(ctx context.Context, tx *Tx) error {
				_, err := tx.RevokeToken(ctx, auditTenant, uuid.NewString(), at)
				return err
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				ts, err := tokens(ctx, tx)
				return len(ts) > 0 && ts[0].RevokedAt != nil, err
			},
		},
		{
			Name: "AppendDecision",
			Make: func(ctx context.Context, tx *Tx) error {
				_, err := tx.AppendDecision(ctx, auditTenant, rec, raw)
				return err
			},
			Refused: func(ctx context.Context, tx *Tx) error {
				_, err := tx.AppendDecision(ctx, auditTenant, rec, []byte(`{}`)) // not the record's bytes
				return err
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				_, err := tx.Decision(ctx, auditTenant, rec.RecordDigest)
				return found(err, record.ErrDecisionNotFound)
			},
		},
		{
			Name: "AppendException",
			Make: func(ctx context.Context, tx *Tx) error { return tx.AppendException(ctx, auditTenant, waiver) },
			Refused: func(ctx context.Context, tx *Tx) error {
				bad := waiver
				bad.ApprovedBy = bad.Owner
				return tx.AppendException(ctx, auditTenant, bad)
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				_, _, err := tx.Exception(ctx, auditTenant, waiver.ID)
				return found(err, exception.ErrNotFound)
			},
		},
		{
			Name: "AppendRevocation",
			Make: func(ctx context.Context, tx *Tx) error {
				if err := tx.AppendException(ctx, auditTenant, waiver); err != nil {
					return err
				}
				return tx.AppendRevocation(ctx, auditTenant, exception.Revocation{ExceptionID: waiver.ID, RevokedBy: "carol", At: exceptiontest.Cutoff})
			},
			Refused: func(ctx context.Context, tx *Tx) error {
				return tx.AppendRevocation(ctx, auditTenant, exception.Revocation{ExceptionID: "nope", RevokedBy: "carol", At: exceptiontest.Cutoff})
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				_, rev, err := tx.Exception(ctx, auditTenant, waiver.ID)
				ok, err := found(err, exception.ErrNotFound)
				return ok && rev != nil, err
			},
		},
		{
			Name: "AppendVEXDocument",
			Make: func(ctx context.Context, tx *Tx) error {
				_, err := tx.AppendDocument(ctx, auditTenant, doc, at)
				return err
			},
			Refused: func(ctx context.Context, tx *Tx) error {
				bad := *doc
				bad.ContentHash = "" // not what a reader made
				_, err := tx.AppendDocument(ctx, auditTenant, &bad, at)
				return err
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				_, err := tx.Document(ctx, auditTenant, doc.ContentHash)
				return found(err, vex.ErrNotFound)
			},
		},
		{
			Name: "SaveVEXIssuer",
			Make: func(ctx context.Context, tx *Tx) error {
				_, err := tx.SaveIssuer(ctx, auditTenant, issuer, at)
				return err
			},
			Refused: func(ctx context.Context, tx *Tx) error {
				_, err := tx.SaveIssuer(ctx, auditTenant, vex.Issuer{Name: "no id"}, at)
				return err
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				reg, err := tx.Registry(ctx, auditTenant)
				if err != nil {
					return false, err
				}
				return slices.ContainsFunc(reg.Issuers(), func(is vex.Issuer) bool { return is.ID == issuer.ID }), nil
			},
		},
		{
			Name: "PutSBOM",
			Make: func(ctx context.Context, tx *Tx) error { return tx.PutSBOM(ctx, sbomRecord('1')) },
			Refused: func(ctx context.Context, tx *Tx) error {
				if err := tx.PutSBOM(ctx, sbomRecord('1')); err != nil {
					return err
				}
				return tx.PutSBOM(ctx, sbomRecord('2')) // another document for the same image and format
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				_, err := tx.SBOMByDigest(ctx, auditTenant, sbomRecord('1').ContentDigest)
				return found(err, sbom.ErrNotFound)
			},
		},
		{
			Name: "AdvisoryImportWithItsGeneration",
			Make: func(ctx context.Context, tx *Tx) error {
				if _, err := tx.Append(ctx, auditTenant, []advisory.Observation{obs}); err != nil {
					return err
				}
				return tx.PutFeedCursor(ctx, auditTenant, cursor)
			},
			Refused: func(ctx context.Context, tx *Tx) error {
				if _, err := tx.Append(ctx, auditTenant, []advisory.Observation{obs}); err != nil {
					return err
				}
				other := advisorytest.Obs("osv", "X-1", "other content")
				other.ID = "osv:X-1:1" // the id of obs, with other content
				_, err := tx.Append(ctx, auditTenant, []advisory.Observation{other})
				return err
			},
			Made: func(ctx context.Context, tx *Tx) (bool, error) {
				obsStored, err := tx.Latest(ctx, auditTenant)
				if err != nil {
					return false, err
				}
				_, err = tx.FeedCursor(ctx, auditTenant, cursor.Feed)
				cur, err := found(err, advisory.ErrNotFound)
				return len(obsStored) > 0 || cur, err
			},
		},
	}
}
