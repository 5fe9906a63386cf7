#!/usr/bin/env bash
# Runs the promotion benchmark (bench/promotionbench): N promotions (default
# 1000) requested at once through the reference server's GraphQL handler, on
# SQLite and, when STELLA_BENCH_POSTGRES_DSN is set, on PostgreSQL. Reports
# request latency and request → deployed latency (p50/p95/p99/max) and
# throughput. Results go to stdout and to bench/out/promotions-<db>-<stamp>.{txt,json}.
#
#   bench/promotions.sh                                  # SQLite in a temp dir
#   STELLA_BENCH_POSTGRES_DSN='postgres://stella:stella@127.0.0.1:5432/postgres?sslmode=disable' bench/promotions.sh
#   bench/promotions.sh --promotions 200 --apps 4        # extra flags go to every run
#
# STELLA_BENCH_POSTGRES_DSN is an admin connection of a role allowed to create
# databases: the script drops and recreates stella_promobench with psql and
# benchmarks that database (left in place afterwards). The server's connection
# pool is unbounded, so 1000 requests in flight would ask PostgreSQL for more
# connections than its max_connections (100 by default) allows: the PostgreSQL
# run sends PG_CONCURRENCY (default 50) requests at a time unless it is set to
# 0 (all at once).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bench/out"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
bin="$out/promotionbench"

echo "building promotionbench (CGO_ENABLED=0)" >&2
(cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./bench/promotionbench)

echo "== SQLite" >&2
"$bin" --json-out "$out/promotions-sqlite-$stamp.json" "$@" | tee "$out/promotions-sqlite-$stamp.txt"

if [[ -n "${STELLA_BENCH_POSTGRES_DSN:-}" ]]; then
	command -v psql >/dev/null || { echo "psql is needed to create the stella_promobench database" >&2; exit 1; }
	admin=$STELLA_BENCH_POSTGRES_DSN
	base=${admin%%\?*}
	query=""
	[[ "$admin" == *\?* ]] && query="?${admin#*\?}"
	hostpart=${base#*://}
	hostpart=${hostpart%%/*}
	bench_dsn="${base%%://*}://${hostpart}/stella_promobench${query}"
	echo "== PostgreSQL: recreating database stella_promobench" >&2
	psql "$admin" -v ON_ERROR_STOP=1 -q -c 'DROP DATABASE IF EXISTS stella_promobench' -c 'CREATE DATABASE stella_promobench'
	"$bin" --db "$bench_dsn" --concurrency "${PG_CONCURRENCY:-50}" --json-out "$out/promotions-postgres-$stamp.json" "$@" |
		tee "$out/promotions-postgres-$stamp.txt"
fi
echo "results in $out" >&2
