# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the s2attr scripts; sourced, never run.

S2ATTR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
S2ATTR_BUILD=${S2ATTR_BUILD:-$S2ATTR_TOP/build}

die() { echo "error: $*" >&2; exit 1; }
note() { echo ">>> $*" >&2; }

# series_field SERIES COLUMN: a column (2 = package, 3 = version) of
# scripts/series.conf for SERIES.
series_field() {
	awk -v s="$1" -v c="$2" '!/^#/ && $1 == s { print $c }' \
		"$S2ATTR_TOP/scripts/series.conf"
}

all_series() { awk '!/^#/ && NF { print $1 }' "$S2ATTR_TOP/scripts/series.conf"; }

# Kernel make arguments for arm64 from any host.
kmake_args() {
	local args="ARCH=arm64"
	[ "$(uname -m)" = aarch64 ] || args="$args CROSS_COMPILE=aarch64-linux-gnu-"
	echo "$args"
}

ktree() { echo "$S2ATTR_BUILD/linux-$1${2:+-$2}"; }
