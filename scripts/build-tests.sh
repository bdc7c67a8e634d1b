#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-tests.sh SERIES [stock|debug]: build everything a QEMU test run
# needs for the kernel tree build/linux-SERIES[-VARIANT] into
# build/out/<tree>/: s2attr.ko (shimmed trees only), the test provider
# and oracle modules, the test programs of tests/vmm/ and the initramfs
# that carries them.  Sources are copied, so one checkout builds for
# several trees without mixing objects.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: build-tests.sh SERIES [stock|debug]}
variant=${2:-}
tree=$(ktree "$series" "$variant")
out=$S2ATTR_BUILD/out/$(basename "$tree")
read -r -a kargs <<<"$(kmake_args)"
[ -f "$tree/vmlinux" ] || die "no built kernel at $tree (make kernel SERIES=$series)"

mkdir -p "$out"
krel=$(make -s -C "$tree" "${kargs[@]}" kernelrelease)

# kbuild_ext NAME PATH... -- MAKEARGS...: build an external module from
# copies of PATHs (relative to the top of the repository).
kbuild_ext() {
	local dir=$out/$1 paths=()
	shift
	while [ "$1" != -- ]; do paths+=("$1"); shift; done
	shift
	mkdir -p "$dir"
	(cd "$S2ATTR_TOP" && rsync -aR "${paths[@]}" "$dir/")
	make -s -C "$tree" "${kargs[@]}" M="$dir" "$@" modules
}

if [ "$variant" != stock ]; then
	note "building s2attr.ko and its KUnit suite for $krel"
	kbuild_ext mod Kbuild src include tests/kunit -- S2ATTR_KUNIT=m
fi
note "building test modules for $krel"
kbuild_ext testmod tests/modules/./ --

note "building the test programs on $(basename "$tree")'s KVM selftest library"
kst=$tree/tools/testing/selftests/kvm
progs=$(cd "$S2ATTR_TOP/tests/vmm" && ls s2attr_*.c | sed 's/\.c$//')
# The sources go into the kernel tree, which several checkouts may share.
exec 9>"$tree/.s2attr-kst.lock"
flock 9
rm -rf "$kst/aarch64/s2attr"
cp -r "$S2ATTR_TOP/tests/vmm" "$kst/aarch64/s2attr"
make -s -C "$kst" -f Makefile -f aarch64/s2attr/s2attr.mk "${kargs[@]}" OUTPUT="$out/vmm" \
	TEST_GEN_PROGS_aarch64="$(printf 'aarch64/s2attr/%s ' $progs)" \
	TEST_GEN_PROGS_EXTENDED_aarch64= \
	EXTRA_CFLAGS="-static -Werror -I$S2ATTR_TOP/tests/modules -I$S2ATTR_TOP/tests/vmm/include" 2>&1 |
	{ grep -v -e '^cc1: note: unrecognized command-line option' -e '^At top level:' || true; }
flock -u 9
for p in $progs; do
	[ -x "$out/vmm/aarch64/s2attr/$p" ] || die "test program $p did not build"
done

note "packing the initramfs"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
install -m755 "$S2ATTR_BUILD/busybox/bin/busybox" "$root/bin/busybox"
for p in $progs; do
	install -m755 "$out/vmm/aarch64/s2attr/$p" "$root/bin/$p"
done
install -m755 "$S2ATTR_TOP/tests/guest/init" "$root/init"
install -m644 "$S2ATTR_TOP"/tests/guest/*.sh "$root/bin/"
install -m644 "$out"/testmod/*.ko "$root/lib/modules/"
# A stock kernel gets the s2attr.ko of its shimmed twin: loading it must
# fail and say why.
mod=$out/mod
[ "$variant" != stock ] || mod=$S2ATTR_BUILD/out/linux-$series/mod
[ -f "$mod/s2attr.ko" ] || die "build the shimmed tree's tests first: no $mod/s2attr.ko"
install -m644 "$mod/s2attr.ko" "$mod/s2attr_kunit.ko" "$mod/s2attr_bench.ko" \
	"$root/lib/modules/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
note "test image ready: ${out#"$S2ATTR_TOP"/}"
