// Package evidence seals every promotion decision, deployment, rollback and
// A/B promotion in a signed evidence packet (release.md §6), verifies
// packets offline, and bundles them with the records behind them into a
// deterministic, signed audit pack (offline.md §3).
//
// A packet's content says what was released, where, by whom, why (the gate
// decision, see WhyFrom), how and when. Seal normalizes it, so identical
// facts give identical bytes whatever order they were gathered in, and
// signs it as an in-toto statement about the release digest(s) in a DSSE
// envelope:
//
//	why, err := evidence.WhyFrom(decision) // content.Why = why
//	p, err := evidence.Seal(ctx, evidence.Draft{ID: id, TenantID: tenant, Type: evidence.ReleaseDecision,
//		Content: content, GeneratorVersion: version, CreatedAt: now}, signer)
//	info, err := evidence.Verify(ctx, packetJSON, attest.Trust{Verifiers: vs}) // ErrHash, ErrSignature
//
// An audit pack bundles a promotion's packets with the files behind them:
//
//	err = evidence.Export(ctx, w, packets, []evidence.File{decisionFile, sbomFile}, signer)
//	pack, err := evidence.VerifyPack(ctx, r, attest.Trust{Verifiers: vs})
//
// Verify tells tampered content (ErrHash, exit 3) from a bad signature or
// an untrusted key (ErrSignature, exit 4). VerifyPack checks the manifest's
// signature before it reads any other entry, and reads no entry past the
// size the signed manifest declares.
package evidence
