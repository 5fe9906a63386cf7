#!/usr/bin/env bash
# Runs the release-list benchmark (bench/releasebench) on SQLite and, when
# STELLA_BENCH_POSTGRES_DSN is set, on PostgreSQL. Results go to stdout and to
# bench/out/<db>-<timestamp>.{txt,json}.
#
#   bench/run.sh                                  # SQLite in a temp dir
#   STELLA_BENCH_POSTGRES_DSN='postgres://stella:stella@127.0.0.1:5432/postgres?sslmode=disable' bench/run.sh
#   bench/run.sh --releases 20000 --requests 500  # extra flags go to every run
#
# STELLA_BENCH_POSTGRES_DSN is an admin connection (any database, usually
# "postgres") of a role allowed to create databases. The script drops and
# recreates the database stella_bench with psql and benchmarks against the same
# URL with the database name replaced by stella_bench. It leaves stella_bench in
# place afterwards; drop it with: psql "$STELLA_BENCH_POSTGRES_DSN" -c 'DROP DATABASE stella_bench'
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bench/out"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
bin="$out/releasebench"

echo "building releasebench (CGO_ENABLED=0)" >&2
(cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./bench/releasebench)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stella-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== SQLite" >&2
"$bin" --db "$tmp/stella.db" --json-out "$out/sqlite-$stamp.json" "$@" | tee "$out/sqlite-$stamp.txt"

if [[ -n "${STELLA_BENCH_POSTGRES_DSN:-}" ]]; then
	command -v psql >/dev/null || { echo "psql is needed to create the stella_bench database" >&2; exit 1; }
	admin=$STELLA_BENCH_POSTGRES_DSN
	# Replace the database name (the URL path) with stella_bench, keeping the query.
	base=${admin%%\?*}
	query=""
	[[ "$admin" == *\?* ]] && query="?${admin#*\?}"
	hostpart=${base#*://}
	hostpart=${hostpart%%/*}
	bench_dsn="${base%%://*}://${hostpart}/stella_bench${query}"
	echo "== PostgreSQL: recreating database stella_bench" >&2
	psql "$admin" -v ON_ERROR_STOP=1 -q -c 'DROP DATABASE IF EXISTS stella_bench' -c 'CREATE DATABASE stella_bench'
	"$bin" --db "$bench_dsn" --json-out "$out/postgres-$stamp.json" "$@" | tee "$out/postgres-$stamp.txt"
fi
echo "results in $out" >&2
