#!/usr/bin/env bash
# peer-tools.sh installs the peer tools of stella scan's agreement test,
# idempotently under /var/cache/stella-test, and prints the environment the
# test reads:
#
#	eval "$(stella/testdata/peer-tools.sh)"
#
# govulncheck comes from the module proxy; its local database is built with
# vulndb's cmd/indexdb from the same golang.org/x/vulndb module whose data/osv
# stella scans, so both tools read the same advisories.
set -euo pipefail

vulndb_version=v0.0.0-20261105234957-e22db6528018 # as testenv.VulndbVersion (internal/testenv)
govulncheck_version=${GOVULNCHECK_VERSION:-v1.9.0}
cache=/var/cache/stella-test
bin=$cache/govulncheck-$govulncheck_version
db=$cache/govulndb-$vulndb_version

# Build outside the repository, so its go.mod plays no part.
cd /tmp
export CGO_ENABLED=0 GOFLAGS=
if [ ! -x "$bin/govulncheck" ]; then
	GOBIN=$bin go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" </dev/null >&2
fi
if [ ! -f "$db/index/db.json" ]; then
	tools=$cache/vulndb-tools-$vulndb_version
	[ -x "$tools/indexdb" ] || GOBIN=$tools go install "golang.org/x/vulndb/cmd/indexdb@$vulndb_version" </dev/null >&2
	go mod download "golang.org/x/vulndb@$vulndb_version" </dev/null >&2
	osv=$(go env GOMODCACHE)/golang.org/x/vulndb@$vulndb_version/data/osv
	rm -rf "$db.tmp"
	"$tools/indexdb" -vulns "$osv" -out "$db.tmp" >&2
	mv "$db.tmp" "$db" # only a complete database ever appears under $db
fi
echo "STELLA_TEST_GOVULNCHECK=$bin/govulncheck"
echo "STELLA_TEST_GOVULNDB=$db"
