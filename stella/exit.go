package main

import "fmt"

// Exit codes, one table for every stella command (spec offline.md §4.3).
const (
	ExitOK        = 0
	ExitInternal  = 1   // unexpected error, server unreachable, INTERNAL
	ExitUsage     = 2   // bad flags or input; VALIDATION, NOT_FOUND, CONFLICT, PRECONDITION
	ExitIntegrity = 3   // a digest, checksum or size does not match
	ExitTrust     = 4   // UNAUTHENTICATED, FORBIDDEN, bad signature
	ExitFailed    = 5   // an operation waited for ended failed or cancelled (workflow run start --wait)
	ExitDeny      = 6   // decision deny (gate eval, scan --fail-on)
	ExitPending   = 7   // decision pending (gate eval)
	ExitStale     = 8   // a bundle is not newer than the one imported last
	ExitMismatch  = 10  // determinism or replay mismatch
	ExitManifest  = 11  // a signed manifest is not a valid manifest document
	ExitCancelled = 130 // interrupted
)

const exitCodesHelp = `Exit codes (one table for every command):
  0    success
  1    unexpected error, server unreachable, or INTERNAL
  2    usage error, unreadable input, or the server refused the input
       (VALIDATION, NOT_FOUND, CONFLICT, PRECONDITION)
  3    integrity failure: a digest does not match (sbom verify, evidence verify, advisory import of a bundle)
  4    authentication, permission or signature failure (UNAUTHENTICATED, FORBIDDEN, bad signature or untrusted key)
  5    an operation waited for ended failed or cancelled (workflow run start --wait)
  6    decision deny (gate eval; scan --fail-on found a finding at or above the threshold)
  7    decision pending (gate eval: a schedule window, approvals or a manual gate;
       workflow run start --wait: the run waits for an approval or a manual step)
  8    a mirror bundle is not newer than the one imported last
  10   determinism or replay mismatch (sbom generate --verify-determinism, gate replay)
  11   a signed manifest is not a valid manifest document (advisory import, evidence verify)
  130  cancelled (SIGINT)`

type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// codeFor maps a GraphQL error code to an exit code.
func codeFor(gqlCode string) int {
	switch gqlCode {
	case "VALIDATION", "NOT_FOUND", "CONFLICT", "PRECONDITION":
		return ExitUsage
	case "UNAUTHENTICATED", "FORBIDDEN":
		return ExitTrust
	}
	return ExitInternal
}
