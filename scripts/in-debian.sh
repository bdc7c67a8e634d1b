#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# in-debian.sh RELEASE [COMMAND...]: run COMMAND (default: "make demo &&
# make check") as root in a fresh clone of this repository inside a fresh
# minimal root of Debian RELEASE (bookworm, trixie) for this host's
# architecture, as a newcomer would on a new machine: only git and make
# are installed beforehand, everything else is the commands' own doing.
#
# The root is made by debootstrap from the host's Debian mirror under
# build/debian-RELEASE/ (a minute; reused, S2ATTR_FRESH_ROOT=1 makes it
# anew), the clone is of this checkout's HEAD, with a cold build/ unless
# S2ATTR_KEEP_BUILD=1.  /proc, /sys and /dev are
# bound into it for QEMU and apt, and unmounted on exit.  The output goes
# to the terminal and to build/debian-RELEASE.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

release=${1:?usage: in-debian.sh bookworm|trixie [COMMAND...]}
shift
cmd=${*:-make demo && make check}
[ "$(id -u)" = 0 ] || die "debootstrap and chroot need root"
root=$S2ATTR_BUILD/debian-$release
log=$S2ATTR_BUILD/debian-$release.log
mirror=$(debian_mirror)

command -v debootstrap >/dev/null || {
	apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
		die "cannot install debootstrap"
}

unmount() {
	local m
	for m in dev/pts dev sys proc; do
		mountpoint -q "$root/$m" && umount -l "$root/$m"
	done
	return 0
}
trap unmount EXIT

if [ -n "${S2ATTR_FRESH_ROOT:-}" ] || [ ! -x "$root/usr/bin/make" ]; then
	unmount
	rm -rf "$root"
	mkdir -p "$S2ATTR_BUILD"
	note "debootstrap --variant=minbase $release $mirror"
	debootstrap --variant=minbase --include=git,make,ca-certificates \
		"$release" "$root" "$mirror" >"$log" 2>&1 ||
		{ tail -n 20 "$log"; die "debootstrap failed"; }
fi
# S2ATTR_KEEP_BUILD=1 keeps the last clone's build/ (kernel trees, the
# arm64 QEMU) for the new clone: a fresh clone with a warm cache.
rm -rf "$root/root/s2attr.build"
if [ -n "${S2ATTR_KEEP_BUILD:-}" ] && [ -d "$root/root/s2attr/build" ]; then
	mv "$root/root/s2attr/build" "$root/root/s2attr.build"
fi
rm -rf "$root/root/s2attr"
git clone -q "$S2ATTR_TOP" "$root/root/s2attr"
[ ! -d "$root/root/s2attr.build" ] || mv "$root/root/s2attr.build" "$root/root/s2attr/build"
for m in proc sys dev dev/pts; do
	mount --bind "/$m" "$root/$m"
done
note "in Debian $release: $cmd"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	TERM=dumb LANG=C.UTF-8 bash -c "cd /root/s2attr && $cmd" 2>&1 | tee -a "$log"
exit "${PIPESTATUS[0]}"
