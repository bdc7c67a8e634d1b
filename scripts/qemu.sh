#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu.sh TREE CPU PLAN LOG: boot the kernel of build tree TREE on QEMU's
# virt machine with EL2 (so KVM runs inside), CPU model CPU from
# scripts/cpus.conf, running test plan PLAN of tests/guest/lib.sh; the
# console goes to LOG.  QEMU gets 2 GiB and the kernel mem=768M: the top
# 1.25 GiB stand for GPU memory (outside the linear map).  Environment:
# S2ATTR_QEMU_SMP (vCPUs, 2), S2ATTR_QEMU_APPEND (more kernel arguments),
# S2ATTR_QEMU_TIMEOUT (seconds, 900), S2ATTR_INITRD (another initramfs),
# S2ATTR_QEMU_ICOUNT=1 (guest time counts instructions: 1 ns each).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: qemu.sh TREE CPU PLAN LOG}
cpu=${2:?}
plan=${3:?}
log=${4:?}
timeout=${S2ATTR_QEMU_TIMEOUT:-900}

read -r _ model machine extra fwb dic _ < <(awk -v c="$cpu" '!/^#/ && $1 == c' "$S2ATTR_TOP/scripts/cpus.conf")
[ -n "${model:-}" ] || die "unknown CPU '$cpu' (see scripts/cpus.conf)"
[ "$machine" != - ] || machine=
[ "$extra" != - ] || extra=

out=$S2ATTR_BUILD/out/$(basename "$tree")
append="console=ttyAMA0 mem=768M loglevel=4 panic=-1 oops=panic $extra"
append="$append s2test_plan=$plan s2test_fwb=$fwb s2test_dic=$dic"
append="$append s2test_mem=0x70000000,0x50000000 ${S2ATTR_QEMU_APPEND:-}"

accel=(-accel tcg,thread=multi)
[ "${S2ATTR_QEMU_ICOUNT:-0}" = 0 ] || accel=(-accel tcg,thread=single -icount shift=0,sleep=off)

mkdir -p "$(dirname "$log")"
timeout --foreground "$timeout" qemu-system-aarch64 \
	-machine "virt,virtualization=on,gic-version=3${machine:+,$machine}" -cpu "$model" \
	"${accel[@]}" -smp "${S2ATTR_QEMU_SMP:-2}" -m 2048 \
	-nographic -nic none -no-reboot -monitor none -serial stdio \
	-kernel "$tree/arch/arm64/boot/Image" -initrd "${S2ATTR_INITRD:-$out/initramfs.cpio.gz}" \
	-append "$append" </dev/null >"$log" 2>&1 || true
grep -q '^S2ATTR-END' "$log"
