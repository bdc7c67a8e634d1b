# SPDX-License-Identifier: GPL-2.0
#
# Test plan "qemu": a real VMM.  Debian's arm64 qemu-system-aarch64, in the
# initramfs when scripts/build-tests.sh found it (scripts/vmm-qemu.sh
# fetches it), runs under KVM here (nested in the outer QEMU) a bare-metal
# guest (tests/guest/guest.S) whose NUMA node 1 is the test provider's
# cacheable PFNMAP memory, given as QEMU users give GPU memory:
#   -object memory-backend-file,mem-path=/dev/s2attr_pfnmap_wb,share=on
# The guest writes and reads that memory and reports on its UART; the
# stage-2 descriptor QEMU's VM got comes from the oracle, through
# s2attr_peek, which borrows QEMU's VM fd.

QEMU=/usr/bin/qemu-system-aarch64
GPU_IPA=0x44000000

# qemu_start GUEST: QEMU for guest name GUEST, in the background ($QPID).
qemu_start() {
	rm -f "/tmp/$1.serial"
	$QEMU -name "guest=$1,debug-threads=on" \
		-machine virt,gic-version=3 -accel kvm -cpu host -smp 1 -m 128M \
		-object memory-backend-ram,id=ram0,size=64M \
		-object memory-backend-file,id=gpu,mem-path=/dev/s2attr_pfnmap_wb,share=on,size=64M \
		-numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=gpu \
		-nodefaults -display none -monitor none -serial "file:/tmp/$1.serial" \
		-kernel /lib/s2attr/guest.elf >"/tmp/$1.out" 2>&1 </dev/null &
	QPID=$!
}

# qemu_wait GUEST: the guest said OK (true) or BAD, or QEMU exited (false).
qemu_wait() {
	for _ in $(seq 600); do
		grep -q ': OK$' "/tmp/$1.serial" 2>/dev/null && return 0
		grep -q ': BAD$' "/tmp/$1.serial" 2>/dev/null && return 1
		kill -0 "$QPID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# qemu_exited: QEMU is gone within a minute.
qemu_exited() {
	for _ in $(seq 300); do
		kill -0 "$QPID" 2>/dev/null || { wait "$QPID"; return 0; }
		sleep 0.2
	done
	return 1
}

qemu_stop() {
	kill "$QPID" 2>/dev/null
	wait "$QPID"
	echo "# $1: QEMU's serial output:"
	sed 's/^/#   /' "/tmp/$1.serial" 2>/dev/null
}

# The name of QEMU's VM, from debugfs (s2attr may not be loaded).
qemu_vm() {
	for d in /sys/kernel/debug/kvm/"$QPID"-*; do
		[ -e "$d" ] && basename "$d"
		return
	done
}

# qemu_memattr: MemAttr of the stage-2 leaf mapping the guest's GPU memory.
qemu_memattr() {
	out=$(s2attr_peek "$(qemu_vm)" $GPU_IPA) || return
	echo "# $out" >&2
	echo "$out" | sed -n 's/.*valid 1 memattr //p'
}

# qemu_case GUEST WANT WHAT: the guest wrote and read its GPU memory, which
# stage 2 maps with MemAttr WANT (0x1 Device-nGnRE, 0x6 FWB Normal-WB).
qemu_case() {
	qemu_start "$1"
	check "QEMU, $3: the guest wrote and read back its GPU memory" qemu_wait "$1"
	check "QEMU, $3: stage-2 MemAttr $2" test "$(qemu_memattr)" = "$2"
}

# The policy's VM, 10 times: the guest's first access to its GPU memory
# is already decided Normal-WB.
qemu_enabled() {
	qemu_case gpu-vm 0x6 "VM enabled by the policy"
	vm=$(qemu_vm)
	check "QEMU, enabled: faults_stock 0, faults_normal > 0" sh -c \
		"grep -qx 0 $SYS/vms/$vm/faults_stock && ! grep -qx 0 $SYS/vms/$vm/faults_normal"
	s2attrctl list
	qemu_stop gpu-vm
	fails=0
	for i in $(seq 10); do
		qemu_start gpu-vm
		if ! { qemu_wait gpu-vm && [ "$(qemu_memattr 2>/dev/null)" = 0x6 ] &&
		       grep -qx 0 "$SYS/vms/$(qemu_vm)/faults_stock"; }; then
			fails=$((fails + 1))
			echo "# run $i failed"
		fi
		qemu_stop gpu-vm >/dev/null
	done
	echo "# QEMU, enabled: $fails of 10 runs failed"
	check "QEMU, enabled: 10 runs, Normal-WB from the first access, faults_stock 0" \
		test $fails = 0
}

# No FWB: QEMU's memslot of the GPU memory is refused, and QEMU says so.
qemu_refused() {
	mark
	qemu_start gpu-vm
	check "QEMU, enabled, no FWB: QEMU exits" qemu_exited
	echo "# QEMU said:"
	sed 's/^/#   /' /tmp/gpu-vm.out
	check "QEMU, enabled, no FWB: the GPU memory slot is refused (EINVAL)" \
		grep -q 'KVM_SET_USER_MEMORY_REGION2\{0,1\} failed.*start=0x44000000.*Invalid argument' /tmp/gpu-vm.out
	check "QEMU, enabled, no FWB: s2attr logs the refusal" \
		sh -c "dmesg | sed -n '/$MARK/,\$p' | grep -q 'refused memslot at IPA 0x44000000: nofwb'"
}

plan_qemu() {
	setup "the initramfs has QEMU (scripts/vmm-qemu.sh)" test -x $QEMU || return
	load_test_modules
	echo "# $($QEMU --version | head -n 1)"
	qemu_case stock 0x1 "no s2attr"
	qemu_stop stock

	check "insmod s2attr" insmod $MODS/s2attr.ko
	mkdir -p /etc/s2attr
	echo "enable exe=$QEMU guest=gpu-vm" >/etc/s2attr/policy
	check "s2attrctl policy load" s2attrctl policy load
	qemu_case other 0x1 "s2attr, VM not enabled"
	check "s2attrctl list: QEMU's VM, its guest name, not enabled" sh -c \
		"s2attrctl list | grep -Eq '^$(qemu_vm) +$QPID +qemu-system-aar +other +0 '"
	s2attrctl list
	qemu_stop other

	if [ "$s2test_fwb" = 1 ]; then
		qemu_enabled
	else
		qemu_refused
	fi
	check "rmmod s2attr" rmmod s2attr
}
