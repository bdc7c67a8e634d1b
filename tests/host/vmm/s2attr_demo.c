// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_demo: make demo.  The same guest on the same GPU-like memory
 * twice: in a VM that is not enabled (stock KVM: stage-2 Device, the
 * guest's unaligned 8-byte store kills the VM, KVM_RUN fails with
 * EFAULT), then in one enabled through sysfs (Normal-WB: the guest
 * completes, the host reads back what it wrote).  Prints "demo:" lines,
 * which scripts/demo.sh shows; the stage-2 descriptors are the oracle's.
 *
 * Suite: demo (s2attr loaded, FWB).
 */
#include "s2attr_vmm.h"

/*
 * Run the unaligned guest in @t, then print the stage-2 descriptor of its
 * memory and what the guest did; @done: it completed and the host reads
 * back what it wrote.
 */
static enum s2 demo_run(struct tvm *t, const char *when, bool *done)
{
	enum s2 s2;

	tvm_zero_page0(t);
	TEST_ASSERT(!tvm_add_memslot(t), "memslot: %s", strerror(t->memslot_err));
	*done = __tvm_run(t, G_UNALIGNED) && tvm_reads_back(t);
	s2 = s2_show(t, "demo:  ", when);
	printf("demo:   guest:  unaligned 8-byte store and load at IPA 0x%llx: ", REGION_GPA + 3);
	if (t->run_ok)
		printf("completed; the host reads back %s\n",
		       *done ? "what it wrote" : "OTHER BYTES");
	else
		printf("KVM_RUN: %s (%s), the VM is dead\n",
		       t->run_err == EFAULT ? "EFAULT" : "unexpected errno", strerror(t->run_err));
	return s2;
}

/* The VM that dies stays until the end, so that the two have other names. */
static void case_demo(void)
{
	struct tvm stock, on;
	enum s2 before, after;
	char path[128];
	bool done;

	tvm_create(&stock, WB, REGION_PAGES);
	printf("demo: VM %s, not enabled: %lu KiB of GPU-like memory (VM_PFNMAP, cacheable in stage 1, outside the linear map)\n",
	       stock.name, stock.size >> 10);
	before = demo_run(&stock, "before:", &done);
	test_result(before == S2_DEVICE && !stock.run_ok && stock.run_err == EFAULT,
		    "demo: not enabled: Device, the unaligned guest dies with EFAULT\n");

	tvm_create(&on, WB, REGION_PAGES);
	vm_path(&on, "enabled", path, sizeof(path));
	printf("demo: VM %s: the same guest on the same memory\n", on.name);
	printf("demo: echo 1 > %s\n", path);
	TEST_ASSERT(!vm_set_enabled(&on, true), "enabling %s failed", on.name);
	after = demo_run(&on, "after:", &done);
	test_result(after == S2_NORMAL && done,
		    "demo: enabled: Normal-WB, the unaligned guest completes\n");
	tvm_destroy(&on);
	tvm_destroy(&stock);
}

static const struct suite suites[] = {
	{ "demo",	{ case_demo } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
