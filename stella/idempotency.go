package main

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

// idempotencyKeyVar is the variable through which a mutation's query takes
// its idempotency key (release.md §7.3). A request that carries one is
// safe to send again: the server answers a repeat with the first result.
const idempotencyKeyVar = "idempotencyKey"

// keyedRetries is how many times a request with an idempotency key is sent
// again after a transport error, retryBackoff apart (then twice that).
const keyedRetries = 2

var retryBackoff = 500 * time.Millisecond

// transportError is a request that got no whole answer: the server may or
// may not have run it.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// idempotencyKeyFlag adds --idempotency-key to a command that runs a
// mutation.
func idempotencyKeyFlag(cmd *cobra.Command, key *string) {
	cmd.Flags().StringVar(key, "idempotency-key", "",
		"a repeat with this key within 24 h returns the first result instead of running again (default: a new key for this invocation, reused by its retries)")
}

// withIdempotencyKey puts key, or a new one when it is empty, into vars
// as $idempotencyKey.
func withIdempotencyKey(vars map[string]any, key string) map[string]any {
	if key == "" {
		key = uuid.NewString()
	}
	vars[idempotencyKeyVar] = key
	return vars
}

// sendRetrying sends body once, or, when vars carry an idempotency key, up
// to keyedRetries more times after transport errors: only a key makes a
// second send safe. When every send fails the error names the key, so the
// user can repeat the command with it and get its result without running
// the mutation twice.
func (c *client) sendRetrying(ctx context.Context, body []byte, vars map[string]any) ([]byte, string, error) {
	key, _ := vars[idempotencyKeyVar].(string)
	for attempt := 0; ; attempt++ {
		raw, status, err := c.send(ctx, body)
		var terr *transportError
		if !errors.As(err, &terr) {
			return raw, status, err
		}
		if key == "" {
			return nil, "", withCode(ExitInternal, "%v", err)
		}
		if attempt == keyedRetries || ctx.Err() != nil {
			return nil, "", withCode(ExitInternal, "%v (tried %d times with idempotency key %s: repeat with --idempotency-key %s to get the result without running it twice)",
				err, attempt+1, key, key)
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryBackoff * time.Duration(attempt+1)):
		}
	}
}
