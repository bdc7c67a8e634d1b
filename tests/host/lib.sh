# SPDX-License-Identifier: GPL-2.0
#
# Test plans run by /init on the test host (L1, the outer QEMU's kernel).
# Each check prints one TAP line ("ok 0 <name>" or "not ok 0 <name>"),
# which the development machine counts against the plan's cases file
# (tests/plans.conf); the test programs (tests/host/vmm/) print their own.
# The shell only loads modules, starts the programs and looks at files:
# every memory-type assertion is a program's, on descriptors read by the
# oracle or on what the guest and KVM_RUN see.

# Set by /init from the kernel command line (scripts/qemu.sh).
: "${s2test_fwb:=0}" "${s2test_dic:=0}" "${s2test_mem:=}" "${s2test_cmd:=}"
MODS=/lib/modules
SYS=/sys/kernel/s2attr
# The test programs that a suite runs through, in this order.
PROGS="s2attr_types s2attr_refusals s2attr_sysfs s2attr_lifetime s2attr_huge s2attr_guest s2attr_nvgrace s2attr_blocks"

ok() { echo "ok 0 $*"; }
not_ok() { echo "not ok 0 $*"; }

# check NAME CMD...: one result from CMD's exit status, which it returns.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi
}

# setup NAME CMD...: a step the plan's cases need (a fixture: load a
# provider, bind a driver), which tests nothing of s2attr: no result when
# it works, a failure (named "setup: NAME") when it does not, after which
# the cases that need it do not report, and the host names each of them.
setup() {
	name=$1
	shift
	if "$@"; then echo "# setup: $name"; else not_ok "setup: $name"; return 1; fi
}

# vmm PROG SUITE [ARG...]: run a suite of one test program, its TAP lines
# passed on as they come, then one named result "program PROG SUITE": ok
# if the program ran to its end (exit status 0 or 1: 1 when one of its
# cases failed, which counts on its own line) and reported as many results
# as its TAP plan announces.  A program that dies (an assertion, a signal)
# or stops short fails it.  A program with no case for SUITE prints no
# TAP (the selftest library may print its random seed), and nothing is
# reported for it.
vmm() {
	prog=$1
	suite=$2
	shift
	{ "/bin/$prog" "$@" "fwb=$s2test_fwb" "dic=$s2test_dic" 2>&1; echo $? >/tmp/vmm.rc; } |
		tee /tmp/vmm.out
	rc=$(cat /tmp/vmm.rc)
	grep -q '^TAP version' /tmp/vmm.out || [ "$rc" != 0 ] || return 0
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/vmm.out)
	n=$(grep -cE '^(not )?ok [0-9]+' /tmp/vmm.out)
	echo "# program $prog $suite: exit status $rc, $n results, TAP plan ${plan:-missing}"
	if [ "$rc" -le 1 ] && [ "${plan:-x}" = "$n" ]; then
		ok "program $prog $suite"
	else
		not_ok "program $prog $suite"
	fi
}

# suite SUITE: that suite of every program of PROGS (see tests/host/vmm/lib/main.c).
suite() {
	for prog in $PROGS; do
		vmm "$prog" "$1"
	done
}

load_test_modules() {
	base=${s2test_mem%,*}
	size=${s2test_mem#*,}
	setup "load the PFNMAP provider" \
		insmod $MODS/s2attr_test_provider.ko base="$base" size="$size"
	setup "load the stage-2 oracle" insmod $MODS/s2attr_test_oracle.ko
	setup "load the nvgrace-shaped provider" \
		insmod $MODS/s2attr_test_nvgrace.ko base="$base" size="$size"
}

is_loaded() { grep -q "^$1 " /proc/modules; }

# The scenario dump, between markers the host compares across kernels.
dump() {
	echo "S2ATTR-DUMP-BEGIN $1"
	vmm s2attr_types dump | grep '^dump '
	echo "S2ATTR-DUMP-END $1"
}

# mark: a unique line in the kernel log; since_mark prints what followed.
mark() {
	MARK="s2test-mark-$(date +%s)-$$-${MARKN:=0}"
	MARKN=$((MARKN + 1))
	echo "$MARK" >/dev/kmsg
}
since_mark() { dmesg | sed -n "/$MARK/,\$p"; }

# insmod_refused ARG: loading with ARG fails, says why, and leaves nothing.
insmod_refused() {
	mark
	! insmod $MODS/s2attr.ko "$1" 2>/dev/null &&
		! is_loaded s2attr && [ ! -e $SYS ] &&
		since_mark | grep -q "s2attr: .* invalid for parameter .default_enabled"
}

# A kernel without the shim: stock KVM, and s2attr refuses to load.
plan_stock() {
	load_test_modules
	dump stock
	suite stock
	mark
	check "insmod on a kernel without the shim fails" \
		sh -c "! insmod $MODS/s2attr.ko 2>/dev/null"
	check "the refusal names the missing shim" \
		sh -c "dmesg | sed -n '/$MARK/,\$p' | grep -q 'lacks the s2attr KVM shim'"
}

# The KUnit suite runs when its module loads; its KTAP results become
# "kunit:" lines.  The suite-level summary lines are left out.
run_kunit() {
	check "load the KUnit suite" insmod $MODS/s2attr_kunit.ko || return
	sed -n 's/^ \+\(not ok\|ok\) [0-9]\+ \(.*\)$/\1 0 kunit: \2/p' \
		/sys/kernel/debug/kunit/s2attr/results
	check "unload the KUnit suite" rmmod s2attr_kunit
}

plan_shim() {
	load_test_modules
	dump noshim-module
	suite stock
	suite preload

	check "insmod s2attr" insmod $MODS/s2attr.ko
	check "/sys/kernel/s2attr exists" test -d $SYS/vms
	run_kunit
	dump not-enabled
	suite module

	check "rmmod s2attr" rmmod s2attr
	check "/sys/kernel/s2attr is gone after rmmod" test ! -e $SYS
	check "insmod s2attr again" insmod $MODS/s2attr.ko
	suite module
	check "rmmod s2attr again" rmmod s2attr

	check "insmod s2attr default_enabled=1" insmod $MODS/s2attr.ko default_enabled=1
	check "default_enabled reads 1" grep -qx 1 $SYS/default_enabled
	suite default
	check "rmmod s2attr (default_enabled=1)" rmmod s2attr

	for bad in default_enabled=2 default_enabled=yes default_enabled= \
		   default_enabled=-1 default_enabled=10 default_enabled; do
		check "insmod $bad is refused with a message" insmod_refused "$bad"
	done
}

# scripts/mutate.sh: the KUnit suite alone.
plan_kunit() {
	insmod $MODS/s2attr.ko && run_kunit
}

# make bench: the decision's cost in the kernel, then the fault-path
# benchmark of s2attr_bench (which loads and unloads s2attr itself).
plan_bench() {
	load_test_modules >/dev/null
	insmod $MODS/s2attr.ko && insmod $MODS/s2attr_bench.ko &&
		echo "bench: decide_ps,$(cat /sys/module/s2attr_bench/parameters/ps_per_call)"
	rmmod s2attr_bench
	rmmod s2attr
	vmm s2attr_bench bench | grep -E '^(bench:|not ok|# )'
}

# On the debug kernel: kmemleak is cleared before a run and scanned after
# s2attr is gone, so only leaks of the run are reported.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_clear() {
	setup "kmemleak is available" test -w $KMEMLEAK && echo clear >$KMEMLEAK
}
kmemleak_check() {
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	if [ -s $KMEMLEAK ]; then
		not_ok "kmemleak: no leak"
		head -n 40 $KMEMLEAK
	else
		ok "kmemleak: no leak"
	fi
}

# make stress, on the debug kernel.
plan_stress() {
	load_test_modules
	kmemleak_clear
	check "insmod s2attr" insmod $MODS/s2attr.ko
	vmm s2attr_stress stress "seconds=${s2test_seconds:-60}" | grep -v '^dump'
	is_loaded s2attr && rmmod s2attr
	check "s2attr is unloaded at the end" sh -c "! grep -q '^s2attr ' /proc/modules"
	kmemleak_check
}

plan_none() { not_ok "no s2test_plan on the kernel command line"; }

# make demo: the same guest on GPU-like memory in a VM that is not
# enabled (it dies) and in one that is (it completes).
plan_demo() {
	load_test_modules >/dev/null
	insmod $MODS/s2attr.ko || return
	vmm s2attr_demo demo | grep -E '^(demo|not ok)'
}

# Debugging: s2test_cmd=a,b,c runs "a b c" (for one minute at most) after
# loading the test modules and s2attr.
plan_cmd() {
	load_test_modules
	insmod $MODS/s2attr.ko
	# shellcheck disable=SC2046 # the command's words
	timeout 60 $(echo "$s2test_cmd" | tr , ' ')
	echo "exit status $?"
}
