#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh: install what building and testing s2attr needs on Debian 12,
# only when something is missing.  Kernel sources are installed at the
# versions pinned in scripts/series.conf.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(make gcc bc bison flex cpio xz-utils gzip patch perl python3 kmod
      libssl-dev libelf-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      qemu-system-arm sparse rsync)
for s in $(all_series); do
	pkgs+=("$(series_field "$s" 2)=$(series_field "$s" 3)")
done

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f '${db:Status-Abbrev}${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	ii*) [ "$p" = "$name" ] || [ "${have:3}" = "$want" ] || missing+=("$p") ;;
	*) missing+=("$p") ;;
	esac
done
# The guest's userland: arm64 busybox, unpacked under build/, not installed.
busybox=$S2ATTR_BUILD/busybox/bin/busybox
need_busybox=
[ -x "$busybox" ] || need_busybox=1
[ ${#missing[@]} -eq 0 ] && [ -z "$need_busybox" ] && exit 0

[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
export DEBIAN_FRONTEND=noninteractive
updated=
if [ ${#missing[@]} -gt 0 ]; then
	note "installing: ${missing[*]}"
	apt-get update -qq && updated=1
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed; the pinned kernel source versions are in scripts/series.conf"
fi
if [ -n "$need_busybox" ]; then
	note "fetching busybox-static:arm64"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		updated=
	fi
	[ -n "$updated" ] || apt-get update -qq
	tmp=$(mktemp -d)
	# apt's sandbox user writes the download there
	chown _apt "$tmp" 2>/dev/null || chmod 777 "$tmp"
	(cd "$tmp" && apt-get download -qq busybox-static:arm64) ||
		die "cannot download busybox-static:arm64"
	rm -rf "$S2ATTR_BUILD/busybox"
	mkdir -p "$S2ATTR_BUILD/busybox"
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/root"
	install -D -m755 "$tmp/root/bin/busybox" "$busybox"
	rm -rf "$tmp"
fi
