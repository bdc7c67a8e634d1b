// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_bench: make bench, a benchmark rather than a test.  The time per
 * stage-2 fault of a VM that touches every 4 KiB page of a 256 MiB PFNMAP
 * region once, in three configurations (bench_name), interleaved over
 * BENCH_ROUNDS rounds; then the number of stage-2 faults with 4 KiB and
 * with 2 MiB stage-1 leaves, the one result.  Lines start with "bench:".
 *
 * Suite blocks_bench: stage-2 blocks over memory the host maps with pages
 * (case_blocks_bench); run by the plan on each kernel it compares.
 *
 * Suite: bench (s2attr not loaded or loaded; it loads and unloads it
 * itself; needs FWB); blocks_bench (any kernel, s2attr in whatever state
 * the plan left it).
 */
#include <time.h>
#include <unistd.h>

#include "s2attr_vmm.h"

#define BENCH_SIZE	(256ULL << 20)		/* every host page once */
#define BENCH_ROUNDS	11			/* the first is a warm-up */

enum bench_cfg { BENCH_STOCK, BENCH_LOADED, BENCH_ENABLED, BENCH_NR };
static const char * const bench_name[BENCH_NR] = {
	"stock: module not loaded", "loaded: VM not enabled", "enabled: Normal-WB",
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * One measurement: a fresh VM whose guest touches every host page of a
 * 256 MiB region once; the time of that KVM_RUN sequence over the number of
 * stage-2 faults it took (one per page: each touch is a write).  The wb
 * region starts one page into the provider's memory, so that its PFNs are
 * not block-aligned with its IPAs and an enabled VM, too, takes a fault
 * per page rather than a block (case_blocks_bench measures blocks).
 */
static double bench_one(enum kind kind, bool enable, uint64_t *leaves)
{
	uint64_t skip = kind == WB, npages = BENCH_SIZE / host_page - skip;
	struct tvm t;
	double t0, us;

	tvm_create_at(&t, kind, npages, skip * host_page);
	if (enable)
		TEST_ASSERT(!vm_set_enabled(&t, true), "enable");
	TEST_ASSERT(!tvm_add_memslot(&t), "memslot: %s", strerror(t.memslot_err));
	t0 = now_us();
	TEST_ASSERT(tvm_run(&t, G_TOUCH), "guest run");
	us = now_us() - t0;
	if (leaves)
		*leaves = count_leaves(&t);
	tvm_destroy(&t);
	return us / npages;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Load or unload s2attr for configuration @c, then let the work a load or
 * unload defers (RCU callbacks, freeing init memory, text patching) finish
 * before the next measurement starts.  Every measurement starts after the
 * same pause, whether or not the configuration changed, so that none of
 * them runs from a state the others do not.
 */
static void bench_setup(enum bench_cfg c, bool *loaded)
{
	if (c == BENCH_STOCK && *loaded)
		TEST_ASSERT(rmmod_s2attr(), "rmmod");
	else if (c != BENCH_STOCK && !*loaded)
		TEST_ASSERT(insmod_s2attr(""), "insmod");
	*loaded = c != BENCH_STOCK;
	sleep(1);
}

/*
 * make bench: the three configurations interleaved, each round in another
 * order (A B C, B C A, C A B, ...), so that drift of the emulator and the
 * position in a round hit them alike; then the fault count with 4 KiB and
 * with 2 MiB stage-1 leaves.  Lines start with "bench:".
 */
static void case_bench(void)
{
	double us[BENCH_NR][BENCH_ROUNDS], med[BENCH_NR];
	uint64_t small, huge, n = BENCH_ROUNDS - 1;
	bool loaded = !access(S2ATTR_SYSFS, F_OK);
	int r, i, c;

	TEST_ASSERT(cpu_fwb, "the benchmark needs FWB");
	printf("bench: rounds,%d\n", BENCH_ROUNDS - 1);
	for (r = 0; r < BENCH_ROUNDS; r++) {
		for (i = 0; i < BENCH_NR; i++) {
			c = (r + i) % BENCH_NR;
			bench_setup(c, &loaded);
			us[c][r] = bench_one(WB, c == BENCH_ENABLED, NULL);
			printf("bench: sample,%d,%s,%.3f\n", r, bench_name[c], us[c][r]);
		}
	}
	for (c = 0; c < BENCH_NR; c++) {
		qsort(&us[c][1], n, sizeof(double), cmp_double);
		med[c] = n % 2 ? us[c][1 + n / 2] : (us[c][n / 2] + us[c][1 + n / 2]) / 2;
	}
	for (c = 0; c < BENCH_NR; c++)
		printf("bench: config,%s,%.3f,%.3f,%.3f,%.4f\n", bench_name[c], med[c],
		       us[c][1], us[c][n], med[c] / med[BENCH_STOCK]);

	bench_setup(BENCH_ENABLED, &loaded);
	bench_one(WB, true, &small);
	bench_one(WB_HUGE, true, &huge);
	printf("bench: leaves,%lu,%lu\n", small, huge);
	bench_setup(BENCH_STOCK, &loaded);
	test_result(small >= 256 * huge && huge,
		    "bench: 256 MiB: %lu stage-2 faults with 4 KiB leaves, %lu with 2 MiB\n",
		    small, huge);
}

/*
 * Stage-2 blocks: the region the host maps with pages, the nvgrace-shaped
 * provider's contiguous memory, 256 MiB with 4 KiB pages and 1 GiB with
 * 64 KiB pages; every host page of it written once by a fresh VM, with
 * the HVA aligned with the IPA modulo the block (blocks possible) and one
 * page off (pages only).
 */
#ifndef SZ_4K
#define SZ_4K			4096ULL
#endif
#define BLOCKS_BENCH_SIZE_4K	(256ULL << 20)
#define BLOCKS_BENCH_SIZE_64K	(1ULL << 30)
#define BLOCKS_BENCH_ROUNDS	4	/* the first is a warm-up */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * "bench: blocks,<page KiB>,<MiB>,<aligned|unaligned>,<faults>,<ns>": the
 * stage-2 leaves the region ends with (one per fault) and the median over
 * the rounds but the first of the guest time to write all of it.
 */
static void blocks_bench_one(uint64_t size, uint64_t skew)
{
	uint64_t ns[BLOCKS_BENCH_ROUNDS], faults = 0, npages = size / host_page;
	struct bvm b;
	double t0;
	int r, err;

	for (r = 0; r < BLOCKS_BENCH_ROUNDS; r++) {
		bvm_create(&b, "nvgrace_contig", size, skew, BVM_ALL, false);
		t0 = now_us();
		err = bvm_touch(&b, 0, npages, BVM_NO_SKIP, true);
		ns[r] = (now_us() - t0) * 1000;
		TEST_ASSERT(!err, "blocks bench: KVM_RUN: %s", strerror(err));
		faults = count_leaves(&b.t);
		bvm_destroy(&b);
	}
	qsort(&ns[1], BLOCKS_BENCH_ROUNDS - 1, sizeof(ns[0]), cmp_u64);
	printf("bench: blocks,%lu,%lu,%s,%lu,%lu\n", host_page >> 10, size >> 20,
	       skew ? "unaligned" : "aligned", faults, ns[BLOCKS_BENCH_ROUNDS / 2]);
}

static void case_blocks_bench(void)
{
	uint64_t size = host_page == SZ_4K ? BLOCKS_BENCH_SIZE_4K :
						       BLOCKS_BENCH_SIZE_64K;

	if (bvm_room() < size) {
		test_skip("blocks bench: %lu MiB of test memory from a block-aligned PA, not %lu\n",
			  bvm_room() >> 20, size >> 20);
		return;
	}
	blocks_bench_one(size, 0);
	blocks_bench_one(size, host_page);
}

static const struct suite suites[] = {
	{ "bench",		{ case_bench } },
	{ "blocks_bench",	{ case_blocks_bench } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
