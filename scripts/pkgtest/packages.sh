# SPDX-License-Identifier: GPL-2.0
#
# scripts/pkgtest/packages.sh: the packages of scripts/pkgtest.sh and what
# dpkg and dkms do with them in the root filesystem (root.sh); sourced.
# The kernel vendor's side: the test kernels brought up to date, the
# shimmed kernel packaged by its own "make bindeb-pkg", the stock tree's
# headers (a kernel without the shim); s2attr's side: s2attr-dkms and
# s2attr-tools from dpkg-buildpackage, lintian.  The administrator's side:
# installing them, dkms building s2attr.ko for the shimmed kernel and
# excluding the one without the shim, and removal leaving nothing.

debver=$(dpkg-parsechangelog -l "$S2ATTR_TOP/debian/changelog" -S Version)
ver=${debver%-*}
# The stock headers go under a name of their own: the stock tree has the
# same kernel release as the shimmed one.
noshim_hdr=/usr/src/linux-headers-noshim

# What make check builds, brought up to date (kernel.sh makes nothing when
# a tree is; a tree from before a config change could not boot plan
# libvirt's disk; S2ATTR_PREBUILT=1 takes the trees as they are), and plan
# qemu's VMM.  Not while make check uses the trees: two makes in one tree
# break each other.
test_kernels() {
	local changed
	build_kernel "$series" "$variant"
	build_kernel "$series" "${variant:+$variant-}stock"
	"$S2ATTR_TOP/scripts/vmm-qemu.sh"
	# The test modules in the initramfs must be built against this tree,
	# and its plans be this checkout's.
	changed=$(find "$S2ATTR_TOP/tests" "$S2ATTR_TOP/src" "$S2ATTR_TOP/include" \
		"$S2ATTR_TOP/tools" "$S2ATTR_BUILD/qemu-arm64/stamp" -newer "$initrd" \
		-print -quit 2>/dev/null || echo "no $initrd")
	if [ ! "$initrd" -nt "$tree/.s2attr-stamp" ] || [ -n "$changed" ]; then
		"$S2ATTR_TOP/scripts/build-tests.sh" "$series" "$variant"
	fi
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
	# which this config (no module signing) does not build.  One kernel
	# make at a time (scripts/kernel.sh's lock): it may relink vmlinux.
	flock "$S2ATTR_BUILD/.kernel-make.lock" timeout 1800 \
		make -C "$tree" -s "${kargs[@]}" -j"$(nproc)" DPKG_FLAGS=-d bindeb-pkg
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
	flock "$S2ATTR_BUILD/.kernel-make.lock" make -C "$stock" -s "${kargs[@]}" run-command \
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

# lintian's result, with what it said (infos included) below it.
lintian_result() {
	local out
	if out=$(lintian_deb 2>&1); then
		result PASS "lintian: no errors on s2attr-dkms and s2attr-tools"
	else
		result FAIL "lintian: errors on s2attr-dkms and s2attr-tools"
	fi
	# shellcheck disable=SC2001 # every line of it indented
	[ -z "$out" ] || sed 's/^/    /' <<<"$out"
}

install_dkms_deb() { in_root dpkg -i "/tmp/debs/s2attr-dkms_${debver}_all.deb"; }

# s2attr-tools' files; the policy and the modprobe.d file are conffiles.
tools_installed() {
	local files conffiles f
	in_root dpkg -i "/tmp/debs/s2attr-tools_${debver}_arm64.deb"
	files=$(in_root dpkg -L s2attr-tools)
	echo "$files"
	for f in /usr/sbin/s2attrctl /etc/s2attr/policy /etc/modprobe.d/s2attr-tools.conf \
		 /lib/udev/rules.d/60-s2attr.rules /usr/lib/modules-load.d/s2attr.conf \
		 /usr/share/man/man8/s2attrctl.8.gz; do
		grep -qx "$f" <<<"$files" || die "s2attr-tools lacks $f"
	done
	# shellcheck disable=SC2016 # dpkg-query's format
	conffiles=$(in_root dpkg-query -W -f '${Conffiles}' s2attr-tools)
	echo "$conffiles"
	grep -q ' /etc/s2attr/policy ' <<<"$conffiles"
	grep -q ' /etc/modprobe.d/s2attr-tools.conf ' <<<"$conffiles"
	# shellcheck disable=SC2016 # $CMDLINE_OPTS is modprobe's
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
		# shellcheck disable=SC2086 # $args are s2attrctl's words
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
	left=$(cd "$root" && { ls -d var/lib/dkms/s2attr usr/src/s2attr-* \
		lib/modules/*/updates/dkms/s2attr.ko* 2>/dev/null || true; })
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
