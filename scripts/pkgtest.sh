#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pkgtest.sh [SERIES [PAGES...]]: s2attr-dkms and s2attr-tools through the
# flow a kernel vendor and a host administrator follow, for each of the
# shimmed test kernels of SERIES with PAGES 4k and 64k (default: both;
# 4k is variant "system" of the 4 KiB-page kernel, which also boots a
# Debian host; 64k is the 64 KiB-page kernel).  Each kernel is
# packaged by the kernel's own "make bindeb-pkg" and
# s2attr by dpkg-buildpackage (for arm64); both are installed in an arm64
# Debian 12 root filesystem (mmdebstrap; its arm64 programs run on this
# host through qemu-user and binfmt_misc), where Debian's dkms must build
# and install s2attr.ko by itself.  That kernel then boots in QEMU with
# that s2attr.ko and runs test plan "shim", plan "pkg" with s2attr-tools'
# files as installed (s2attrctl, the policy, modprobe.d, udev; kmod's
# modprobe), and plan "qemu" (the real VMM).  Then the root filesystem,
# which also has systemd, libvirt and Debian's QEMU, boots as a Debian
# host (scripts/sysimage.sh) and runs plan "libvirt": the operator's flow
# with GPU domains, on a CPU with FWB and one without.  Each plan's
# results are compared with the cases tests/plans.conf names for it: a
# case that did not report is a failure.  Also checked: a kernel without
# the shim is excluded by name, s2attrctl on a host without s2attr, and
# removal leaves nothing.
# One PASS/FAIL line per check, then "N passed, M failed".
#
# The stages, sourced from scripts/pkgtest/ (each says what it does):
#   lib.sh       a step's result and log; a failed "must" step ends the run
#   root.sh      the host's tools, and the arm64 Debian root filesystem
#   packages.sh  the kernel's and s2attr's packages, dpkg and dkms in the root
#   image.sh     what the packaged kernel boots: initramfs, disk image
#   boot.sh      the plans on the packaged kernel, and their results
# This file reads the arguments and runs the flow.
#
# Only build/pkg/ is written, and the kernel trees' packaging output, which
# is moved there: the host's /lib/modules, /var/lib/dkms and /usr/src are
# not touched.  Kept for the next run: the kernel packages and the stock
# headers (until the trees' stamps change), the root filesystem tarball.
# The first run packages the kernel in its tree (build/linux-SERIES-system,
# build/linux-SERIES-64k), which may relink its vmlinux: do not run it
# while make check uses that tree.
#
#   S2ATTR_PKGTEST_CPUS="neoverse-n2"    CPU models of the QEMU runs (scripts/cpus.conf)
#   S2ATTR_PKGTEST_SYSCPUS="neoverse-n2 neoverse-n1"   ... of plan "libvirt"
#   S2ATTR_DEBIAN_MIRROR=URL     Debian mirror for mmdebstrap
#   S2ATTR_PREBUILT=1            take the kernel trees as they are (scripts/lib.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

series=${1:-6.12}
shift || true
pages_list=${*:-4k 64k}
for p in $pages_list; do
	case "$p" in 4k|64k) ;; *) die "PAGES is 4k or 64k, not '$p'" ;; esac
done
cpus=${S2ATTR_PKGTEST_CPUS:-neoverse-n2}
# Plan "libvirt" boots the root filesystem with systemd: with FWB and DIC,
# and without FWB.
syscpus=${S2ATTR_PKGTEST_SYSCPUS:-neoverse-n2 neoverse-n1}
# The host's own Debian mirror, as its apt sources name it.
mirror=$(debian_mirror)

pkg=$S2ATTR_BUILD/pkg
logs=$pkg/logs
root=$pkg/rootfs
sysimg=$pkg/system.img
read -r -a kargs <<<"$(kmake_args)"
started=$SECONDS

# The stages, which use the settings above.
. "$(dirname "$0")/pkgtest/lib.sh"
. "$(dirname "$0")/pkgtest/root.sh"
. "$(dirname "$0")/pkgtest/packages.sh"
. "$(dirname "$0")/pkgtest/image.sh"
. "$(dirname "$0")/pkgtest/boot.sh"

trap 'umount_under "$pkg"' EXIT
trap 'exit 130' INT TERM

# use_kernel PAGES: the kernel the following steps package and test: one
# that boots a Debian host (scripts/kconfig/system.config), which every
# 64 KiB-page kernel is and variant "system" of the 4 KiB-page one.
use_kernel() {
	pages=$1
	variant=$(pages_variant "$pages")
	[ -n "$variant" ] || variant=system
	tree=$(ktree "$series" "$variant")
	stock=$(ktree "$series" "${variant:+$variant-}stock")
	initrd=$S2ATTR_BUILD/out/$(basename "$tree")/initramfs.cpio.gz
	logs=$pkg/logs-$(basename "$tree")
	kdebs=$pkg/kernel-$(basename "$tree")
	stockhdr=$pkg/stock-headers-$(basename "$tree")
	mkdir -p "$logs"
}

# kernel_flow: the packages with one kernel (use_kernel), from a fresh
# root filesystem: the vendor packages the kernel, the administrator
# installs s2attr-dkms and the kernel, dkms builds s2attr.ko, the kernel
# boots with it, and removal leaves nothing.
kernel_flow() {
	local name cpu plan
	name=$(basename "$tree")
	name=${name#linux-}
	must "$name: test kernels and initramfs (make check's)" test_kernels
	krel=$(cat "$tree/include/config/kernel.release")
	must "$name: make bindeb-pkg packages the shimmed kernel $krel (config unchanged)" kernel_debs
	must "$name: the stock tree's headers, without the shim" stock_headers
	must "$name: fresh root filesystem, uname -m is aarch64" fresh_rootfs

	must "$name: s2attr-dkms installs on a host without a kernel to build for" install_dkms_deb
	check "$name: s2attr-dkms: sources under /usr/src/s2attr-$ver/, no tests, dkms has added them" source_installed
	check "$name: s2attr-tools: s2attrctl, the policy and modprobe.d conffiles, the udev rule, modules-load.d; the shipped policy checks" \
		tools_installed
	check "$name: s2attrctl on a kernel without the shim (this host's): one line naming it, exit 1" \
		tools_no_shim
	check "$name: dkms build on a kernel without the shim (headers from the kernel's own packaging) is excluded, naming CONFIG_KVM_S2ATTR_HOOK" \
		dkms_excluded "$noshim_hdr"
	check "$name: dkms build on a kernel without the shim (headers with .config) is excluded, naming CONFIG_KVM_S2ATTR_HOOK" \
		noshim_with_config
	must "$name: installing the shimmed kernel's packages makes dkms build and install s2attr.ko for it (AUTOINSTALL)" autoinstall
	must "$name: the dkms-built s2attr.ko in the test initramfs, the kernel from its package" boot_image
	for cpu in $cpus; do
		for plan in shim pkg qemu; do
			qemu_plan "$cpu" "$plan"
		done
	done
	must "$name: the root filesystem as a host's disk image, with the test harness" system_image
	for cpu in $syscpus; do
		qemu_plan "$cpu" libvirt "$sysimg"
	done
	rm -f "$sysimg"
	check "$name: dkms remove --all and purging s2attr-dkms and s2attr-tools leave nothing of s2attr" remove_all
	check "$name: installing s2attr-dkms on a host with the shimmed kernel builds and installs s2attr.ko (postinst)" postinst_build
	check "$name: purging s2attr-dkms alone leaves nothing of s2attr" purge
}

# The whole run is one function, read before it starts: editing this file
# while it runs does not change what runs (the stages were read whole
# when they were sourced).
main() {
	local p
	[ "$(id -u)" = 0 ] || die "run as root: it installs packages, mounts and chroots"
	mkdir -p "$logs"
	# One run at a time: a second would unpack a root filesystem over this one's.
	exec 9>"$pkg/.lock"
	flock -n 9 || die "another pkgtest.sh is running (lock: ${pkg#"$S2ATTR_TOP"/}/.lock)"

	must "host tools for packaging (apt-get, only what is missing)" host_deps
	must "binfmt_misc runs arm64 programs through qemu-aarch64" binfmt_aarch64
	must "dpkg-buildpackage builds s2attr-dkms_${debver}_all.deb and s2attr-tools_${debver}_arm64.deb" dkms_deb
	lintian_result
	must "arm64 Debian $suite root filesystem with dkms, systemd, libvirt and QEMU (mmdebstrap under qemu-user)" rootfs_tarball
	for p in $pages_list; do
		use_kernel "$p"
		kernel_flow
	done
	finish
}

# shellcheck disable=SC2317 # main exits; this exit keeps bash from reading on
{ main "$@"; exit; }
