#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh SERIES [VARIANT]: leave a patched, configured and built arm64
# test kernel at build/linux-SERIES[-VARIANT].  VARIANT is a dash-separated
# list of:
#   64k     64 KiB pages (scripts/kconfig/64k.config), as Grace hosts run;
#           such a kernel also boots as a Debian host (system.config)
#   system  a 4 KiB-page kernel that boots as a Debian host (make pkgtest:
#           scripts/kconfig/system.config: disk, ext4, networking, cgroups)
#   stock   the same kernel without the shim, which the tests compare with
#   ref     a stock kernel with patches/reference/SERIES/ (test-only:
#           upstream 6.17's own handling of cacheable PFNMAP memory, which
#           scripts/refcompare.sh and make bench compare s2attr with)
#   debug   scripts/kconfig/debug.config (KASAN, lockdep, kmemleak, ...)
# in that order ("64k-stock", "64k-debug", "system-stock").
#
# The source is the installed version of the series' Debian source package
# (scripts/deps.sh).  A tree is made afresh only when that version or the
# config fragments change.  When only the patches change, the tree's
# applied patches (kept in .s2attr-applied/) are reverted and the new ones
# applied: make then rebuilds what they touch.  Otherwise make runs only
# if the tree's last build did not complete or was made by another
# version of this script or compiler.  A stock tree is a copy of its
# built shimmed twin with the shim reverted: only what the shim touches
# (KVM) is rebuilt, a minute instead of a whole kernel.
#
# A series without patches/SERIES/ (7.3, upstream's own handling of
# cacheable PFNMAP memory, the peer s2attr is measured against) is built
# stock only, unpacked and built whole: "stock" and "64k-stock".
#
# Built trees are also kept in a cache outside the checkout, which a
# fresh clone of the same commit on the same machine (CI's) copies
# instead of building: S2ATTR_KCACHE (default /var/cache/s2attr/kernels;
# "none": no cache).  An entry is keyed on everything the build was made
# from: the source package's version, the fragments' settings, the
# patches, this script and the compiler.  The least recently used go
# beyond S2ATTR_KCACHE_KEEP entries (default 12; a tree is 1.5 to 3 GB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The script is read whole before it runs (bash reads a script as it goes,
# and a build may wait minutes for its turn): an edit of this file does
# not change a build that is waiting.
{

series=${1:?usage: kernel.sh SERIES [VARIANT]}
variant=${2:-}
pkg=$(series_field "$series" 2)
[ -n "$pkg" ] || die "unknown series '$series' (see scripts/series.conf)"
ver=$(series_version "$series")
[ -n "$ver" ] || die "$pkg is not installed; run scripts/deps.sh"

tree=$(ktree "$series" "$variant")
patches=()
if [ -d "$S2ATTR_TOP/patches/$series" ]; then
	patches=("$S2ATTR_TOP"/patches/"$series"/*.patch)
	[ -e "${patches[0]}" ] || die "no patches under patches/$series"
fi
frags=("$S2ATTR_TOP/scripts/kconfig/test.config")
# What only this series has (scripts/kconfig/SERIES.config).
[ ! -f "$S2ATTR_TOP/scripts/kconfig/$series.config" ] ||
	frags+=("$S2ATTR_TOP/scripts/kconfig/$series.config")
stock=
refs=()
twin=
for f in ${variant//-/ }; do
	case "$f" in
	64k)
		frags+=("$S2ATTR_TOP/scripts/kconfig/64k.config" "$S2ATTR_TOP/scripts/kconfig/system.config")
		twin=64k
		;;
	system) frags+=("$S2ATTR_TOP/scripts/kconfig/system.config"); twin+=${twin:+-}system ;;
	stock) stock=1 ;;
	ref)
		stock=1
		refs=("$S2ATTR_TOP"/patches/reference/"$series"/*.patch)
		[ -e "${refs[0]}" ] || die "no patches under patches/reference/$series"
		;;
	debug) frags+=("$S2ATTR_TOP/scripts/kconfig/debug.config"); twin+=${twin:+-}debug ;;
	*) die "unknown variant '$f' in '$variant'" ;;
	esac
done
[ ${#patches[@]} -gt 0 ] || [ -n "$stock" ] ||
	die "$series has no shim (no patches/$series/): it is built stock only (variant stock, 64k-stock)"
# The stock kernel's configuration: the same, without the hook.
[ -z "$stock" ] || frags+=(/dev/null)

# What the tree is made from: base (source and configuration) and stamp
# (that and the patches).  The fragments count by their settings, not
# their comments: a comment does not rebuild a kernel.
base=$( { echo "$pkg $ver $variant"; grep -hv -e '^#' -e '^$' "${frags[@]}"; } |
	sha256sum | cut -c1-16)
stamp=$( { echo "$base"; cat /dev/null ${patches[@]+"${patches[@]}"} ${refs[@]+"${refs[@]}"}; } |
	sha256sum | cut -c1-16)
# The patches the tree carries: the shim, or for a stock tree the
# reference patches if any.
if [ -n "$stock" ]; then want=(${refs[@]+"${refs[@]}"}); else want=("${patches[@]}"); fi
applied=$tree/.s2attr-applied
read -r -a kargs <<<"$(kmake_args)"

# configure: write the tree's config from the fragments and insist that
# every symbol took (Kconfig drops symbols whose dependencies fail:
# CONFIG_KVM does when the assembler check runs without the cross tools).
configure() {
	cat "${frags[@]}" >"$tree/.s2attr.config"
	[ -z "$stock" ] || sed -i '/^CONFIG_KVM_S2ATTR_HOOK=/d' "$tree/.s2attr.config"
	make -C "$tree" -s "${kargs[@]}" KCONFIG_ALLCONFIG=.s2attr.config allnoconfig
	# A later fragment may turn off what an earlier one set.
	missing=$(tac "$tree/.s2attr.config" | awk -F= '/^CONFIG_/ && !seen[$1]++' |
		  grep -E '=[^n]' | grep -vxFf "$tree/.config" || true)
	[ -z "$missing" ] || die "config fragment did not take:\n$missing"
}

# repatch: revert the patches the tree carries, newest first, and apply
# the wanted ones, keeping copies of them in $applied.
repatch() {
	local p n=0 old=()
	[ ! -d "$applied" ] || old=("$applied"/*.patch)
	for ((n = ${#old[@]} - 1; n >= 0; n--)); do
		[ ! -e "${old[n]}" ] || patch -d "$tree" -p1 -R --batch --quiet <"${old[n]}"
	done
	n=0
	rm -rf "$applied"
	mkdir -p "$applied"
	for p in ${want[@]+"${want[@]}"}; do
		note "applying ${p#"$S2ATTR_TOP"/}"
		patch -d "$tree" -p1 --batch --forward --quiet <"$p"
		n=$((n + 1))
		cp "$p" "$applied/$(printf %04d "$n").patch"
	done
}

# What the tree's last complete build was made from: the stamp, this
# script and the compiler.  make runs only when that changed or the build
# did not complete; a make that has nothing to do still takes two cores
# ten seconds to find that out.  The key of the kernel cache.
built=$( { echo "$stamp"; cat "$0"; "$(kcross)gcc" --version; } | sha256sum | cut -c1-16)
kcache=${S2ATTR_KCACHE:-/var/cache/s2attr/kernels}

# kcache_get: the tree, from the cache, if it has this build.
kcache_get() {
	[ "$kcache" != none ] && [ -f "$kcache/$built/.s2attr-built" ] || return 1
	note "copying ${tree#"$S2ATTR_TOP"/} from the kernel cache ($kcache/$built)"
	rm -rf "$tree" "$tree.kcache"
	cp -a "$kcache/$built" "$tree.kcache"
	mv "$tree.kcache" "$tree"
	touch "$kcache/$built"
}

# kcache_put: the built tree into the cache.  A cache that cannot take it
# (a full disk) costs the next clone a build, not this one.
kcache_put() {
	local e
	[ "$kcache" != none ] || return 0
	if ! { mkdir -p "$kcache" && rm -rf "$kcache/$built.new" &&
	       cp -a "$tree" "$kcache/$built.new" && rm -rf "${kcache:?}/$built" &&
	       mv "$kcache/$built.new" "$kcache/$built"; }; then
		note "the kernel cache did not take ${tree#"$S2ATTR_TOP"/}"
		rm -rf "$kcache/$built.new"
		return 0
	fi
	# shellcheck disable=SC2012 # the cache's own names: hex digits
	ls -1t "$kcache" | tail -n +$((${S2ATTR_KCACHE_KEEP:-12} + 1)) |
		while read -r e; do rm -rf "${kcache:?}/$e"; done
}

if [ "$(cat "$tree/.s2attr-built" 2>/dev/null)" != "$built" ] && kcache_get; then
	note "kernel ready: ${tree#"$S2ATTR_TOP"/}/arch/arm64/boot/Image"
	exit 0
fi

if [ "$(cat "$tree/.s2attr-stamp" 2>/dev/null)" != "$stamp" ]; then
	if [ "$(cat "$tree/.s2attr-base" 2>/dev/null)" = "$base" ] && [ -d "$applied" ]; then
		note "re-patching ${tree#"$S2ATTR_TOP"/}: only the patches changed"
		rm -f "$tree/.s2attr-stamp"
		repatch
	else
		shim=$(ktree "$series" "$twin")
		rm -rf "$tree"
		if [ -n "$stock" ] && [ ${#patches[@]} -gt 0 ] && "$0" "$series" "$twin" >&2; then
			note "copying ${shim#"$S2ATTR_TOP"/} and reverting the shim"
			cp -a "$shim" "$tree"
			rm -f "$tree/.s2attr-stamp"
		else
			note "unpacking $pkg $ver into ${tree#"$S2ATTR_TOP"/}"
			mkdir -p "$tree"
			tar -xf "/usr/src/$pkg.tar.xz" -C "$tree" --strip-components=1
		fi
		repatch
	fi
	[ -n "$stock" ] || [ -e "$tree/include/linux/kvm_s2attr.h" ] ||
		die "the shim left no include/linux/kvm_s2attr.h"
	[ -z "$stock" ] || [ ! -e "$tree/include/linux/kvm_s2attr.h" ] ||
		die "reverting the shim left include/linux/kvm_s2attr.h"
	configure
	echo "$pkg $ver" >"$tree/.s2attr-source"
	echo "$base" >"$tree/.s2attr-base"
	echo "$stamp" >"$tree/.s2attr-stamp"
fi

if [ "$(cat "$tree/.s2attr-built" 2>/dev/null)" = "$built" ]; then
	note "kernel up to date: ${tree#"$S2ATTR_TOP"/}/arch/arm64/boot/Image"
	exit 0
fi
rm -f "$tree/.s2attr-built"
# One kernel make at a time (check.sh builds its matrices side by side):
# make -j$(nproc) keeps every core busy, and compiles side by side only
# thrash the caches: on two cores, two 6.12 kernels at once took a quarter
# more CPU time per object, three nearly twice as much.
exec 8>"$S2ATTR_BUILD/.kernel-make.lock"
flock 8
note "building ${tree#"$S2ATTR_TOP"/} from $pkg $ver"
make -C "$tree" -s -j"$(nproc)" "${kargs[@]}" Image modules
make -C "$tree" -s "${kargs[@]}" headers_install >/dev/null
flock -u 8
echo "$built" >"$tree/.s2attr-built"
kcache_put
note "kernel ready: ${tree#"$S2ATTR_TOP"/}/arch/arm64/boot/Image"
exit
}
