# SPDX-License-Identifier: GPL-2.0
#
# scripts/pkgtest/root.sh: the arm64 Debian root filesystem in which
# scripts/pkgtest.sh installs the packages, and the host tools it needs;
# sourced.  This host gets what packaging needs (apt-get, only what is
# missing) and runs the root's arm64 programs through qemu-user and
# binfmt_misc.  mmdebstrap makes the root once, as a tarball (kept until
# its inputs change); each kernel's flow unpacks a fresh root from it and
# works in it through chroot, with /proc, /sys and /dev mounted.

# libc6:arm64: dpkg-shlibdeps' view of s2attrctl's libc in the cross build.
host_pkgs=(dpkg-dev debhelper dh-dkms lintian mmdebstrap arch-test qemu-user-static
	   binfmt-support cpio rsync kmod libc6:arm64)
# dkms brings gcc, make and binutils (arm64).  Without recommends, so that
# no Debian kernel headers come along for dkms to build for.  The rest makes
# the root filesystem a host that boots (plan "libvirt"): systemd as init,
# udevd, and libvirt with Debian's arm64 QEMU, both from bookworm-backports
# (QEMU 10 and libvirt 11.3, as the host's own QEMU: Debian 12's QEMU 7.2
# does not align vfio BAR mappings, and libvirt 9.0 cannot bind a vfio
# variant driver such as nvgrace-gpu-vfio-pci).
# apt takes every package built from those two sources from backports (a
# pin: "pkg/suite" would not take their dependencies along).
suite=bookworm
backports=$suite-backports
backports_pin="Package: src:libvirt src:qemu
Pin: release n=$backports
Pin-Priority: 990"
rootfs_pkgs=(dkms systemd-sysv udev kmod libvirt-daemon-system libvirt-daemon-driver-qemu
	     libvirt-clients qemu-system-arm)
rootfs_tar=$pkg/rootfs-$suite-arm64.tar

# mounts_under DIR: mount points below DIR, deepest first.
mounts_under() {
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

umount_under() {
	local m
	for m in $(mounts_under "$1"); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}

# rm_tree DIR: remove a root filesystem, never through a mount: a bind of
# /dev left inside would take the host's device nodes with it.
rm_tree() {
	umount_under "$1"
	[ -z "$(mounts_under "$1")" ] || die "still mounted under $1"
	rm -rf "$1"
}

mount_chroot() {
	mount -t proc proc "$1/proc"
	mount -t sysfs sysfs "$1/sys"
	mount --bind /dev "$1/dev"
}

# in_chroot DIR CMD...: CMD in root filesystem DIR, with a clean environment
# and a time limit (everything there runs emulated).
in_chroot() {
	local dir=$1
	shift
	timeout 1200 chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
in_root() { in_chroot "$root" "$@"; }

host_deps() {
	local p missing=()
	"$S2ATTR_TOP/scripts/deps.sh"
	for p in "${host_pkgs[@]}"; do
		dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing: ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive timeout 1200 \
			apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
}

# The root filesystem's arm64 programs run through qemu-aarch64.  Flag F
# opens the interpreter at registration, so it need not be in the chroot.
binfmt_aarch64() {
	local bm=/proc/sys/fs/binfmt_misc
	[ -e "$bm/register" ] || mount -t binfmt_misc binfmt_misc "$bm"
	[ -e "$bm/qemu-aarch64" ] || update-binfmts --enable qemu-aarch64
	cat "$bm/qemu-aarch64"
	grep -qx enabled "$bm/qemu-aarch64"
	grep -q '^flags: .*F' "$bm/qemu-aarch64"
}

# The root filesystem with dkms, as a tarball, made by mmdebstrap in one
# apt run (its arm64 maintainer scripts under qemu-user); unpacking the
# tarball takes seconds.
rootfs_tarball() {
	local key="mmdebstrap $suite $backports arm64 minbase $mirror ${rootfs_pkgs[*]} $backports_pin"
	if [ -f "$rootfs_tar" ] && [ "$(cat "$rootfs_tar.stamp" 2>/dev/null)" = "$key" ]; then
		echo "cached: $rootfs_tar"
		return 0
	fi
	rm -f "$rootfs_tar.new"
	# shellcheck disable=SC2016 # $1 is mmdebstrap's, the root it makes
	timeout 1800 mmdebstrap --mode=root --arch=arm64 --variant=minbase --format=tar \
		--include="$(IFS=,; echo "${rootfs_pkgs[*]}")" \
		--aptopt='APT::Install-Recommends "false"' \
		--setup-hook='mkdir -p "$1/etc/apt/preferences.d"' \
		--setup-hook="echo '$backports_pin' >\"\$1/etc/apt/preferences.d/s2attr-backports.pref\"" \
		"$suite" "$rootfs_tar.new" "deb $mirror $suite main" "deb $mirror $backports main"
	mv "$rootfs_tar.new" "$rootfs_tar"
	echo "$key" >"$rootfs_tar.stamp"
}

# A fresh root filesystem from the tarball, with the packages to install
# in /tmp/debs and the stock headers at $noshim_hdr (scripts/pkgtest/packages.sh).
fresh_rootfs() {
	rm_tree "$root"
	mkdir -p "$root"
	tar -C "$root" -xf "$rootfs_tar"
	mkdir -p "$root/tmp/debs"
	cp "$kdebs"/linux-image-"$krel"_*_arm64.deb "$kdebs"/linux-headers-"$krel"_*_arm64.deb \
		"$pkg/src/s2attr-dkms_${debver}_all.deb" \
		"$pkg/src/s2attr-tools_${debver}_arm64.deb" "$root/tmp/debs/"
	cp -a "$stockhdr" "$root$noshim_hdr"
	mount_chroot "$root"
	# What dkms compares BUILD_EXCLUSIVE_ARCH with: qemu-user's machine.
	[ "$(in_root uname -m)" = aarch64 ]
}
