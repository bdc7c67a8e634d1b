// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_failslab: VMs created while the kernel's fault injection fails
 * s2attr's allocations (tests/host/failslab.sh aims failslab at
 * s2attr.ko's text and loads s2attr with default_enabled=1 and a policy
 * that enables every VM).
 *
 * Each VM must come out whole, one of:
 *   tracked, enabled      its sysfs directory, enabled reads 1: Normal-WB
 *   tracked, disabled     the policy could not be matched: Device
 *   stock                 no directory (its state or directory could not
 *                         be allocated): Device, as stock KVM maps it
 * and, with every allocation failing (probability 100), every VM is stock;
 * with none (probability 0, after the others), every VM is enabled.  In
 * all cases the memslot is taken and the guest runs.
 *
 * Suite: failslab.
 */
#include <unistd.h>

#include "s2attr_vmm.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FS_VMS		24
#define FS_PAGES	4

static unsigned long failslab_param(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), FAILSLAB "%s", name);
	TEST_ASSERT(!sysfs_read(path, buf, sizeof(buf)), "%s: no failslab?", path);
	return strtoul(buf, NULL, 0);
}

static void case_failslab(void)
{
	unsigned long probability = failslab_param("probability");
	unsigned long times = failslab_param("times");
	unsigned int n[3] = { 0 }, bad = 0, i;
	static const char * const what[] = {
		"stock", "tracked, disabled", "tracked, enabled",
	};
	char path[128], buf[4];
	struct tvm t;
	enum s2 want;
	int state;

	if (!cpu_fwb) {
		test_skip("failslab: needs FWB, so that an enabled VM's memslot is taken\n");
		return;
	}
	for (i = 0; i < FS_VMS; i++) {
		tvm_create(&t, WB, FS_PAGES);
		vm_path(&t, "enabled", path, sizeof(path));
		if (sysfs_read(path, buf, sizeof(buf)))
			state = 0;
		else
			state = 1 + (buf[0] == '1');
		want = state == 2 ? S2_NORMAL : S2_DEVICE;
		if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH) ||
		    count_region(&t, want) != FS_PAGES) {
			ksft_print_msg("VM %s (%s): memslot %d, run %d, %lu of %d pages %s\n",
				       t.name, what[state], t.memslot_err, t.run_ok,
				       count_region(&t, want), FS_PAGES, s2_name[want]);
			bad++;
		}
		n[state]++;
		tvm_destroy(&t);
	}
	test_result(!bad, "failslab %lu%%: %d VMs each whole: %u stock, %u tracked disabled, %u enabled\n",
		    probability, FS_VMS, n[0], n[1], n[2]);
	/* Every VM's first allocation fails at 100 %, some do at less. */
	times -= failslab_param("times");
	if (probability)
		test_result(times >= (probability == 100 ? FS_VMS : 1),
			    "failslab %lu%%: %lu of s2attr's allocations failed\n",
			    probability, times);
	else
		test_result(!times && n[2] == FS_VMS,
			    "failslab off: no allocation failed (%lu), every VM enabled\n",
			    times);
	if (probability == 100)
		test_result(n[0] == FS_VMS,
			    "failslab 100%%: every VM is left to stock KVM\n");
}

static const struct suite suites[] = {
	{ "failslab",	{ case_failslab } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
