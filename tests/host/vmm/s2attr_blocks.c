// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_blocks: stage-2 blocks for cacheable PFNMAP memory that the host
 * maps with pages, as nvgrace-gpu maps GPU memory with remap_pfn_range().
 *
 * Each case maps two blocks' worth of the nvgrace-shaped provider's memory
 * (/dev/s2attr_nvgrace_<shape>) at a PA, HVA and IPA aligned to the block,
 * the host's PMD size: 2 MiB with 4 KiB pages (the guest touches every
 * page), 512 MiB with 64 KiB pages (the first BLOCKS_WINDOW_64K pages of
 * each block).  The assertions are on the stage-2 leaves the oracle reads
 * from KVM's page tables: level, memory type, write permission and the PA
 * each maps, page by page.  The shapes differ from a contiguous mapping
 * in page BVM_ODD of the first block only; the second is contiguous.
 *
 *   memory                                  enabled VM, FWB      stock, VM not enabled
 *   contiguous, written or read             blocks, Normal-WB    Device pages
 *   one entry missing, PFNs not contiguous, pages, Normal-WB;    Device pages
 *   one page write-combine, one read-only,  second block: block
 *   contiguous but the first block in two
 *   VMAs (enabled only)
 *
 *   after mapping both blocks               enabled VM, FWB
 *   munmap() of one page                    its block dropped, pages around
 *                                           it; the page: KVM_RUN EFAULT, as stock
 *   mprotect() of one page read-only        its block dropped, pages; the page
 *                                           read-only, a write EFAULT, as stock
 *   the VM disabled                         both blocks dropped, Device pages
 *
 * Without FWB an enabled VM's memslot is refused: no Normal mapping, so no
 * block; those cases are skipped.
 *
 * Suites: stock, module, default; dump (scripts/refcompare.sh: the leaves
 * of every case that the reference kernel handles too, as runs of leaves
 * alike, "dump: <case> page=<n> pages=<n> valid=<0|1> level=<n>
 * attrs=<hex> pa=<n>", pages and PA counted from the region's start).
 */
#include <sys/mman.h>

#include "s2attr_vmm.h"

#ifndef SZ_4K
#define SZ_4K			4096ULL
#endif
#define BLOCKS			2
#define BLOCKS_WINDOW_64K	32	/* pages touched per 512 MiB block */
#define S2_DESC_W		(1ULL << 7)	/* S2AP[1]: writable */

struct shape_case {
	const char	*name;
	const char	*dev;
	bool		write;		/* the guest writes, else reads */
	bool		block;		/* enabled: the first block is one */
	uint64_t	skip;		/* a page the guest must not touch */
};

static const struct shape_case shape_cases[] = {
	/* Every host entry of the block alike: one block. */
	{ "contiguous, written",	"nvgrace_contig", true,  true,  BVM_NO_SKIP },
	{ "contiguous, read",		"nvgrace_contig", false, true,  BVM_NO_SKIP },
	/* One page differs: pages, as stock KVM sizes them. */
	{ "one entry missing",		"nvgrace_hole",   true,  false, BVM_ODD },
	{ "PFNs not contiguous",	"nvgrace_swap",   true,  false, BVM_NO_SKIP },
	{ "one page write-combine",	"nvgrace_prot",   true,  false, BVM_NO_SKIP },
	{ "one page read-only",		"nvgrace_ro",     false, false, BVM_NO_SKIP },
};

static uint64_t blocks_window(void)
{
	return host_page == SZ_4K ? BVM_ALL : BLOCKS_WINDOW_64K;
}

/* Two blocks fit in the provider's memory at this page size. */
static bool blocks_fit(const char *what)
{
	if (bvm_room() >= BLOCKS * host_pmd)
		return true;
	test_skip("%s: %lu MiB blocks: the test memory holds %lu MiB from a block-aligned PA, not %d blocks\n",
		  what, host_pmd >> 20, bvm_room() >> 20, BLOCKS);
	return false;
}

/* Enabled VMs need FWB, or their memslot is refused. */
static bool blocks_have_fwb(const char *what)
{
	if (!cpu_fwb)
		test_skip("%s: the CPU has no FWB: an enabled VM's memslot is refused, no Normal mapping, so no block\n",
			  what);
	return cpu_fwb;
}

static void blocks_create(struct bvm *b, const char *dev, bool enable)
{
	bvm_create(b, dev, BLOCKS * host_pmd, 0, blocks_window(), enable);
}

static void expect_unmapped(struct bvm *b, uint64_t page, const char *what)
{
	struct leaf l = bvm_leaf(b, page);

	test_result(!l.valid, "%s: page %lu unmapped (desc 0x%lx)\n", what, page, l.desc);
}

static void expect_leaves(struct bvm *b, uint64_t want, const char *what)
{
	uint64_t n = count_leaves(&b->t);

	test_result(n == want, "%s: %lu stage-2 leaves, one per block\n", what, n);
}

/*
 * The guest touches both blocks of @c's memory; an enabled VM gets a block
 * for the first where every host entry is alike, and for the second; one
 * that is not, stock's Device pages.
 */
static void run_shape(const struct shape_case *c, bool enable, const char *prefix)
{
	uint64_t bp = host_pmd / host_page;
	char what[128], second[160];
	struct bvm b;
	int err;

	snprintf(what, sizeof(what), "blocks: %s: %s", prefix, c->name);
	snprintf(second, sizeof(second), "%s, second block", what);
	blocks_create(&b, c->dev, enable);
	err = bvm_touch(&b, 0, BLOCKS * bp, c->skip, c->write);
	if (err) {
		test_result(false, "%s: KVM_RUN: %s\n", what, strerror(err));
		bvm_destroy(&b);
		return;
	}
	if (!enable) {
		bvm_expect(&b, 0, BLOCKS * bp, c->skip, 3, S2_DEVICE, what);
	} else {
		bvm_expect(&b, 0, bp, c->skip, c->block ? 2 : 3, S2_NORMAL, what);
		bvm_expect(&b, bp, bp, BVM_NO_SKIP, 2, S2_NORMAL, second);
		if (c->block)
			expect_leaves(&b, BLOCKS, what);
	}
	if (c->skip != BVM_NO_SKIP)
		expect_unmapped(&b, c->skip, what);
	bvm_destroy(&b);
}

/* Stock KVM, or a VM that is not enabled: Device pages for every shape. */
static void run_shapes_stock(const char *prefix)
{
	size_t i;

	if (!blocks_fit("blocks: stock"))
		return;
	for (i = 0; i < ARRAY_SIZE(shape_cases); i++)
		run_shape(&shape_cases[i], false, prefix);
}

static void case_shapes_stock(void)
{
	run_shapes_stock("stock");
}

static void case_shapes_not_enabled(void)
{
	run_shapes_stock("not enabled");
}

static void case_shapes_enabled(void)
{
	size_t i;

	if (!blocks_fit("blocks: enabled") || !blocks_have_fwb("blocks: enabled"))
		return;
	for (i = 0; i < ARRAY_SIZE(shape_cases); i++)
		run_shape(&shape_cases[i], true, "enabled");
}

/*
 * The first block's second half mapped again, by its own mmap() of the
 * same offset: the host's entries are as contiguous as before, but the
 * block spans two VMAs, which may differ in what the host allows (flags,
 * a driver's fault handler), so it gets pages; the second block, inside
 * one VMA, is still a block.
 */
static void case_two_vmas(void)
{
	uint64_t bp = host_pmd / host_page, half = host_pmd / 2;
	const char *what = "blocks: enabled: the first block in two VMAs";
	struct bvm b;
	void *p;
	int fd;

	if (!blocks_fit(what) || !blocks_have_fwb(what))
		return;
	blocks_create(&b, "nvgrace_contig", true);
	fd = open("/dev/s2attr_nvgrace_contig", O_RDWR);
	TEST_ASSERT(fd >= 0, "open /dev/s2attr_nvgrace_contig: %s", strerror(errno));
	p = mmap((uint8_t *)b.t.hva + half, half, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, bvm_offset() + half);
	TEST_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	close(fd);
	TEST_ASSERT(!bvm_touch(&b, 0, BLOCKS * bp, BVM_NO_SKIP, true), "%s: KVM_RUN", what);
	bvm_expect(&b, 0, bp, BVM_NO_SKIP, 3, S2_NORMAL, what);
	bvm_expect(&b, bp, bp, BVM_NO_SKIP, 2, S2_NORMAL, "blocks: enabled: the block after it, in one VMA");
	bvm_destroy(&b);
}

/* Both blocks mapped: Normal-WB blocks if @enable, else Device pages. */
static bool blocks_create_mapped(struct bvm *b, bool enable, const char *what)
{
	uint64_t bp = host_pmd / host_page;

	blocks_create(b, "nvgrace_contig", enable);
	TEST_ASSERT(!bvm_touch(b, 0, BLOCKS * bp, BVM_NO_SKIP, true), "%s: KVM_RUN", what);
	return bvm_expect(b, 0, BLOCKS * bp, BVM_NO_SKIP, enable ? 2 : 3,
			  enable ? S2_NORMAL : S2_DEVICE, what);
}

/*
 * munmap() of one page: nothing maps it any more, and around it the guest
 * gets pages; a guest access to it fails KVM_RUN with EFAULT, as stock
 * KVM's does (no VMA).
 */
static void run_munmap(bool enable, const char *cfg)
{
	uint64_t bp = host_pmd / host_page;
	enum s2 type = enable ? S2_NORMAL : S2_DEVICE;
	char what[96];
	struct bvm b;
	int err;

	snprintf(what, sizeof(what), "blocks: munmap, %s: before", cfg);
	blocks_create_mapped(&b, enable, what);
	TEST_ASSERT(!munmap((uint8_t *)b.t.hva + BVM_ODD * b.page, b.page), "munmap");
	snprintf(what, sizeof(what), "blocks: munmap, %s: the page", cfg);
	expect_unmapped(&b, BVM_ODD, what);
	if (enable)
		expect_unmapped(&b, 0, "blocks: munmap, enabled: its block is dropped");
	snprintf(what, sizeof(what), "blocks: munmap, %s: the other block", cfg);
	bvm_expect(&b, bp, bp, BVM_NO_SKIP, enable ? 2 : 3, type, what);

	TEST_ASSERT(!bvm_touch(&b, 0, bp, BVM_ODD, true), "munmap: KVM_RUN");
	snprintf(what, sizeof(what), "blocks: munmap, %s: around the page", cfg);
	bvm_expect(&b, 0, bp, BVM_ODD, 3, type, what);
	err = bvm_touch(&b, BVM_ODD, 1, BVM_NO_SKIP, true);
	test_result(err == EFAULT, "blocks: munmap, %s: a write to the page: KVM_RUN fails with EFAULT (%s)\n",
		    cfg, strerror(err));
	snprintf(what, sizeof(what), "blocks: munmap, %s: the page after the write", cfg);
	expect_unmapped(&b, BVM_ODD, what);
	bvm_destroy(&b);
}

static void case_munmap_stock(void)
{
	if (blocks_fit("blocks: munmap"))
		run_munmap(false, "stock");
}

static void case_munmap(void)
{
	if (!blocks_fit("blocks: munmap"))
		return;
	run_munmap(false, "not enabled");
	if (blocks_have_fwb("blocks: munmap, enabled"))
		run_munmap(true, "enabled");
}

/*
 * mprotect() of one page read-only: the block is dropped; read, the page
 * is mapped read-only and its neighbours writable; a write to it fails
 * KVM_RUN with EFAULT, as stock KVM's does.
 */
static void case_mprotect(void)
{
	uint64_t bp = host_pmd / host_page;
	struct leaf l;
	struct bvm b;
	int err;

	if (!blocks_fit("blocks: mprotect") || !blocks_have_fwb("blocks: mprotect"))
		return;
	blocks_create_mapped(&b, true, "blocks: mprotect: before");
	TEST_ASSERT(!mprotect((uint8_t *)b.t.hva + BVM_ODD * b.page, b.page, PROT_READ),
		    "mprotect");
	expect_unmapped(&b, 0, "blocks: mprotect: its block is dropped");
	bvm_expect(&b, bp, bp, BVM_NO_SKIP, 2, S2_NORMAL, "blocks: mprotect: the other block");

	TEST_ASSERT(!bvm_touch(&b, 0, bp, BVM_NO_SKIP, false), "mprotect: KVM_RUN");
	bvm_expect(&b, 0, bp, BVM_NO_SKIP, 3, S2_NORMAL, "blocks: mprotect: read");
	l = bvm_leaf(&b, BVM_ODD);
	test_result(l.valid && !(l.desc & S2_DESC_W),
		    "blocks: mprotect: the page is mapped read-only (desc 0x%lx)\n", l.desc);
	l = bvm_leaf(&b, BVM_ODD - 1);
	test_result(l.valid && (l.desc & S2_DESC_W),
		    "blocks: mprotect: its neighbour stays writable (desc 0x%lx)\n", l.desc);
	err = bvm_touch(&b, BVM_ODD, 1, BVM_NO_SKIP, true);
	test_result(err == EFAULT,
		    "blocks: mprotect: a write to the page: KVM_RUN fails with EFAULT (%s)\n",
		    strerror(err));
	bvm_destroy(&b);
}

/* Disabling the VM drops the blocks; the memory faults in as Device pages. */
static void case_disable(void)
{
	uint64_t bp = host_pmd / host_page;
	struct bvm b;

	if (!blocks_fit("blocks: disable") || !blocks_have_fwb("blocks: disable"))
		return;
	blocks_create_mapped(&b, true, "blocks: disable: before");
	TEST_ASSERT(!vm_set_enabled(&b.t, false), "disabling VM %s", b.t.name);
	expect_unmapped(&b, 0, "blocks: disable: the first block is dropped");
	expect_unmapped(&b, bp, "blocks: disable: the second block is dropped");
	TEST_ASSERT(!bvm_touch(&b, 0, BLOCKS * bp, BVM_NO_SKIP, true), "disable: KVM_RUN");
	bvm_expect(&b, 0, BLOCKS * bp, BVM_NO_SKIP, 3, S2_DEVICE, "blocks: disable: after");
	bvm_destroy(&b);
}

/* default_enabled=1: a VM is enabled from its creation, blocks at once. */
static void case_default(void)
{
	if (!blocks_fit("blocks: default_enabled=1") ||
	    !blocks_have_fwb("blocks: default_enabled=1"))
		return;
	run_shape(&shape_cases[0], true, "default_enabled=1");
}

/* ---- the comparison with the reference kernel ------------------------ */

struct dump_case {
	const char	*dev;
	bool		write;
	bool		exec;		/* then call page 0: with DIC only */
	uint64_t	skip;
};

/* Every kind of memory both kernels map, over two blocks. */
static const struct dump_case dump_cases[] = {
	{ "pfnmap_wb",		true,  false, BVM_NO_SKIP },
	{ "pfnmap_nc",		true,  false, BVM_NO_SKIP },
	{ "pfnmap_wc",		true,  false, BVM_NO_SKIP },
	{ "pfnmap_wb_huge",	true,  false, BVM_NO_SKIP },
	{ "nvgrace_contig",	true,  false, BVM_NO_SKIP },
	{ "nvgrace_contig",	false, false, BVM_NO_SKIP },
	{ "nvgrace_contig",	true,  true,  BVM_NO_SKIP },
	{ "nvgrace_hole",	true,  false, BVM_ODD },
	{ "nvgrace_swap",	true,  false, BVM_NO_SKIP },
	{ "nvgrace_prot",	true,  false, BVM_NO_SKIP },
	{ "nvgrace_ro",		false, false, BVM_NO_SKIP },
};

/* A leaf's descriptor without its output address and page/block bit. */
static uint64_t leaf_attrs(struct leaf l)
{
	return l.desc & ~(((1ULL << 48) - 1) & ~(SZ_4K - 1)) & ~2ULL;
}

/* One line per run of leaves alike: level, attributes, contiguous PAs. */
static void dump_region(struct bvm *b, const char *name)
{
	uint64_t page = 0, run, next;
	struct leaf l, m;

	while (page < b->npages) {
		l = bvm_leaf(b, page);
		run = bvm_leaf_pages(b, l);
		for (next = page + run; next < b->npages; next += bvm_leaf_pages(b, m)) {
			m = bvm_leaf(b, next);
			if (m.valid != l.valid || m.level != l.level ||
			    leaf_attrs(m) != leaf_attrs(l) ||
			    (l.valid && m.pa != l.pa + run * b->page))
				break;
			run += bvm_leaf_pages(b, m);
		}
		printf("dump: %s page=%lu pages=%lu valid=%d level=%u attrs=0x%lx pa=%lu\n",
		       name, page, run, l.valid, l.level, leaf_attrs(l),
		       l.valid ? (l.pa - b->pa) / b->page : 0);
		page = next;
	}
}

static void case_dump(void)
{
	uint64_t bp = host_pmd / host_page;
	char name[64];
	struct bvm b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dump_cases); i++) {
		const struct dump_case *c = &dump_cases[i];

		if (c->exec && !cpu_dic)
			continue;
		snprintf(name, sizeof(name), "%s,%s%s", c->dev,
			 c->write ? "write" : "read", c->exec ? "+exec" : "");
		bvm_create(&b, c->dev, BLOCKS * host_pmd, 0, BVM_ALL, false);
		bvm_guest_exec = c->exec;
		test_result(!bvm_touch(&b, 0, BLOCKS * bp, c->skip, c->write),
			    "dump: %s: the guest ran\n", name);
		bvm_guest_exec = false;
		dump_region(&b, name);
		bvm_destroy(&b);
	}
}

static const struct suite suites[] = {
	{ "stock",	{ case_shapes_stock, case_munmap_stock } },
	{ "module",	{ case_shapes_enabled, case_shapes_not_enabled, case_two_vmas,
			  case_munmap, case_mprotect, case_disable } },
	{ "default",	{ case_default } },
	{ "dump",	{ case_dump } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
