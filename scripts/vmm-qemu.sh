#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmm-qemu.sh: the arm64 build of the QEMU that scripts/deps.sh installed
# on this host (QEMU 10: Debian 13's own, Debian 12's bookworm-backports),
# the real VMM of test plans "qemu" and "gpu", unpacked with every shared
# library it needs under build/qemu-arm64/root/ (nothing is installed).
# Not Debian 12's own 7.2: its vfio-pci maps a BAR wherever mmap() puts
# it, so the guest's GPU memory gets stage-2 blocks only by chance (QEMU
# 9.2 and later align the mapping to the BAR's size, up to 1 GiB).
# scripts/build-tests.sh puts it in the test initramfs when it is there.
# Needs the arm64 foreign architecture in dpkg and apt's lists of it
# (apt-get update).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$S2ATTR_BUILD/qemu-arm64

dpkg --print-foreign-architectures | grep -qx arm64 ||
	die "dpkg has no arm64 architecture: dpkg --add-architecture arm64 && apt-get update"
# The host's version, and its libraries from the suite it came from.
version=$(dpkg-query -W -f '${Version}' qemu-system-arm 2>/dev/null) ||
	die "qemu-system-arm is not installed (scripts/deps.sh)"
from=()
[ "$(debian_codename)" != bookworm ] || from=(-t bookworm-backports)
apt-cache show "qemu-system-arm:arm64=$version" >/dev/null 2>&1 ||
	die "apt knows no qemu-system-arm:arm64 $version (apt-get update?)"
[ "$(cat "$dir/stamp" 2>/dev/null)" != "$version" ] || { note "cached: $dir"; exit 0; }
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
# The arm64 packages qemu-system-arm depends on, recursively.
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances "qemu-system-arm:arm64=$version" |
	grep -E '^[a-z0-9].*:arm64$' | grep -vx 'qemu-system-arm:arm64' | sort -u >"$dir/depends"
# The recursion names every package that could satisfy a dependency,
# among them ones that only a suite added pinned at priority 1 has
# (trixie-backports for the upstream kernel's source: its libelf1t64
# needs a newer glibc): only what apt would install is taken.
candidate_wanted() {
	apt-cache policy "$1" | awk '/Candidate:/ { c = $2 }
		/Version table:/ { t = 1; next }
		t && ($1 == c || ($1 == "***" && $2 == c)) { print ($NF > 1) ? "yes" : "no"; exit }' |
		grep -qx yes
}
mapfile -t depends < <(while read -r p; do
	! candidate_wanted "$p" || echo "$p"
done <"$dir/depends")
(cd "$dir/debs" && apt-get download -q "${from[@]}" "qemu-system-arm:arm64=$version" "${depends[@]}")
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/root"
done
[ -x "$dir/root/usr/bin/qemu-system-aarch64" ] || die "no qemu-system-aarch64 in the packages"
echo "$version" >"$dir/stamp"
note "arm64 QEMU ready: ${dir#"$S2ATTR_TOP"/}/root/usr/bin/qemu-system-aarch64"
