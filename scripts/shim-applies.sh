#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# shim-applies.sh [SERIES...]: does the shim apply to every version of each
# series' source package that the host's archive offers today (default:
# every series with patches/)?  Downloads each version (apt-get download,
# about 150 MB each, kept under build/shim-applies/), unpacks only the
# files the shim touches and applies patches/<series>/ to them.  One
# PASS/FAIL line per version, then "N passed, M failed".  make check
# builds only the installed version.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

dir=$S2ATTR_BUILD/shim-applies
# results.sh's step logs each check under $logs
# shellcheck disable=SC2034
logs=$dir
mkdir -p "$dir"
chown _apt "$dir" 2>/dev/null || true

# try SERIES PKG VERSION: unpack the shim's files of that version, patch them.
try() {
	local series=$1 pkg=$2 ver=$3 deb work files
	deb=$(ls "$dir/${pkg}_${ver//:/%3a}_all.deb" 2>/dev/null)
	if [ -z "$deb" ]; then
		(cd "$dir" && apt-get download -qq "$pkg=$ver") || return 1
		deb=$(ls "$dir/${pkg}_${ver//:/%3a}_all.deb") || return 1
	fi
	work=$dir/$series-$ver
	rm -rf "$work"
	mkdir -p "$work/src"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards '*.tar.xz'
	# Only the files the patches touch and do not create: minutes
	# instead of hours.
	files=$(cat "$S2ATTR_TOP"/patches/"$series"/*.patch | awk -v pkg="$pkg" '
		/^--- \/dev\/null/ { new = 1; next }
		/^--- a\// { old[substr($2, 3)] = 1; new = 0; next }
		/^\+\+\+ b\// { if (new) made[substr($2, 3)] = 1; new = 0 }
		END { for (f in old) if (!(f in made)) print pkg "/" f }' | sort)
	# shellcheck disable=SC2086
	tar -xJf "$work/usr/src/$pkg.tar.xz" -C "$work/src" $files || return 1
	for p in "$S2ATTR_TOP"/patches/"$series"/*.patch; do
		patch -d "$work/src/$pkg" -p1 --batch --forward --quiet <"$p" || return 1
	done
	rm -rf "$work"
}

# By default every series with a shim: a series without patches/SERIES/
# (7.3) is built stock only.
series_list=${*:-$(for s in $(all_series); do
	[ -d "$S2ATTR_TOP/patches/$s" ] && echo "$s"; done)}
for s in $series_list; do
	pkg=$(series_field "$s" 2)
	[ -n "$pkg" ] || die "unknown series '$s'"
	[ -d "$S2ATTR_TOP/patches/$s" ] || die "$s has no shim (no patches/$s/)"
	vers=$(apt-cache madison "$pkg" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -uV)
	[ -n "$vers" ] || { result FAIL "$s: the archive offers no $pkg (run apt-get update)"; continue; }
	for v in $vers; do
		step "$s: the shim applies to $pkg $v" try "$s" "$pkg" "$v"
	done
done
summary
[ "$fail" -eq 0 ]
