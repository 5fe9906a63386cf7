// Package record works with sealed gate decision records (gate.md §7, §8)
// once the engine has made them: it signs and verifies them as in-toto
// statements in DSSE envelopes, replays them from the inputs they name by
// digest, explains the findings behind each gate that did not pass, and
// defines where records ([Store]) and their inputs ([CAS]) are kept. The
// record type itself, [gate.Decision], and the engine that seals it are
// package gate's; a CAS is the gate.InputStore that gate.KeepInputs
// writes to.
//
//	cas := record.NewDirCAS(dir)
//	dec, err := eng.Decide(ctx, in, meta, gate.KeepInputs(cas))
//	env, err := record.Sign(ctx, dec, signer) // a DSSE envelope over the record
//	res, err := record.Replay(ctx, dec, cas)  // res.Outcome: match, mismatch or failed
//	ex := record.Explain(dec, in)             // each gate that did not pass, with its findings
//
// Replay decides again with the built-in gate types; [WithEngine]
// passes the engine options a record decided with other types needs.
package record
