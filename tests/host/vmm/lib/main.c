// SPDX-License-Identifier: GPL-2.0-only
/*
 * The programs' common main: arguments, suites, TAP results.
 *
 * Usage: <program> <suite> [fwb=0|1] [dic=0|1] [seconds=N]
 *
 * A suite is named for the state the plan (tests/host/lib.sh) leaves
 * s2attr in when it runs it:
 *
 *   stock	s2attr not loaded (a stock kernel, or the shim alone)
 *   module	s2attr loaded, default_enabled=0
 *   default	s2attr loaded with default_enabled=1
 *   preload	s2attr not loaded; the cases load and unload it themselves
 *   dump, demo, bench, stress	what their names say
 *   failslab	s2attr loaded, its allocations failing (tests/host/failslab.sh)
 *   blocks_bench	make bench's stage-2 blocks, on any kernel
 *
 * A program runs the cases it lists for the suite, and nothing (no TAP
 * output at all) for a suite it has no cases for, so that a plan can run
 * every program for a suite.  fwb and dic are what the CPU model has, as
 * the test runner knows it; the expectations follow from them and from
 * nothing s2attr reports.
 */
#include <stdarg.h>
#include <unistd.h>

#include "s2attr_vmm.h"

static const char * const suite_names[] = {
	"stock", "module", "default", "preload", "dump", "demo", "bench", "stress",
	"failslab", "blocks_bench",
};

bool cpu_fwb, cpu_dic;
unsigned long arg_seconds = 30;
uint64_t host_page, host_pmd;
unsigned int host_page_shift;

void test_result(bool ok, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ok)
		ksft_test_result_pass("%s", line);
	else
		ksft_test_result_fail("%s", line);
}

void test_skip(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ksft_test_result_skip("%s", line);
}

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "fwb=", 4))
			cpu_fwb = atoi(argv[i] + 4);
		else if (!strncmp(argv[i], "dic=", 4))
			cpu_dic = atoi(argv[i] + 4);
		else if (!strncmp(argv[i], "seconds=", 8))
			arg_seconds = strtoul(argv[i] + 8, NULL, 0);
		else
			ksft_exit_fail_msg("unknown argument '%s'\n", argv[i]);
	}
}

static bool suite_is_known(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suite_names); i++)
		if (!strcmp(name, suite_names[i]))
			return true;
	return false;
}

void s2attr_main(int argc, char **argv, const struct suite *suites, size_t n)
{
	const struct suite *s = NULL;
	size_t i;

	if (argc < 2 || !suite_is_known(argv[1]))
		ksft_exit_fail_msg("usage: %s stock|module|default|preload|dump|demo|bench|stress|failslab|blocks_bench [fwb=0|1] [dic=0|1] [seconds=N]\n",
				   argv[0]);
	parse_args(argc, argv);
	for (i = 0; i < n; i++)
		if (!strcmp(argv[1], suites[i].name))
			s = &suites[i];
	if (!s)
		exit(KSFT_PASS);

	/* A table page holds host_page / 8 entries. */
	host_page = getpagesize();
	host_page_shift = __builtin_ctzll(host_page);
	host_pmd = host_page * (host_page / 8);

	ksft_print_header();
	for (i = 0; i < ARRAY_SIZE(s->cases) && s->cases[i]; i++)
		s->cases[i]();
	ksft_set_plan(ksft_test_num());
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
