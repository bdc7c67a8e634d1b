#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: the whole test suite.  Builds the test kernels (shimmed and
# stock) of every series, the matrices side by side, boots the plans of
# tests/plans.conf on every CPU model of the matrix under QEMU, counts
# each run against the cases its plan must report (scripts/results.sh),
# then runs the kernel-hygiene gates; ends with "N passed, M failed".
#
#   S2ATTR_SERIES="6.12"       series to test (default: all with patches/)
#   S2ATTR_PAGES="4k 64k"      page sizes (default: 4k; make check-full: both)
#   S2ATTR_SERIES_64K="6.12"   series of the 64 KiB-page matrix (default:
#                              every series tested; CI: 6.12)
#   S2ATTR_CPUS="cortex-a710"  CPU models to test (default: all of
#                              cpus.conf; with 64 KiB pages, those marked 64k)
#   S2ATTR_JOBS=2              QEMU runs at a time (default: one per core)
#   S2ATTR_PREBUILT=1          use the kernel trees as they are (lib.sh)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

series_list=${S2ATTR_SERIES:-$(for s in $(all_series); do
	[ -d "$S2ATTR_TOP/patches/$s" ] && echo "$s"; done)}
pages_list=${S2ATTR_PAGES:-4k}
# cpus_for PAGES: the CPU models of the matrix at that page size.
cpus_for() {
	[ -z "${S2ATTR_CPUS:-}" ] || { echo "$S2ATTR_CPUS"; return; }
	awk -v p="$1" '!/^#/ && NF && (p == "4k" || $7 == p) { print $1 }' \
		"$S2ATTR_TOP/scripts/cpus.conf"
}
# plans_on CPU: the plans of tests/plans.conf that make check runs on CPU,
# one "PLAN KERNEL" line each, in the registry's order.
plans_on() {
	awk -v groups=",$(cpu_field "$1" 8)," '!/^#/ && NF && $2 != "-" &&
		($3 == "all" || index(groups, "," $3 ",")) { print $1, $2 }' \
		"$S2ATTR_TOP/tests/plans.conf"
}
# plan_runs PLAN SERIES: the plan's needs hold on SERIES' kernels.  A plan
# that needs nvgrace-gpu runs where the series' config fragments ask for
# it; scripts/kernel.sh fails a tree in which a fragment did not take.
plan_runs() {
	[ "$(plan_field "$1" 5)" != nvgrace ] ||
		cat "$S2ATTR_TOP/scripts/kconfig/test.config" \
		    "$S2ATTR_TOP/scripts/kconfig/$2.config" 2>/dev/null |
		grep -q '^CONFIG_NVGRACE_GPU_VFIO_PCI=y'
}
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

# The matrices of this run, one "NAME SERIES PAGES" line each.
matrices() {
	local s p
	for s in $series_list; do
		for p in $pages_list; do
			if [ "$p" = 4k ]; then
				echo "$s $s $p"
			elif [[ " $series_64k " == *" $s "* ]]; then
				echo "$s-$p $s $p"
			fi
		done
	done
}

# build_matrix NAME SERIES PAGES: build a shimmed and a stock kernel and
# their test images, and gate s2attr.ko; fails if the QEMU runs cannot go
# ahead.  It runs beside the other matrices' builds; its result lines go
# to a file that replay counts, in the matrices' order.
build_matrix() {
	local name=$1 s=$2 v
	v=$(pages_variant "$3")
	step "$name: build the shimmed test kernel" build_kernel "$s" "$v" || return
	step "$name: build the stock test kernel" build_kernel "$s" "${v:+$v-}stock" || return
	step "$name: build s2attr.ko and the test programs" "$S2ATTR_TOP/scripts/build-tests.sh" "$s" "$v" || return
	step "$name: build the stock test image (its modules, the shimmed programs)" "$S2ATTR_TOP/scripts/build-tests.sh" "$s" "${v:+$v-}stock" || return
	step "$name: s2attr.ko builds without warnings with W=1 and sparse (C=2)" \
		"$S2ATTR_TOP/scripts/gates.sh" build "$s" "$v"
	step "$name: the test modules build without warnings with W=1 and sparse (C=2)" \
		"$S2ATTR_TOP/scripts/gates.sh" testmods "$s" "$v"
	step "$name: the test programs and s2attrctl compile without warnings (gates.sh userspace)" \
		"$S2ATTR_TOP/scripts/gates.sh" userspace "$s" "$v"
	return 0
}

# replay FILE: the lines a build_matrix wrote, its results counted here.
replay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"PASS "* | "FAIL "* | "SKIP "*) result "${line%% *}" "${line#* }" ;;
		*) echo "$line" ;;
		esac
	done <"$1"
}

# collect_matrix NAME SERIES PAGES: the results of a matrix's QEMU runs,
# each plan's compared with the cases it must report on that CPU.
collect_matrix() {
	local name=$1 cpu dir plan kernel
	for cpu in $(cpus_for "$3"); do
		dir=$logs/$name-$cpu
		while read -r plan kernel; do
			if ! plan_runs "$plan" "$2"; then
				result SKIP "$name/$cpu/$plan: $2's kernel has no nvgrace-gpu (Linux 6.8 and later)"
				continue
			fi
			collect "$dir/$plan.log" "$name/$cpu/$plan" "$plan" "$cpu" "$2" "$3"
		done < <(plans_on "$cpu")
		same_dump "$name/$cpu" "$dir" stock noshim-module
		same_dump "$name/$cpu" "$dir" stock not-enabled
	done
}

mkdir -p "$logs"
step "the arm64 build of the host's QEMU, the real VMM of plans qemu, gpu and gpufile" \
	"$S2ATTR_TOP/scripts/vmm-qemu.sh"
series_64k=${S2ATTR_SERIES_64K:-$series_list}

# The matrices build side by side: their kernel makes take turns
# (kernel.sh), while untarring, copying trees, the test images and the
# gates, mostly one process at a time, run beside them.
pids=()
while read -r name s p; do
	build_matrix "$name" "$s" "$p" </dev/null >"$logs/build-$name.out" 2>&1 &
	pids+=($!)
done < <(matrices)
built=()
n=0
while read -r name s p; do
	wait "${pids[n]}" && built+=("$name $s $p")
	replay "$logs/build-$name.out"
	n=$((n + 1))
done < <(matrices)

# The QEMU runs of every CPU model of every built matrix in one pool,
# S2ATTR_JOBS at a time (default: one per host core; a guest keeps about
# one core busy).  Each input line is "DIR STOCK-TREE SHIM-TREE CPU
# PLAN:KERNEL...", the plans of tests/plans.conf in the registry's order.
t0=$SECONDS
# shellcheck disable=SC2016 # the inner shell (sh -c) expands them
for m in ${built[@]+"${built[@]}"}; do
	read -r name s p <<<"$m"
	v=$(pages_variant "$p")
	for cpu in $(cpus_for "$p"); do
		rm -rf "$logs/$name-$cpu"
		mkdir -p "$logs/$name-$cpu"
		echo "$logs/$name-$cpu $(ktree "$s" "${v:+$v-}stock") $(ktree "$s" "$v") $cpu" \
			"$(plans_on "$cpu" | while read -r plan kernel; do
				! plan_runs "$plan" "$s" || echo "$plan:$kernel"; done | paste -sd' ')"
	done
done | xargs -P "${S2ATTR_JOBS:-$(nproc)}" -L 1 sh -c '
	top=$1 dir=$2 stock=$3 shim=$4 cpu=$5
	shift 5
	for pk in "$@"; do
		tree=$shim
		[ "${pk#*:}" != stock ] || tree=$stock
		"$top/scripts/qemu.sh" "$tree" "$cpu" "${pk%:*}" "$dir/${pk%:*}.log"
	done' sh "$S2ATTR_TOP"
echo "# the QEMU runs took $((SECONDS - t0)) s"
for m in ${built[@]+"${built[@]}"}; do
	read -r name s p <<<"$m"
	collect_matrix "$name" "$s" "$p"
done

step "checkpatch.pl --strict: src/ include/ tests/kunit/ tests/host/modules/ tests/gpu/guest/ patches/" \
	"$S2ATTR_TOP/scripts/gates.sh" checkpatch
step "shellcheck: scripts/, .ci/run and the shell of tests/" \
	"$S2ATTR_TOP/scripts/gates.sh" shellcheck

# make clean must not reach into build/: kbuild's own clean of the
# top directory deleted every kernel tree's objects.
clean_spares_build() {
	local probe=$S2ATTR_BUILD/linux-clean-probe/probe.o rc=0
	mkdir -p "${probe%/*}" && touch "$probe"
	make -s -C "$S2ATTR_TOP" clean >/dev/null || rc=1
	[ -e "$probe" ] || rc=1
	rm -rf "${probe%/*}"
	return "$rc"
}
step "make clean leaves the kernel trees under build/ alone" clean_spares_build

# What this run tested with, named exactly.
for s in $series_list; do
	echo "# $s: $(cat "$(ktree "$s")/.s2attr-source" 2>/dev/null || echo "no kernel tree")"
done
echo "# page sizes: $pages_list"
echo "# $(qemu-system-aarch64 --version | head -n 1)"
echo "# check.sh took $SECONDS s"
summary
[ "$fail" -eq 0 ]
