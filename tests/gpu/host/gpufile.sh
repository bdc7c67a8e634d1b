# SPDX-License-Identifier: GPL-2.0
#
# Test plan "gpufile": the real stack's Linux guest and workload
# (tests/gpu/guest/) where there is no nvgrace-gpu to pass through (6.1;
# on 6.12 too, to compare).  Debian's arm64 QEMU gives the guest the
# nvgrace-shaped provider's usemem, which is mapped as nvgrace-gpu maps
# it, as NUMA node 1:
#   -object memory-backend-file,mem-path=/dev/s2attr_nvgrace_usemem,share=on
# The guest has that memory from boot (its kernel puts node 1's own data
# there) and runs gpuload bound to it.
#
#   enabled by the policy  the guest runs the whole workload; the node is
#                          Normal-WB in stage 2, in blocks (4 KiB pages;
#                          at 64 KiB a block is 512 MiB and the node's
#                          IPA and PA are not both aligned to that: pages),
#                          faults_stock 0
#   not enabled            stock KVM's Device pages: the guest's kernel
#                          is stuck at its first writes to node 1
#   no FWB                 skipped: plans qemu and gpu prove the refusal
#
# gpu.sh has the helpers (QEMU, the guest's end, the oracle's leaf).

GPUFILE_NODE_IPA=0x50000000
GPUFILE_NODE_TOP=0x6ffff000

# gpufile_start NAME EXEC: the guest, node 1 the provider's usemem: 512
# MiB after node 0's 256 MiB of RAM.
gpufile_start() {
	gpu_qemu "$1" "s2gg_node=boot s2gg_exec=$2 s2gg_mib=256" -m 768M \
		-object memory-backend-ram,id=ram0,size=256M \
		-object memory-backend-file,id=gpu,mem-path=/dev/s2attr_nvgrace_usemem,share=on,size=512M,align=2M \
		-numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1,cpus=1,memdev=gpu
}

# gpufile_data NAME: the IPA of the guest kernel's node 1 data, as its
# /init printed it.
gpufile_data() {
	sed -n 's/^# node 1 data at \(0x[0-9a-f]*\).*/\1/p' "/tmp/$1.serial" | tr -d '\r' | head -n 1
}

# gpufile_completes NAME: the VM the policy enabled runs the whole guest.
gpufile_completes() {
	level=$GPU_BLOCK
	[ "$(gpu_page_kib)" = 4 ] || level=$GPU_PAGE
	gpufile_start "$1" "$(gpu_exec)"
	gpu_wait "$1"
	gpu_report "$1" gpufile
	echo "# gpufile, $1: the guest's run: $end"
	check "gpufile, $1: the guest ran to its end" test "$end" = finished
	vm=$(qemu_vm)
	data=$(gpufile_data "$1")
	check "gpufile, $1: node 1's first page is Normal-WB in stage 2, a block (4 KiB pages) or a page" \
		test "$(gpu_leaf "$1" $GPUFILE_NODE_IPA)" = "$level 0x6"
	check "gpufile, $1: the kernel's node 1 data is Normal-WB in stage 2, a block (4 KiB pages) or a page" \
		test "$(gpu_leaf "$1" "$data")" = "$level 0x6"
	check "gpufile, $1: faults_stock 0, faults_normal > 0" sh -c \
		"grep -qx 0 $SYS/vms/$vm/faults_stock && ! grep -qx 0 $SYS/vms/$vm/faults_normal"
	check "gpufile, $1: s2attrctl list names the VM by its guest name, enabled" gpu_listed "$1"
	gpu_stop
}

# gpufile_dies NAME: a VM s2attr did not enable gets stock KVM's Device
# pages where its kernel first writes node 1, at the top (memblock
# allocates top-down), and never gets past its first lines: the vCPU
# exits over and over (neither KVM_RUN nor the guest fails).  It gets a
# minute; the enabled guest runs its whole workload in about 30 s here.
gpufile_dies() {
	gpufile_start "$1" run
	gpu_wait "$1" 60
	gpu_report "$1" gpufile
	echo "# gpufile, $1: the guest's run: $end"
	check "gpufile, $1: the guest does not reach its /init" sh -c \
		"[ $end = timeout ] && ! grep -q S2ATTR-GUEST-BEGIN /tmp/$1.serial"
	check "gpufile, $1: node 1's top page is Device in stage 2, a page" \
		test "$(gpu_leaf "$1" $GPUFILE_NODE_TOP)" = "$GPU_PAGE 0x1"
	gpu_stop
}

plan_gpufile() {
	setup "the initramfs has QEMU (scripts/vmm-qemu.sh)" test -x $QEMU &&
	setup "the initramfs has the Linux guest" test -f /lib/s2attr/gpuguest.cpio.gz || return
	if [ "$s2test_fwb" != 1 ]; then
		echo "ok 0 gpufile # SKIP no FWB: an enabled VM's memslot is refused (plans qemu, gpu)"
		return
	fi
	load_test_modules
	echo "# $($QEMU --version | head -n 1)"
	check "insmod s2attr" insmod $MODS/s2attr.ko || return
	mkdir -p /etc/s2attr
	echo "enable exe=$QEMU guest=gpu-vm" >/etc/s2attr/policy
	check "s2attrctl policy load" s2attrctl policy load
	gpufile_dies other
	gpufile_completes gpu-vm
	check "rmmod s2attr" rmmod s2attr
}
