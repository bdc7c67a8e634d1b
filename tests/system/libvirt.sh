# SPDX-License-Identifier: GPL-2.0
#
# Test plan "libvirt": the operator's flow on a booted Debian host.  Not
# run from the test initramfs: scripts/pkgtest.sh boots the root
# filesystem in which it installed the shimmed kernel, s2attr-dkms (built
# by Debian's dkms), s2attr-tools, and libvirt and QEMU from Debian's
# archive; systemd runs this plan once the host is up
# (tests/system/).  The operator's one step was done before boot
# (scripts/sysimage.sh): "enable guest=gpu-vm-1" in /etc/s2attr/policy.
# The host has two GPUs (scripts/qemu.sh); libvirt hands each to a domain
# of tests/system/gpu-vm.xml: gpu-vm-1, which the policy names, and
# gpu-vm-2, which it does not.  The guests are the real-stack test's, and
# the helpers of tests/gpu/host/gpu.sh read their results and the stage-2
# descriptors of their VMs (the oracle).
#
#   FWB      gpu-vm-2 completes the aligned case and dies at its first
#            unaligned access (usemem Device); gpu-vm-1 runs every guest
#            case (usemem Normal-WB blocks), is still enabled and runs
#            every case again after "virsh reboot"; libvirt's probes,
#            QEMU's scratch VMs and ten destroy/start cycles leave no VM
#            behind
#   no FWB   gpu-vm-1 starts, its guest runs until its driver turns on
#            the GPU's memory decoding, then QEMU's memslot of usemem is
#            refused (EINVAL) and the domain crashes (lv_refused); then
#            the packages are purged and installed again
# Every case is listed in tests/system/libvirt.cases, which the host
# compares with what reported.  What the plan needs and does not test
# (libvirtd answering, the GPUs bound and defined, the oracle loaded) is
# a setup step: no case when it works, a failure named "setup: ..." when
# it does not.

LV_DIR=/usr/lib/s2attr-test
LV_LOG=/var/log/libvirt/qemu
LV_POLICY="enable guest=gpu-vm-1"
LV_DEBS=/var/cache/s2attr-test
# The oracle, built for this kernel with the tests.
LV_ORACLE=$LV_DIR/s2attr_test_oracle.ko

lv_virsh() { virsh -q -c qemu:///system "$@"; }
lv_up() { lv_virsh version >/dev/null; }

# lv_gpu NAME: the GPU slot of domain NAME.
lv_gpu() { case $1 in gpu-vm-1) echo 02 ;; *) echo 05 ;; esac; }
lv_bdf() { echo "0000:00:$(lv_gpu "$1").0"; }

# lv_driver BDF: the driver BDF is bound to, if any.
lv_driver() { basename "$(readlink "/sys/bus/pci/devices/$1/driver")" 2>/dev/null; }

# lv_define NAME: domain NAME with its GPU.  gpu.sh's helpers find the
# guest's console and QEMU's log at /tmp/NAME.serial and /tmp/NAME.out.
lv_define() {
	sed -e "s/@NAME@/$1/g" -e "s/@SLOT@/$(lv_gpu "$1")/" -e "s/@EXEC@/$(gpu_exec)/" \
		$LV_DIR/gpu-vm.xml >"/tmp/$1.xml" &&
		lv_virsh define "/tmp/$1.xml" >/dev/null &&
		ln -sf "$LV_LOG/$1.serial" "/tmp/$1.serial" &&
		ln -sf "$LV_LOG/$1.log" "/tmp/$1.out"
}

# lv_gpu_memory BDF: nvgrace-gpu, bound here, has the GPU's memory
# (GPU_REGIONS); then unbound, as libvirt expects to find it.
lv_gpu_memory() {
	gpu_bind "$1" && gpu_has_memory "$1" &&
		echo "$1" >/sys/bus/pci/drivers/$GPU_DRV/unbind &&
		echo >"/sys/bus/pci/devices/$1/driver_override"
}

# lv_start NAME: virsh start, QEMU's pid in $QPID (gpu.sh's helpers).
lv_start() {
	: >"$LV_LOG/$1.log"
	lv_virsh start "$1" >/dev/null && QPID=$(cat "/run/libvirt/qemu/$1.pid")
}

# lv_vms: the VMs s2attr knows, one per line; lv_no_vms: s2attr is
# loaded and knows none.
lv_vms() { ls $SYS/vms; }
lv_no_vms() { [ -d $SYS/vms ] && [ -z "$(lv_vms)" ]; }

# lv_only_domains: every VM s2attr knows is a running domain's (its QEMU's
# pid), and each running domain has one: none left by libvirt's capability
# probes or by QEMU's scratch VMs (KVM_ARM_VCPU_INIT probing -cpu host).
lv_only_domains() {
	want=$(for d in $(lv_virsh list --name); do
		awk 1 "/run/libvirt/qemu/$d.pid"
	done | sort)
	have=$(lv_vms | sed 's/-.*//' | sort)
	echo "# VMs: $(lv_vms | tr '\n' ' ')(domains' QEMU: $(echo "$want" | tr '\n' ' '))"
	[ "$have" = "$want" ]
}

# lv_ends NAME: how many times the guest of NAME ran to its end.
lv_ends() { grep -c '^S2ATTR-GUEST-END' "/tmp/$1.serial" 2>/dev/null; }

# lv_wait_ends NAME N: until the guest has ended N times, or QEMU stopped.
lv_wait_ends() {
	t=0
	while [ $t -lt $GPU_TIMEOUT ]; do
		[ "$(lv_ends "$1")" -ge "$2" ] && return 0
		kill -0 "$QPID" 2>/dev/null || return 1
		sleep 1
		t=$((t + 1))
	done
	return 1
}

# What the operator gets from boot, with no step of their own; the
# fixture (libvirtd, the oracle) last: the plan stops if it fails.
lv_boot() {
	systemctl --no-pager --failed | sed 's/^/# /'
	check "libvirt: systemd-modules-load did not fail (s2attr-tools' modules-load.d)" \
		sh -c "! systemctl -q is-failed systemd-modules-load.service"
	check "libvirt: s2attr was loaded at boot (modules-load.d)" is_loaded s2attr
	check "libvirt: /etc/s2attr/policy was loaded with it: '$LV_POLICY'" policy_is "$LV_POLICY"
	check "libvirt: the dkms-built module, as dkms installed it" \
		sh -c "modinfo -n s2attr | grep -q '/updates/dkms/s2attr.ko'"
	setup "libvirtd answers (virsh version)" lv_up &&
		setup "load the stage-2 oracle" insmod $LV_ORACLE
}

# lv_domains: both GPUs have their memory, and their domains are defined.
lv_domains() {
	for d in gpu-vm-1 gpu-vm-2; do
		setup "nvgrace-gpu has $d's GPU memory (bound here, then unbound for libvirt)" \
			lv_gpu_memory "$(lv_bdf $d)" &&
			setup "virsh define $d" lv_define $d || return
	done
}

# libvirtd probed QEMU, with KVM, when it started at boot (the image has
# no capability cache): neither those QEMUs nor libvirtd leave a VM.
lv_probes() {
	setup "libvirt probed QEMU with KVM (domain capabilities of type kvm)" \
		sh -c "virsh -c qemu:///system domcapabilities --virttype kvm | grep -q '<domain>kvm</domain>'" &&
		check "libvirt: libvirt's capability probes leave no VM in s2attr" lv_no_vms
}

# gpu-vm-2: the policy does not name it; stock KVM maps usemem Device: its
# guest completes the aligned case, then dies at its first unaligned
# access (KVM_RUN EFAULT).  Left running (paused).
lv_other() {
	check "libvirt: virsh start gpu-vm-2" lv_start gpu-vm-2 || return
	setup "libvirt bound gpu-vm-2's GPU to nvgrace-gpu-vfio-pci" \
		test "$(lv_driver "$(lv_bdf gpu-vm-2)")" = $GPU_DRV
	gpu_wait gpu-vm-2
	gpu_report gpu-vm-2 libvirt
	echo "# libvirt, gpu-vm-2: the guest's run: $end"
	check "libvirt, gpu-vm-2: the guest completes the aligned case and dies at its first unaligned access to usemem: KVM_RUN EFAULT" \
		gpu_dies_at_unaligned gpu-vm-2
	check "libvirt, gpu-vm-2: usemem is Device in stage 2, in pages" \
		test "$(gpu_leaf gpu-vm-2 "$(gpu_window gpu-vm-2 usemem)")" = "$GPU_PAGE 0x1"
	OTHER_PID=$QPID
	return 0
}

# gpu-vm-1, enabled by the policy from its creation.
lv_enabled() {
	check "libvirt: virsh start gpu-vm-1" lv_start gpu-vm-1 || return
	gpu_wait gpu-vm-1
	gpu_report gpu-vm-1 libvirt
	echo "# libvirt, gpu-vm-1: the guest's run: $end"
	check "libvirt, gpu-vm-1: the guest ran to its end" test "$end" = finished
	gpu_usemem_blocks "libvirt, gpu-vm-1" gpu-vm-1
	gpu_faults "libvirt, gpu-vm-1"
	s2attrctl list | sed 's/^/# /'
	check "libvirt: s2attrctl list names gpu-vm-1, enabled" gpu_listed gpu-vm-1
	check "libvirt: s2attrctl list names gpu-vm-2, not enabled" \
		sh -c "s2attrctl list | grep -Eq '^[0-9]+-[0-9]+ +$OTHER_PID +qemu-system-aar +gpu-vm-2 +0 '"
	check "libvirt: s2attr knows only the two domains' VMs (no probe or scratch VM)" lv_only_domains
	# virsh reboot is tried on a guest that ran.
	[ "$end" = finished ]
}

# lv_rebooted NAME: the guest's second run, from its console after the
# first run's end, as the guest NAME-rebooted, whose every case is its
# own line (gpu_report: "libvirt, NAME-rebooted: CASE").
lv_rebooted() {
	sed -n '/^S2ATTR-GUEST-END/,$p' "/tmp/$1.serial" | sed 1d >"/tmp/$1-rebooted.serial"
	: >"/tmp/$1-rebooted.out"
	gpu_report "$1-rebooted" libvirt
}

# virsh reboot: libvirt asks the guest to power off (the power key) and
# resets it within the same QEMU, the same VM, still enabled.
lv_reboot() {
	vm=$(qemu_vm)
	pid=$QPID
	lv_virsh destroy gpu-vm-2 >/dev/null
	check "libvirt: virsh reboot gpu-vm-1" lv_virsh reboot gpu-vm-1
	lv_wait_ends gpu-vm-1 2
	echo "# after the reboot:"
	lv_rebooted gpu-vm-1
	check "libvirt, gpu-vm-1: the guest ran to its end again after virsh reboot" \
		test "$(lv_ends gpu-vm-1)" = 2
	check "libvirt, gpu-vm-1: the same QEMU and VM, still enabled" \
		sh -c "[ $(cat /run/libvirt/qemu/gpu-vm-1.pid) = $pid ] && [ '$(qemu_vm)' = $vm ] &&
		       grep -qx 1 $SYS/vms/$vm/enabled"
	check "libvirt, gpu-vm-1: usemem's window is Normal-WB in a stage-2 block after the reboot" \
		test "$(gpu_leaf gpu-vm-1 "$(gpu_window gpu-vm-1 usemem)")" = "$GPU_BLOCK 0x6"
	lv_virsh destroy gpu-vm-1 >/dev/null
	check "libvirt: no VM left once both domains are stopped" lv_no_vms
	setup "libvirt unbound both GPUs again (managed)" \
		sh -c "[ -z '$(lv_driver "$(lv_bdf gpu-vm-1)")' ] && [ -z '$(lv_driver "$(lv_bdf gpu-vm-2)")' ]"
}

# Ten virsh start / destroy: each VM enabled and named, none left.
lv_cycles() {
	for d in $(lv_virsh list --name); do
		lv_virsh destroy "$d" >/dev/null
	done
	fails=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if lv_start gpu-vm-1 && gpu_listed gpu-vm-1 && lv_only_domains >/dev/null &&
		   lv_virsh destroy gpu-vm-1 >/dev/null && lv_no_vms; then
			continue
		fi
		fails=$((fails + 1))
		echo "# cycle $i failed: VMs: $(lv_vms | tr '\n' ' ')"
		lv_virsh destroy gpu-vm-1 >/dev/null 2>&1
	done
	echo "# virsh start/destroy: $fails of 10 cycles failed"
	check "libvirt: 10 x virsh start/destroy gpu-vm-1: enabled each time, no stale VM" \
		test $fails = 0
}

# lv_until_decoding NAME: the guest ran (its /init's first case
# reported) until its driver had found the BARs, and no further: the
# console's last line is the driver's last BAR line, which it prints right
# before it turns on memory decoding.
lv_until_decoding() {
	last=$(tr -d '\r' <"/tmp/$1.serial" | grep -v '^$' | tail -n 1)
	echo "# the guest's last line: $last"
	grep -Eq '(^| )ok [0-9]+ guest: the driver refuses usemem' "/tmp/$1.serial" &&
		case $last in
		*"s2attr_gpuguest: # "*": BAR "[0-9]" at "*) true ;;
		*) false ;;
		esac
}

# lv_memslot_refused NAME: QEMU's log has KVM_SET_USER_MEMORY_REGION
# failing with EINVAL for a memslot at usemem's BAR, at the address the
# guest gave the BAR: QEMU added it after the guest placed the BAR.
lv_memslot_refused() {
	bar=$(gpu_bar "$1" usemem)
	slot=$(sed -n 's/.*KVM_SET_USER_MEMORY_REGION2\{0,1\} failed.* start=\(0x[0-9a-f]*\),.*Invalid argument.*/\1/p' \
		"/tmp/$1.out" | head -n 1)
	echo "# usemem's BAR: ${bar:-none} (the guest's console); the refused memslot: ${slot:-none} (QEMU's log)"
	[ -n "$bar" ] && [ -n "$slot" ] && [ $((slot)) = $((bar)) ]
}

# No FWB, in the order a run shows it: "virsh start" succeeds and the
# guest boots, with no memslot for the GPU's memory yet: libvirt puts the
# GPU (a conventional PCI endpoint) on a pcie-pci-bridge behind a
# pcie-root-port, whose windows are closed until the guest's PCI core
# assigns them, and the guest assigns the BARs with decoding off.  QEMU
# adds the memslot of usemem's BAR, at the address the guest gave it,
# when the guest's driver turns on memory decoding; s2attr refuses it
# (EINVAL), QEMU aborts ("error registering slot"), and libvirt shuts the
# domain off as crashed; the journal has what s2attr said.  (Plain QEMU
# with the device on its root bus, plan gpu, stops earlier: see gpu.sh.)
lv_refused() {
	mark
	check "libvirt, no FWB: virsh start gpu-vm-1 succeeds" lv_start gpu-vm-1
	gpu_wait gpu-vm-1
	gpu_report gpu-vm-1 libvirt
	echo "# libvirt, gpu-vm-1: the guest's run: $end; the domain: $(lv_virsh domstate --reason gpu-vm-1)"
	check "libvirt, no FWB: the guest runs until its driver turns on usemem's memory decoding, and no further" \
		lv_until_decoding gpu-vm-1
	check "libvirt, no FWB: then QEMU's memslot at usemem's BAR, where the guest placed it, fails with EINVAL" \
		lv_memslot_refused gpu-vm-1
	check "libvirt, no FWB: and the domain crashes: shut off (crashed)" \
		test "$(lv_virsh domstate --reason gpu-vm-1)" = "shut off (crashed)"
	check "libvirt, no FWB: journalctl -k has s2attr's refusal" \
		sh -c "journalctl -k -o cat | sed -n '/$MARK/,\$p' | grep -q 's2attr: .*refused memslot at IPA 0x[0-9a-f]*: nofwb'"
	check "libvirt, no FWB: no VM left" lv_no_vms
}

# Nothing of the packages' files or of dkms's build is left.
lv_nothing_left() {
	left=$(ls -d /var/lib/dkms/s2attr /usr/src/s2attr-* /lib/modules/*/updates/dkms/s2attr.ko* \
		/etc/s2attr /usr/sbin/s2attrctl /etc/modprobe.d/s2attr-tools.conf \
		/lib/udev/rules.d/60-s2attr.rules /usr/lib/modules-load.d/s2attr.conf 2>/dev/null)
	echo "# left: $left"
	[ -z "$left" ] && [ -z "$(dkms status s2attr)" ] && ! modinfo s2attr >/dev/null 2>&1
}

# lv_dkms_clean: dkms knows one s2attr, the one in /usr/src, installed
# for the running kernel.
lv_dkms_clean() {
	set -- /usr/src/s2attr-*
	[ $# = 1 ] && [ -d "$1" ] &&
		[ "$(dkms status s2attr)" = "s2attr/${1#/usr/src/s2attr-}, $(uname -r), $(uname -m): installed" ]
}

# apt purge and install again, on the running host: dkms builds s2attr.ko
# again, and a modprobe of it loads the policy the new package shipped.
lv_packages() {
	check "libvirt: rmmod s2attr" rmmod s2attr
	check "libvirt: apt-get purge s2attr-dkms s2attr-tools" \
		apt-get purge -y -q s2attr-dkms s2attr-tools
	check "libvirt: nothing of s2attr is left: module, policy, load hooks, udev rule, dkms" \
		lv_nothing_left
	check "libvirt: apt-get install s2attr-dkms s2attr-tools again (dkms builds s2attr.ko)" \
		sh -c "apt-get install -y -q $LV_DEBS/s2attr-dkms_*.deb $LV_DEBS/s2attr-tools_*.deb"
	dkms status s2attr | sed 's/^/# dkms: /'
	check "libvirt: dkms status: s2attr installed for the running kernel, nothing else" lv_dkms_clean
	printf '%s\n' "$LV_POLICY" >>/etc/s2attr/policy
	check "libvirt: modprobe s2attr loads the reinstalled module" modprobe s2attr
	check "libvirt: and the policy with it" policy_is "$LV_POLICY"
}

plan_libvirt() {
	# Headroom: this host also runs systemd, libvirtd and the other guest.
	GPU_TIMEOUT=600
	lv_boot || return
	lv_domains || return
	if [ "$s2test_fwb" = 1 ]; then
		lv_probes
		lv_other && lv_enabled && lv_reboot
		lv_cycles
	else
		lv_refused
		lv_packages
	fi
}
