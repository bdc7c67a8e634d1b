#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh SERIES [VARIANT]: leave a patched, configured and built arm64
# test kernel at build/linux-SERIES.  VARIANT "stock" builds the same kernel
# without the shim (build/linux-SERIES-stock), which the tests compare
# against; "debug" adds scripts/kconfig/debug.config (KASAN, lockdep,
# kmemleak, ...) for make stress (build/linux-SERIES-debug).  The tree is unpacked afresh only when the pinned source version,
# the shim patches or the config fragment change; otherwise this is an
# incremental make that does nothing on a built tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: kernel.sh SERIES [stock|debug]}
variant=${2:-}
pkg=$(series_field "$series" 2)
ver=$(series_field "$series" 3)
[ -n "$pkg" ] || die "unknown series '$series' (see scripts/series.conf)"

have=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || true)
[ "$have" = "$ver" ] ||
	die "$pkg $ver is pinned but '${have:-nothing}' is installed; run scripts/deps.sh"

tree=$(ktree "$series" "$variant")
frag="$S2ATTR_TOP/scripts/kconfig/test.config"
patches=("$S2ATTR_TOP"/patches/"$series"/*.patch)
[ -e "${patches[0]}" ] || die "no patches under patches/$series"
frags=("$frag")
case "$variant" in
"") ;;
stock) patches=() ;;
debug) frags+=("$S2ATTR_TOP/scripts/kconfig/debug.config") ;;
*) die "unknown variant '$variant'" ;;
esac

stamp=$( { echo "$pkg $ver $variant"; cat "${patches[@]}" "${frags[@]}"; } |
	sha256sum | cut -c1-16)
read -r -a kargs <<<"$(kmake_args)"

if [ "$(cat "$tree/.s2attr-stamp" 2>/dev/null)" != "$stamp" ]; then
	note "unpacking $pkg $ver into ${tree#"$S2ATTR_TOP"/}"
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xf "/usr/src/$pkg.tar.xz" -C "$tree" --strip-components=1
	for p in "${patches[@]}"; do
		note "applying ${p#"$S2ATTR_TOP"/}"
		patch -d "$tree" -p1 --batch --forward --quiet <"$p"
	done
	if [ "$variant" = stock ]; then
		grep -v '^CONFIG_KVM_S2ATTR_HOOK=' "$frag" >"$tree/.s2attr.config"
	else
		cat "${frags[@]}" >"$tree/.s2attr.config"
	fi
	make -C "$tree" -s "${kargs[@]}" KCONFIG_ALLCONFIG=.s2attr.config allnoconfig
	# Kconfig drops symbols whose dependencies fail (CONFIG_KVM does when
	# the assembler check runs without the cross tools): insist on each.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=[^n]' "$tree/.s2attr.config" |
		  grep -vxFf "$tree/.config" || true)
	[ -z "$missing" ] || die "config fragment did not take:\n$missing"
	echo "$stamp" >"$tree/.s2attr-stamp"
fi

note "building ${tree#"$S2ATTR_TOP"/}"
make -C "$tree" -s -j"$(nproc)" "${kargs[@]}" Image modules
make -C "$tree" -s "${kargs[@]}" headers_install >/dev/null
note "kernel ready: ${tree#"$S2ATTR_TOP"/}/arch/arm64/boot/Image"
