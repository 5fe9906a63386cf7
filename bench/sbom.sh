#!/usr/bin/env bash
# Compares Stella's SBOM generation with the syft CLI of the same version on
# the same input: the debootstrap bookworm rootfs as a one-layer OCI layout.
# Each side runs RUNS times (default 3), alternating, as one process under
# /usr/bin/time -v; the script prints every run's wall time and peak RSS,
# then the medians and the ratios Stella/syft (target ≤ 1.1).
#
#   bench/sbom.sh                  # builds what is missing, then measures
#   RUNS=5 bench/sbom.sh
#
# Inputs, built once and cached (override with the variables):
#   STELLA_TEST_DEBIAN_ROOTFS  default /var/cache/stella-test/bookworm-rootfs
#                              (sbom/syft/testdata/make-debian-rootfs.sh)
#   STELLA_BENCH_OCI_LAYOUT    default /var/cache/stella-test/bookworm-oci
#   SYFT                       default /tmp/syftbin/syft, installed with
#                              `go install` outside the repository
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
export CGO_ENABLED=0
export STELLA_TEST_DEBIAN_ROOTFS=${STELLA_TEST_DEBIAN_ROOTFS:-/var/cache/stella-test/bookworm-rootfs}
export STELLA_BENCH_OCI_LAYOUT=${STELLA_BENCH_OCI_LAYOUT:-/var/cache/stella-test/bookworm-oci}
syft=${SYFT:-/tmp/syftbin/syft}
out="$root/bench/out"
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stella-sbom-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

[ -x /usr/bin/time ] || { echo "GNU time is needed (Debian package time)" >&2; exit 1; }
"$root/sbom/syft/testdata/make-debian-rootfs.sh" "$STELLA_TEST_DEBIAN_ROOTFS" >/dev/null

version=$(cd "$root" && go list -m -f '{{.Version}}' github.com/anchore/syft)
if [ ! -x "$syft" ]; then
	echo "installing the syft CLI $version into $(dirname "$syft")" >&2
	(cd /tmp && GOBIN=$(dirname "$syft") GOFLAGS= go install "github.com/anchore/syft/cmd/syft@$version")
fi

echo "building the sbom/syft test binary" >&2
(cd "$root" && go test -c -o "$tmp/sbom-syft.test" ./sbom/syft)
# A first run writes the OCI layout when it is missing; it is not measured.
(cd "$root/sbom/syft" && "$tmp/sbom-syft.test" -test.run '^$' -test.bench BenchmarkDebianImage -test.benchtime 1x >/dev/null)

measure() { # measure NAME CMD...: prints "NAME seconds maxrss_kb"
	local name=$1
	shift
	/usr/bin/time -v -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; exit 1; }
	awk -v n="$name" '
		/Elapsed \(wall clock\)/ { t = $NF; k = split(t, p, ":"); s = (k == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
		/Maximum resident set size/ { r = $NF }
		END { printf "%s %.2f %d\n", n, s, r }' "$tmp/time"
}

results="$out/sbom-$stamp.txt"
{
	echo "# input: $STELLA_BENCH_OCI_LAYOUT (syft $version, $(nproc) CPUs)"
	echo "# tool wall_seconds max_rss_kb"
	for _ in $(seq "$runs"); do
		(cd "$root/sbom/syft" && measure stella "$tmp/sbom-syft.test" -test.run '^$' -test.bench BenchmarkDebianImage -test.benchtime 1x)
		SYFT_CHECK_FOR_APP_UPDATE=false measure syft "$syft" scan "oci-dir:$STELLA_BENCH_OCI_LAYOUT" -q -o "cyclonedx-json=$tmp/syft.cdx.json"
	done
} | tee "$results"

awk '
	!/^#/ { t[$1] = t[$1] " " $2; m[$1] = m[$1] " " $3 }
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { x = a[j]; a[j] = a[j-1]; a[j-1] = x }
		return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	END {
		st = median(t["stella"]); sy = median(t["syft"]); sm = median(m["stella"]); ym = median(m["syft"])
		printf "median  stella %.2fs %d MB   syft %.2fs %d MB\n", st, sm/1024, sy, ym/1024
		printf "ratio   time %.2f   peak memory %.2f   (target <= 1.10)\n", st/sy, sm/ym
	}' "$results" | tee -a "$results"
