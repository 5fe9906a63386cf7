// Package auditpack gathers a promotion's evidence from a store and writes
// it as a signed, deterministic audit pack (release.md §6 rule 6,
// offline.md §3), without the HTTP server:
//
//	ctx = tenant.WithScope(ctx, tenant.Scope{Tenant: "acme", Actor: "auditor"})
//	err := auditpack.Write(ctx, w, db, promotionID, signer) // db: a *store.DB
//
// The pack holds the promotion's packets, the decision records they and the
// promotion name, the release's SBOMs, the VEX consensus and the exception
// log each decision was built against, and the policy bundles it
// evaluated; evidence.VerifyPack checks it offline with the public key.
package auditpack
