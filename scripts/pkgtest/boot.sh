# SPDX-License-Identifier: GPL-2.0
#
# scripts/pkgtest/boot.sh: the packaged kernel of scripts/pkgtest.sh boots
# in QEMU (scripts/qemu.sh) with the dkms-built s2attr.ko and runs a test
# plan, in the test initramfs or as the Debian host of the disk image
# (image.sh); sourced.  Its results are scripts/results.sh's: one per TAP
# line, and the plan's named cases compared with the cases file that
# tests/plans.conf names for it under this CPU's facts, so that a case
# that did not report fails by its name.

# qemu_plan CPU PLAN [DISK]: plan PLAN on the packaged kernel, on CPU
# model CPU, from the test initramfs or from image DISK.  Its results are
# named "KERNEL: QEMU CPU, plan PLAN: CASE" ($name: kernel_flow's).
qemu_plan() {
	local cpu=$1 plan=$2 disk=${3:-} dir=$pkg/qemu log t=$SECONDS
	local prefix="$name: QEMU $cpu, plan $plan"
	log=$dir/$cpu-$plan.log
	rm -f "$log" "$log".*
	S2ATTR_INITRD=$dir/initramfs.cpio.gz S2ATTR_DISK=$disk \
		S2ATTR_QEMU_TIMEOUT=$([ -n "$disk" ] && echo 2400 || echo 600) \
		"$S2ATTR_TOP/scripts/qemu.sh" "$dir/linux" "$cpu" "$plan" "$log" || true
	note "QEMU $cpu, plan $plan: $((SECONDS - t)) s"
	collect "$log" "$prefix" "$plan" "$cpu" "$series" "$pages"
}
