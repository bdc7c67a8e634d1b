# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the s2attr scripts; sourced, never run.

S2ATTR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
S2ATTR_BUILD=${S2ATTR_BUILD:-$S2ATTR_TOP/build}

die() { echo "error: $*" >&2; exit 1; }
note() { echo ">>> $*" >&2; }

# series_field SERIES COLUMN: a column (2 = source package, 3 = Debian
# release) of scripts/series.conf for SERIES.
series_field() {
	awk -v s="$1" -v c="$2" '!/^#/ && $1 == s { print $c }' \
		"$S2ATTR_TOP/scripts/series.conf"
}

all_series() { awk '!/^#/ && NF { print $1 }' "$S2ATTR_TOP/scripts/series.conf"; }

# The prefix of the arm64 cross tools on this host ("" on arm64).
kcross() { [ "$(uname -m)" = aarch64 ] || echo aarch64-linux-gnu-; }

# Kernel make arguments for arm64 from any host.
kmake_args() {
	local cross
	cross=$(kcross)
	echo "ARCH=arm64${cross:+ CROSS_COMPILE=$cross}"
}

ktree() { echo "$S2ATTR_BUILD/linux-$1${2:+-$2}"; }

# has_gpu TREE: the kernel of build tree TREE has nvgrace-gpu (6.8 and
# later), so the real-stack guest has its GPU driver (scripts/build-tests.sh).
has_gpu() { grep -q '^CONFIG_NVGRACE_GPU_VFIO_PCI=y' "$1/.config" 2>/dev/null; }

# plan_field PLAN COLUMN: a column of tests/plans.conf for PLAN (2 kernel,
# 3 cpus, 4 machine, 5 needs, 6 cases).
plan_field() {
	awk -v p="$1" -v c="$2" '!/^#/ && $1 == p { print $c }' "$S2ATTR_TOP/tests/plans.conf"
}

# cpu_field CPU COLUMN: a column of scripts/cpus.conf for CPU (5 FWB, 6 DIC,
# 8 the groups of plans it runs).
cpu_field() {
	awk -v c="$1" -v n="$2" '!/^#/ && $1 == c { print $n }' "$S2ATTR_TOP/scripts/cpus.conf"
}

# plan_facts CPU SERIES PAGES: what a plan's cases are chosen by
# (scripts/results.sh), as FACT=VALUE words.
plan_facts() {
	echo "cpu=$1 fwb=$(cpu_field "$1" 5) dic=$(cpu_field "$1" 6) series=$2 pages=$3"
}

# pages_variant PAGES: the kernel variant of a page size ("" for 4k).
pages_variant() { [ "$1" = 4k ] || echo "$1"; }

# build_kernel SERIES [VARIANT]: scripts/kernel.sh; with S2ATTR_PREBUILT=1
# only a check that the tree is built, for trees that another checkout
# builds and shares (build/linux-* as links): kernel.sh would re-patch them.
build_kernel() {
	local tree
	tree=$(ktree "$1" "${2:-}")
	if [ "${S2ATTR_PREBUILT:-0}" = 1 ]; then
		[ -f "$tree/vmlinux" ] || die "S2ATTR_PREBUILT=1: no built kernel at $tree"
		note "S2ATTR_PREBUILT=1: using ${tree#"$S2ATTR_TOP"/} as it is"
		return 0
	fi
	"$S2ATTR_TOP/scripts/kernel.sh" "$@"
}

# series_version SERIES: the version of SERIES' source package installed.
series_version() {
	dpkg-query -W -f '${db:Status-Abbrev}${Version}' "$(series_field "$1" 2)" \
		2>/dev/null | sed -n 's/^ii *//p'
}

# The host's Debian release (bookworm, trixie).
# shellcheck source=/dev/null # the host's file, not ours to check
debian_codename() { (. /etc/os-release && echo "${VERSION_CODENAME:-}"); }

# The host's Debian mirror, as its apt sources name it (deb822 or one-line).
debian_mirror() {
	local m=${S2ATTR_DEBIAN_MIRROR:-}
	[ -n "$m" ] || m=$(awk '/^URIs:/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null)
	[ -n "$m" ] || die "no Debian mirror in apt's sources; set S2ATTR_DEBIAN_MIRROR"
	echo "${m%/}"
}

# libs_of ROOT FILE...: FILEs (absolute paths inside ROOT) and the shared
# libraries they need, recursively, as found in ROOT.
libs_of() {
	local root=$1 f n d
	shift
	local -A seen
	local todo=("$@")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		[ -z "${seen[$f]:-}" ] || continue
		seen[$f]=1
		echo "$f"
		for n in $(aarch64-linux-gnu-readelf -d "$root$f" |
			   sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu; do
				[ ! -e "$root$d/$n" ] || { todo+=("$d/$n"); break; }
			done
		done
	done
}

# install_elf ROOT DEST FILE...: FILEs of the arm64 root filesystem ROOT,
# with the shared libraries and dynamic loader they need, into DEST at the
# same paths, dereferenced (the links of Debian's library packages are
# relative, so they resolve inside ROOT).
install_elf() {
	local root=$1 dest=$2 f ld=/lib/ld-linux-aarch64.so.1
	shift 2
	for f in $(libs_of "$root" "$@"); do
		install -D -m755 "$(readlink -f "$root$f")" "$dest$f"
	done
	# The loader the programs name; Debian 13's packages have it in /usr.
	[ -e "$root$ld" ] || ld=/usr$ld
	install -D -m755 "$(readlink -f "$root$ld")" "$dest/lib/ld-linux-aarch64.so.1"
}
