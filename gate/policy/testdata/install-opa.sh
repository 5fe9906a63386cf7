#!/usr/bin/env bash
# Installs the opa CLI at the version in go.mod (for gate/policy's agreement
# test) into /var/cache/stella-test/opa-<version>/opa, unless it is already
# there, and prints its path:
#
#   export STELLA_TEST_OPA_CLI=$(gate/policy/testdata/install-opa.sh)
set -euo pipefail
cd "$(dirname "$0")/../../.."

version=$(go list -m -f '{{.Version}}' github.com/open-policy-agent/opa)
dir=${STELLA_TEST_CACHE:-/var/cache/stella-test}/opa-$version
bin=$dir/opa
if [ ! -x "$bin" ]; then
	mkdir -p "$dir"
	# Outside the module, so go.mod and go.sum stay as they are.
	(cd /tmp && CGO_ENABLED=0 GOBIN=$dir GOFLAGS= go install "github.com/open-policy-agent/opa@$version" </dev/null) >&2
fi
"$bin" version >/dev/null
echo "$bin"
