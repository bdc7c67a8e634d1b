// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_demo: make demo.  One VM's GPU-like memory before and after it is
 * enabled through sysfs.  Prints "demo:" lines, which scripts/demo.sh
 * shows; the stage-2 descriptors are the oracle's.
 *
 * Suite: demo (s2attr loaded, FWB).
 */
#include "s2attr_vmm.h"

static void case_demo(void)
{
	enum s2 before, after;
	char path[128];
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	vm_path(&t, "enabled", path, sizeof(path));
	printf("demo: VM %s: %lu KiB of GPU-like memory (VM_PFNMAP, cacheable in stage 1, outside the linear map)\n",
	       t.name, t.size >> 10);
	TEST_ASSERT(!tvm_add_memslot(&t) && tvm_run(&t, G_TOUCH), "guest run failed");
	before = s2_show(&t, "demo:  ", "before:");
	printf("demo: echo 1 > %s\n", path);
	TEST_ASSERT(!vm_set_enabled(&t, true), "enabling %s failed", t.name);
	TEST_ASSERT(tvm_run(&t, G_TOUCH), "guest run failed");
	after = s2_show(&t, "demo:  ", "after:");
	test_result(before == S2_DEVICE && after == S2_NORMAL,
		    "demo: Device before, Normal-WB after\n");
	tvm_destroy(&t);
}

static const struct suite suites[] = {
	{ "demo",	{ case_demo } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
