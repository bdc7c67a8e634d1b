# SPDX-License-Identifier: GPL-2.0
#
# Test plan of allocation failure (make stress, on the debug kernel):
# failslab fails the allocations made with s2attr.ko's text on the stack,
# and only those, while VMs are created; sourced by /init after lib.sh.

FAILSLAB=/sys/kernel/debug/failslab

# failslab_aim: fail only allocations with s2attr's .text on the stack
# (its size, from the module file, is in s2attr.text-size), sleeping ones
# too, none yet.
failslab_aim() {
	start=$(cat /sys/module/s2attr/sections/.text) &&
	size=$(cat $MODS/s2attr.text-size) &&
	echo 0 >$FAILSLAB/probability &&
	echo "$start" >$FAILSLAB/require-start &&
	printf '0x%x\n' $((start + size)) >$FAILSLAB/require-end &&
	echo N >$FAILSLAB/ignore-gfp-wait &&
	echo 0 >$FAILSLAB/verbose &&
	echo 0 >$FAILSLAB/space &&
	echo 1 >$FAILSLAB/interval &&
	echo 100000 >$FAILSLAB/times
}

plan_failslab() {
	load_test_modules
	setup "failslab is available" test -d $FAILSLAB || return
	kmemleak_clear
	check "insmod s2attr default_enabled=1" \
		insmod $MODS/s2attr.ko default_enabled=1 || return
	# A policy, so that matching it allocates too.
	setup "a policy that enables every VM" sh -c "echo enable >$SYS/policy"
	setup "failslab aimed at s2attr's text" failslab_aim
	# Last with the injection off: s2attr works as before.
	for p in 100 10 3 0; do
		echo $p >$FAILSLAB/probability
		vmm s2attr_failslab failslab
	done
	check "no VM is left in $SYS/vms" test -z "$(ls $SYS/vms)"
	check "rmmod s2attr" rmmod s2attr
	kmemleak_check
}
