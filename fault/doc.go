// Package fault holds the error kinds every Stella package shares: not found,
// conflict, invalid input, a broken business rule (precondition), unreachable.
// A store, a gate or a feed reader returns them; the GraphQL layer and the
// stella command turn them into codes and exit statuses without knowing who
// failed.
//
// It is a leaf package of its own, apart from package tenant, because the two
// have different users: feed readers and gates report faults but never act for
// a tenant, and nothing about who is acting belongs in an error type.
//
//	return &fault.NotFoundError{Kind: "environment", Key: name}
//	if errors.Is(err, fault.ErrNotFound) { … }
//
// Invalid input lists every field at fault, not just the first:
//
//	var verr *fault.ValidationError
//	if errors.As(err, &verr) { show(verr.Fields) }
package fault
