#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pkgtest.sh [SERIES [PAGES...]]: s2attr-dkms and s2attr-tools through the
# flow a kernel vendor and a host administrator follow, for each of the
# shimmed test kernels of SERIES with PAGES 4k and 64k (default: both;
# 64k is the 64 KiB-page kernel, release "-s2attr-64k").  Each kernel is
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
# with GPU domains, on a CPU with FWB and one without.  Also checked: a
# kernel without the shim is excluded by name, s2attrctl on a host without
# s2attr, and removal leaves nothing.
# One PASS/FAIL line per check, then "N passed, M failed".
#
# Only build/pkg/ is written, and the kernel trees' packaging output, which
# is moved there: the host's /lib/modules, /var/lib/dkms and /usr/src are
# not touched.  Kept for the next run: the kernel packages and the stock
# headers (until the trees' stamps change), the root filesystem tarball.
# The first run packages the kernel in build/linux-SERIES, which relinks its
# vmlinux: do not run it while make check uses that tree.
#
#   S2ATTR_PKGTEST_CPUS="neoverse-n2"    CPU models of the QEMU runs (scripts/cpus.conf)
#   S2ATTR_PKGTEST_SYSCPUS="neoverse-n2 neoverse-n1"   ... of plan "libvirt"
#   S2ATTR_DEBIAN_MIRROR=URL     Debian mirror for mmdebstrap
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
suite=bookworm

pkg=$S2ATTR_BUILD/pkg
logs=$pkg/logs
root=$pkg/rootfs

# use_kernel PAGES: the kernel the following steps package and test.
use_kernel() {
	variant=$(pages_variant "$1")
	tree=$(ktree "$series" "$variant")
	stock=$(ktree "$series" "${variant:+$variant-}stock")
	initrd=$S2ATTR_BUILD/out/$(basename "$tree")/initramfs.cpio.gz
	logs=$pkg/logs-$(basename "$tree")
	kdebs=$pkg/kernel-$(basename "$tree")
	stockhdr=$pkg/stock-headers-$(basename "$tree")
	mkdir -p "$logs"
}
rootfs_tar=$pkg/rootfs-$suite-arm64.tar
sysimg=$pkg/system.img
read -r -a kargs <<<"$(kmake_args)"

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
backports=$suite-backports
backports_pin="Package: src:libvirt src:qemu
Pin: release n=$backports
Pin-Priority: 990"
rootfs_pkgs=(dkms systemd-sysv udev kmod libvirt-daemon-system libvirt-daemon-driver-qemu
	     libvirt-clients qemu-system-arm)

debver=$(dpkg-parsechangelog -l "$S2ATTR_TOP/debian/changelog" -S Version)
ver=${debver%-*}
# The stock headers go under a name of their own: the stock tree has the
# same kernel release as the shimmed one.
noshim_hdr=/usr/src/linux-headers-noshim

started=$SECONDS

finish() {
	note "pkgtest: $((SECONDS - started)) s"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] || exit 1
	exit 0
}

# run FATAL NAME CMD...: one result from CMD, run with errexit in a subshell
# (a caller's "if" or "||" would switch errexit off inside functions), its
# output in a log.  A FATAL failure ends the run: what follows needs it.
# (results.sh's step runs CMD without errexit.)
run() {
	local fatal=$1 name=$2 log rc
	shift 2
	log=$logs/$(printf %02d $((pass + fail + 1)))-$(echo "$name" |
		tr -c 'a-zA-Z0-9.\n' '-' | cut -c1-60).log
	set +e
	(set -e; "$@") >"$log" 2>&1
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		result PASS "$name"
		return 0
	fi
	result FAIL "$name (see ${log#"$S2ATTR_TOP"/})"
	tail -n 20 "$log" | sed 's/^/    /'
	[ "$fatal" = fatal ] && finish
	return 0
}
step() { run fatal "$@"; }
check() { run nonfatal "$@"; }

# none WHAT CMD...: CMD finds nothing; what it finds is shown.  ("! CMD"
# would not stop errexit.)
none() {
	local what=$1 out
	shift
	out=$("$@" 2>/dev/null) || true
	[ -z "$out" ] || die "found $what: $out"
}

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

trap 'umount_under "$pkg"' EXIT
trap 'exit 130' INT TERM

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

# What make check builds, brought up to date (kernel.sh makes nothing when
# a tree is; a tree from before a config change could not boot plan
# libvirt's disk).  Not while make check uses the trees: two makes in one
# tree break each other.
test_kernels() {
	"$S2ATTR_TOP/scripts/kernel.sh" "$series" "$variant"
	"$S2ATTR_TOP/scripts/kernel.sh" "$series" "${variant:+$variant-}stock"
	# The test modules in it must be built against this tree.
	[ "$initrd" -nt "$tree/.s2attr-stamp" ] || "$S2ATTR_TOP/scripts/build-tests.sh" "$series" "$variant"
}

# linux-image and linux-headers of the shimmed tree, from its own
# "make bindeb-pkg"; rebuilt only when the tree's stamp changes.
kernel_debs() {
	local stamp cfg
	stamp="$(cat "$tree/.s2attr-stamp") $krel"
	if [ "$(cat "$kdebs/stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "cached: $kdebs"
		return 0
	fi
	rm -rf "$kdebs" "$tree/debian"
	rm -f "$S2ATTR_BUILD"/linux-*_arm64.deb "$S2ATTR_BUILD"/linux-upstream_*
	mkdir -p "$kdebs"
	cfg=$(sha256sum <"$tree/.config")
	# -d: Build-Depends-Arch asks for libssl-dev:arm64, for sign-file,
	# which this config (no module signing) does not build.
	timeout 1800 make -C "$tree" -s "${kargs[@]}" -j"$(nproc)" DPKG_FLAGS=-d bindeb-pkg
	[ "$(sha256sum <"$tree/.config")" = "$cfg" ] || die "make bindeb-pkg changed $tree/.config"
	# dpkg-buildpackage leaves its output in the tree's parent, build/.
	mv "$S2ATTR_BUILD"/linux-*_arm64.deb "$S2ATTR_BUILD"/linux-upstream_* "$kdebs/"
	rm -rf "$tree/debian"
	ls "$kdebs"/linux-image-"$krel"_*_arm64.deb "$kdebs"/linux-headers-"$krel"_*_arm64.deb
	echo "$stamp" >"$kdebs/stamp"
}

# The stock tree's headers, made by the script "make bindeb-pkg" fills
# linux-headers-* with (host programs rebuilt for arm64).  Its package
# could not be installed beside the shimmed kernel's: same release.
stock_headers() {
	local stamp
	stamp=$(cat "$stock/.s2attr-stamp")
	if [ "$(cat "$stockhdr.stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "cached: $stockhdr"
		return 0
	fi
	[ -x "$stock/scripts/package/install-extmod-build" ] ||
		die "$stock has no scripts/package/install-extmod-build (6.12 has it, 6.1 not)"
	rm -rf "$stockhdr"
	make -C "$stock" -s "${kargs[@]}" run-command \
		KBUILD_RUN_COMMAND="\$(srctree)/scripts/package/install-extmod-build $stockhdr"
	if grep -q '^CONFIG_KVM_S2ATTR_HOOK=' "$stockhdr/include/config/auto.conf"; then
		die "$stock has the shim"
	fi
	echo "$stamp" >"$stockhdr.stamp"
}

# s2attr-dkms and s2attr-tools (arm64, cross-built on another host) from
# a copy of the checkout as git sees it (uncommitted changes included,
# build products left out): debian/ decides what ships.
dkms_deb() {
	rm -rf "$pkg/src"
	mkdir -p "$pkg/src/s2attr"
	rsync -a --exclude=/.git --exclude=/build --filter=':- .gitignore' \
		"$S2ATTR_TOP/" "$pkg/src/s2attr/"
	(cd "$pkg/src/s2attr" && dpkg-buildpackage -b -aarm64 -us -uc)
	ls "$pkg/src/s2attr-dkms_${debver}_all.deb" "$pkg/src/s2attr-tools_${debver}_arm64.deb"
}

# As an unprivileged user when it can read the package: lintian warns
# when run as root.
lintian_deb() {
	local changes as=()
	changes=$(echo "$pkg"/src/s2attr_"${debver}"_*.changes)
	if runuser -u nobody -- test -r "$changes" 2>/dev/null; then
		as=(runuser -u nobody --)
	fi
	"${as[@]}" lintian --fail-on error --display-info "$changes"
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
# in /tmp/debs and the stock headers at $noshim_hdr.
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

install_dkms_deb() { in_root dpkg -i "/tmp/debs/s2attr-dkms_${debver}_all.deb"; }

# s2attr-tools' files; the policy and the modprobe.d file are conffiles.
tools_installed() {
	local files conffiles
	in_root dpkg -i "/tmp/debs/s2attr-tools_${debver}_arm64.deb"
	files=$(in_root dpkg -L s2attr-tools)
	echo "$files"
	for f in /usr/sbin/s2attrctl /etc/s2attr/policy /etc/modprobe.d/s2attr-tools.conf \
		 /lib/udev/rules.d/60-s2attr.rules /usr/lib/modules-load.d/s2attr.conf \
		 /usr/share/man/man8/s2attrctl.8.gz; do
		grep -qx "$f" <<<"$files" || die "s2attr-tools lacks $f"
	done
	conffiles=$(in_root dpkg-query -W -f '${Conffiles}' s2attr-tools)
	echo "$conffiles"
	grep -q ' /etc/s2attr/policy ' <<<"$conffiles"
	grep -q ' /etc/modprobe.d/s2attr-tools.conf ' <<<"$conffiles"
	grep -qx 'install s2attr /sbin/modprobe --ignore-install s2attr $CMDLINE_OPTS && /usr/sbin/s2attrctl policy load' \
		"$root/etc/modprobe.d/s2attr-tools.conf"
	in_root s2attrctl policy check
}

# The packaged s2attrctl where s2attr cannot be (this host's kernel):
# one line naming the problem, a non-zero exit, for reading or changing.
tools_no_shim() {
	local args out rc
	for args in list "enable 1-2" "policy load"; do
		rc=0
		out=$(in_root s2attrctl $args 2>&1) || rc=$?
		echo "s2attrctl $args: exit $rc: $out"
		[ "$rc" -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ]
		grep -q '^s2attrctl: this kernel has no s2attr KVM shim' <<<"$out"
	done
}

# The package's files are the sources, under /usr/src/s2attr-<version>/,
# with the version filled in dkms.conf; dkms has added them.
source_installed() {
	local files src=/usr/src/s2attr-$ver status outside
	files=$(in_root dpkg -L s2attr-dkms)
	echo "$files"
	grep -qx "$src/dkms.conf" <<<"$files"
	grep -qx "$src/Kbuild" <<<"$files"
	grep -q "^$src/src/.*\.c$" <<<"$files"
	grep -q "^$src/include/.*\.h$" <<<"$files"
	outside=$(grep '^/usr/src/.' <<<"$files" | grep -v "^$src\(/\|$\)" || true)
	[ -z "$outside" ] || die "files outside $src: $outside"
	none "test-only or built files" grep -i -e /tests -e kunit -e bench -e '\.o$' -e '\.ko$' <<<"$files"
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$root$src/dkms.conf"
	status=$(in_root dkms status -m s2attr -v "$ver")
	echo "$status"
	grep -q ': added' <<<"$status"
}

# dkms_excluded HEADERS: dkms refuses to build for kernel headers without
# the shim, says why, and builds nothing.
dkms_excluded() {
	local out rc=0
	out=$(in_root dkms build -m s2attr -v "$ver" -k "$krel" --kernelsourcedir "$1" 2>&1) || rc=$?
	echo "$out"
	echo "exit status $rc"
	[ "$rc" -eq 77 ]
	grep -q 'BUILD_EXCLUSIVE directive which does not match' <<<"$out"
	grep -q 'CONFIG_KVM_S2ATTR_HOOK' <<<"$out"
	[ ! -e "$root/var/lib/dkms/s2attr/$ver/$krel" ]
}

# As Debian's own linux-headers packages do, unlike bindeb-pkg's.
noshim_with_config() {
	cp "$stock/.config" "$root$noshim_hdr/.config"
	dkms_excluded "$noshim_hdr"
}

install_kernel_debs() {
	in_root sh -c "dpkg -i /tmp/debs/linux-image-${krel}_*_arm64.deb /tmp/debs/linux-headers-${krel}_*_arm64.deb"
}

# dkms built s2attr.ko for the shimmed kernel and installed it where
# modprobe finds it.
module_installed() {
	local ko=$root/lib/modules/$krel/updates/dkms/s2attr.ko status
	status=$(in_root dkms status -m s2attr -v "$ver" -k "$krel")
	echo "$status"
	grep -q ': installed' <<<"$status"
	[ -f "$ko" ]
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$krel" ]
	grep -q '^updates/dkms/s2attr.ko:' "$root/lib/modules/$krel/modules.dep"
}

autoinstall() {
	install_kernel_debs
	module_installed
}

postinst_build() {
	install_dkms_deb
	module_installed
}

# Nothing of s2attr is left in the root filesystem.
nothing_left() {
	local left
	left=$(cd "$root" && ls -d var/lib/dkms/s2attr usr/src/s2attr-* \
		lib/modules/*/updates/dkms/s2attr.ko* 2>/dev/null || true)
	[ -z "$left" ] || die "left behind: $left"
	none "in modules.dep" grep -s s2attr "$root"/lib/modules/*/modules.dep
	none "in dpkg's database" in_root dpkg-query -W s2attr-dkms
}

remove_all() {
	in_root dkms remove -m s2attr -v "$ver" --all
	in_root dpkg --purge s2attr-dkms s2attr-tools
	nothing_left
	none "of s2attr-tools" ls -d "$root/etc/s2attr" "$root/usr/sbin/s2attrctl" \
		"$root/etc/modprobe.d/s2attr-tools.conf" "$root/lib/udev/rules.d/60-s2attr.rules" \
		"$root/usr/lib/modules-load.d/s2attr.conf"
}

purge() {
	in_root dpkg --purge s2attr-dkms
	nothing_left
}

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

# qemu_plan CPU PLAN [DISK]: a plan on the packaged kernel with the
# dkms-built module: in the test initramfs, or on the host booted from
# image DISK (system_image).
qemu_plan() {
	local cpu=$1 plan=$2 disk=${3:-} dir=$pkg/qemu log tap nok nnot t=$SECONDS
	log=$dir/$cpu-$plan.log
	S2ATTR_INITRD=$dir/initramfs.cpio.gz S2ATTR_DISK=$disk \
		S2ATTR_QEMU_TIMEOUT=$([ -n "$disk" ] && echo 2400 || echo 600) \
		"$S2ATTR_TOP/scripts/qemu.sh" "$dir/linux" "$cpu" "$plan" "$log" || true
	note "QEMU $cpu, plan $plan: $((SECONDS - t)) s"
	tr -d '\r' <"$log" >"$log.txt"
	tap=$(sed -n '/^S2ATTR-BEGIN/,/^S2ATTR-DMESG-BEGIN/p' "$log.txt")
	nok=$(grep -c '^ok ' <<<"$tap" || true)
	nnot=$(grep -c '^not ok ' <<<"$tap" || true)
	if [ "$nok" -gt 0 ] && [ "$nnot" -eq 0 ] && grep -q '^S2ATTR-END' "$log.txt"; then
		result PASS "$name: QEMU $cpu: the packaged kernel with the dkms-built s2attr.ko passes plan $plan ($nok ok, 0 not ok)"
	else
		result FAIL "$name: QEMU $cpu: plan $plan with the dkms-built s2attr.ko: $nok ok, $nnot not ok (see ${log#"$S2ATTR_TOP"/}.txt)"
		grep '^not ok ' <<<"$tap" | head -n 10 | sed 's/^/    /'
	fi
	if grep -Ev '^(ok|not ok) ' "$log.txt" | grep -Eq "$SPLAT"; then
		result FAIL "$name: QEMU $cpu, plan $plan: kernel splat (see ${log#"$S2ATTR_TOP"/}.txt)"
		grep -Ev '^(ok|not ok) ' "$log.txt" | grep -E -m5 "$SPLAT" | sed 's/^/    /'
	else
		result PASS "$name: QEMU $cpu, plan $plan: no kernel splat"
	fi
}

# The root filesystem as it is now (kernel and s2attr installed) as the
# image of a host that boots with systemd, for plan "libvirt".
system_image() {
	"$S2ATTR_TOP/scripts/sysimage.sh" "$root" "$(dirname "$initrd")" "$root/tmp/debs" "$sysimg"
}

# kernel_flow: the packages with one kernel (use_kernel), from a fresh
# root filesystem: the vendor packages the kernel, the administrator
# installs s2attr-dkms and the kernel, dkms builds s2attr.ko, the kernel
# boots with it, and removal leaves nothing.
kernel_flow() {
	local name cpu plan
	name=$(basename "$tree")
	name=${name#linux-}
	step "$name: test kernels and initramfs (make check's)" test_kernels
	krel=$(cat "$tree/include/config/kernel.release")
	step "$name: make bindeb-pkg packages the shimmed kernel $krel (config unchanged)" kernel_debs
	step "$name: the stock tree's headers, without the shim" stock_headers
	step "$name: fresh root filesystem, uname -m is aarch64" fresh_rootfs

	step "$name: s2attr-dkms installs on a host without a kernel to build for" install_dkms_deb
	check "$name: s2attr-dkms: sources under /usr/src/s2attr-$ver/, no tests, dkms has added them" source_installed
	check "$name: s2attr-tools: s2attrctl, the policy and modprobe.d conffiles, the udev rule, modules-load.d; the shipped policy checks" \
		tools_installed
	check "$name: s2attrctl on a kernel without the shim (this host's): one line naming it, exit 1" \
		tools_no_shim
	check "$name: dkms build on a kernel without the shim (headers from the kernel's own packaging) is excluded, naming CONFIG_KVM_S2ATTR_HOOK" \
		dkms_excluded "$noshim_hdr"
	check "$name: dkms build on a kernel without the shim (headers with .config) is excluded, naming CONFIG_KVM_S2ATTR_HOOK" \
		noshim_with_config
	step "$name: installing the shimmed kernel's packages makes dkms build and install s2attr.ko for it (AUTOINSTALL)" autoinstall
	step "$name: the dkms-built s2attr.ko in the test initramfs, the kernel from its package" boot_image
	for cpu in $cpus; do
		for plan in shim pkg qemu; do
			qemu_plan "$cpu" "$plan"
		done
	done
	step "$name: the root filesystem as a host's disk image, with the test harness" system_image
	for cpu in $syscpus; do
		qemu_plan "$cpu" libvirt "$sysimg"
	done
	rm -f "$sysimg"
	check "$name: dkms remove --all and purging s2attr-dkms and s2attr-tools leave nothing of s2attr" remove_all
	check "$name: installing s2attr-dkms on a host with the shimmed kernel builds and installs s2attr.ko (postinst)" postinst_build
	check "$name: purging s2attr-dkms alone leaves nothing of s2attr" purge
}

# The whole run is one function, read before it starts: editing this file
# while it runs does not change what runs.
main() {
	[ "$(id -u)" = 0 ] || die "run as root: it installs packages, mounts and chroots"
	mkdir -p "$logs"
	# One run at a time: a second would unpack a root filesystem over this one's.
	exec 9>"$pkg/.lock"
	flock -n 9 || die "another pkgtest.sh is running (lock: ${pkg#"$S2ATTR_TOP"/}/.lock)"

	step "host tools for packaging (apt-get, only what is missing)" host_deps
	step "binfmt_misc runs arm64 programs through qemu-aarch64" binfmt_aarch64
	step "dpkg-buildpackage builds s2attr-dkms_${debver}_all.deb and s2attr-tools_${debver}_arm64.deb" dkms_deb
	if lintian_out=$(lintian_deb 2>&1); then
		result PASS "lintian: no errors on s2attr-dkms and s2attr-tools"
	else
		result FAIL "lintian: errors on s2attr-dkms and s2attr-tools"
	fi
	[ -z "$lintian_out" ] || sed 's/^/    /' <<<"$lintian_out"
	step "arm64 Debian $suite root filesystem with dkms, systemd, libvirt and QEMU (mmdebstrap under qemu-user)" rootfs_tarball
	for p in $pages_list; do
		use_kernel "$p"
		kernel_flow
	done
	finish
}

main "$@"; exit
