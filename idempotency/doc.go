// Package idempotency holds what makes a repeated mutation safe
// (release.md §7.3): a key the client chooses, scoped to its tenant, its
// actor and the mutation, that for TTL after its first use answers every
// repeat with the first result instead of doing the mutation again.
//
// A key's first use is reserved before the mutation runs and completed with
// its result after it succeeds; a failed mutation releases the key, so the
// client can retry it. Record.Replay decides what a repeat gets: the first
// result when the repeat asks the same, and a *fault.ConflictError when it
// asks something else (other arguments, other fields of the result) or
// while the first use is still running. Store is implemented by store.DB;
// the GraphQL handler (package graph) drives it for every mutation that
// has an idempotencyKey argument.
package idempotency
