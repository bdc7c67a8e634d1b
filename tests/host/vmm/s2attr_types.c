// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_types: the stage-2 memory type of each kind of provider memory
 * after the guest touches it, as the oracle reads it.
 *
 *   kind      no s2attr, or VM not enabled   enabled, FWB    enabled, no FWB
 *   wb        Device                         Normal-WB       memslot EINVAL,
 *                                                            nothing mapped
 *   nc        Device                         Device          Device
 *   wc        Device                         Device          Device
 *   wb_huge   Device                         (s2attr_huge)
 *   exec wb   prefetch abort in the guest    (s2attr_refusals)
 *
 * Suites: stock (no s2attr), module (not enabled, then enabled), dump (the
 * descriptors of a fixed scenario, for the bit-for-bit comparison of stock
 * and shimmed kernels).
 */
#include "s2attr_vmm.h"

struct type_case {
	const char	*name;
	enum kind	kind;
	bool		enable;		/* before the memslot, as a VMM would */
	enum s2		want[2];	/* [cpu_fwb]; S2_UNMAPPED: memslot EINVAL */
};

static const struct type_case not_enabled_cases[] = {
	{ "wb PFNMAP",	WB,		false,	{ S2_DEVICE, S2_DEVICE } },
	{ "nc PFNMAP",	NC,		false,	{ S2_DEVICE, S2_DEVICE } },
	{ "wc PFNMAP",	WC,		false,	{ S2_DEVICE, S2_DEVICE } },
	{ "wb_huge PFNMAP", WB_HUGE,	false,	{ S2_DEVICE, S2_DEVICE } },
};

static const struct type_case enabled_cases[] = {
	/* Cacheable: Normal-WB with FWB, refused without. */
	{ "wb PFNMAP",	WB,		true,	{ S2_UNMAPPED, S2_NORMAL } },
	/* Device and write-combine: stock. */
	{ "nc PFNMAP unchanged", NC,	true,	{ S2_DEVICE, S2_DEVICE } },
	{ "wc PFNMAP unchanged", WC,	true,	{ S2_DEVICE, S2_DEVICE } },
};

static void run_case(const struct type_case *c, const char *prefix)
{
	enum s2 want = c->want[cpu_fwb];
	char what[96];
	struct tvm t;
	int err;

	snprintf(what, sizeof(what), "%s: %s", prefix, c->name);
	tvm_create(&t, c->kind, REGION_PAGES);
	if (c->enable && vm_set_enabled(&t, true)) {
		test_result(false, "%s: enabling the VM failed\n", what);
		tvm_destroy(&t);
		return;
	}
	err = tvm_add_memslot(&t);
	if (want == S2_UNMAPPED) {
		test_result(err == EINVAL, "%s: memslot refused with EINVAL (got %d)\n",
			    what, err);
		expect_region(&t, S2_UNMAPPED, what);
	} else if (err || !tvm_run(&t, G_TOUCH)) {
		test_result(false, "%s: memslot %d, run %d\n", what, err, t.run_ok);
	} else {
		expect_region(&t, want, what);
	}
	tvm_destroy(&t);
}

/* No policy: each kind maps as stock KVM maps it, exec gives a PABT. */
static void stock_kinds(const char *prefix)
{
	struct tvm t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(not_enabled_cases); i++)
		run_case(&not_enabled_cases[i], prefix);

	tvm_create(&t, WB, 1);
	test_result(!tvm_add_memslot(&t) && tvm_run(&t, G_TOUCH | G_EXEC) &&
		    t.pabt == 1,
		    "%s: exec from wb PFNMAP: prefetch abort in the guest\n", prefix);
	tvm_destroy(&t);
}

static void case_stock(void)
{
	stock_kinds("stock");
}

/* Not enabled: a loaded module changes nothing. */
static void case_not_enabled(void)
{
	stock_kinds("not enabled");
}

static void case_enabled(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(enabled_cases); i++)
		run_case(&enabled_cases[i], cpu_fwb ? "enabled" : "enabled, no FWB");
}

/*
 * The scenario whose descriptors must be identical, bit for bit, on a stock
 * kernel and on a shimmed one with no policy registered.  RAM pages are
 * printed without their output address, which the page allocator picks.
 */
static void case_dump(void)
{
	uint64_t desc, i;
	uint32_t level;
	bool valid;
	struct tvm t;
	int k;

	for (k = 0; k < NR_KINDS; k++) {
		tvm_create(&t, k, 4);
		tvm_add_memslot(&t);
		tvm_run(&t, G_TOUCH | (k == WB ? G_EXEC : 0));
		printf("dump %s memslot=%d run=%d pabt=%lu\n", kind_name[k],
		       t.memslot_err, t.run_ok, t.pabt);
		for (i = 0; i < 4; i++) {
			desc = s2_desc(&t, REGION_GPA + i * host_page, &level, &valid);
			printf("dump %s page %lu valid=%d level=%u desc=0x%016lx\n",
			       kind_name[k], i, valid, level, desc);
		}
		desc = s2_desc(&t, addr_gva2gpa(t.vm, (vm_vaddr_t)guest_code),
			       &level, &valid);
		printf("dump %s ram valid=%d level=%u attrs=0x%016lx\n", kind_name[k],
		       valid, level, (uint64_t)(desc & ~GENMASK_ULL(47, 12)));
		tvm_destroy(&t);
	}
}

static const struct suite suites[] = {
	{ "stock",	{ case_stock } },
	{ "module",	{ case_not_enabled, case_enabled } },
	{ "dump",	{ case_dump } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
