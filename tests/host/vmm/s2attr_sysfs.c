// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_sysfs: the sysfs ABI, the counters and the tracepoint, each
 * checked against what the oracle finds in stage 2.
 *
 *   file                   expected
 *   fwb, dic               the CPU model's, read-only
 *   default_enabled        0; every malformed write (bad_writes) EINVAL,
 *   vms/<vm>/enabled       value kept; 0 and 1 taken
 *   counters               faults_stock = Device leaves + exec faults (not
 *                          enabled); faults_normal = Normal-WB leaves,
 *                          refused_exec = prefetch aborts without DIC
 *                          (enabled); refused_nofwb = 1 for a refused
 *                          memslot; refused_mte = 0
 *   s2attr_decision        one event per fault, with VM, IPA and PFN
 *
 * Suite: module.
 */
#include <fcntl.h>
#include <unistd.h>

#include "s2attr_vmm.h"

#define TRACING		"/sys/kernel/tracing"
#define TRACE_ENABLE	TRACING "/events/s2attr/s2attr_decision/enable"

static const struct { const char *val; size_t len; } bad_writes[] = {
	{ "2", 1 }, { "abc", 3 }, { "", 0 }, { "\n", 1 }, { "-1", 2 }, { "1 1", 3 },
	{ "01", 2 }, { "1\n\n", 3 }, { "y", 1 }, { "on", 2 },
	{ "99999999999999999999999", 23 }, { " 1", 2 }, { "0x1", 3 }, { "1\0001", 3 },
};

/* Every malformed write fails with EINVAL and leaves the value alone. */
static void expect_bad_writes(const char *path, const char *what)
{
	bool ok = true;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad_writes); i++) {
		ret = sysfs_write(path, bad_writes[i].val, bad_writes[i].len);
		/* An empty write never reaches the file; it must change nothing. */
		if ((bad_writes[i].len && ret != -EINVAL) || !value_is(path, "0\n")) {
			ksft_print_msg("%s: write of %zu bytes '%s': %d\n", what,
				       bad_writes[i].len, bad_writes[i].val, ret);
			ok = false;
		}
	}
	test_result(ok, "%s: malformed writes rejected, value kept\n", what);
}

static void case_sysfs(void)
{
	char path[128], want[4];
	struct tvm t;

	snprintf(want, sizeof(want), "%d\n", cpu_fwb);
	test_result(value_is(S2ATTR_SYSFS "/fwb", want), "sysfs fwb is %d\n", cpu_fwb);
	snprintf(want, sizeof(want), "%d\n", cpu_dic);
	test_result(value_is(S2ATTR_SYSFS "/dic", want), "sysfs dic is %d\n", cpu_dic);
	test_result(sysfs_write(S2ATTR_SYSFS "/fwb", want, 2) &&
		    sysfs_write(S2ATTR_SYSFS "/dic", want, 2),
		    "sysfs fwb and dic are read-only\n");

	expect_bad_writes(S2ATTR_SYSFS "/default_enabled", "default_enabled");

	tvm_create(&t, WB, 1);
	vm_path(&t, "enabled", path, sizeof(path));
	test_result(value_is(path, "0\n"), "a new VM is not enabled by default\n");
	expect_bad_writes(path, "vms/<vm>/enabled");
	test_result(!vm_set_enabled(&t, true) && value_is(path, "1\n") &&
		    !vm_set_enabled(&t, false) && value_is(path, "0\n"),
		    "vms/<vm>/enabled takes 0 and 1\n");
	tvm_destroy(&t);
}

/* The counters match the leaves the oracle finds and the refusals seen. */
static void case_counters(void)
{
	uint64_t n;
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH | G_EXEC))
		test_result(false, "counters: not enabled: the guest did not run\n");
	/* Each Device leaf, and the exec fault the guest saw as a PABT. */
	n = count_region(&t, S2_DEVICE);
	expect_counter(&t, "faults_stock", n + t.pabt, "not enabled");
	expect_counter(&t, "faults_normal", 0, "not enabled");
	tvm_destroy(&t);

	tvm_create(&t, WB, REGION_PAGES);
	vm_set_enabled(&t, true);
	if (!cpu_fwb) {
		test_result(tvm_add_memslot(&t) == EINVAL,
			    "counters: enabled, no FWB: memslot refused\n");
		expect_counter(&t, "refused_nofwb", 1, "memslot refused");
	} else if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH | G_EXEC)) {
		test_result(false, "counters: enabled: the guest did not run\n");
	} else {
		n = count_region(&t, S2_NORMAL);
		test_result(n == REGION_PAGES, "counters: enabled: %lu Normal-WB leaves\n", n);
		expect_counter(&t, "faults_normal", n, "enabled");
		expect_counter(&t, "refused_exec", cpu_dic ? 0 : t.pabt, "enabled, exec");
		expect_counter(&t, "faults_stock", 0, "enabled");
	}
	expect_counter(&t, "refused_mte", 0, "no MTE VM");
	tvm_destroy(&t);
}

/* The whole trace buffer, NUL-terminated; the caller frees it. */
static char *trace_read(void)
{
	char *buf = malloc(1 << 20);
	ssize_t len = 0, n;
	int fd;

	TEST_ASSERT(buf, "out of memory");
	fd = open(TRACING "/trace", O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The tracepoint reports each decision with the VM's name and IPA. */
static void case_trace(void)
{
	char needle[96], *buf, *save, *p;
	uint64_t lines = 0;
	bool first_ok;
	struct tvm t;

	if (sysfs_write(TRACE_ENABLE, "1", 1) || sysfs_write(TRACING "/trace", "", 0)) {
		test_result(false, "trace: cannot enable s2attr:s2attr_decision in %s\n",
			    TRACING);
		return;
	}
	tvm_create(&t, WB, REGION_PAGES);
	vm_set_enabled(&t, cpu_fwb);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH))
		test_result(false, "trace: the guest did not run\n");
	sysfs_write(TRACE_ENABLE, "0", 1);

	buf = trace_read();
	snprintf(needle, sizeof(needle), "vm=%s ipa=0x%llx pfn=0x%llx attridx=0 ",
		 t.name, REGION_GPA, (provider_base() + kind_offset[WB]) >> host_page_shift);
	first_ok = strstr(buf, needle) != NULL;
	snprintf(needle, sizeof(needle), "vm=%s ipa=0x", t.name);
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		lines += strstr(p, needle) &&
			 strstr(p, cpu_fwb ? "result=normal reason=cacheable" :
				"result=stock reason=disabled");
	test_result(lines == count_region(&t, cpu_fwb ? S2_NORMAL : S2_DEVICE) &&
		    lines == REGION_PAGES,
		    "trace: one s2attr_decision event per fault (%lu)\n", lines);
	test_result(first_ok, "trace: events carry VM, IPA and PFN\n");
	tvm_destroy(&t);
	free(buf);
}

static const struct suite suites[] = {
	{ "module",	{ case_sysfs, case_counters, case_trace } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
