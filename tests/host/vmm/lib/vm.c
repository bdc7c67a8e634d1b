// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest code and the test VMs: one vCPU, and a region at REGION_GPA of
 * provider memory (VM_PFNMAP, outside the linear map) that the guest maps
 * Normal-WB in stage 1.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "s2attr_vmm.h"

const char * const kind_name[] = { "wb", "nc", "wc", "wb_huge", "wc_anyuc" };
const uint64_t kind_offset[] = { 0, 64 << 20, 128 << 20, 192 << 20, 160 << 20 };

/* AArch64 "ret", placed at the start of page 0 for G_EXEC. */
#define INSN_RET	0xd65f03c0U

/* ---- guest ---------------------------------------------------------- */

static volatile uint64_t guest_pabt;
volatile uint64_t guest_stop;	/* written by the host */

/*
 * The guest serves one request per KVM_RUN sequence: the host writes
 * guest_ops, runs the vCPU until GUEST_DONE, and may run it again later
 * with other ops; the guest resumes after GUEST_DONE and loops.
 */
volatile uint64_t guest_ops;

static void guest_pabt_handler(struct ex_regs *regs)
{
	guest_pabt++;
	regs->pc = regs->regs[30];	/* return from the call into the page */
}

/* Writes to every host page of the region: @stride is host_page. */
static void guest_touch(uint64_t gva, uint64_t npages, uint64_t stride)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		WRITE_ONCE(*(volatile uint64_t *)(gva + i * stride + 8), i);
}

/*
 * The unaligned pattern, on page 0, which the host then reads back:
 * an 8-byte store at offset 3 (across an 8-byte boundary), an 8-byte load
 * of it stored again at offset 0x105, and a byte-by-byte copy of 61 bytes
 * from offset 0x11 to offset 0x207, the source written byte by byte first.
 * The 8-byte accesses are written out so the compiler cannot split them.
 */
#define UNALIGNED_VAL	0x0123456789abcdefULL
#define COPY_SRC	0x11
#define COPY_DST	0x207
#define COPY_LEN	61
#define PATTERN_SIZE	4096	/* the bytes of page 0 that are compared */

static uint8_t unaligned_byte(uint64_t i)
{
	return i * 7 + 1;
}

static void guest_unaligned(uint64_t gva)
{
	volatile uint8_t *p = (volatile uint8_t *)gva;
	uint64_t v = UNALIGNED_VAL, i;

	asm volatile("str %0, [%1]" : : "r" (v), "r" (gva + 3) : "memory");
	asm volatile("ldr %0, [%1]" : "=r" (v) : "r" (gva + 3) : "memory");
	asm volatile("str %0, [%1]" : : "r" (v), "r" (gva + 0x105) : "memory");
	for (i = 0; i < COPY_LEN; i++)
		p[COPY_SRC + i] = unaligned_byte(i);
	for (i = 0; i < COPY_LEN; i++)
		p[COPY_DST + i] = p[COPY_SRC + i];
}

void guest_code(uint64_t gva, uint64_t npages, uint64_t stride)
{
	for (;;) {
		uint64_t ops = READ_ONCE(guest_ops);

		if (ops & G_TOUCH) {
			guest_touch(gva, npages, stride);
			GUEST_SYNC(G_TOUCH);
		}
		if (ops & G_UNALIGNED) {
			guest_unaligned(gva);
			GUEST_SYNC(G_UNALIGNED);
		}
		if (ops & G_EXEC) {
			((void (*)(void))gva)();
			GUEST_SYNC_ARGS(G_EXEC, guest_pabt, 0, 0, 0);
		}
		while ((ops & G_LOOP) && !READ_ONCE(guest_stop)) {
			guest_touch(gva, npages, stride);
			GUEST_SYNC(G_LOOP);
		}
		GUEST_DONE();
	}
}

/* Page 0 as the unaligned pattern leaves it, on a page that was zero. */
void guest_unaligned_expect(uint8_t *page)
{
	uint64_t v = UNALIGNED_VAL, i;

	memset(page, 0, PATTERN_SIZE);
	memcpy(page + 3, &v, sizeof(v));
	memcpy(page + 0x105, &v, sizeof(v));
	for (i = 0; i < COPY_LEN; i++)
		page[COPY_SRC + i] = page[COPY_DST + i] = unaligned_byte(i);
}

/* ---- host ----------------------------------------------------------- */

/*
 * A free range of @size bytes aligned to @align (a power of two), so that
 * a huge mapping can use PMD leaves and KVM block mappings (it needs HVA
 * and IPA equally aligned).
 */
void *hva_aligned(uint64_t size, uint64_t align)
{
	uint8_t *p = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *aligned;

	TEST_ASSERT(p != MAP_FAILED, "reserving address space: %s", strerror(errno));
	aligned = (uint8_t *)(((uintptr_t)p + align - 1) & ~(align - 1));
	if (aligned > p)
		munmap(p, aligned - p);
	munmap(aligned + size, p + size + align - (aligned + size));
	return aligned;
}

/* @size bytes of the provider's device @kind at @offset, PMD-aligned. */
void *provider_map(enum kind kind, uint64_t size, uint64_t offset)
{
	char path[64];
	void *p;
	int fd;

	snprintf(path, sizeof(path), S2ATTR_PFNMAP_DEV_PREFIX "%s", kind_name[kind]);
	fd = open(path, O_RDWR);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	p = mmap(hva_aligned(size, host_pmd), size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, offset);
	TEST_ASSERT(p != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	close(fd);
	return p;
}

/* After the VM and its vCPU exist: the region, the handlers, the name. */
static void tvm_setup(struct tvm *t, enum kind kind, uint64_t npages, uint64_t offset)
{
	vm_ucall_init(t->vm);
	vm_init_descriptor_tables(t->vm);
	vcpu_init_descriptor_tables(t->vcpu);
	vm_install_sync_handler(t->vm, VECTOR_SYNC_CURRENT, ESR_EC_IABT,
				guest_pabt_handler);
	snprintf(t->name, sizeof(t->name), "%d-%d", getpid(), t->vm->fd);

	t->kind = kind;
	t->offset = offset;
	t->size = npages * host_page;
	t->hva = provider_map(kind, t->size, offset);
	*(volatile uint32_t *)t->hva = INSN_RET;
	virt_map(t->vm, REGION_GPA, REGION_GPA, t->size / t->vm->page_size);
	vcpu_args_set(t->vcpu, 3, REGION_GPA, npages, host_page);
}

/*
 * Create a VM whose region at REGION_GPA is @npages host pages of provider
 * memory of @kind, at @offset into the provider's memory.
 */
void tvm_create_at(struct tvm *t, enum kind kind, uint64_t npages, uint64_t offset)
{
	memset(t, 0, sizeof(*t));
	t->vm = vm_create_with_one_vcpu(&t->vcpu, guest_code);
	tvm_setup(t, kind, npages, offset);
}

void tvm_create(struct tvm *t, enum kind kind, uint64_t npages)
{
	tvm_create_at(t, kind, npages, kind_offset[kind]);
}

/* The same with KVM_CAP_ARM_MTE, which must be enabled before any vCPU. */
void tvm_create_mte(struct tvm *t, enum kind kind, uint64_t npages)
{
	memset(t, 0, sizeof(*t));
	t->vm = vm_create(1);
	vm_enable_cap(t->vm, KVM_CAP_ARM_MTE, 0);
	t->vcpu = vm_vcpu_add(t->vm, 0, guest_code);
	tvm_setup(t, kind, npages, kind_offset[kind]);
}

int tvm_add_memslot(struct tvm *t)
{
	int ret = __vm_set_user_memory_region(t->vm, REGION_SLOT, 0, REGION_GPA,
					      t->size, t->hva);

	t->memslot_err = ret ? errno : 0;
	return t->memslot_err;
}

/* Write a variable of the guest's; @var is its address in the program. */
void guest_set(struct kvm_vm *vm, volatile uint64_t *var, uint64_t val)
{
	*(volatile uint64_t *)addr_gva2hva(vm, (vm_vaddr_t)var) = val;
}

/*
 * Run the guest to completion; false on any unexpected exit, or on a
 * failed KVM_RUN, whose errno is left in run_err and not reported.
 */
bool __tvm_run(struct tvm *t, uint64_t ops)
{
	struct ucall uc;

	guest_set(t->vm, &guest_ops, ops);
	for (;;) {
		if (_vcpu_run(t->vcpu)) {
			t->run_err = errno;
			return false;
		}
		switch (get_ucall(t->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == G_EXEC)
				t->pabt = uc.args[2];
			t->passes += uc.args[1] == G_LOOP;
			break;
		case UCALL_DONE:
			t->run_ok = true;
			return true;
		default:
			ksft_print_msg("%s: unexpected exit %u (ucall %lu)\n", t->name,
				       t->vcpu->run->exit_reason, uc.cmd);
			return false;
		}
	}
}

/* The same, reporting a failed KVM_RUN. */
bool tvm_run(struct tvm *t, uint64_t ops)
{
	if (__tvm_run(t, ops))
		return true;
	if (t->run_err)
		ksft_print_msg("%s: KVM_RUN: %s\n", t->name, strerror(t->run_err));
	return false;
}

void tvm_destroy(struct tvm *t)
{
	kvm_vm_free(t->vm);
	munmap(t->hva, t->size);
}

/* Zero page 0 with aligned stores: the provider's nc mapping is Device. */
void tvm_zero_page0(struct tvm *t)
{
	volatile uint64_t *p = t->hva;
	uint64_t i;

	for (i = 0; i < PATTERN_SIZE / sizeof(*p); i++)
		p[i] = 0;
}

/*
 * Page 0 of the region, read through a separate, fresh mapping of the
 * provider's device, holds exactly what the unaligned pattern wrote.
 */
bool tvm_reads_back(struct tvm *t)
{
	uint8_t want[PATTERN_SIZE];
	void *map = provider_map(t->kind, host_page, t->offset);
	volatile uint8_t *p = map;
	uint64_t i;

	guest_unaligned_expect(want);
	for (i = 0; i < PATTERN_SIZE && p[i] == want[i]; i++)
		;
	if (i < PATTERN_SIZE)
		ksft_print_msg("%s: read back: byte 0x%lx is 0x%02x, want 0x%02x\n",
			       t->name, i, p[i], want[i]);
	munmap(map, host_page);
	return i == PATTERN_SIZE;
}
