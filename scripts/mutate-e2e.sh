#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mutate-e2e.sh [SERIES]: mutation check of the end-to-end tests (make
# mutate-e2e).  Each mutant breaks one thing that s2attr's safety or the
# tests' honesty rests on: in the shim (the kernel tree's block walk), in
# the module, or in the tests themselves (a case or a program that no
# longer runs must fail by name).  The mutant is built (a
# copy of the kernel tree, or of the repository), the plans it touches run
# on the CPU models named, and their results are counted against the
# plans' cases as make check counts them: the mutant is killed if a plan
# fails.  One line per mutant, then "N passed, M failed"; a mutant that
# survives, or does not apply, is a failure.  Needs the shimmed kernel of
# SERIES (default 6.12) and its test image (make check builds both).
# S2ATTR_MUTANTS="1 4" runs only those mutants (numbered from 0).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

series=${1:-6.12}
tree=$(ktree "$series")
work=$S2ATTR_BUILD/mutate-e2e
logs=$work/logs
[ -f "$tree/.s2attr-built" ] || die "no built kernel at $tree (make kernel SERIES=$series)"
[ -f "$S2ATTR_BUILD/out/$(basename "$tree")/initramfs-gpu.cpio.gz" ] ||
	die "no test image for $tree (scripts/build-tests.sh $series)"
read -r -a kargs <<<"$(kmake_args)"

# One mutant per line, fields separated by " @@ " (sed expressions have
# "|" in them):
#   NAME @@ shim or repo @@ FILE (in the kernel tree, or the repository)
#   @@ sed expression @@ PLAN@CPU ... that must catch it
mutants=(
	"the block walk's contiguity check: every entry follows the first @@ shim @@ arch/arm64/kvm/s2attr.c @@ s/return !((READ_ONCE(ptep\[i\]) ^ want) \& ~KVM_S2ATTR_PTE_STATE);/return true;/ @@ shim@neoverse-n2"
	"the block walk's VMA bounds: a block may reach outside the VMA @@ shim @@ arch/arm64/kvm/s2attr.c @@ s/if (start < vma->vm_start || start + PMD_SIZE > vma->vm_end ||/if (/ @@ shim@neoverse-n2"
	"the block walk's presence check: only the first and the last entries are looked at @@ shim @@ arch/arm64/kvm/s2attr.c @@ s/for (i = 1; i < PTRS_PER_PTE - 1; i++)/for (i = PTRS_PER_PTE - 1; i < PTRS_PER_PTE - 1; i++)/ @@ shim@neoverse-n2"
	"the memslot refusal without FWB: every memslot accepted @@ repo @@ src/s2attr_hook.c @@ s/return d.result == S2ATTR_REFUSE ? -EINVAL : 0;/return 0;/ @@ shim@neoverse-n1 policy@neoverse-n1"
	"the policy's name match: a guest= rule matches any guest @@ repo @@ src/s2attr_rules.c @@ s/(!\*r->guest || !strcmp(r->guest, id->guest))/1/ @@ policy@neoverse-n2"
	"the not-enabled path: a VM that is not enabled gets Normal @@ repo @@ include/s2attr_policy.h @@ s/return (struct s2attr_decision){ S2ATTR_STOCK, S2ATTR_WHY_DISABLED };/return (struct s2attr_decision){ S2ATTR_NORMAL, S2ATTR_WHY_CACHEABLE };/ @@ shim@neoverse-n2"
	"a guest case silently dropped: gpuload skips its fork cases @@ repo @@ tests/gpu/guest/gpuload.c @@ s/^\([[:space:]]*\)forked(p);/\1(void)forked;/ @@ gpufile@neoverse-n2"
	"a guest case silently dropped: the guest's driver skips DC ZVA @@ repo @@ tests/gpu/guest/s2attr_gpuguest.c @@ /\"memset zeroes with DC ZVA\"/d @@ gpu@neoverse-n2"
	"a test program silently dropped from the plans @@ repo @@ tests/host/lib.sh @@ s/ s2attr_huge / / @@ shim@neoverse-n2"
)

# field N MUTANT: field N (from 1) of a mutant's line.
field() {
	local rest=$2 i
	for ((i = 1; i < $1; i++)); do
		rest=${rest#* @@ }
	done
	echo "${rest%% @@ *}"
}

# shim_mutant FILE SED: a copy of the kernel tree with SED applied to FILE,
# built, its test image that of the tree (s2attr.ko and the programs do
# not depend on the mutated code).  Prints the mutant's S2ATTR_BUILD.
shim_mutant() {
	local b=$work/build
	rm -rf "$b"
	mkdir -p "$b"
	cp -a "$tree" "$b/$(basename "$tree")"
	sed -i "$2" "$b/$(basename "$tree")/$1"
	! cmp -s "$tree/$1" "$b/$(basename "$tree")/$1" || { echo "does not apply" >&2; return 1; }
	make -C "$b/$(basename "$tree")" -s -j"$(nproc)" "${kargs[@]}" Image >&2 || return 1
	mkdir -p "$b/out"
	cp -a "$S2ATTR_BUILD/out/$(basename "$tree")" "$b/out/"
	echo "$b"
}

# repo_mutant FILE SED: a copy of the repository with SED applied to FILE,
# its test image built against the tree.  Prints the mutant's S2ATTR_BUILD;
# the mutant's scripts are under $work/src.
repo_mutant() {
	local b=$work/build src=$work/src
	rm -rf "$b" "$src"
	mkdir -p "$b" "$src"
	rsync -a --exclude=/build --exclude=/.git "$S2ATTR_TOP/" "$src/"
	sed -i "$2" "$src/$1"
	! cmp -s "$S2ATTR_TOP/$1" "$src/$1" || { echo "does not apply" >&2; return 1; }
	# The trees and downloads, shared; the test image, the mutant's own.
	for d in "$tree" "$S2ATTR_BUILD/busybox" "$S2ATTR_BUILD/qemu-arm64"; do
		ln -s "$d" "$b/$(basename "$d")"
	done
	S2ATTR_BUILD=$b "$src/scripts/build-tests.sh" "$series" >&2 || return 1
	echo "$b"
}

pass=0
fail=0
rm -rf "$work"
mkdir -p "$logs"
for i in ${S2ATTR_MUTANTS:-${!mutants[@]}}; do
	name=$(field 1 "${mutants[i]}")
	where=$(field 2 "${mutants[i]}")
	file=$(field 3 "${mutants[i]}")
	expr=$(field 4 "${mutants[i]}")
	plans=$(field 5 "${mutants[i]}")
	note "mutant $i: $name"
	if [ "$where" = shim ]; then
		b=$(shim_mutant "$file" "$expr" 2>"$logs/$i-build.log")
	else
		b=$(repo_mutant "$file" "$expr" 2>"$logs/$i-build.log")
	fi || { result FAIL "mutant $i does not apply or build ($name; see ${logs#"$S2ATTR_TOP"/}/$i-build.log)"; continue; }
	killed=()
	for pc in $plans; do
		plan=${pc%@*} cpu=${pc#*@}
		log=$logs/$i-$plan-$cpu.log
		S2ATTR_BUILD=$b "$S2ATTR_TOP/scripts/qemu.sh" "$b/$(basename "$tree")" "$cpu" "$plan" "$log"
		# The mutant's results, counted apart: only whether they fail.
		read -r p0 f0 s0 <<<"$pass $fail $skip"
		collect "$log" "mutant $i/$plan/$cpu" "$plan" "$cpu" "$series" 4k >"$log.results"
		[ "$fail" = "$f0" ] || killed+=("$pc")
		pass=$p0 fail=$f0 skip=$s0
	done
	if [ ${#killed[@]} -gt 0 ]; then
		result PASS "mutant $i killed by plan ${killed[*]}: $name"
		grep -h '^FAIL' "$logs"/"$i"-*.results | head -n 3 | sed 's/^/    /'
	else
		result FAIL "mutant $i survived plans $plans: $name"
	fi
done
summary
[ "$fail" -eq 0 ]
