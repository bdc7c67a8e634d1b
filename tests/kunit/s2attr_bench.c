// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: the cost of one decision, measured in the kernel over a few
 * million calls of s2attr_decide(), inline as on the fault path, with
 * facts that vary so nothing is folded away.  The result is the read-only parameter ns_per_call (in
 * picoseconds per call, to keep integer precision).  Test kernels only.
 */

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>

#include <asm/memory.h>
#include <asm/pgtable-hwdef.h>

#include "s2attr.h"
#include "s2attr_policy.h"

#define S2ATTR_BENCH_CALLS	(4U << 20)

static unsigned long s2attr_bench_ps;
module_param_named(ps_per_call, s2attr_bench_ps, ulong, 0444);
MODULE_PARM_DESC(ps_per_call, "Picoseconds per s2attr_decide() call (result)");

static int __init s2attr_bench_init(void)
{
	struct s2attr_facts facts[4] = {
		{ VM_PFNMAP, PTE_ATTRINDX(MT_NORMAL), true, true, false, false, false },
		{ VM_PFNMAP, PTE_ATTRINDX(MT_NORMAL), true, true, false, false, true },
		{ VM_PFNMAP, PTE_ATTRINDX(MT_NORMAL_NC), true, true, false, false, false },
		{ VM_PFNMAP, PTE_ATTRINDX(MT_NORMAL), false, true, false, false, false },
	};
	unsigned int i, normal = 0;
	u64 t0, ns;

	t0 = ktime_get_ns();
	for (i = 0; i < S2ATTR_BENCH_CALLS; i++) {
		struct s2attr_facts *f = &facts[i & 3];

		OPTIMIZER_HIDE_VAR(f);
		normal += s2attr_decide(f).result == S2ATTR_NORMAL;
	}
	ns = ktime_get_ns() - t0;
	s2attr_bench_ps = div_u64(ns * 1000, S2ATTR_BENCH_CALLS);
	pr_info("s2attr_bench: %u calls of s2attr_decide() in %llu ns (%u normal)\n",
		S2ATTR_BENCH_CALLS, ns, normal);
	return 0;
}

static void __exit s2attr_bench_exit(void)
{
}

module_init(s2attr_bench_init);
module_exit(s2attr_bench_exit);

MODULE_DESCRIPTION("Cost of one s2attr decision (test only)");
MODULE_LICENSE("GPL");
