#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmm-qemu.sh: the host release's arm64 qemu-system-aarch64 (Debian 12's
# 7.2, Debian 13's 10.0), the real VMM of test plan "qemu", unpacked with
# every shared library it needs under
# build/qemu-arm64/root/ (nothing is installed).  scripts/build-tests.sh
# puts it in the test initramfs when it is there.  Needs the arm64 foreign
# architecture in dpkg and apt's lists of it (apt-get update).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$S2ATTR_BUILD/qemu-arm64

dpkg --print-foreign-architectures | grep -qx arm64 ||
	die "dpkg has no arm64 architecture: dpkg --add-architecture arm64 && apt-get update"
# The release's own, so that its libraries come from the same release.
version=$(apt-cache policy qemu-system-arm:arm64 | awk '/Candidate:/ { print $2 }')
[ -n "$version" ] && [ "$version" != "(none)" ] ||
	die "apt knows no qemu-system-arm:arm64 (apt-get update?)"
[ "$(cat "$dir/stamp" 2>/dev/null)" != "$version" ] || { note "cached: $dir"; exit 0; }
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
# The arm64 packages qemu-system-arm depends on, recursively.
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances "qemu-system-arm:arm64=$version" |
	grep -E '^[a-z0-9].*:arm64$' | grep -vx 'qemu-system-arm:arm64' | sort -u >"$dir/depends"
(cd "$dir/debs" && apt-get download -q "qemu-system-arm:arm64=$version" $(cat "$dir/depends"))
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/root"
done
[ -x "$dir/root/usr/bin/qemu-system-aarch64" ] || die "no qemu-system-aarch64 in the packages"
echo "$version" >"$dir/stamp"
note "arm64 QEMU ready: ${dir#"$S2ATTR_TOP"/}/root/usr/bin/qemu-system-aarch64"
