// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_huge: PMD-sized stage-1 leaves (the provider's wb_huge device,
 * 4 MiB) in an enabled VM.
 *
 *   kernel   stage-1 leaves         stage-2, FWB                no FWB
 *   6.12     2 MiB (huge PFNMAP)    Normal-WB, 2 MiB blocks      memslot EINVAL
 *   6.1      4 KiB (no huge PFNMAP: skipped, with the count)
 *                                   Normal-WB, 4 KiB pages and   memslot EINVAL
 *                                   2 MiB blocks (see below)
 *
 * With 64 KiB pages a PMD leaf is 512 MiB: skipped, with that reason.
 *
 * Suite: module.
 */
#include <sys/utsname.h>

#include "s2attr_vmm.h"

#define HUGE_SIZE	(4ULL << 20)	/* two 2 MiB blocks */

/*
 * Every 2 MiB of the region is mapped by a leaf at @want_level: 2, a block.
 * Before 6.12 (@want_level 3) the provider's PTEs, inserted page by page,
 * fill a whole 2 MiB as the guest touches it, so the last fault of each
 * 2 MiB gets a stage-2 block too (s2attr_blocks tests those), the others
 * pages: a leaf at level 2 or 3.
 */
static bool region_levels_ok(struct tvm *t, uint32_t want_level)
{
	uint64_t i, desc;
	uint32_t level;
	bool valid;

	for (i = 0; i < HUGE_SIZE; i += SZ_2M) {
		desc = s2_desc(t, REGION_GPA + i, &level, &valid);
		if (!valid || level < 2 || (want_level == 2 && level != 2)) {
			ksft_print_msg("huge: +0x%lx: level %u desc 0x%lx\n", i, level, desc);
			return false;
		}
	}
	return true;
}

static void case_huge(void)
{
	uint32_t want_level;
	struct utsname u;
	long long pmds;
	struct tvm t;

	/*
	 * 6.12 maps PFNMAP memory with blocks when stage-1 has PMD leaves.
	 * Earlier kernels have no huge PFNMAP: the provider's huge device
	 * falls back to PTEs and KVM maps pages.
	 */
	uname(&u);
	want_level = strncmp(u.release, "6.12.", 5) ? 3 : 2;
	if (host_pmd != SZ_2M) {
		test_skip("huge: with %lu KiB pages a PMD leaf maps %lu MiB, more than the provider's wb_huge memory (4 MiB at 192 MiB)\n",
			  host_page >> 10, host_pmd >> 20);
		return;
	}

	/* Counted from before the VMM's own first write into the region. */
	pmds = provider_pmd_faults();
	tvm_create(&t, WB_HUGE, HUGE_SIZE / host_page);
	vm_set_enabled(&t, true);
	if (!cpu_fwb) {
		test_result(tvm_add_memslot(&t) == EINVAL,
			    "huge: enabled, no FWB: memslot refused\n");
		tvm_destroy(&t);
		return;
	}
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH)) {
		test_result(false, "huge: the guest did not run\n");
		tvm_destroy(&t);
		return;
	}
	pmds = provider_pmd_faults() - pmds;
	if (want_level == 2)
		test_result(pmds == HUGE_SIZE / SZ_2M,
			    "huge: stage-1 got %lld PMD leaves for 4 MiB\n", pmds);
	else
		test_skip("huge: %s has no huge PFNMAP (mm gained it in 6.12), stage-1 stays at 4 KiB (%lld PMD leaves)\n",
			  u.release, pmds);
	expect_region(&t, S2_NORMAL, "huge: enabled: wb PFNMAP, 2 MiB stage-1 leaves");
	test_result(region_levels_ok(&t, want_level),
		    "huge: enabled: stage-2 leaves at level %s\n",
		    want_level == 2 ? "2" : "2 or 3");
	tvm_destroy(&t);
}

static const struct suite suites[] = {
	{ "module",	{ case_huge } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
