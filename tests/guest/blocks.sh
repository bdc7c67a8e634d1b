# SPDX-License-Identifier: GPL-2.0
#
# Test plans for stage-2 blocks over memory the host maps with pages;
# sourced by /init after lib.sh.  The cases of every suite are in
# s2attr_blocks, which the plans of lib.sh run with the other programs;
# these plans compare kernels (scripts/refcompare.sh).

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
