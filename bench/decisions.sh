#!/usr/bin/env bash
# Benchmarks of VEX consensus, Rego policy evaluation and whole gate
# decisions (issues 5, 6 and 10), as go test benchmarks. Extra arguments go to
# every `go test` (e.g. -count 3). Output: stdout and bench/out/decisions-<UTC stamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
out=bench/out/decisions-$(date -u +%Y%m%dT%H%M%SZ).txt
{
	go test ./vex -run '^$' -bench 'Consensus' -benchmem "$@"
	go test ./gate/policy -run '^$' -bench 'Eval' -benchmem -benchtime 5x "$@"
	go test ./gate -run '^$' -bench 'Decide' -benchmem -benchtime 10x "$@"
	go test ./decide -run '^$' -bench 'Decide' -benchmem "$@"
	go test ./internal/canon -run '^$' -bench 'Marshal' -benchmem "$@"
} 2>&1 | tee "$out"
echo "written: $out"
