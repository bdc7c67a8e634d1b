#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: the whole test suite.  Builds the test kernels (shimmed and
# stock) of every series, boots each on every CPU model of the matrix under
# QEMU and collects one line per test, then runs the kernel-hygiene gates;
# ends with "N passed, M failed".
#
#   S2ATTR_SERIES="6.12"    series to test (default: all with patches/)
#   S2ATTR_CPUS="max"       CPU models to test (default: all of cpus.conf)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

series_list=${S2ATTR_SERIES:-$(for s in $(all_series); do
	[ -d "$S2ATTR_TOP/patches/$s" ] && echo "$s"; done)}
cpus=${S2ATTR_CPUS:-$(awk '!/^#/ && NF { print $1 }' "$S2ATTR_TOP/scripts/cpus.conf")}
logs=$S2ATTR_BUILD/logs
# same_dump PREFIX DIR A B: the descriptors of two runs are identical.
same_dump() {
	local prefix=$1 a=$2/$3.dump b=$2/$4.dump
	if [ -s "$a" ] && [ -s "$b" ] && cmp -s "$a" "$b"; then
		result PASS "$prefix: stage-2 descriptors bit for bit: $3 = $4"
	else
		result FAIL "$prefix: stage-2 descriptors differ: $3 vs $4"
		diff "$a" "$b" 2>&1 | head -n 10 | sed 's/^/    /'
	fi
}

mkdir -p "$logs"
step "Debian 12's arm64 qemu-system-aarch64, the real VMM of plan qemu" \
	"$S2ATTR_TOP/scripts/vmm-qemu.sh"
for s in $series_list; do
	step "$s: build the shimmed test kernel" "$S2ATTR_TOP/scripts/kernel.sh" "$s" || continue
	step "$s: build the stock test kernel" "$S2ATTR_TOP/scripts/kernel.sh" "$s" stock || continue
	step "$s: build s2attr.ko and the test programs" "$S2ATTR_TOP/scripts/build-tests.sh" "$s" || continue
	step "$s: build the stock test programs" "$S2ATTR_TOP/scripts/build-tests.sh" "$s" stock || continue
	step "$s: s2attr.ko builds without warnings with W=1 and sparse (C=2)" \
		"$S2ATTR_TOP/scripts/gates.sh" build "$s"

	for cpu in $cpus; do
		dir=$logs/$s-$cpu
		rm -rf "$dir"
		mkdir -p "$dir"
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$s" stock)" "$cpu" stock "$dir/stock.log"
		collect "$dir/stock.log" "$s/$cpu/stock"
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$s" stock)" "$cpu" policy_stock "$dir/policy-stock.log"
		collect "$dir/policy-stock.log" "$s/$cpu/stock"
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$s")" "$cpu" shim "$dir/shim.log"
		collect "$dir/shim.log" "$s/$cpu"
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$s")" "$cpu" policy "$dir/policy.log"
		collect "$dir/policy.log" "$s/$cpu/policy"
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$s")" "$cpu" qemu "$dir/qemu.log"
		collect "$dir/qemu.log" "$s/$cpu/qemu"
		same_dump "$s/$cpu" "$dir" stock noshim-module
		same_dump "$s/$cpu" "$dir" stock not-enabled
	done
done

step "checkpatch.pl --strict: src/ include/ tests/kunit/ patches/" \
	"$S2ATTR_TOP/scripts/gates.sh" checkpatch

summary
[ "$fail" -eq 0 ]
