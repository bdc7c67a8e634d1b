#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu.sh TREE CPU PLAN LOG: boot the kernel of build tree TREE on QEMU's
# virt machine with EL2 (so KVM runs inside), CPU model CPU from
# scripts/cpus.conf, running test plan PLAN of tests/plans.conf; the
# console goes to LOG.  QEMU gets 2 GiB and the kernel mem=768M: the top
# 1.25 GiB stand for GPU memory (outside the linear map).  Environment:
# S2ATTR_QEMU_SMP (vCPUs, 2), S2ATTR_QEMU_APPEND (more kernel arguments),
# S2ATTR_QEMU_TIMEOUT (seconds, 900), S2ATTR_INITRD (another initramfs),
# S2ATTR_QEMU_ICOUNT=1 (guest time counts instructions: 1 ns each),
# S2ATTR_DISK (below).
#
# The plan's machine (tests/plans.conf): "plain" is the above.  "gpu"
# (plans gpu and gpu_stock, tests/gpu/host/gpu.sh) is a Grace host's GPU:
# a PCI endpoint (QEMU's edu at 00:02.0) behind virtio-iommu (00:01.0),
# whose device tree node gives nvgrace-gpu its memory's base and size
# (tests/gpu/gpu.dtsi; Grace firmware gives them in ACPI), and a second
# edu (00:03.0) without them.  The memory is 2 GiB of RAM that QEMU shows
# as the BAR of an ivshmem device (00:04.0), placed as on Grace far above
# the host's RAM: reserving hotplug memory up to 8 TiB moves the 64-bit
# PCI window above it, where the kernel puts this largest BAR first.  Low
# memory would not do: nvgrace-gpu 6.12 sets a mapping's vm_pgoff to its
# PFN, and vfio-pci zaps the BARs' mappings by file offset (up to 6 TiB
# in bytes) whenever the VMM clears memory decoding, which QEMU does at
# every reset; nvgrace-gpu has no fault handler to map them again.  The
# device tree is QEMU's own for the command line, with the node added.
# "gpufile" is only the Linux guest that plans gpufile and gpufile_bench
# run.  "gpu2" (plan libvirt) is two such GPUs, as a Grace Blackwell host
# has: 00:02.0 and 00:05.0, whose memory is the two halves of a 4 GiB BAR.
#
# S2ATTR_DISK=IMAGE boots instead a root filesystem image (ext4, on a
# virtio disk; scripts/sysimage.sh) with its own init (systemd), and all of
# QEMU's RAM, 3 GiB; what the run writes to the disk is dropped.
# shellcheck disable=SC2054 # QEMU's options separate their fields with commas
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: qemu.sh TREE CPU PLAN LOG}
cpu=${2:?}
plan=${3:?}
log=${4:?}
timeout=${S2ATTR_QEMU_TIMEOUT:-900}

read -r _ model mopts extra fwb dic _ < <(awk -v c="$cpu" '!/^#/ && $1 == c' "$S2ATTR_TOP/scripts/cpus.conf")
[ -n "${model:-}" ] || die "unknown CPU '$cpu' (see scripts/cpus.conf)"
[ "$mopts" != - ] || mopts=
[ "$extra" != - ] || extra=

out=$S2ATTR_BUILD/out/$(basename "$tree")
initrd=${S2ATTR_INITRD:-$out/initramfs.cpio.gz}
machine=$(plan_field "$plan" 4)
[ -n "$machine" ] || die "unknown plan '$plan' (see tests/plans.conf)"
ram=2048
gpu=()
# The GPUs' slots: each has 2 GiB of the memory.
gpus=(2)
case $machine in
gpu2)
	gpus=(2 5)
	;&
gpu)
	ram=2048,slots=1,maxmem=8T
	gpu=(-object "memory-backend-ram,id=gpumem,size=$((2 * ${#gpus[@]}))G,share=on"
	     -device ivshmem-plain,memdev=gpumem,addr=04.0
	     -device virtio-iommu-pci,addr=01.0 -device edu,addr=02.0 -device edu,addr=03.0)
	[ ${#gpus[@]} = 1 ] || gpu+=(-device edu,addr=05.0)
	initrd=${S2ATTR_INITRD:-$out/initramfs-gpu.cpio.gz}
	;;
gpufile)
	initrd=${S2ATTR_INITRD:-$out/initramfs-gpu.cpio.gz}
	;;
esac
boot=(-initrd "$initrd")
append="console=ttyAMA0 loglevel=4 panic=-1 oops=panic $extra"
append="$append s2test_plan=$plan s2test_fwb=$fwb s2test_dic=$dic"
if [ -n "${S2ATTR_DISK:-}" ]; then
	[ -f "$S2ATTR_DISK" ] || die "no disk image $S2ATTR_DISK"
	ram=${ram/#2048/3072}
	boot=(-drive "if=none,id=root,format=raw,snapshot=on,file=$S2ATTR_DISK"
	      -device virtio-blk-device,drive=root)
	append="$append root=/dev/vda rw rootwait systemd.show_status=0"
else
	append="$append mem=768M s2test_mem=0x70000000,0x50000000"
fi
append="$append ${S2ATTR_QEMU_APPEND:-}"

accel=(-accel tcg,thread=multi)
[ "${S2ATTR_QEMU_ICOUNT:-0}" = 0 ] || accel=(-accel tcg,thread=single -icount shift=0,sleep=off)
args=(-machine "virt,virtualization=on,gic-version=3${mopts:+,$mopts}" -cpu "$model"
      "${accel[@]}" -smp "${S2ATTR_QEMU_SMP:-2}" -m "$ram" ${gpu[@]+"${gpu[@]}"}
      -nographic -nic none -no-reboot -monitor none -serial stdio
      -kernel "$tree/arch/arm64/boot/Image" "${boot[@]}" -append "$append")

mkdir -p "$(dirname "$log")"
if [ ${#gpu[@]} -gt 0 ]; then
	dtb=${log%.log}.dtb
	qemu-system-aarch64 "${args[@]}" -machine dumpdtb="$dtb.orig" >/dev/null
	dtc -q -I dtb -O dts -o "$dtb.dts" "$dtb.orig"
	# The PCI host bridge's node, and the base of its 64-bit window: the
	# last of its ranges, <0x3000000 PCI-HI PCI-LO CPU-HI CPU-LO SIZE-HI SIZE-LO>.
	node=$(sed -n 's/^\t\(pcie@[0-9a-f]*\) {$/\1/p' "$dtb.dts" | head -n 1)
	base=$(sed -n "/^\t$node {/,/^\t};/s/^\t\tranges = <.* \(0x[0-9a-f]*\) \(0x[0-9a-f]*\) 0x[0-9a-f]* 0x[0-9a-f]*>;$/\1 \2/p" "$dtb.dts")
	[ -n "$node" ] || die "no PCI host bridge in QEMU's device tree"
	[ -n "$base" ] || die "no 64-bit window of $node in QEMU's device tree"
	base=$(( ${base% *} << 32 | ${base#* } ))
	for i in "${!gpus[@]}"; do
		sed -e "s/@PCIE@/$node/" -e "s/@SLOT@/${gpus[i]}/" \
		    -e "s/@REG@/$(printf '0x%x' $((gpus[i] << 11)))/" \
		    -e "s/@BASE@/$(printf '0x%x' $((base + (i << 31))))/" \
		    "$S2ATTR_TOP/tests/gpu/gpu.dtsi" >>"$dtb.dts"
	done
	dtc -q -I dts -O dtb -o "$dtb" "$dtb.dts" || die "cannot add the GPU's node to QEMU's device tree"
	args+=(-dtb "$dtb")
fi
timeout --foreground "$timeout" qemu-system-aarch64 "${args[@]}" </dev/null >"$log" 2>&1 || true
grep -q '^S2ATTR-END' "$log"
