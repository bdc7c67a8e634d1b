// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpuload: ordinary programs on a Grace GPU's memory, as a guest runs them
 * once the GPU's memory is a NUMA node (tests/gpu/guest/init onlines it).
 * Every mapping is bound to that node with MPOL_BIND, and where each page
 * landed is asked of the kernel (move_pages() without a target node), so
 * a case that ran from ordinary RAM fails.
 *
 * Usage: gpuload NODE MIB EXEC
 *	NODE	the GPU memory's node
 *	MIB	MiB of it to fill and verify
 *	EXEC	what an instruction fetch from it must do: "run" (the CPU has
 *		DIC: the code runs) or "abort" (no DIC: s2attr refuses the
 *		fetch and KVM injects a prefetch abort, which the guest kernel
 *		turns into SIGBUS)
 * or: gpuload NODE MIB touch
 *	for make bench: write the first byte of every page of MIB bound to
 *	the node, once, and print the time that took, in ns of the guest's
 *	clock (under QEMU's -icount, instructions): "bench: firsttouch,MIB,
 *	PAGES,NS".
 *
 * One TAP line per case on standard output; exit status 0 if every case
 * passed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MPOL_BIND	2
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define HWCAP_ATOMICS_BIT	(1UL << 8)

static int node;
static size_t len;
static long pagesz;
static unsigned int tap, failed;

static void result(int ok, const char *what)
{
	failed += !ok;
	printf("%s %u gpuload: %s\n", ok ? "ok" : "not ok", ++tap, what);
	fflush(stdout);
}

/* A mapping of LEN bytes, bound to the GPU's node before it is touched. */
static uint8_t *map_bound(size_t size, int prot, int flags)
{
	unsigned long mask = 1UL << node;
	uint8_t *p;

	p = mmap(NULL, size, prot, flags | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (syscall(SYS_mbind, p, size, MPOL_BIND, &mask, 8 * sizeof(mask) + 1, 0)) {
		perror("# mbind");
		munmap(p, size);
		return NULL;
	}
	return p;
}

/* Every page of [p, p + size) is present and on the GPU's node. */
static int on_node(const uint8_t *p, size_t size)
{
	size_t n = size / pagesz, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	int ok = pages && status;

	for (i = 0; ok && i < n; i++)
		pages[i] = (void *)(p + i * pagesz);
	if (ok && syscall(SYS_move_pages, 0, n, pages, NULL, status, 0)) {
		perror("# move_pages");
		ok = 0;
	}
	for (i = 0; ok && i < n; i++) {
		if (status[i] != node) {
			printf("# page %zu of %zu is on node %d, not %d\n", i, n, status[i], node);
			ok = 0;
		}
	}
	free(pages);
	free(status);
	return ok;
}

static uint64_t pattern(size_t off, uint64_t seed)
{
	return (off * 0x9e3779b97f4a7c15ULL) ^ seed;
}

static void fill(uint8_t *p, size_t size, uint64_t seed)
{
	size_t off;

	for (off = 0; off + 8 <= size; off += 8)
		*(uint64_t *)(p + off) = pattern(off, seed);
}

static int verify(const uint8_t *p, size_t size, uint64_t seed)
{
	size_t off;

	for (off = 0; off + 8 <= size; off += 8) {
		if (*(const uint64_t *)(p + off) != pattern(off, seed)) {
			printf("# wrong word at +0x%zx\n", off);
			return 0;
		}
	}
	return 1;
}

/* Copies between offsets that no access size divides, both ways. */
static int unaligned_copies(uint8_t *p)
{
	static const size_t offs[][2] = {
		{ 1, 3 * 4096 + 7 }, { 1 << 20, 5 }, { 4099, (2 << 20) + 13 },
	};
	size_t chunk = 64 << 10, i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		fill(p + offs[i][0], chunk, i);
		memmove(p + offs[i][1] + (4 << 20), p + offs[i][0], chunk - 3);
		if (memcmp(p + offs[i][1] + (4 << 20), p + offs[i][0], chunk - 3))
			return 0;
	}
	return 1;
}

static void add_llsc(uint64_t *p)
{
	uint64_t val, tmp;
	unsigned int fail;

	asm volatile("1:	ldxr	%0, %3\n"
		     "	add	%1, %0, #1\n"
		     "	stxr	%w2, %1, %3\n"
		     "	cbnz	%w2, 1b\n"
		     : "=&r" (val), "=&r" (tmp), "=&r" (fail), "+Q" (*p) : : "memory");
}

static void add_lse(uint64_t *p)
{
	uint64_t old;

	asm volatile(".arch_extension lse\n"
		     "	ldadd	%2, %0, %1\n"
		     : "=&r" (old), "+Q" (*p) : "r" (1ULL) : "memory");
}

/*
 * Two processes increment counters in shared memory on the node, with
 * LDXR/STXR and, where the CPU has them, LSE atomics: no increment lost.
 */
static void two_process_atomics(void)
{
	const int n = 20000, lse = !!(getauxval(AT_HWCAP) & HWCAP_ATOMICS_BIT);
	uint64_t *c = (uint64_t *)map_bound(pagesz, PROT_READ | PROT_WRITE, MAP_SHARED);
	int i, st = -1;
	pid_t pid;

	if (!c) {
		result(0, "atomics: shared memory on the node");
		return;
	}
	pid = fork();
	for (i = 0; pid >= 0 && i < n; i++) {
		add_llsc(&c[0]);
		if (lse)
			add_lse(&c[8]);
	}
	if (pid == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	result(st == 0 && c[0] == 2ULL * n && on_node((uint8_t *)c, pagesz),
	       "atomics: two processes, LDXR/STXR on shared memory on the node");
	if (lse)
		result(c[8] == 2ULL * n,
		       "atomics: two processes, LSE LDADD on shared memory on the node");
	else
		printf("ok %u gpuload: LSE atomics # SKIP the CPU has no LSE atomics\n", ++tap);
	munmap(c, pagesz);
}

/*
 * fork(): the child reads the parent's pages (shared until written), then
 * writes half of them; its copies are on the node too (the policy is the
 * mapping's), and the parent's data is unchanged.
 */
static void forked(uint8_t *p)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int ok = verify(p, len, 7);

		fill(p, len / 2, 8);
		_exit(ok && verify(p, len / 2, 8) && on_node(p, len / 2) ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	result(pid > 0 && st == 0,
	       "fork: the child reads the parent's pages and its copies are on the node");
	result(verify(p, len, 7), "fork: the parent's data is unchanged");
}

static sigjmp_buf fetch_env;
static volatile sig_atomic_t fetch_sig;

static void fetch_fault(int sig)
{
	fetch_sig = sig;
	siglongjmp(fetch_env, 1);
}

/* Code written to a page on the node, then called. */
static void exec_from_node(const char *want)
{
	static const uint32_t code[] = { 0x52800540, 0xd65f03c0 };	/* mov w0, #42; ret */
	uint8_t *p = map_bound(pagesz, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE);
	struct sigaction sa = { .sa_handler = fetch_fault };
	int (*fn)(void) = (int (*)(void))p;
	char what[128];
	int ret = -1;

	if (!p) {
		result(0, "exec: a page on the node");
		return;
	}
	memcpy(p, code, sizeof(code));
	__builtin___clear_cache((char *)p, (char *)p + sizeof(code));
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	if (!sigsetjmp(fetch_env, 1))
		ret = fn();
	printf("# exec from the node: %s\n", fetch_sig ? strsignal(fetch_sig) : "returned");
	if (!strcmp(want, "run")) {
		snprintf(what, sizeof(what), "exec: code on the node runs (returned %d)", ret);
		result(!fetch_sig && ret == 42 && on_node(p, pagesz), what);
	} else {
		result(fetch_sig == SIGBUS && on_node(p, pagesz),
		       "exec: fetching code from the node is refused: a prefetch abort, SIGBUS");
	}
	munmap(p, pagesz);
}

/* The first write to every page of P, timed. */
static void first_touch(uint8_t *p)
{
	struct timespec t0, t1;
	size_t off;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (off = 0; off < len; off += pagesz)
		p[off] = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	result(on_node(p, len), "first touch: every page is on the node");
	printf("bench: firsttouch,%zu,%zu,%lld\n", len >> 20, len / pagesz,
	       (t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec);
}

int main(int argc, char **argv)
{
	uint8_t *p;
	char what[128];

	if (argc != 4 || (strcmp(argv[3], "run") && strcmp(argv[3], "abort") &&
			  strcmp(argv[3], "touch"))) {
		fprintf(stderr, "usage: gpuload NODE MIB run|abort|touch\n");
		return 2;
	}
	node = atoi(argv[1]);
	len = strtoul(argv[2], NULL, 0) << 20;
	pagesz = sysconf(_SC_PAGESIZE);
	if (node < 0 || node >= 64 || len < (8 << 20)) {
		fprintf(stderr, "gpuload: NODE 0..63, MIB at least 8\n");
		return 2;
	}
	p = map_bound(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (!p) {
		result(0, "memory bound to the node");
		return 1;
	}
	if (!strcmp(argv[3], "touch")) {
		first_touch(p);
		return failed ? 1 : 0;
	}
	fill(p, len, 7);
	snprintf(what, sizeof(what), "%zu MiB bound to node %d: every page is on it",
		 len >> 20, node);
	result(on_node(p, len), what);
	snprintf(what, sizeof(what), "%zu MiB pattern written and read back", len >> 20);
	result(verify(p, len, 7), what);
	forked(p);
	result(unaligned_copies(p), "copies at unaligned offsets");
	two_process_atomics();
	exec_from_node(argv[3]);
	printf("1..%u\n", tap);
	return failed ? 1 : 0;
}
