#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sysimage.sh ROOT OUT DEBS IMAGE: the ext4 image of a Debian test host
# that boots with systemd (scripts/qemu.sh, S2ATTR_DISK=IMAGE): root
# filesystem ROOT as scripts/pkgtest.sh left it (the shimmed kernel,
# s2attr-dkms and s2attr-tools, libvirt and QEMU installed by their
# packages), and, for plan "libvirt" (tests/system/libvirt.sh):
#   - the operator's own step: "enable guest=gpu-vm-1" in /etc/s2attr/policy
#   - the test harness (tests/system/): a unit that runs the plan
#     named on the kernel command line, the plans, the domain XML, and
#     from OUT (build/out/<tree>) the oracle module and its reader
#   - the domains' Linux guest (tests/gpu/guest/), where libvirt reads it
#   - the s2attr packages in DEBS, to be installed again
# ROOT is copied, not changed; nothing else is installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

root=${1:?usage: sysimage.sh ROOT OUT DEBS IMAGE}
out=${2:?}
debs=${3:?}
image=${4:?}
stage=$image.d
t=/usr/lib/s2attr-test

for f in "$out/tools/s2attr_peek" "$out/tools/s2attr_vfio" \
	 "$out/testmod/s2attr_test_oracle.ko" "$out/gpuguest/host/lib/s2attr/Image" \
	 "$out/gpuguest/host/lib/s2attr/gpuguest.cpio.gz"; do
	[ -f "$f" ] || die "no $f (scripts/build-tests.sh)"
done
{ [ -x "$root/usr/sbin/libvirtd" ] && [ -x "$root/usr/bin/qemu-system-aarch64" ]; } ||
	die "$root has no libvirtd or qemu-system-aarch64"

rm -rf "$stage" "$image"
mkdir -p "$stage"
# -x: not into what is mounted in ROOT (its chroot's /proc, /sys, /dev).
rsync -aHAX -x "$root/" "$stage/"

install -d "$stage$t/bin"
install -m644 "$S2ATTR_TOP"/tests/host/*.sh "$S2ATTR_TOP"/tests/gpu/host/*.sh \
	"$S2ATTR_TOP"/tests/system/*.sh "$S2ATTR_TOP/tests/system/gpu-vm.xml" \
	"$out/testmod/s2attr_test_oracle.ko" "$stage$t/"
install -m755 "$S2ATTR_TOP/tests/system/run" "$stage$t/run"
install -m755 "$out/tools/s2attr_peek" "$out/tools/s2attr_vfio" "$stage$t/bin/"
install -m644 "$S2ATTR_TOP/tests/system/s2attr-test.service" "$stage/etc/systemd/system/"
install -d "$stage/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/s2attr-test.service \
	"$stage/etc/systemd/system/multi-user.target.wants/s2attr-test.service"
install -d "$stage/var/lib/libvirt/boot/s2attr-guest"
install -m644 "$out/gpuguest/host/lib/s2attr/Image" "$out/gpuguest/host/lib/s2attr/gpuguest.cpio.gz" \
	"$stage/var/lib/libvirt/boot/s2attr-guest/"
install -d "$stage/var/cache/s2attr-test"
install -m644 "$debs"/s2attr-dkms_*.deb "$debs"/s2attr-tools_*.deb "$stage/var/cache/s2attr-test/"

echo "enable guest=gpu-vm-1" >>"$stage/etc/s2attr/policy"
# The console is the plan's: no login prompt on it.
ln -sf /dev/null "$stage/etc/systemd/system/serial-getty@ttyAMA0.service"
echo s2attr-host >"$stage/etc/hostname"
# Not a first boot, which would have systemd-firstboot prompt on the console.
tr -d '-' </proc/sys/kernel/random/uuid >"$stage/etc/machine-id"

size=$(( $(du -sm "$stage" | cut -f1) + 1536 ))
mkfs.ext4 -q -F -L s2attr-root -d "$stage" "$image" "${size}M"
rm -rf "$stage"
note "$image: ${size} MiB"
