# SPDX-License-Identifier: GPL-2.0
#
# Test plans for stage-2 blocks over memory the host maps with pages;
# sourced by /init after lib.sh.  The cases of every suite are in
# s2attr_blocks, which the plans of lib.sh run with the other programs;
# these plans compare kernels (scripts/refcompare.sh, make bench).

# scripts/refcompare.sh: the leaves of "s2attr_blocks dump" on this
# kernel's own KVM (the reference kernel), or with s2attr and every VM
# enabled where s2attr loads.
plan_blocks_dump() {
	load_test_modules >/dev/null
	if insmod $MODS/s2attr.ko default_enabled=1 2>/dev/null; then
		echo "# s2attr loaded, default_enabled=1"
	else
		echo "# no s2attr: this kernel's own KVM"
	fi
	vmm s2attr_blocks dump
}

# blocks_bench CONFIG: one run of the blocks benchmark, its lines named
# CONFIG.
blocks_bench() {
	vmm s2attr_bench blocks_bench |
		sed -n -e "s/^bench: blocks,/bench: blocks,$1,/p" -e '/^not ok/p' -e '/# SKIP/p'
}

# make bench: stage-2 faults and guest time (instructions under -icount)
# to write memory the host maps with pages, on this kernel's own KVM
# (stock on the shimmed kernel without s2attr, or the reference kernel)
# and with s2attr and every VM enabled where s2attr loads.
plan_blocks_bench() {
	load_test_modules >/dev/null
	if grep -q ' kvm_s2attr_register$' /proc/kallsyms; then
		blocks_bench stock
	else
		blocks_bench reference
	fi
	insmod $MODS/s2attr.ko default_enabled=1 2>/dev/null || return 0
	blocks_bench "s2attr enabled"
	rmmod s2attr
}
