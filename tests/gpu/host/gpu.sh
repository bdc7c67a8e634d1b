# SPDX-License-Identifier: GPL-2.0
#
# Test plans "gpu" and "gpu_stock": the real stack of a Grace host.  The
# kernel's own nvgrace-gpu-vfio-pci takes the PCI endpoint to which
# scripts/qemu.sh gives a GPU's memory in the device tree, bound as on
# Grace through driver_override; Debian's arm64 QEMU passes it to a Linux
# guest with -device vfio-pci under KVM (nested here); the guest
# (tests/gpu/guest/) uses usemem and resmem as NVIDIA's driver does, onlines
# usemem as a NUMA node and runs programs on it, and reports each case as
# a TAP line on its console, which this plan passes on as its own, named
# for the guest; the development machine counts them against the plan's
# cases (gpu.cases, gpu_stock.cases), so a guest case that did not run
# fails by name.
#
#   gpu_stock  the kernel without the shim: the guest dies at its first
#              unaligned access to usemem (KVM_RUN EFAULT), which stage 2
#              maps Device
#   gpu        the shimmed kernel: with s2attr loaded and the VM not
#              enabled the same; enabled by the policy, with FWB every
#              guest case passes, usemem is Normal-WB in stage-2 blocks
#              and resmem Normal-NC, and the host reads back through
#              nvgrace-gpu's own mapping what the guest wrote; without
#              FWB QEMU stops at the GPU memory's memslot
#
# Memory types are the oracle's (s2attr_peek), read from the live VM.

GPU_BDF=0000:00:02.0
# The same endpoint without the memory properties in the device tree.
GPU_BARE=0000:00:03.0
GPU_DRV=nvgrace_gpu_vfio_pci
# The RAM that stands for the GPU's memory: BAR 2 of an ivshmem device.
GPU_MEM=0000:00:04.0
# A block of stage 2 over usemem: level 2 (2 MiB with 4 KiB pages, 512 MiB
# with 64 KiB); a page: level 3.
GPU_BLOCK=2
GPU_PAGE=3
GPU_WINDOW=$((16 << 20))
GPU_TIMEOUT=240

# gpu_bind BDF: bind nvgrace-gpu as on Grace: its ID table is
# override-only, and driver_override matches any device.
gpu_bind() {
	echo $GPU_DRV >"/sys/bus/pci/devices/$1/driver_override" &&
		echo "$1" >/sys/bus/pci/drivers_probe &&
		[ "$(basename "$(readlink "/sys/bus/pci/devices/$1/driver")")" = $GPU_DRV ]
}

# gpu_has_memory BDF: nvgrace-gpu took BDF with its memory: resmem (region
# 2) and usemem (region 4) of 512 MiB or more, each mappable; not so when
# it binds with plain vfio-pci ops.
gpu_has_memory() {
	GPU_REGIONS=$(s2attr_vfio "$1" regions) || return 1
	echo "$GPU_REGIONS" | sed "s/^/# $1: /"
	echo "$GPU_REGIONS" | awk '($2 == 2 || $2 == 4) && $4 >= 536870912 && $6 == 1 { n++ }
				   END { exit n != 2 }'
}

gpu_plain_ops() { ! gpu_has_memory "$1"; }

# gpu_region_size N: the size of region N of the GPU, from gpu_has_memory.
gpu_region_size() { echo "$GPU_REGIONS" | awk -v r="$1" '$2 == r { print $4 }'; }

# gpu_memory: the memory behind nvgrace-gpu's properties decodes (no
# driver takes the ivshmem device that holds it), at the base they give.
gpu_memory() {
	dt=$(ls -d /proc/device-tree/pcie@*/gpu@2,0)
	echo 1 >/sys/bus/pci/devices/$GPU_MEM/enable &&
		[ "$(sed -n 3p /sys/bus/pci/devices/$GPU_MEM/resource | cut -d' ' -f1)" = \
		  "$(printf '0x%016x' "0x$(od -An -tx1 "$dt/nvidia,gpu-mem-base-pa" | tr -d ' \n')")" ]
}

# gpu_host: the test host as a Grace host: nvgrace-gpu has the GPU.  All
# of it is the fixture, which works as well without s2attr.
gpu_host() {
	setup "the GPU's memory is at the base its device tree node gives" gpu_memory &&
	setup "nvgrace-gpu binds to $GPU_BDF through driver_override" gpu_bind $GPU_BDF &&
	setup "$GPU_BDF has an IOMMU group (virtio-iommu)" \
		test -c "/dev/vfio/$(basename "$(readlink /sys/bus/pci/devices/$GPU_BDF/iommu_group)")" &&
	setup "nvgrace-gpu has its memory: usemem and resmem regions, mappable" \
		gpu_has_memory $GPU_BDF &&
	# What the test would see of a device without the memory properties.
	setup "nvgrace-gpu binds to $GPU_BARE, which has no memory properties" gpu_bind $GPU_BARE &&
	setup "$GPU_BARE: plain vfio-pci ops (no usemem, no resmem) are told apart" \
		gpu_plain_ops $GPU_BARE &&
	gpu_has_memory $GPU_BDF >/dev/null
}

# gpu_qemu NAME APPEND ARGS...: QEMU with guest name NAME running the
# Linux guest with APPEND on its command line and QEMU arguments ARGS, in
# the background ($QPID).  Node 1 is the GPU's: it has a vCPU, so that
# the guest knows the node (a device-tree guest learns its nodes from
# memory and CPUs).
gpu_qemu() {
	name=$1 append=$2
	shift 2
	rm -f "/tmp/$name.serial" "/tmp/$name.out"
	$QEMU -name "guest=$name,debug-threads=on" \
		-machine virt,gic-version=3 -accel kvm -cpu host -smp 2 "$@" \
		-nodefaults -display none -monitor none -serial "file:/tmp/$name.serial" -no-reboot \
		-kernel /lib/s2attr/Image -initrd /lib/s2attr/gpuguest.cpio.gz \
		-append "console=ttyAMA0 earlycon=pl011,0x9000000 loglevel=6 panic=-1 $append" \
		>"/tmp/$name.out" 2>&1 </dev/null &
	QPID=$!
}

# gpu_start NAME STAMP EXEC: the guest with the GPU; node 1 has no memory
# until the guest adds usemem.
gpu_start() {
	gpu_qemu "$1" "s2gg_stamp=$2 s2gg_exec=$3 s2gg_mib=256" -m 256M \
		-object memory-backend-ram,id=ram0,size=256M \
		-numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1,cpus=1 \
		-device vfio-pci,host=$GPU_BDF
}

# gpu_wait NAME [SECONDS]: how the guest's run ended, in $end: "finished"
# (its /init said so), "died" (KVM_RUN failed: QEMU stops the VM),
# "exited" or "timeout" (after SECONDS, default GPU_TIMEOUT).  Not for a
# command substitution: QEMU is this shell's child, which only this shell
# reaps; from a subshell an exited QEMU would look alive.
gpu_wait() {
	t=0
	while [ $t -lt "${2:-$GPU_TIMEOUT}" ]; do
		grep -q '^S2ATTR-GUEST-END' "/tmp/$1.serial" 2>/dev/null && { end=finished; return; }
		grep -q 'kvm run failed' "/tmp/$1.out" && { end=died; return; }
		kill -0 "$QPID" 2>/dev/null || { end=exited; return; }
		sleep 1
		t=$((t + 1))
	done
	end=timeout
}

# gpu_report NAME [PLAN]: the guest's TAP lines as this plan's, its console
# for the log (a splat there fails the run), and what QEMU said.
gpu_report() {
	sed -nE 's/^(\[ *[0-9.]+\] )?(s2attr_gpuguest: )?(not ok|ok) [0-9]+ /\3 0 '"${2:-gpu}, $1"': /p' \
		"/tmp/$1.serial" | tr -d '\r'
	sed 's/^/guest| /' "/tmp/$1.serial"
	sed 's/^/qemu| /' "/tmp/$1.out"
}

# gpu_bar NAME BAR: the guest-physical address of usemem or resmem.
gpu_bar() {
	sed -n "s/.*s2attr_gpuguest: # $2: BAR [0-9] at \(0x[0-9a-f]*\),.*/\1/p" "/tmp/$1.serial" | head -n 1
}

# gpu_leaf NAME IPA: "LEVEL MEMATTR" of the stage-2 leaf at IPA of the VM.
gpu_leaf() {
	out=$(s2attr_peek "$(qemu_vm)" "$2") || return
	echo "# $1: $out" >&2
	echo "$out" | sed -n 's/.* level \([0-9]\) valid 1 memattr \(0x[0-9a-f]*\)$/\1 \2/p'
}

# gpu_window NAME BAR: the IPA of the window the guest's driver used.
gpu_window() {
	bar=$(gpu_bar "$1" "$2")
	[ -n "$bar" ] || return
	size=$(gpu_region_size 4)
	[ "$2" = usemem ] || size=$(gpu_region_size 2)
	printf '0x%x\n' $((bar + size - GPU_WINDOW))
}

# The host's page size, in KiB.
gpu_page_kib() { awk '/^KernelPageSize:/ { print $2; exit }' /proc/self/smaps; }

gpu_stop() {
	kill "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
}

# gpu_exec: what a guest instruction fetch from the GPU's memory must do:
# run with DIC, or take a prefetch abort without it (s2attr refuses).
gpu_exec() { if [ "$s2test_dic" = 0 ]; then echo abort; else echo run; fi; }

# gpu_listed NAME: s2attrctl list names the VM of $QPID by its guest name
# NAME, enabled.
gpu_listed() { s2attrctl list | grep -Eq "^$(qemu_vm) +$QPID +qemu-system-aar +$1 +1 "; }

# gpu_dies_at_unaligned NAME: the guest NAME completed its aligned case on
# usemem, then KVM_RUN failed with EFAULT (QEMU: "kvm run failed Bad
# address") and the guest reported nothing after it: it died at its first
# unaligned access.
gpu_dies_at_unaligned() {
	[ "$end" = died ] &&
		grep -Eq '(^| )ok [0-9]+ usemem: aligned 8-byte stores and loads' "/tmp/$1.serial" &&
		grep -q 'kvm run failed Bad address' "/tmp/$1.out" &&
		! grep -q 'usemem: unaligned' "/tmp/$1.serial"
}

# gpu_dies NAME: stock KVM's Device mapping of usemem kills the guest at its
# first unaligned access, right after the aligned one completed.
gpu_dies() {
	gpu_start "$1" none run
	gpu_wait "$1"
	gpu_report "$1"
	echo "# gpu, $1: the guest's run: $end"
	check "gpu, $1: the guest completes the aligned case and dies at its first unaligned access to usemem: KVM_RUN EFAULT" \
		gpu_dies_at_unaligned "$1"
	check "gpu, $1: usemem is Device in stage 2, in pages" \
		test "$(gpu_leaf "$1" "$(gpu_window "$1" usemem)")" = "$GPU_PAGE 0x1"
	gpu_stop
}

# gpu_usemem_blocks LABEL NAME: the guest NAME ran with usemem Normal-WB in
# stage-2 blocks, at its driver's window and at its NUMA node's start.
gpu_usemem_blocks() {
	check "$1: usemem's window is Normal-WB in a stage-2 block" \
		test "$(gpu_leaf "$2" "$(gpu_window "$2" usemem)")" = "$GPU_BLOCK 0x6"
	check "$1: usemem's NUMA node is Normal-WB in a stage-2 block" \
		test "$(gpu_leaf "$2" "$(gpu_bar "$2" usemem)")" = "$GPU_BLOCK 0x6"
}

# gpu_faults LABEL: the VM of $QPID took faults through s2attr, and stock
# KVM's only for resmem (write-combine, Normal-NC): at most a fault per
# page of the window the guest used.
gpu_faults() {
	vm=$(qemu_vm)
	echo "# $1: faults_normal $(cat "$SYS/vms/$vm/faults_normal"), faults_stock $(cat "$SYS/vms/$vm/faults_stock")"
	check "$1: faults_normal > 0; faults_stock only resmem's" \
		sh -c "! grep -qx 0 $SYS/vms/$vm/faults_normal &&
		       [ $(cat "$SYS/vms/$vm/faults_stock") -le $((GPU_WINDOW / 1024 / $(gpu_page_kib))) ]"
}

# gpu_completes NAME: the VM the policy enabled runs the whole guest;
# usemem is Normal-WB in blocks from the first access, resmem Normal-NC.
gpu_completes() {
	stamp=run$(date +%s)
	gpu_start "$1" "$stamp" "$(gpu_exec)"
	gpu_wait "$1"
	gpu_report "$1"
	echo "# gpu, $1: the guest's run: $end"
	check "gpu, $1: the guest ran to its end" test "$end" = finished
	gpu_usemem_blocks "gpu, $1" "$1"
	leaf=$(gpu_leaf "$1" "$(gpu_window "$1" resmem)")
	check "gpu, $1: resmem is Normal-NC in stage 2 (write-combine, VM_ALLOW_ANY_UNCACHED)" \
		test "${leaf#* }" = 0x5
	gpu_faults "gpu, $1"
	check "gpu, $1: s2attrctl list names the VM by its guest name, enabled" gpu_listed "$1"
	gpu_stop
	# What the guest wrote, through the host's own mapping of the memory.
	check "gpu, $1: the host reads usemem's stamp back through nvgrace-gpu's mapping" \
		s2attr_vfio $GPU_BDF expect 4 $(($(gpu_region_size 4) - 4096)) "s2attr-gpuguest usemem $stamp"
	check "gpu, $1: the host reads resmem's stamp back through nvgrace-gpu's mapping" \
		s2attr_vfio $GPU_BDF expect 2 $(($(gpu_region_size 2) - 4096)) "s2attr-gpuguest resmem $stamp"
}

# gpu_refused NAME: no FWB: the memslot QEMU makes of the GPU's BARs as it
# realizes the vfio-pci device is refused, QEMU stops before the guest
# runs, and s2attr says why.
gpu_refused() {
	mark
	gpu_start "$1" none run
	gpu_wait "$1"
	gpu_report "$1"
	echo "# gpu, $1: the guest's run: $end"
	check "gpu, $1, no FWB: QEMU stops at the GPU memory's memslot: Invalid argument" \
		sh -c "[ $end = exited ] && [ ! -s /tmp/$1.serial ] &&
		       grep -q 'KVM_SET_USER_MEMORY_REGION2\{0,1\} failed.*Invalid argument' /tmp/$1.out"
	check "gpu, $1, no FWB: s2attr logs the refusal" \
		sh -c "dmesg | sed -n '/$MARK/,\$p' | grep -q 'refused memslot at IPA 0x[0-9a-f]*: nofwb'"
	gpu_stop
}

gpu_ready() {
	setup "the initramfs has QEMU (scripts/vmm-qemu.sh)" test -x $QEMU &&
	setup "the initramfs has the Linux guest" test -f /lib/s2attr/gpuguest.cpio.gz &&
	setup "load the stage-2 oracle" insmod $MODS/s2attr_test_oracle.ko || return
	echo "# $($QEMU --version | head -n 1)"
	gpu_host
}

plan_gpu_stock() {
	gpu_ready || return
	check "gpu: s2attr does not load on a kernel without the shim" \
		sh -c "! insmod $MODS/s2attr.ko 2>/dev/null"
	gpu_dies stock
}

plan_gpu() {
	gpu_ready || return
	check "insmod s2attr" insmod $MODS/s2attr.ko || return
	mkdir -p /etc/s2attr
	echo "enable exe=$QEMU guest=gpu-vm" >/etc/s2attr/policy
	check "s2attrctl policy load" s2attrctl policy load
	gpu_dies other
	if [ "$s2test_fwb" = 1 ]; then
		gpu_completes gpu-vm
	else
		gpu_refused gpu-vm
	fi
	check "rmmod s2attr" rmmod s2attr
}
