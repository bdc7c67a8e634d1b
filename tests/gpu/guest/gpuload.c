// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpuload: ordinary programs on a Grace GPU's memory, as a guest runs them
 * once the GPU's memory is a NUMA node (tests/gpu/guest/init onlines it).
 * Every mapping is bound to that node with MPOL_BIND, and where each page
 * landed is asked of the kernel (move_pages() without a target node), so
 * a case that ran from ordinary RAM fails.  A node can hold RAM besides
 * the GPU's memory (libvirt gives node 1 some), so the fill's pages are
 * also looked up in /proc/self/pagemap and must lie in the physical range
 * the guest's driver added.
 *
 * Usage: gpuload NODE MIB EXEC [BASE SIZE]
 *	NODE	the GPU memory's node
 *	MIB	MiB of it to fill and verify
 *	EXEC	what an instruction fetch from it must do: "run" (the CPU has
 *		DIC: the code runs) or "abort" (no DIC: s2attr refuses the
 *		fetch and KVM injects a prefetch abort, which the guest kernel
 *		turns into SIGBUS)
 *	BASE SIZE
 *		the physical range of the GPU memory the driver added, decimal
 *		or 0x-prefixed hex (s2attr_gpuguest's read-only parameters
 *		added_base and added_size): every page of the fill must lie in
 *		it.  Without them that case still reports, as skipped ("# SKIP
 *		no range given"), so that the plan is the same in every run.
 * or: gpuload NODE MIB touch
 *	for make bench: write the first byte of every page of MIB bound to
 *	the node, once, and print the time that took, in ns of the guest's
 *	clock (under QEMU's -icount, instructions): "bench: firsttouch,MIB,
 *	PAGES,NS".
 *
 * TAP on standard output: the plan first ("1..9"; touch: "1..1"), so that a
 * run that dies half-way (the OOM killer, a signal) is visibly short of it;
 * then one line per case, each exactly once and under the same name in
 * every run, skips included; figures go on "# " lines.  Exit status: 0 if
 * every case passed or was skipped, 1 if one failed, 2 on a usage error
 * (before the plan).  No signal is caught but those of the one instruction
 * fetch the exec case expects to fault: any other kills the program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#ifndef HWCAP_ATOMICS
#define HWCAP_ATOMICS	(1UL << 8)
#endif

/* The cases each mode reports, skipped ones included: its TAP plan. */
#define CASES		9
#define TOUCH_CASES	1

/* /proc/self/pagemap: one 64-bit entry per page (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PRESENT	(1ULL << 63)
#define PM_PFN(e)	((e) & ((1ULL << 55) - 1))

/* The names of the cases reported from more than one place. */
#define ON_NODE		"the fill, bound to the node: every page is on it"
#define IN_RANGE	"every page of the fill lies in the GPU memory the driver added"
#define LDXR		"atomics: two processes, LDXR/STXR on shared memory on the node"
#define LSE		"atomics: two processes, LSE LDADD on shared memory on the node"
#define NO_LSE		"the CPU has no LSE atomics (HWCAP_ATOMICS)"
#define EXEC_RUN	"exec: code on the node runs"
#define EXEC_ABORT	"exec: fetching code from the node is refused: a prefetch abort, SIGBUS"

static int node;
static size_t len;
static long pagesz;
static unsigned int tap, failed;
/* The GPU memory the driver added, [base, base + span); span_given if any. */
static uint64_t base, span;
static int span_given;

static void result(int ok, const char *what)
{
	failed += !ok;
	printf("%s %u gpuload: %s\n", ok ? "ok" : "not ok", ++tap, what);
}

static void skip(const char *what, const char *why)
{
	printf("ok %u gpuload: %s # SKIP %s\n", ++tap, what, why);
}

/* How a child ended, on a "# " line, unless it exited with 0. */
static void child_status(const char *who, int st)
{
	if (WIFSIGNALED(st))
		printf("# %s: killed by %s\n", who, strsignal(WTERMSIG(st)));
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("# %s: exit status 0x%x\n", who, (unsigned int)st);
}

/* A mapping of LEN bytes, bound to the GPU's node before it is touched. */
static uint8_t *map_bound(size_t size, int prot, int flags)
{
	unsigned long mask = 1UL << node;
	uint8_t *p;

	p = mmap(NULL, size, prot, flags | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("# mmap");
		return NULL;
	}
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
		pages[i] = (void *)(uintptr_t)(p + i * pagesz);
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

/* A pagemap entry is of a present page whose frame lies in [base, base + span). */
static int in_gpu_memory(uint64_t ent)
{
	uint64_t pa = PM_PFN(ent) * pagesz;

	return (ent & PM_PRESENT) && pa >= base && pa - base < span &&
	       span - (pa - base) >= (uint64_t)pagesz;
}

/*
 * Every page of [p, p + size) is present in the GPU memory the driver
 * added, by its frame number in /proc/self/pagemap.  That is what proves
 * the pages are GPU memory: the node may hold RAM too.  Only root reads
 * frame numbers there (others read 0, which fails).
 */
static int in_range(const uint8_t *p, size_t size)
{
	uint64_t ent[512], bad_ent = 0, lo = UINT64_MAX, hi = 0;
	size_t n = size / pagesz, i = 0, j, k, bad = 0, first = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t want;

	if (fd < 0) {
		perror("# /proc/self/pagemap");
		return 0;
	}
	while (i < n) {
		k = n - i < ARRAY_SIZE(ent) ? n - i : ARRAY_SIZE(ent);
		want = k * sizeof(ent[0]);
		if (pread(fd, ent, want, ((uintptr_t)p / pagesz + i) * sizeof(ent[0])) != want) {
			printf("# /proc/self/pagemap: cannot read the entry of page %zu\n", i);
			close(fd);
			return 0;
		}
		for (j = 0; j < k; j++, i++) {
			lo = PM_PFN(ent[j]) < lo ? PM_PFN(ent[j]) : lo;
			hi = PM_PFN(ent[j]) > hi ? PM_PFN(ent[j]) : hi;
			if (!in_gpu_memory(ent[j]) && !bad++) {
				first = i;
				bad_ent = ent[j];
			}
		}
	}
	close(fd);
	printf("# the fill's %zu pages: PFNs 0x%llx to 0x%llx; the range: 0x%llx + 0x%llx\n",
	       n, (unsigned long long)lo, (unsigned long long)hi,
	       (unsigned long long)base, (unsigned long long)span);
	if (bad)
		printf("# %zu pages outside it; the first: page %zu, %s, PFN 0x%llx%s\n", bad, first,
		       bad_ent & PM_PRESENT ? "present" : "not present",
		       (unsigned long long)PM_PFN(bad_ent),
		       PM_PFN(bad_ent) ? "" : " (frame numbers are shown to root only)");
	return !bad;
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
 * Two cases, whatever happens: the LSE one is skipped on a CPU without.
 */
static void two_process_atomics(void)
{
	const int n = 20000, lse = !!(getauxval(AT_HWCAP) & HWCAP_ATOMICS);
	uint64_t *c = (uint64_t *)map_bound(pagesz, PROT_READ | PROT_WRITE, MAP_SHARED);
	int i, st = -1;
	pid_t pid = -1;

	if (c)
		pid = fork();
	if (c && pid < 0)
		perror("# fork");
	for (i = 0; pid >= 0 && i < n; i++) {
		add_llsc(&c[0]);
		if (lse)
			add_lse(&c[8]);
	}
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid(pid, &st, 0);
		child_status("atomics: the child", st);
	}
	result(pid > 0 && st == 0 && c[0] == 2ULL * n && on_node((uint8_t *)c, pagesz), LDXR);
	if (lse)
		result(pid > 0 && st == 0 && c[8] == 2ULL * n, LSE);
	else
		skip(LSE, NO_LSE);
	if (c)
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
	if (pid < 0)
		perror("# fork");
	else
		waitpid(pid, &st, 0);
	child_status("fork: the child", st);
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

/*
 * Code written to a page on the node, then called.  Only around that call
 * are the signals a refused fetch can raise caught.
 */
static void exec_from_node(int run)
{
	static const uint32_t code[] = { 0x52800540, 0xd65f03c0 };	/* mov w0, #42; ret */
	static const int sigs[] = { SIGBUS, SIGSEGV, SIGILL };
	uint8_t *p = map_bound(pagesz, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE);
	struct sigaction sa = { .sa_handler = fetch_fault }, dfl = { .sa_handler = SIG_DFL };
	const char *what = run ? EXEC_RUN : EXEC_ABORT;
	int (*fn)(void) = (int (*)(void))p;
	int ret = -1;
	size_t i;

	if (!p) {
		result(0, what);
		return;
	}
	memcpy(p, code, sizeof(code));
	__builtin___clear_cache((char *)p, (char *)p + sizeof(code));
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	if (!sigsetjmp(fetch_env, 1))
		ret = fn();
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &dfl, NULL);
	if (fetch_sig)
		printf("# exec from the node: %s\n", strsignal(fetch_sig));
	else
		printf("# exec from the node: returned %d\n", ret);
	if (run)
		result(!fetch_sig && ret == 42 && on_node(p, pagesz), what);
	else
		result(fetch_sig == SIGBUS && on_node(p, pagesz), what);
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

/* A whole argument as an unsigned number, decimal or 0x-prefixed hex. */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s >= '0' && *s <= '9' && !*end && !errno;
}

/* The cases of "run" and "abort": CASES of them, in this order. */
static void workload(uint8_t *p, int run)
{
	printf("# the fill: %zu MiB bound to node %d\n", len >> 20, node);
	fill(p, len, 7);
	result(on_node(p, len), ON_NODE);
	if (span_given)
		result(in_range(p, len), IN_RANGE);
	else
		skip(IN_RANGE, "no range given");
	result(verify(p, len, 7), "the fill's pattern written and read back");
	forked(p);
	result(unaligned_copies(p), "copies at unaligned offsets");
	two_process_atomics();
	exec_from_node(run);
}

static int usage(void)
{
	fprintf(stderr, "usage: gpuload NODE MIB run|abort [BASE SIZE]\n"
			"       gpuload NODE MIB touch\n"
			"NODE 0..63, MIB 8..1048576\n");
	return 2;
}

int main(int argc, char **argv)
{
	int touch, run, abort_, planned;
	uint64_t n, mib;
	uint8_t *p;

	if (argc != 4 && argc != 6)
		return usage();
	touch = !strcmp(argv[3], "touch");
	run = !strcmp(argv[3], "run");
	abort_ = !strcmp(argv[3], "abort");
	span_given = argc == 6;
	if (!(touch || run || abort_) || (touch && span_given) ||
	    (span_given && (!parse_u64(argv[4], &base) || !parse_u64(argv[5], &span))) ||
	    !parse_u64(argv[1], &n) || n >= 64 || !parse_u64(argv[2], &mib) || mib < 8 ||
	    mib > (1 << 20))
		return usage();
	node = n;
	len = mib << 20;
	pagesz = sysconf(_SC_PAGESIZE);

	/* Line by line, so that no line is lost or doubled by fork() or a kill. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	planned = touch ? TOUCH_CASES : CASES;
	printf("1..%d\n", planned);
	p = map_bound(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (!p) {
		result(0, touch ? "first touch: every page is on the node" : ON_NODE);
		return 1;
	}
	if (touch)
		first_touch(p);
	else
		workload(p, run);
	if (tap != (unsigned int)planned) {
		printf("# gpuload reported %u cases, not the %d of its plan\n", tap, planned);
		return 1;
	}
	return failed ? 1 : 0;
}
