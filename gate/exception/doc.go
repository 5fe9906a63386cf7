// Package exception holds the waivers of gate.md §5: an [Exception] is an
// owned, approved and expiring suppression or downgrade of one
// vulnerability, narrowed by package, component, release and environment.
// The log is append-only: a [Revocation] is a new entry, never an edit,
// and a [Store] keeps both per tenant.
//
//	err := exception.Validate(e, 0)                        // at most DefaultMaxDays, approver ≠ owner
//	exs, revs := exception.LogAt(all, revocations, cutoff) // the log as known at the cut-off
//	w := exception.Winner(target, cutoff, exs, revs)       // the most specific active one, or nil
//
// Package gate applies the winner to each finding (gate.BuildFindings)
// and lists the exceptions a decision applied in its record.
package exception
