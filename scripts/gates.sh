#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# gates.sh checkpatch | build SERIES: the kernel-hygiene gates.
#   checkpatch      checkpatch.pl --strict on the module, its KUnit suite
#                   and the shim patches: no error, warning or check
#   build SERIES [VARIANT]  s2attr.ko and its KUnit suite rebuilt from
#                   scratch with W=1 and sparse (C=2) against
#                   build/linux-SERIES[-VARIANT]: no warning
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
checkpatch)
	# Any series' tree will do; a run limited by S2ATTR_SERIES has one.
	for series in $(ls "$S2ATTR_TOP/patches"); do
		cp=$(ktree "$series")/scripts/checkpatch.pl
		[ ! -f "$cp" ] || break
	done
	[ -f "$cp" ] || die "no checkpatch.pl: build a kernel first"
	cd "$S2ATTR_TOP"
	rc=0
	# CAMELCASE: the only such names are the kernel's own memory types
	# (MT_DEVICE_nGnRE...), which --no-tree cannot look up.
	for f in src/*.c include/*.h tests/kunit/*.c; do
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
	series=${2:?usage: gates.sh build SERIES [VARIANT]}
	tree=$(ktree "$series" "${3:-}")
	dir=$S2ATTR_BUILD/out/$(basename "$tree")/gate
	read -r -a kargs <<<"$(kmake_args)"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$S2ATTR_TOP" && cp -r --parents Kbuild src include tests/kunit "$dir/")
	make -C "$tree" "${kargs[@]}" M="$dir" S2ATTR_KUNIT=m W=1 C=2 modules \
		>"$dir/build.log" 2>&1 ||
		{ cat "$dir/build.log"; die "build failed"; }
	if grep -E 'warning:|error:' "$dir/build.log"; then
		die "warnings with W=1 C=2"
	fi
	;;
*)
	die "usage: gates.sh checkpatch | build SERIES [VARIANT]"
	;;
esac
