// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_refusals: what an enabled VM may not do with cacheable PFNMAP
 * memory, and what it may execute.  wb provider memory throughout.
 *
 *   case                    CPU            expected
 *   exec                    FWB, DIC       runs; Normal-WB, XN clear
 *   exec                    FWB, no DIC    prefetch abort in the guest;
 *                                          Normal-WB, XN set
 *   data fault              FWB, DIC       Normal-WB, XN clear (as 6.17)
 *   data fault              FWB, no DIC    Normal-WB, XN set
 *   enabled after memslot   no FWB         KVM_RUN EFAULT, nothing mapped
 *   MTE VM memslot          MTE            EINVAL, enabled or not, and on
 *                                          a stock kernel (stock 6.1 and
 *                                          6.12 refuse a PFNMAP memslot of
 *                                          an MTE VM themselves)
 *
 * Suites: stock (MTE), module (all).
 */
#include "s2attr_vmm.h"

struct exec_case {
	const char	*name;
	uint64_t	ops;
	bool		dic;	/* the case is for CPUs with DIC, or without */
	uint64_t	pabt;	/* prefetch aborts the guest must see */
	bool		xn;	/* every page of the region has XN set */
};

static const struct exec_case exec_cases[] = {
	{ "enabled exec with DIC: runs",	G_TOUCH | G_EXEC, true,	0, false },
	{ "enabled data fault with DIC",	G_TOUCH,	  true,	0, false },
	{ "enabled exec without DIC: prefetch abort in the guest",
						G_TOUCH | G_EXEC, false, 1, true },
	{ "enabled data fault without DIC",	G_TOUCH,	  false, 0, true },
};

struct mte_case {
	const char	*name;
	bool		enable;
};

static const struct mte_case mte_cases[] = {
	{ "MTE VM, not enabled",	false },
	{ "MTE VM, enabled",		true },
};

/* Every page of the region is Normal-WB with XN as @xn wants. */
static bool region_is_normal_xn(struct tvm *t, bool xn)
{
	uint64_t i, desc;
	bool valid;

	for (i = 0; i < t->size / host_page; i++) {
		desc = s2_desc(t, REGION_GPA + i * host_page, NULL, &valid);
		if (s2_decode(desc, valid) != S2_NORMAL || !!S2_DESC_XN(desc) != xn) {
			ksft_print_msg("page %lu: desc 0x%016lx, want Normal-WB with XN %s\n",
				       i, desc, xn ? "set" : "clear");
			return false;
		}
	}
	return true;
}

static void run_exec_case(const struct exec_case *c)
{
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	vm_set_enabled(&t, true);
	if (tvm_add_memslot(&t) || !tvm_run(&t, c->ops)) {
		test_result(false, "%s: the guest did not complete\n", c->name);
	} else {
		test_result(t.pabt == c->pabt, "%s\n", c->name);
		test_result(region_is_normal_xn(&t, c->xn), "%s: Normal-WB, %s\n",
			    c->name, c->xn ? "not executable (XN set)" :
			    "executable (XN clear)");
	}
	tvm_destroy(&t);
}

static void case_exec(void)
{
	size_t i;

	if (!cpu_fwb) {
		test_skip("enabled exec: needs FWB, this CPU model has none\n");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(exec_cases); i++)
		if (exec_cases[i].dic == cpu_dic)
			run_exec_case(&exec_cases[i]);
}

/*
 * The fault row of "no FWB": the memslot was created while the VM was not
 * enabled, then the VM is enabled.  KVM_RUN fails with EFAULT and nothing
 * is mapped: never a non-cacheable mapping of a cacheable VMA.
 */
static void case_nofwb_fault(void)
{
	bool valid, ran;
	struct tvm t;

	if (cpu_fwb) {
		test_skip("no-FWB fault: this CPU model has FWB\n");
		return;
	}
	tvm_create(&t, WB, 1);
	test_result(!tvm_add_memslot(&t) && !vm_set_enabled(&t, true),
		    "no FWB: memslot first, then enable\n");
	ran = __tvm_run(&t, G_TOUCH);
	test_result(!ran && t.run_err == EFAULT, "no FWB: KVM_RUN fails with EFAULT\n");
	s2_desc(&t, REGION_GPA, NULL, &valid);
	test_result(!valid, "no FWB: nothing mapped\n");
	expect_counter(&t, "refused_nofwb", 1, "fault refused");
	tvm_destroy(&t);
}

static void run_mte_case(const struct mte_case *c, const char *prefix)
{
	struct tvm t;
	int err;

	tvm_create_mte(&t, WB, 1);
	if (c->enable && vm_set_enabled(&t, true)) {
		test_result(false, "%s: %s: enabling the VM failed\n", prefix, c->name);
		tvm_destroy(&t);
		return;
	}
	err = tvm_add_memslot(&t);
	test_result(err == EINVAL,
		    "%s: %s: cacheable PFNMAP memslot refused with EINVAL (got %d)\n",
		    prefix, c->name, err);
	tvm_destroy(&t);
}

static bool mte_available(void)
{
	if (kvm_has_cap(KVM_CAP_ARM_MTE))
		return true;
	test_skip("MTE VM: KVM_CAP_ARM_MTE not available (the CPU model has no MTE, or QEMU runs without mte=on)\n");
	return false;
}

static void case_mte_stock(void)
{
	if (mte_available())
		run_mte_case(&mte_cases[0], "stock");
}

static void case_mte(void)
{
	size_t i;

	if (!mte_available())
		return;
	for (i = 0; i < ARRAY_SIZE(mte_cases); i++)
		run_mte_case(&mte_cases[i], "module");
}

static const struct suite suites[] = {
	{ "stock",	{ case_mte_stock } },
	{ "module",	{ case_exec, case_nofwb_fault, case_mte } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
