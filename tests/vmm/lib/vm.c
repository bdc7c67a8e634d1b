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

const char * const kind_name[] = { "wb", "nc", "wc", "wb_huge" };
const uint64_t kind_offset[] = { 0, 64 << 20, 128 << 20, 192 << 20 };

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

static void guest_touch(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		WRITE_ONCE(*(volatile uint64_t *)(gva + i * PAGE_4K + 8), i);
}

void guest_code(uint64_t gva, uint64_t npages)
{
	for (;;) {
		uint64_t ops = READ_ONCE(guest_ops);

		if (ops & G_TOUCH) {
			guest_touch(gva, npages);
			GUEST_SYNC(G_TOUCH);
		}
		if (ops & G_EXEC) {
			((void (*)(void))gva)();
			GUEST_SYNC_ARGS(G_EXEC, guest_pabt, 0, 0, 0);
		}
		while ((ops & G_LOOP) && !READ_ONCE(guest_stop)) {
			guest_touch(gva, npages);
			GUEST_SYNC(G_LOOP);
		}
		GUEST_DONE();
	}
}

/* ---- host ----------------------------------------------------------- */

/*
 * A free 2 MiB-aligned range of @size bytes, so that a huge mapping can use
 * PMD leaves and KVM block mappings (it needs HVA and IPA equally aligned).
 */
void *hva_aligned_2m(uint64_t size)
{
	uint8_t *p = mmap(NULL, size + SZ_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *aligned;

	TEST_ASSERT(p != MAP_FAILED, "reserving address space: %s", strerror(errno));
	aligned = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (aligned > p)
		munmap(p, aligned - p);
	munmap(aligned + size, p + size + SZ_2M - (aligned + size));
	return aligned;
}

/* @size bytes of the provider's device @kind at @offset, 2 MiB-aligned. */
void *provider_map(enum kind kind, uint64_t size, uint64_t offset)
{
	char path[64];
	void *p;
	int fd;

	snprintf(path, sizeof(path), S2ATTR_PFNMAP_DEV_PREFIX "%s", kind_name[kind]);
	fd = open(path, O_RDWR);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	p = mmap(hva_aligned_2m(size), size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, offset);
	TEST_ASSERT(p != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	close(fd);
	return p;
}

/*
 * Create a VM whose region at REGION_GPA is @npages of provider memory of
 * @kind, at @offset into the provider's memory.
 */
void tvm_create_at(struct tvm *t, enum kind kind, uint64_t npages, uint64_t offset)
{
	memset(t, 0, sizeof(*t));
	t->vm = vm_create_with_one_vcpu(&t->vcpu, guest_code);
	vm_ucall_init(t->vm);
	vm_init_descriptor_tables(t->vm);
	vcpu_init_descriptor_tables(t->vcpu);
	vm_install_sync_handler(t->vm, VECTOR_SYNC_CURRENT, ESR_EC_IABT,
				guest_pabt_handler);
	snprintf(t->name, sizeof(t->name), "%d-%d", getpid(), t->vm->fd);

	t->size = npages * PAGE_4K;
	t->hva = provider_map(kind, t->size, offset);
	*(volatile uint32_t *)t->hva = INSN_RET;
	virt_map(t->vm, REGION_GPA, REGION_GPA, npages);
	vcpu_args_set(t->vcpu, 2, REGION_GPA, npages);
}

void tvm_create(struct tvm *t, enum kind kind, uint64_t npages)
{
	tvm_create_at(t, kind, npages, kind_offset[kind]);
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

/* Run the guest to completion; false on any unexpected exit. */
bool tvm_run(struct tvm *t, uint64_t ops)
{
	struct ucall uc;

	guest_set(t->vm, &guest_ops, ops);
	for (;;) {
		if (_vcpu_run(t->vcpu)) {
			t->run_err = errno;
			ksft_print_msg("%s: KVM_RUN: %s\n", t->name, strerror(errno));
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
			ksft_print_msg("%s: unexpected exit %d (ucall %lu)\n", t->name,
				       t->vcpu->run->exit_reason, uc.cmd);
			return false;
		}
	}
}

void tvm_destroy(struct tvm *t)
{
	kvm_vm_free(t->vm);
	munmap(t->hva, t->size);
}
