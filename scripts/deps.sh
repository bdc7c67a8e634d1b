#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [SERIES...]: install what building and testing s2attr needs on
# Debian 12 (bookworm) or 13 (trixie), only when something is missing.
# SERIES: the kernel series whose source is needed (default: those the
# shim supports, every series with patches/; make kernel SERIES=7.3 and
# the upstream peer name 7.3, whose source is 167 MB more to download).
#
#  - QEMU 10 or newer as the host's qemu-system-aarch64: Debian 13's own,
#    on Debian 12 from bookworm-backports (QEMU 7.2 has no CPU with
#    CTR_EL0.DIC and does not model memory types).
#  - The kernel source package of those series (scripts/series.conf), at
#    the newest version the archive offers.  A series whose Debian release
#    (its third column) is not the host's comes from that release's
#    archive: the source packages are architecture-independent.  On Debian
#    13, linux-source-6.1 comes from Debian 12's; on both, linux-source-7.3
#    from trixie-backports, named explicitly (pkg/suite) as backports are.
#    A suite apt's sources lack is added pinned at priority 1, so nothing
#    else comes from it.
#  - arm64 busybox for the test guests, unpacked under build/.
#
# Sources added to apt are files named s2attr-*.sources, so they are easy
# to find and remove.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want_series=${*:-$(for s in $(all_series); do
	[ ! -d "$S2ATTR_TOP/patches/$s" ] || echo "$s"; done)}
for s in $want_series; do
	[ -n "$(series_field "$s" 2)" ] || die "unknown series '$s' (see scripts/series.conf)"
done

QEMU_MIN=10
codename=$(debian_codename)
case "$codename" in
bookworm|trixie) ;;
*) die "Debian 12 (bookworm) or 13 (trixie) is needed, this is '${codename:-unknown}'" ;;
esac

pkgs=(make gcc bc bison flex cpio xz-utils gzip patch perl python3 kmod
      libssl-dev libelf-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      sparse shellcheck rsync device-tree-compiler)
# A series from a backports suite is installed from it by name (pkg/suite).
declare -A from
for s in $want_series; do
	pkgs+=("$(series_field "$s" 2)")
	[[ $(series_field "$s" 3) != *-backports ]] ||
		from[$(series_field "$s" 2)]=/$(series_field "$s" 3)
done

qemu_major() {
	qemu-system-aarch64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p'
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
		missing+=("$p")
done
need_qemu=
[ "$(qemu_major)" -ge "$QEMU_MIN" ] 2>/dev/null || need_qemu=1
# The guest's userland: arm64 busybox, unpacked under build/, not installed.
busybox=$S2ATTR_BUILD/busybox/bin/busybox
need_busybox=
[ -x "$busybox" ] || need_busybox=1
[ ${#missing[@]} -eq 0 ] && [ -z "$need_qemu$need_busybox" ] && exit 0

[ "$(id -u)" = 0 ] ||
	die "missing: ${missing[*]}${need_qemu:+ QEMU>=$QEMU_MIN}${need_busybox:+ busybox}; run as root"
export DEBIAN_FRONTEND=noninteractive

# add_source NAME SUITES URI: a deb822 source of Debian's main component.
add_source() {
	local f=/etc/apt/sources.list.d/s2attr-$1.sources
	[ -f "$f" ] && return 0
	note "adding apt source $2 ($3)"
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
		"$3" "$2" /usr/share/keyrings/debian-archive-keyring.gpg >"$f"
}

mirror=$(debian_mirror)
# Debian's security archive, as apt's sources name it or beside the mirror.
security=$(grep -rhoE 'https?://[^ ]*debian-security' /etc/apt/sources.list \
	/etc/apt/sources.list.d/ 2>/dev/null | head -n 1 || true)
[ -n "$security" ] || security=${mirror%/debian}/debian-security

# suite_known SUITE: apt's sources, other than the ones added here, name
# SUITE (one-line or deb822).
suite_known() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		 /etc/apt/sources.list.d/*.sources; do
		[[ -f $f && $f != */s2attr-* ]] || continue
		awk -v s="$1" '$1 == "deb" { for (i = 3; i <= NF; i++) if ($i == s) f = 1 }
			$1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == s) f = 1 }
			END { exit !f }' "$f" && return 0
	done
	return 1
}

# add_release RELEASE: the archive of a series' Debian release that is not
# the host's: RELEASE and, for a stable release, its security suite, each
# only if apt's sources lack it, pinned at priority 1 so that nothing but
# what is named comes from them.
add_release() {
	local suite pin='' suites=("$1")
	[[ $1 == *-* ]] || suites+=("$1-security")
	for suite in "${suites[@]}"; do
		suite_known "$suite" && continue
		case "$suite" in
		*-security) add_source "$suite" "$suite" "$security" ;;
		*) add_source "$suite" "$suite" "$mirror" ;;
		esac
		pin+=${pin:+$'\n\n'}$(printf 'Package: *\nPin: release n=%s\nPin-Priority: 1\n' "$suite")
	done
	[ -z "$pin" ] || echo "$pin" >"/etc/apt/preferences.d/s2attr-$1"
}

qemu_from=()
if [ "$codename" = bookworm ]; then
	add_source bookworm-backports bookworm-backports "$mirror"
	qemu_from=(-t bookworm-backports)
fi
for r in $(for s in $want_series; do series_field "$s" 3; done | sort -u); do
	[ "$r" = "$codename" ] || add_release "$r"
done
note "installing: ${missing[*]}${need_qemu:+ qemu-system-arm ${qemu_from[*]}}${need_busybox:+ busybox-static:arm64}"
if [ -n "$need_busybox" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
	for i in "${!missing[@]}"; do
		missing[i]+=${from[${missing[i]}]:-}
	done
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi
# QEMU and what it depends on from one suite: backports on Debian 12
if [ -n "$need_qemu" ]; then
	apt-get install -y -qq --no-install-recommends "${qemu_from[@]}" qemu-system-arm >/dev/null ||
		die "apt-get install ${qemu_from[*]} qemu-system-arm failed"
fi
[ "$(qemu_major)" -ge "$QEMU_MIN" ] 2>/dev/null ||
	die "qemu-system-aarch64 is $(qemu_major); the test matrix needs QEMU $QEMU_MIN or newer"
for s in $want_series; do
	note "$(series_field "$s" 2) $(series_version "$s")"
done

if [ -n "$need_busybox" ]; then
	tmp=$(mktemp -d)
	# apt's sandbox user writes the download there
	chown _apt "$tmp" 2>/dev/null || chmod 777 "$tmp"
	(cd "$tmp" && apt-get download -qq busybox-static:arm64) ||
		die "cannot download busybox-static:arm64"
	rm -rf "$S2ATTR_BUILD/busybox"
	mkdir -p "$S2ATTR_BUILD/busybox"
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/root"
	# /bin/busybox up to Debian 12, /usr/bin/busybox from Debian 13 on
	bb=$(find "$tmp/root" -path '*bin/busybox' -type f -size +100k | head -n 1)
	[ -n "$bb" ] || die "no busybox in busybox-static:arm64"
	install -D -m755 "$bb" "$busybox"
	rm -rf "$tmp"
fi
