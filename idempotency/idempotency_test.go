package idempotency

import (
	"errors"
	"strings"
	"testing"

	"github.com/stella-ops/stella/fault"
)

func TestReplay(t *testing.T) {
	first := Request{Key: Key{Tenant: "acme", Actor: "ci", Mutation: "requestPromotion", Key: "k1"}, Arguments: "sha256:a", Selection: "sha256:s"}
	done := &Record{Request: first, State: Done, Result: []byte(`{"id":"p1"}`)}

	got, err := done.Replay(first)
	if err != nil || string(got) != `{"id":"p1"}` {
		t.Fatalf("same request: %s, %v; want the first result", got, err)
	}
	for _, c := range []struct {
		name string
		rec  *Record
		req  Request
		want string
	}{
		{"in flight", &Record{Request: first, State: Pending}, first, "still in progress"},
		{"other arguments", done, Request{Key: first.Key, Arguments: "sha256:b", Selection: first.Selection}, "other arguments to requestPromotion"},
		{"other selection", done, Request{Key: first.Key, Arguments: first.Arguments, Selection: "sha256:t"}, "other fields selected"},
		{"result not kept", &Record{Request: first, State: Done}, first, "was not kept"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.rec.Replay(c.req)
			if !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"k1"`) {
				t.Fatalf("error = %v; want a conflict naming the key and saying %q", err, c.want)
			}
		})
	}
}

func TestValidKey(t *testing.T) {
	for _, k := range []string{"a", "0b9c7a1e-5f0e-4c4e-9a61-2f0d7e1c9b10", strings.Repeat("x", MaxKeyLen), "déjà vu"} {
		if err := ValidKey(k); err != nil {
			t.Errorf("ValidKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", strings.Repeat("x", MaxKeyLen+1), "a\nb", "tab\there"} {
		var verr *fault.ValidationError
		if err := ValidKey(k); !errors.As(err, &verr) || verr.Fields[0].Field != "idempotencyKey" {
			t.Errorf("ValidKey(%q) = %v; want a validation error on idempotencyKey", k, err)
		}
	}
}
