package graph

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/stella-ops/stella/fault"
)

// A refused business rule is PRECONDITION with the rule's code as reason,
// however deep it is wrapped.
func TestPresentPrecondition(t *testing.T) {
	err := fmt.Errorf("approve: %w", &fault.PreconditionError{Kind: "promotion", Key: "p-1", Code: "SOD_VIOLATION",
		Reason: "the requester may not approve"})
	got := presentError(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), err)
	if got.Extensions["code"] != CodePrecondition || got.Extensions["reason"] != "SOD_VIOLATION" {
		t.Fatalf("extensions = %v", got.Extensions)
	}
	if got.Message != err.Error() {
		t.Errorf("message = %q", got.Message)
	}
}
