// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stage-2 blocks over memory the host maps with pages: VMs whose region is
 * memory of the nvgrace-shaped provider's shapes, or of the PFNMAP
 * provider, placed so that a stage-2 block can map it, and the leaves the
 * oracle finds there, with the PA each maps.
 *
 * Everything is counted in host pages: the stage-2 granule is the host's
 * page size, and the block is the host's PMD size, 2 MiB with 4 KiB pages
 * and 512 MiB with 64 KiB pages.  The guest keeps its 4 KiB pages and
 * touches one word in each host page it is asked to.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "s2attr_vmm.h"

#define NVGRACE_PARAMS	"/sys/module/s2attr_test_nvgrace/parameters/"
#define GUEST_PAGE	4096ULL
/* AArch64 "ret", placed at the start of the region for an exec run. */
#define BVM_INSN_RET	0xd65f03c0U
/* The region starts at the first block-aligned PA this far into the memory */
#define BVM_MIN_OFFSET	(256ULL << 20)

/* ---- guest ---------------------------------------------------------- */

/* What the guest does on its next run; written by the host. */
static volatile uint64_t bg_gva, bg_first, bg_npages, bg_page, bg_block_pages;
static volatile uint64_t bg_window, bg_skip, bg_write;
volatile uint64_t bvm_guest_exec;	/* then call the region's first page */

/*
 * Touch one word of each host page in [first, first + npages) that is in
 * its block's window, but page skip; then, with bvm_guest_exec, call page 0.
 */
static void bvm_guest_code(void)
{
	for (;;) {
		uint64_t i, page = bg_page, bp = bg_block_pages, window = bg_window;
		uint64_t gva = bg_gva, end = bg_first + bg_npages, skip = bg_skip;
		bool write = bg_write;

		for (i = bg_first; i < end; i++) {
			volatile uint64_t *p = (void *)(gva + i * page + 8);

			if (i == skip || i % bp >= window)
				continue;
			if (write)
				WRITE_ONCE(*p, i);
			else
				READ_ONCE(*p);
		}
		if (bvm_guest_exec)
			((void (*)(void))bg_gva)();
		GUEST_DONE();
	}
}

/* ---- host ----------------------------------------------------------- */

static uint64_t nvgrace_param(const char *name)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), NVGRACE_PARAMS "%s", name);
	TEST_ASSERT(!sysfs_read(path, buf, sizeof(buf)), "s2attr_test_nvgrace is not loaded");
	return strtoull(buf, NULL, 0);
}

static uint64_t nvgrace_base(void)
{
	return nvgrace_param("base");
}

/*
 * The offset into the providers' memory of the blocks' region: block
 * aligned in PA, clear of the offsets the other tests use.
 */
uint64_t bvm_offset(void)
{
	uint64_t base = nvgrace_base(), block = host_pmd;

	return ((base + BVM_MIN_OFFSET + block - 1) & ~(block - 1)) - base;
}

/* Bytes of the providers' memory from bvm_offset() on. */
uint64_t bvm_room(void)
{
	uint64_t size = nvgrace_param("size"), off = bvm_offset();

	return size > off ? size - off : 0;
}

bool bvm_is_touched(const struct bvm *b, uint64_t page)
{
	return page % (b->block / b->page) < b->window;
}

/* The guest maps the pages it touches, one 4 KiB page of each. */
static void bvm_map_guest(struct bvm *b)
{
	uint64_t i, gpa;

	for (i = 0; i < b->npages; i++) {
		if (!bvm_is_touched(b, i))
			continue;
		gpa = REGION_GPA + i * b->page;
		virt_pg_map(b->t.vm, gpa, gpa);
	}
}

/* @size bytes of /dev/s2attr_@dev at bvm_offset(), @skew past a block boundary. */
static void *bvm_map(const char *dev, uint64_t size, uint64_t skew)
{
	char path[64];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/dev/s2attr_%s", dev);
	fd = open(path, O_RDWR);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	p = mmap((uint8_t *)hva_aligned(size + skew, host_pmd) + skew, size,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, bvm_offset());
	TEST_ASSERT(p != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	close(fd);
	return p;
}

/*
 * Create a VM whose region at REGION_GPA is @size bytes of /dev/s2attr_@dev
 * ("nvgrace_<shape>" or "pfnmap_<kind>") at bvm_offset(), its HVA @skew
 * bytes past a block boundary; the guest maps the first @window pages of
 * each block (BVM_ALL: all).  @enable: the VM is enabled before its
 * memslot exists, which needs FWB.
 */
void bvm_create(struct bvm *b, const char *dev, uint64_t size, uint64_t skew,
		uint64_t window, bool enable)
{
	uint64_t block_pages, spanned;

	memset(b, 0, sizeof(*b));
	b->shape = dev;
	b->page = host_page;
	b->block = host_pmd;
	b->npages = size / b->page;
	block_pages = b->block / b->page;
	b->window = window && window < block_pages ? window : block_pages;
	b->pa = nvgrace_base() + bvm_offset();

	/* Room in slot 0 for the guest's page tables of what it maps */
	spanned = size / block_pages * b->window / GUEST_PAGE;
	b->t.vm = __vm_create_with_one_vcpu(&b->t.vcpu, spanned, bvm_guest_code);
	vm_ucall_init(b->t.vm);
	snprintf(b->t.name, sizeof(b->t.name), "%d-%d", getpid(), b->t.vm->fd);
	b->t.size = size;
	b->t.offset = bvm_offset();
	b->t.hva = bvm_map(dev, size, skew);
	*(volatile uint32_t *)b->t.hva = BVM_INSN_RET;
	bvm_map_guest(b);
	guest_set(b->t.vm, &bg_gva, REGION_GPA);
	guest_set(b->t.vm, &bg_page, b->page);
	guest_set(b->t.vm, &bg_block_pages, block_pages);
	guest_set(b->t.vm, &bg_window, b->window);
	TEST_ASSERT(!enable || !vm_set_enabled(&b->t, true), "enabling VM %s", b->t.name);
	vm_set_user_memory_region(b->t.vm, REGION_SLOT, 0, REGION_GPA, size, b->t.hva);
}

/*
 * Run the guest over @npages from page @first, but page @skip, writing or
 * reading; 0, or the errno of a failed KVM_RUN.
 */
int bvm_touch(struct bvm *b, uint64_t first, uint64_t npages, uint64_t skip,
	      bool write)
{
	struct ucall uc;

	guest_set(b->t.vm, &bg_first, first);
	guest_set(b->t.vm, &bg_npages, npages);
	guest_set(b->t.vm, &bg_skip, skip);
	guest_set(b->t.vm, &bg_write, write);
	guest_set(b->t.vm, &bvm_guest_exec, bvm_guest_exec);
	if (_vcpu_run(b->t.vcpu))
		return errno;
	TEST_ASSERT(get_ucall(b->t.vcpu, &uc) == UCALL_DONE,
		    "%s: unexpected exit %u", b->t.name, b->t.vcpu->run->exit_reason);
	return 0;
}

void bvm_destroy(struct bvm *b)
{
	tvm_destroy(&b->t);
}

/* The PA the host maps at page @page of the region. */
uint64_t bvm_host_pa(const struct bvm *b, uint64_t page)
{
	uint64_t p = page;

	if (!strcmp(b->shape, "nvgrace_swap") && (page == BVM_ODD || page == BVM_ODD + 1))
		p = page == BVM_ODD ? BVM_ODD + 1 : BVM_ODD;
	return b->pa + p * b->page;
}

/* The leaf (or invalid entry) at page @page of the region. */
struct leaf bvm_leaf(struct bvm *b, uint64_t page)
{
	uint64_t ipa = REGION_GPA + page * b->page, mask;
	struct leaf l;

	l.desc = s2_desc(&b->t, ipa, &l.level, &l.valid);
	mask = s2_level_size(l.level) - 1;
	l.pa = l.valid ? (l.desc & ((1ULL << 48) - 1) & ~mask) | (ipa & mask) : 0;
	return l;
}

/* Pages an entry at @l's level maps. */
uint64_t bvm_leaf_pages(const struct bvm *b, struct leaf l)
{
	return s2_level_size(l.level) / b->page;
}

/*
 * Every page the guest maps in [@first, @first + @n), but @skip, has a
 * valid leaf at @level of type @want at the PA the host maps; one result.
 */
bool bvm_expect(struct bvm *b, uint64_t first, uint64_t n, uint64_t skip,
		uint32_t level, enum s2 want, const char *what)
{
	struct leaf l = { 0 };
	uint64_t i;

	for (i = first; i < first + n; i++) {
		if (i == skip || !bvm_is_touched(b, i))
			continue;
		l = bvm_leaf(b, i);
		if (!l.valid || l.level != level || s2_decode(l.desc, true) != want ||
		    l.pa != bvm_host_pa(b, i))
			break;
	}
	if (i < first + n)
		ksft_print_msg("%s: page %lu: valid %d level %u desc 0x%016lx PA 0x%lx (host 0x%lx)\n",
			       what, i, l.valid, l.level, l.desc, l.pa, bvm_host_pa(b, i));
	test_result(i == first + n, "%s: %s, %s\n", what,
		    level == 2 ? "stage-2 blocks" : "stage-2 pages", s2_name[want]);
	return i == first + n;
}
