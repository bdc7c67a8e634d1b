// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_refusals: what an enabled VM may not do with cacheable PFNMAP
 * memory.  wb provider memory throughout.
 *
 *   case                    CPU            expected
 *   exec                    FWB, DIC       runs
 *   exec                    FWB, no DIC    prefetch abort in the guest;
 *                                          data Normal-WB, XN set
 *   enabled after memslot   no FWB         KVM_RUN EFAULT, nothing mapped
 *
 * Suite: module.
 */
#include "s2attr_vmm.h"

/* Without DIC, exec is refused with a PABT; the data mapping stays Normal. */
static void case_exec(void)
{
	uint64_t desc;
	bool valid;
	struct tvm t;

	if (!cpu_fwb) {
		test_skip("enabled exec: needs FWB, this CPU model has none\n");
		return;
	}
	tvm_create(&t, WB, 1);
	vm_set_enabled(&t, true);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH | G_EXEC)) {
		test_result(false, "enabled exec: the guest did not complete\n");
	} else if (cpu_dic) {
		test_result(t.pabt == 0, "enabled exec with DIC: runs\n");
	} else {
		test_result(t.pabt == 1,
			    "enabled exec without DIC: prefetch abort in the guest\n");
		desc = s2_desc(&t, REGION_GPA, NULL, &valid);
		test_result(s2_decode(desc, valid) == S2_NORMAL && S2_DESC_XN(desc),
			    "enabled exec without DIC: data still Normal-WB, not executable\n");
	}
	tvm_destroy(&t);
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
	ran = tvm_run(&t, G_TOUCH);
	test_result(!ran && t.run_err == EFAULT, "no FWB: KVM_RUN fails with EFAULT\n");
	s2_desc(&t, REGION_GPA, NULL, &valid);
	test_result(!valid, "no FWB: nothing mapped\n");
	expect_counter(&t, "refused_nofwb", 1, "fault refused");
	tvm_destroy(&t);
}

static const struct suite suites[] = {
	{ "module",	{ case_exec, case_nofwb_fault } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
