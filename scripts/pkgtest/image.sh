# SPDX-License-Identifier: GPL-2.0
#
# scripts/pkgtest/image.sh: what the packaged kernel of scripts/pkgtest.sh
# boots, made from the root filesystem once dkms has built s2attr.ko in
# it (packages.sh); sourced.  The test initramfs of make check with the
# dkms-built s2attr.ko and what s2attr-tools installed, for the plans of
# the test host; and the root filesystem itself as the disk image of a
# Debian host that boots with systemd (scripts/sysimage.sh), for plan
# "libvirt".

# The test initramfs with the dkms-built s2attr.ko in place of its own, and
# the kernel image from the linux-image package, laid out for qemu.sh.
boot_image() {
	local dir=$pkg/qemu
	rm -rf "$dir"
	mkdir -p "$dir/initramfs" "$dir/linux/arch/arm64/boot"
	cp "$root/boot/vmlinuz-$krel" "$dir/linux/arch/arm64/boot/Image"
	(cd "$dir/initramfs" && gzip -dc "$initrd" | cpio -id --quiet)
	[ -f "$dir/initramfs/lib/modules/s2attr.ko" ]
	install -m644 "$root/lib/modules/$krel/updates/dkms/s2attr.ko" \
		"$dir/initramfs/lib/modules/s2attr.ko"
	# For plan pkg: what s2attr-tools installed, kmod as modprobe, and the
	# kernel's modules directory with the dkms-built s2attr.ko in it.
	install_elf "$root" "$dir/initramfs" /usr/sbin/s2attrctl /usr/bin/kmod
	mkdir -p "$dir/initramfs/sbin" "$dir/initramfs/lib/udev/rules.d"
	ln -sf /usr/bin/kmod "$dir/initramfs/sbin/modprobe"
	cp -a "$root/etc/s2attr" "$root/etc/modprobe.d" "$dir/initramfs/etc/"
	cp -a "$root/lib/udev/rules.d/60-s2attr.rules" "$dir/initramfs/lib/udev/rules.d/"
	cp -a "$root/lib/modules/$krel" "$dir/initramfs/lib/modules/"
	(cd "$dir/initramfs" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) \
		>"$dir/initramfs.cpio.gz"
}

# The root filesystem as it is now (kernel and s2attr installed) as the
# image of a host that boots with systemd, for plan "libvirt".
system_image() {
	"$S2ATTR_TOP/scripts/sysimage.sh" "$root" "$(dirname "$initrd")" "$root/tmp/debs" "$sysimg"
}
