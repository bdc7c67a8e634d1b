// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_nvgrace: memory mapped the way nvgrace-gpu maps GPU memory, by
 * the test provider that imitates it (tests/host/modules/s2attr_test_nvgrace.c):
 * usemem cacheable and resmem write-combine with VM_ALLOW_ANY_UNCACHED,
 * each mapped whole at mmap() with remap_pfn_range() (page-sized stage-1
 * entries) and vm_pgoff set to the start PFN.  Each region is one memslot,
 * over a gigabyte in all; the guest touches a page every 64 MiB and the
 * last one, and the oracle reads the stage-2 leaf of each.
 *
 *   region   no s2attr, not enabled          enabled, FWB    enabled, no FWB
 *   usemem   Device                          Normal-WB       memslot EINVAL
 *   resmem   Normal-NC (Device on 6.1,       as not enabled  as not enabled
 *            without VM_ALLOW_ANY_UNCACHED)
 *
 * which is how upstream 6.17 maps them (FWB MemAttr 0b0110 and 0b0101).
 *
 * Suites: stock, module.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "s2attr_vmm.h"

#define NV_DEV_PREFIX	"/dev/s2attr_nvgrace_"
#define NV_STRIDE	(64ULL << 20)	/* one touched page per 64 MiB */
#define NV_GPA		0x80000000ULL	/* above REGION_GPA's 1 GiB slot */

struct nv_case {
	const char	*region;
	bool		enable;
	enum s2		want[2];	/* [cpu_fwb]; S2_UNMAPPED: memslot EINVAL */
};

static const struct nv_case stock_cases[] = {
	{ "usemem",	false,	{ S2_DEVICE, S2_DEVICE } },
	{ "resmem",	false,	{ S2_NORMAL_NC, S2_NORMAL_NC } },
};

static const struct nv_case module_cases[] = {
	{ "usemem",	false,	{ S2_DEVICE, S2_DEVICE } },
	{ "resmem",	false,	{ S2_NORMAL_NC, S2_NORMAL_NC } },
	{ "usemem",	true,	{ S2_UNMAPPED, S2_NORMAL } },
	{ "resmem",	true,	{ S2_NORMAL_NC, S2_NORMAL_NC } },
};

static volatile uint64_t nv_stride, nv_count;

/* Touch the first page of every stride, then the last page. */
static void nv_guest_code(uint64_t gva, uint64_t size)
{
	uint64_t i;

	for (i = 0; i < nv_count; i++)
		WRITE_ONCE(*(volatile uint64_t *)(gva + i * nv_stride), i);
	WRITE_ONCE(*(volatile uint64_t *)(gva + size - 8), 1);
	GUEST_DONE();
}

#define NV_PARAMS	"/sys/module/s2attr_test_nvgrace/parameters/"

static uint64_t nv_param(const char *name)
{
	char buf[32];

	TEST_ASSERT(!sysfs_read(name, buf, sizeof(buf)), "%s: not loaded?", name);
	return strtoull(buf, NULL, 0);
}

/* The size of @region, from the provider's parameters. */
static uint64_t nv_region_size(const char *region)
{
	uint64_t resmem = nv_param(NV_PARAMS "resmem");

	return strcmp(region, "resmem") ? nv_param(NV_PARAMS "size") - resmem : resmem;
}

/* resmem is Normal-NC in stock KVM only with VM_ALLOW_ANY_UNCACHED (6.9+). */
static enum s2 nv_resmem_stock(void)
{
	return value_is(NV_PARAMS "anyuc", "Y\n") ? S2_NORMAL_NC : S2_DEVICE;
}

/* A VM whose memslot at NV_GPA is all of @region; 0 or the errno. */
static int nv_create(struct tvm *t, const char *region, bool enable)
{
	char path[64];
	uint64_t gpa;
	int fd;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), NV_DEV_PREFIX "%s", region);
	fd = open(path, O_RDWR);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	t->size = nv_region_size(region);
	TEST_ASSERT(t->size >= NV_STRIDE, "%s: %lu bytes", path, t->size);
	t->hva = mmap(hva_aligned(t->size, host_pmd), t->size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED, fd, 0);
	TEST_ASSERT(t->hva != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	close(fd);

	t->vm = vm_create_with_one_vcpu(&t->vcpu, nv_guest_code);
	vm_ucall_init(t->vm);
	snprintf(t->name, sizeof(t->name), "%d-%d", getpid(), t->vm->fd);
	for (gpa = NV_GPA; gpa < NV_GPA + t->size; gpa += NV_STRIDE)
		virt_pg_map(t->vm, gpa, gpa);
	gpa = NV_GPA + t->size - t->vm->page_size;
	virt_pg_map(t->vm, gpa, gpa);
	guest_set(t->vm, &nv_stride, NV_STRIDE);
	guest_set(t->vm, &nv_count, (t->size + NV_STRIDE - 1) / NV_STRIDE);
	vcpu_args_set(t->vcpu, 2, NV_GPA, t->size);

	if (enable && vm_set_enabled(t, true))
		return EIO;
	if (__vm_set_user_memory_region(t->vm, REGION_SLOT, 0, NV_GPA, t->size, t->hva))
		return errno;
	return 0;
}

/* Every touched page is mapped @want; one result. */
static void nv_expect(struct tvm *t, enum s2 want, const char *what)
{
	uint64_t off, desc = 0;
	uint32_t level = 0;
	enum s2 got = want;
	bool valid;

	for (off = 0; off < t->size && got == want; off += NV_STRIDE) {
		desc = s2_desc(t, NV_GPA + off, &level, &valid);
		got = s2_decode(desc, valid);
	}
	if (got == want) {
		desc = s2_desc(t, NV_GPA + t->size - 8, &level, &valid);
		got = s2_decode(desc, valid);
	}
	test_result(got == want, "%s: %s, want %s (desc 0x%016lx, level %u)\n",
		    what, s2_name[got], s2_name[want], desc, level);
}

static void run_case(const struct nv_case *c, const char *prefix)
{
	enum s2 want = c->want[cpu_fwb];
	char what[128];
	struct tvm t;
	struct ucall uc;
	int err;

	if (want == S2_NORMAL_NC)
		want = nv_resmem_stock();
	err = nv_create(&t, c->region, c->enable);
	snprintf(what, sizeof(what), "%s: %s%s, %lu MiB in one memslot", prefix,
		 c->enable ? "enabled: " : "", c->region, t.size >> 20);
	if (want == S2_UNMAPPED) {
		test_result(err == EINVAL, "%s: memslot refused with EINVAL (got %d)\n",
			    what, err);
	} else if (err) {
		test_result(false, "%s: memslot failed: %s\n", what, strerror(err));
	} else if (_vcpu_run(t.vcpu) || get_ucall(t.vcpu, &uc) != UCALL_DONE) {
		test_result(false, "%s: the guest did not complete (%s)\n", what,
			    strerror(errno));
	} else {
		nv_expect(&t, want, what);
	}
	kvm_vm_free(t.vm);
	munmap(t.hva, t.size);
}

static void case_stock(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stock_cases); i++)
		run_case(&stock_cases[i], "nvgrace: stock");
}

static void case_module(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(module_cases); i++)
		run_case(&module_cases[i], "nvgrace: module");
}

static const struct suite suites[] = {
	{ "stock",	{ case_stock } },
	{ "module",	{ case_module } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
