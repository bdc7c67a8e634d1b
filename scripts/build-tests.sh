#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-tests.sh SERIES [VARIANT]: build everything a QEMU test run needs
# for the kernel tree build/linux-SERIES[-VARIANT] (scripts/kernel.sh) into
# build/out/<tree>/: s2attr.ko (shimmed trees only), the test provider
# and oracle modules, the test programs of tests/host/vmm/, s2attrctl and the
# policy tests' VMM, the real-VMM test's guest (and Debian's arm64 QEMU,
# when scripts/vmm-qemu.sh fetched it), and the initramfs that carries
# them; and initramfs-gpu.cpio.gz, which adds the real-stack test's Linux
# guest (tests/gpu/guest/).  A stock or reference tree gets its shimmed
# twin's s2attr.ko and programs, which must be built first.  Sources are copied, so one
# checkout builds for several trees without mixing objects.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:?usage: build-tests.sh SERIES [VARIANT]}
variant=${2:-}
tree=$(ktree "$series" "$variant")
# A stock or reference tree has no shim: it gets its shimmed twin's
# s2attr.ko.
stock=
case "-$variant-" in *-stock-* | *-ref-*) stock=1 ;; esac
# shellcheck disable=SC2001 # a regular expression: ${variant/...} has none
twin=$(ktree "$series" "$(echo "$variant" | sed 's/-\?\(stock\|ref\)//')")
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

if [ -z "$stock" ]; then
	note "building s2attr.ko and its KUnit suite for $krel"
	kbuild_ext mod Kbuild src include tests/kunit -- S2ATTR_KUNIT=m
fi
note "building test modules for $krel"
kbuild_ext testmod tests/host/modules/./ --

progs=()
for p in "$S2ATTR_TOP"/tests/host/vmm/s2attr_*.c; do
	p=${p##*/}
	progs+=("${p%.c}")
done
if [ -z "$stock" ]; then
	note "building the test programs on $(basename "$tree")'s KVM selftest library"
	kst=$tree/tools/testing/selftests/kvm
	# The sources go into the kernel tree, which several checkouts may
	# share; copied with their times, so that make rebuilds only what
	# changed.
	exec 9>"$tree/.s2attr-kst.lock"
	flock 9
	rm -rf "$kst/aarch64/s2attr"
	cp -a "$S2ATTR_TOP/tests/host/vmm" "$kst/aarch64/s2attr"
	make -s -C "$kst" -f Makefile -f aarch64/s2attr/s2attr.mk "${kargs[@]}" OUTPUT="$out/vmm" \
		TEST_GEN_PROGS_aarch64="$(printf 'aarch64/s2attr/%s ' "${progs[@]}")" \
		TEST_GEN_PROGS_EXTENDED_aarch64= \
		EXTRA_CFLAGS="-static -Werror -I$S2ATTR_TOP/tests/host/modules -I$S2ATTR_TOP/tests/host/vmm/include" 2>&1 |
		{ grep -v -e '^cc1: note: unrecognized command-line option' -e '^At top level:' || true; }
	flock -u 9
	for p in "${progs[@]}"; do
		[ -x "$out/vmm/aarch64/s2attr/$p" ] || die "test program $p did not build"
	done

	note "building s2attrctl and the raw test VMM"
	ucc=(aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror)
	mkdir -p "$out/tools"
	"${ucc[@]}" -I"$S2ATTR_TOP/include" -o "$out/tools/s2attrctl" "$S2ATTR_TOP/tools/s2attrctl.c"
	"${ucc[@]}" -o "$out/tools/s2attr_rawvmm" "$S2ATTR_TOP/tests/host/tools/s2attr_rawvmm.c"
	"${ucc[@]}" -o "$out/tools/s2attr_peek" "$S2ATTR_TOP/tests/host/tools/s2attr_peek.c"
	"${ucc[@]}" -I"$tree/usr/include" -o "$out/tools/s2attr_vfio" "$S2ATTR_TOP/tests/gpu/host/s2attr_vfio.c"
	"${ucc[@]}" -o "$out/tools/gpuload" "$S2ATTR_TOP/tests/gpu/guest/gpuload.c"
	aarch64-linux-gnu-gcc -c -o "$out/tools/guest.o" "$S2ATTR_TOP/tests/guest/guest.S"
	aarch64-linux-gnu-ld -Ttext=0x40100000 -e _start -o "$out/tools/guest.elf" "$out/tools/guest.o"
else
	# The shim adds no UAPI, so the programs of the shimmed twin are
	# exactly what this tree would build: copied, not rebuilt.
	twinout=$S2ATTR_BUILD/out/$(basename "$twin")
	for d in vmm tools; do
		[ -d "$twinout/$d" ] || die "build the shimmed tree's tests first: no $twinout/$d"
		rm -rf "${out:?}/$d"
		cp -a "$twinout/$d" "$out/$d"
	done
fi

# The real VMM of plan "qemu", when scripts/vmm-qemu.sh has fetched it:
# copied with what it links, dereferenced, to the same paths.
add_vmm_qemu() {
	local q=$S2ATTR_BUILD/qemu-arm64/root
	[ -x "$q/usr/bin/qemu-system-aarch64" ] || { note "no arm64 QEMU (scripts/vmm-qemu.sh): plan qemu will fail"; return 0; }
	install_elf "$q" "$root" /usr/bin/qemu-system-aarch64
}

# The Linux guest of plans "gpu" and "gpufile": this tree's kernel, and an
# initramfs with the guest's workload and, on a kernel with nvgrace-gpu
# (whose guest has PCI), its GPU driver (tests/gpu/guest/).  The host's
# initramfs for those plans is the usual one and the guest, concatenated.
gpu_guest() {
	local g=$out/gpuguest/root
	note "building the real-stack test's Linux guest"
	rm -rf "$g"
	mkdir -p "$g"/{bin,dev,proc,sys,lib/modules} "$out/gpuguest/host/lib/s2attr"
	if has_gpu "$tree"; then
		kbuild_ext gpuguest tests/gpu/guest/./ --
		install -m644 "$out/gpuguest/s2attr_gpuguest.ko" "$g/lib/modules/"
	fi
	install -m755 "$S2ATTR_BUILD/busybox/bin/busybox" "$g/bin/busybox"
	install -m755 "$S2ATTR_TOP/tests/gpu/guest/init" "$g/init"
	install -m755 "$out/tools/gpuload" "$g/bin/gpuload"
	(cd "$g" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
		>"$out/gpuguest/host/lib/s2attr/gpuguest.cpio.gz"
	install -m644 "$tree/arch/arm64/boot/Image" "$out/gpuguest/host/lib/s2attr/Image"
	(cd "$out/gpuguest/host" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
		>"$out/gpuguest/host.cpio.gz"
}

note "packing the initramfs"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,lib/modules}
install -m755 "$S2ATTR_BUILD/busybox/bin/busybox" "$root/bin/busybox"
for p in "${progs[@]}"; do
	install -m755 "$out/vmm/aarch64/s2attr/$p" "$root/bin/$p"
done
install -D -m755 "$out/tools/s2attrctl" "$root/usr/sbin/s2attrctl"
# Two executables for the policy to tell apart.
install -m755 "$out/tools/s2attr_rawvmm" "$root/bin/s2attr_vmm_a"
install -m755 "$out/tools/s2attr_rawvmm" "$root/bin/s2attr_vmm_b"
install -m755 "$out/tools/s2attr_peek" "$out/tools/s2attr_vfio" "$root/bin/"
install -D -m644 "$out/tools/guest.elf" "$root/lib/s2attr/guest.elf"
add_vmm_qemu
install -m755 "$S2ATTR_TOP/tests/host/init" "$root/init"
install -m644 "$S2ATTR_TOP"/tests/host/*.sh "$S2ATTR_TOP"/tests/gpu/host/*.sh \
	"$S2ATTR_TOP"/tests/system/*.sh "$root/bin/"
install -m644 "$out"/testmod/*.ko "$root/lib/modules/"
# A stock kernel gets the s2attr.ko of its shimmed twin: loading it must
# fail and say why.
mod=$out/mod
[ -z "$stock" ] || mod=$S2ATTR_BUILD/out/$(basename "$twin")/mod
[ -f "$mod/s2attr.ko" ] || die "build the shimmed tree's tests first: no $mod/s2attr.ko"
install -m644 "$mod/s2attr.ko" "$mod/s2attr_kunit.ko" "$mod/s2attr_bench.ko" \
	"$root/lib/modules/"
# The size of s2attr.ko's .text, at which the failslab plan aims.
aarch64-linux-gnu-size -A "$mod/s2attr.ko" | awk '$1 == ".text" { print $2 }' \
	>"$root/lib/modules/s2attr.text-size"
[ -s "$root/lib/modules/s2attr.text-size" ] || die "no .text in $mod/s2attr.ko"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
gpu_guest
cat "$out/initramfs.cpio.gz" "$out/gpuguest/host.cpio.gz" >"$out/initramfs-gpu.cpio.gz"
note "test image ready: ${out#"$S2ATTR_TOP"/}"
