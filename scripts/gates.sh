#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel-hygiene gates; each fails on any finding.
#   gates.sh checkpatch
#	checkpatch.pl --strict on every kernel module's C (the module, its
#	KUnit suite, the test modules, the nested guest's GPU driver) and on
#	the shim patches
#   gates.sh build SERIES [VARIANT]
#	s2attr.ko and its KUnit suite rebuilt from scratch with W=1 and
#	sparse (C=2) against build/linux-SERIES[-VARIANT]
#   gates.sh testmods SERIES [VARIANT]
#	the same for the test modules (tests/host/modules/) and, on a tree
#	with nvgrace-gpu, the nested guest's GPU driver (tests/gpu/guest/):
#	the trees scripts/build-tests.sh builds them for
#   gates.sh userspace SERIES [VARIANT]
#	the test programs and s2attrctl compiled with the warnings of the
#	kernel's own tools and a few more (uwarn, below), against that
#	tree's UAPI headers and KVM selftest library
#   gates.sh shellcheck
#	the shell of scripts/, .ci/run and tests/, through shellcheck
# The build modes write under build/out/<tree>/: gate, gate-testmods and
# gate-userspace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage="usage: gates.sh checkpatch | shellcheck | build|testmods|userspace SERIES [VARIANT]"

# wbuild TREE DIR MAKEARGS...: build the external module whose sources
# are in DIR, with W=1 and sparse (C=2); fails, saying so, on any warning
# or error of the compiler, sparse or modpost.
wbuild() {
	local tree=$1 dir=$2 kargs
	shift 2
	read -r -a kargs <<<"$(kmake_args)"
	if ! make -C "$tree" "${kargs[@]}" M="$dir" W=1 C=2 "$@" modules \
		>"$dir/build.log" 2>&1; then
		cat "$dir/build.log"
		echo "error: ${dir#"$S2ATTR_TOP"/}: build failed" >&2
		return 1
	fi
	# modpost says "WARNING:".
	if grep -iE 'warning:|error:' "$dir/build.log"; then
		echo "error: ${dir#"$S2ATTR_TOP"/}: warnings with W=1 C=2" >&2
		return 1
	fi
}

# gate_dir TREE NAME: an empty build/out/<tree>/NAME.
gate_dir() {
	local dir
	dir=$S2ATTR_BUILD/out/$(basename "$1")/$2
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "$dir"
}

# The user-space warnings: those the kernel builds its own tools with
# (tools/scripts/Makefile.include, EXTRA_WARNINGS, -Wshadow with gcc),
# where -Wformat=2 stands for -Wformat-security and -Wformat-y2k and adds
# -Wformat-nonliteral; the format's signedness; no VLA (the kernel's own
# rule); no const cast away; no arithmetic on void *.  With -O2 for the
# warnings that need data flow, and _FORTIFY_SOURCE for glibc's
# compile-time buffer checks.
uwarn=(-Wall -Wextra -Wshadow -Wformat=2 -Wformat-signedness
	-Wbad-function-cast -Wdeclaration-after-statement -Winit-self
	-Wmissing-declarations -Wmissing-prototypes -Wnested-externs
	-Wold-style-definition -Wpacked -Wredundant-decls -Wstrict-prototypes
	-Wswitch-default -Wswitch-enum -Wundef -Wwrite-strings
	-Wvla -Wcast-qual -Wpointer-arith)
ucc=(aarch64-linux-gnu-gcc -O2 -D_FORTIFY_SOURCE=2 -Werror "${uwarn[@]}")

# ucheck OUT SOURCE ARGS...: compile SOURCE (relative to the top of the
# repository) to an object under OUT with $ucc and ARGS.
ucheck() {
	local out=$1 src=$2
	shift 2
	echo "  CC      $src"
	mkdir -p "$out/$(dirname "$src")"
	"${ucc[@]}" "$@" -c -o "$out/${src%.c}.o" "$S2ATTR_TOP/$src"
}

# userspace TREE DIR: every user-space C program of the tests, and
# s2attrctl, with $ucc: the stand-alone ones as scripts/build-tests.sh
# builds them, the KVM selftest-style ones (tests/host/vmm/) with the
# selftest library's flags (tools/testing/selftests/kvm/Makefile), its
# headers and the kernel's as system headers: only our code is judged.
userspace() {
	local tree=$1 out=$2 rc=0 kst f sys=()
	kst=$tree/tools/testing/selftests/kvm
	[ -f "$tree/usr/include/linux/kvm.h" ] ||
		die "no UAPI headers in $tree (scripts/kernel.sh installs them)"
	cd "$S2ATTR_TOP"
	ucheck "$out" tools/s2attrctl.c -Iinclude || rc=1
	for f in tests/host/tools/*.c tests/gpu/guest/gpuload.c; do
		ucheck "$out" "$f" || rc=1
	done
	ucheck "$out" tests/gpu/host/s2attr_vfio.c -I"$tree/usr/include" || rc=1

	for f in "$kst/include" "$kst/include/aarch64" "$kst/.." \
		 "$tree/tools/include" "$tree/tools/arch/arm64/include" "$tree/usr/include"; do
		[ ! -d "$f" ] || sys+=(-isystem "$f")
	done
	# 6.12's selftest library includes the system register definitions
	# that its Makefile generates (tools/arch/arm64/tools/): generated
	# here, under the gate's directory, not in the tree.
	if [ -f "$tree/tools/arch/arm64/tools/Makefile" ]; then
		mkdir -p "$out/gen"
		make -s -C "$tree/tools/arch/arm64/tools" OUTPUT="$out/gen/"
		sys+=(-isystem "$out/gen/arch/arm64/include/generated")
	fi
	for f in tests/host/vmm/lib/*.c tests/host/vmm/s2attr_*.c; do
		ucheck "$out" "$f" -std=gnu99 -D_GNU_SOURCE= -DCONFIG_64BIT \
			-Itests/host/vmm/include -Itests/host/modules "${sys[@]}" || rc=1
	done
	[ "$rc" -eq 0 ] || die "user-space warnings (flags: ${uwarn[*]})"
}

# The scripts: each program of scripts/ (a file with a #!) and .ci/run,
# with what it sources (-x, from where it is) checked as part of it (-a):
# lib.sh, results.sh, pkgtest/*.sh, whose variables and functions are
# the sourcing script's, are checked as they run.  A finding in a file
# that several scripts source is shown once.
sc_bash() {
	local f progs=()
	for f in scripts/*.sh scripts/*/*.sh .ci/run; do
		[ "$(head -c 2 "$f" 2>/dev/null)" != "#!" ] || progs+=("$f")
	done
	shellcheck -f gcc -x -a -P SCRIPTDIR "${progs[@]}" | sed 's|/\./|/|' | sort -u
}

# The tests' shell runs under busybox's ash (the test host's /init, the
# nested guest's /init) and Debian's dash (tests/system/run, on the booted
# Debian host): checked as dash, as shellcheck checks ash.  /init and run
# source lib.sh, then every plan file into one shell, whose functions and
# variables the files share: the plans are checked that way, all sourced
# by one script (-a: findings in the sourced files), so that a name one
# file defines and another uses is known; every file of
# tests/{host,gpu/host,system}/*.sh is a plan file (build-tests.sh and
# sysimage.sh install them all).
sc_tests() {
	local rc=0 f
	shellcheck -f gcc -s dash -x -P SCRIPTDIR \
		tests/host/init tests/gpu/guest/init tests/system/run || rc=1
	for f in tests/host/lib.sh tests/host/*.sh tests/gpu/host/*.sh tests/system/*.sh; do
		echo ". ./$f"
	done | awk '!seen[$0]++' | shellcheck -f gcc -s dash -x -a - || rc=1
	return "$rc"
}

case "${1:-}" in
checkpatch)
	# Any series' tree will do; a run limited by S2ATTR_SERIES has one.
	for series in "$S2ATTR_TOP"/patches/*/; do
		cp=$(ktree "$(basename "$series")")/scripts/checkpatch.pl
		[ ! -f "$cp" ] || break
	done
	[ -f "$cp" ] || die "no checkpatch.pl: build a kernel first"
	cd "$S2ATTR_TOP"
	rc=0
	# CAMELCASE: the only such names are the kernel's own memory types
	# (MT_DEVICE_nGnRE...), which --no-tree cannot look up.
	for f in src/*.c include/*.h tests/kunit/*.c tests/host/modules/*.[ch] \
		 tests/gpu/guest/s2attr_gpuguest.c; do
		perl "$cp" --no-tree --strict --quiet --ignore CAMELCASE --file "$f" || rc=1
	done
	# Checkpatch takes a file tracked by git for source, not a patch,
	# unless it cannot see the repository.
	for p in patches/*/*.patch; do
		GIT_DIR=/nonexistent perl "$cp" --no-tree --strict --quiet "$p" || rc=1
	done
	exit $rc
	;;
build)
	tree=$(ktree "${2:?$usage}" "${3:-}")
	dir=$(gate_dir "$tree" gate)
	(cd "$S2ATTR_TOP" && cp -r --parents Kbuild src include tests/kunit "$dir/")
	wbuild "$tree" "$dir" S2ATTR_KUNIT=m || exit 1
	;;
testmods)
	tree=$(ktree "${2:?$usage}" "${3:-}")
	dir=$(gate_dir "$tree" gate-testmods)
	mkdir -p "$dir/host" "$dir/gpuguest"
	cp -r "$S2ATTR_TOP/tests/host/modules/." "$dir/host/"
	rc=0
	wbuild "$tree" "$dir/host" || rc=1
	# As scripts/build-tests.sh: the guest has its GPU driver only on a
	# kernel with nvgrace-gpu.
	if has_gpu "$tree"; then
		cp "$S2ATTR_TOP"/tests/gpu/guest/{Kbuild,s2attr_gpuguest.c} "$dir/gpuguest/"
		wbuild "$tree" "$dir/gpuguest" || rc=1
	else
		note "$(basename "$tree") has no nvgrace-gpu: no nested-guest GPU driver to build"
	fi
	exit $rc
	;;
userspace)
	tree=$(ktree "${2:?$usage}" "${3:-}")
	userspace "$tree" "$(gate_dir "$tree" gate-userspace)"
	;;
shellcheck)
	cd "$S2ATTR_TOP"
	shellcheck --version | sed -n 's/^version: /# shellcheck /p'
	rc=0
	sc_bash || rc=1
	sc_tests || rc=1
	exit $rc
	;;
*)
	die "$usage"
	;;
esac
