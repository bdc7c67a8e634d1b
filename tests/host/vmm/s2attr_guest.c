// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_guest: what the guest feels.  With its MMU on (the selftest
 * library maps the region Normal-WB in stage 1) the guest does unaligned
 * 8-byte stores and loads and a byte-by-byte copy across 8-byte
 * boundaries on page 0 of provider memory (G_UNALIGNED).  Measured on
 * QEMU 10: stage-2 Device turns the unaligned access into an alignment
 * fault KVM cannot handle ("unsupported FSC"): KVM_RUN fails with EFAULT
 * and the VM is dead.  Normal memory permits it.
 *
 *   kind       s2attr                 stage 2     the guest
 *   wb         not loaded/not enabled Device      KVM_RUN EFAULT
 *   nc         enabled                Device      KVM_RUN EFAULT
 *   wc_anyuc   any                    Normal-NC   completes; the host reads
 *                                                 back what it wrote
 *   wb         enabled (FWB)          Normal-WB   completes; the host reads
 *                                                 back what it wrote
 *
 * The host reads back through a separate, fresh mapping of the provider's
 * device.  wc_anyuc needs VM_ALLOW_ANY_UNCACHED (6.8+); without it the
 * provider has no such device and its cases are skipped.
 *
 * Suites: stock, module.
 */
#include <unistd.h>

#include "s2attr_vmm.h"

struct guest_case {
	const char	*name;
	enum kind	kind;
	bool		enable;
	enum s2		want;	/* S2_DEVICE: KVM_RUN fails with EFAULT */
};

static const struct guest_case stock_cases[] = {
	{ "wb PFNMAP",			WB,		false,	S2_DEVICE },
	{ "wc_anyuc PFNMAP",		WC_ANYUC,	false,	S2_NORMAL_NC },
};

static const struct guest_case module_cases[] = {
	{ "not enabled: wb PFNMAP",	WB,		false,	S2_DEVICE },
	{ "enabled: nc PFNMAP",		NC,		true,	S2_DEVICE },
	{ "enabled: wc_anyuc PFNMAP",	WC_ANYUC,	true,	S2_NORMAL_NC },
	{ "enabled: wb PFNMAP",		WB,		true,	S2_NORMAL },
};

/* Why @c cannot run here, or NULL. */
static const char *guest_case_skip(const struct guest_case *c)
{
	if (c->kind == WC_ANYUC && access(S2ATTR_PFNMAP_DEV_PREFIX "wc_anyuc", F_OK))
		return "no " S2ATTR_PFNMAP_DEV_PREFIX "wc_anyuc: this kernel has no VM_ALLOW_ANY_UNCACHED (6.8+)";
	if (c->enable && c->want == S2_NORMAL && !cpu_fwb)
		return "needs FWB: without it the memslot is refused (s2attr_refusals)";
	return NULL;
}

static void run_case(const struct guest_case *c, const char *prefix)
{
	const char *skip = guest_case_skip(c);
	char what[96];
	struct tvm t;

	snprintf(what, sizeof(what), "%s: unaligned guest: %s", prefix, c->name);
	if (skip) {
		test_skip("%s: %s\n", what, skip);
		return;
	}
	tvm_create(&t, c->kind, 1);
	tvm_zero_page0(&t);
	if ((c->enable && vm_set_enabled(&t, true)) || tvm_add_memslot(&t)) {
		test_result(false, "%s: enabling or the memslot failed (%d)\n", what,
			    t.memslot_err);
	} else if (c->want == S2_DEVICE) {
		test_result(!__tvm_run(&t, G_UNALIGNED) && t.run_err == EFAULT,
			    "%s: KVM_RUN fails with EFAULT (errno %d, %s)\n", what,
			    t.run_err, t.run_ok ? "the guest completed" : "the VM is dead");
	} else {
		test_result(tvm_run(&t, G_UNALIGNED), "%s: the guest completes\n", what);
		test_result(tvm_reads_back(&t),
			    "%s: the host reads back exactly what the guest wrote\n", what);
		expect_region(&t, c->want, what);
	}
	tvm_destroy(&t);
}

static void case_stock(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stock_cases); i++)
		run_case(&stock_cases[i], "stock");
}

static void case_module(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(module_cases); i++)
		run_case(&module_cases[i], "module");
}

static const struct suite suites[] = {
	{ "stock",	{ case_stock } },
	{ "module",	{ case_module } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
