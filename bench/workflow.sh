#!/usr/bin/env bash
# Runs the workflow runner benchmark (BenchmarkRuns in
# release/workflow/runner): RUNS runs (default 1000) of a 5-node template
# a → (b ∥ c) → d → e with no-op steps, CONCURRENCY runs in flight (default:
# 1, then 4), on SQLite and, when STELLA_TEST_POSTGRES_DSN is set, on
# PostgreSQL (a fresh database per run, dropped afterwards). Reports per node
# p50/p95/p99 of dispatch (job inserted → step starts), commit (step returns
# → completion committed) and their sum, and runs/s. Results go to stdout and
# bench/out/workflow-<stamp>.txt.
#
#   bench/workflow.sh
#   STELLA_TEST_POSTGRES_DSN='postgres://stella:stella@127.0.0.1:5432/postgres?sslmode=disable' bench/workflow.sh
#   RUNS=200 CONCURRENCY="1 8" bench/workflow.sh -runner.poll 10ms   # extra flags go to go test
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bench/out"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
runs=${RUNS:-1000}

cd "$root"
for c in ${CONCURRENCY:-1 4}; do
	echo "== $runs runs, $c in flight" >&2
	go test ./release/workflow/runner/ -run '^$' -bench BenchmarkRuns -benchtime "${runs}x" -timeout 60m \
		-runner.concurrency "$c" "$@" | tee -a "$out/workflow-$stamp.txt"
done
echo "results in $out/workflow-$stamp.txt" >&2
