#!/usr/bin/env bash
# make-debian-rootfs.sh [DIR] builds, once, a minimal Debian bookworm root
# filesystem for the SBOM acceptance tests (default
# /var/cache/stella-test/bookworm-rootfs) and prints its path. It is
# idempotent: an existing, complete rootfs is reused. Needs root and the
# Debian package debootstrap; the mirror defaults to the one apt uses.
set -euo pipefail

dir=${1:-/var/cache/stella-test/bookworm-rootfs}
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	# The first http(s) mirror apt is configured with (deb822 or one-line form).
	mirror=$(grep -rhE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
		grep -oE 'https?://[^ ]+/debian/?( |$)' | tr -d ' ' | head -n 1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

# The marker is written last, so an interrupted build is redone from scratch.
if [ -f "$dir/.stella-complete" ]; then
	echo "$dir"
	exit 0
fi

command -v debootstrap >/dev/null || {
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends debootstrap </dev/null >&2
}
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
debootstrap --variant=minbase bookworm "$dir" "$mirror" >&2
# The acceptance compares installed packages, not downloaded archives.
rm -f "$dir"/var/cache/apt/archives/*.deb
touch "$dir/.stella-complete"
echo "$dir"
