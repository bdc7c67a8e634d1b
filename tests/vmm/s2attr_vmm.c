// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_vmm: the test VMM.  Built on the KVM selftest library of the kernel
 * under test; runs inside the QEMU guest that runs that kernel.
 *
 * Each case creates VMs whose memory comes from the test provider
 * (/dev/s2attr_pfnmap_{wb,nc,wc}: PFNMAP memory outside the linear map),
 * runs guest code that touches it or executes from it, and asserts on the
 * stage-2 descriptors that the test oracle reads from KVM's page tables.
 *
 * Usage: s2attr_vmm <suite> [fwb=0|1] [dic=0|1]
 *
 *   stock		no s2attr loaded: every PFNMAP kind is mapped Device
 *   module		s2attr loaded, default_enabled=0: per-VM toggles, the
 *			decision table, the sysfs ABI
 *   default		s2attr loaded with default_enabled=1
 *   preload		s2attr not loaded: VMs that exist before it loads,
 *			rmmod with live VMs, an rmmod/insmod loop under load
 *   dump		print the descriptors of a fixed scenario, for the
 *			bit-for-bit comparison of stock and shimmed kernels
 *   demo		one VM's memory before and after enabling it
 *   bench		time per stage-2 fault: stock, loaded, enabled
 *   stress		VMs fault while s2attr is toggled and reloaded; sysfs
 *			fuzzing as root and as an unprivileged user
 *
 * fwb and dic are what the CPU model has, as the test runner knows it; the
 * expectations follow from them and from nothing s2attr reports.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "../modules/s2attr_test.h"

#ifndef ESR_EC_IABT	/* the 6.1 selftest library names only a few */
#define ESR_EC_IABT	0x21
#endif

/*
 * Before 6.6 ("KVM: selftests: Add guest_printf", which came with ucall
 * setup in vm_create()), each test sets up ucalls itself.
 */
#ifdef GUEST_PRINTF
#define vm_ucall_init(vm)	do { } while (0)
#else
#define vm_ucall_init(vm)	ucall_init(vm, NULL)
#endif

#define S2ATTR_SYSFS		"/sys/kernel/s2attr"
#define REGION_GPA		0x40000000ULL	/* far above the library's slot 0 */
#define REGION_SLOT		10
#define REGION_PAGES		16
#define PAGE_4K			4096ULL

#define SZ_2M			(2ULL << 20)
#define HUGE_PAGES		1024		/* 4 MiB: two 2 MiB blocks */

/*
 * Offsets into the provider's memory, one per kind so they never alias.
 * WB_HUGE is mapped with 2 MiB stage-1 leaves by the provider.
 */
enum kind { WB, NC, WC, WB_HUGE, NR_KINDS };
static const char * const kind_name[NR_KINDS] = { "wb", "nc", "wc", "wb_huge" };
static const uint64_t kind_offset[NR_KINDS] = { 0, 64 << 20, 128 << 20, 192 << 20 };

/*
 * What the guest does, in order: touch every page, then execute page 0;
 * with G_LOOP, touch every page again and again until guest_stop is set.
 */
#define G_TOUCH		(1 << 0)
#define G_EXEC		(1 << 1)
#define G_LOOP		(1 << 2)

/* AArch64 "ret", placed at the start of page 0 for G_EXEC. */
#define INSN_RET	0xd65f03c0U

static bool cpu_fwb, cpu_dic;
static int oracle_fd = -1;

/* ---- guest ---------------------------------------------------------- */

static volatile uint64_t guest_pabt;
static volatile uint64_t guest_stop;	/* written by the host */

static void guest_pabt_handler(struct ex_regs *regs)
{
	guest_pabt++;
	regs->pc = regs->regs[30];	/* return from the call into the page */
}

/*
 * The guest serves one request per KVM_RUN sequence: the host writes
 * guest_ops, runs the vCPU until GUEST_DONE, and may run it again later
 * with other ops; the guest resumes after GUEST_DONE and loops.
 */
static volatile uint64_t guest_ops;

static void guest_touch(uint64_t gva, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		WRITE_ONCE(*(volatile uint64_t *)(gva + i * PAGE_4K + 8), i);
}

static void guest_code(uint64_t gva, uint64_t npages)
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

/* ---- host helpers --------------------------------------------------- */

struct tvm {
	struct kvm_vm		*vm;
	struct kvm_vcpu		*vcpu;
	void			*hva;
	uint64_t		size;
	int			memslot_err;	/* errno of the memslot, 0 if set */
	uint64_t		pabt;		/* prefetch aborts the guest saw */
	uint64_t		passes;		/* G_LOOP passes completed */
	bool			run_ok;
	char			name[32];	/* "<pid>-<fd>" */
};

static uint64_t s2_desc(struct tvm *t, uint64_t ipa, uint32_t *level, bool *valid)
{
	struct s2attr_oracle_query q = { .vm_fd = t->vm->fd, .ipa = ipa };

	TEST_ASSERT(!ioctl(oracle_fd, S2ATTR_ORACLE_QUERY, &q),
		    "oracle query failed: %s", strerror(errno));
	TEST_ASSERT(q.fwb == cpu_fwb, "stage-2 FWB %u, CPU model says %u",
		    q.fwb, cpu_fwb);
	if (level)
		*level = q.level;
	*valid = q.valid;
	return q.desc;
}

/*
 * A free 2 MiB-aligned range of @size bytes, so that a huge mapping can use
 * PMD leaves and KVM block mappings (it needs HVA and IPA equally aligned).
 */
static void *hva_aligned_2m(uint64_t size)
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

/*
 * Create a VM whose region at REGION_GPA is @npages of provider memory of
 * @kind, at @offset into the provider's memory.
 */
static void tvm_create_at(struct tvm *t, enum kind kind, uint64_t npages,
			  uint64_t offset)
{
	char path[64];
	int fd;

	memset(t, 0, sizeof(*t));
	t->size = npages * PAGE_4K;
	t->vm = vm_create_with_one_vcpu(&t->vcpu, guest_code);
	vm_ucall_init(t->vm);
	vm_init_descriptor_tables(t->vm);
	vcpu_init_descriptor_tables(t->vcpu);
	vm_install_sync_handler(t->vm, VECTOR_SYNC_CURRENT, ESR_EC_IABT,
				guest_pabt_handler);
	snprintf(t->name, sizeof(t->name), "%d-%d", getpid(), t->vm->fd);

	snprintf(path, sizeof(path), S2ATTR_PFNMAP_DEV_PREFIX "%s", kind_name[kind]);
	fd = open(path, O_RDWR);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	t->hva = mmap(hva_aligned_2m(t->size), t->size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED, fd, offset);
	TEST_ASSERT(t->hva != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	close(fd);
	*(volatile uint32_t *)t->hva = INSN_RET;
	virt_map(t->vm, REGION_GPA, REGION_GPA, npages);
	vcpu_args_set(t->vcpu, 2, REGION_GPA, npages);
}

static void tvm_create(struct tvm *t, enum kind kind, uint64_t npages)
{
	tvm_create_at(t, kind, npages, kind_offset[kind]);
}

static int tvm_add_memslot(struct tvm *t)
{
	int ret = __vm_set_user_memory_region(t->vm, REGION_SLOT, 0, REGION_GPA,
					      t->size, t->hva);

	t->memslot_err = ret ? errno : 0;
	return t->memslot_err;
}

/* Run the guest to completion; false on any unexpected exit. */
static bool tvm_run(struct tvm *t, uint64_t ops)
{
	struct ucall uc;

	*(volatile uint64_t *)addr_gva2hva(t->vm, (vm_vaddr_t)&guest_ops) = ops;
	for (;;) {
		if (_vcpu_run(t->vcpu)) {
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

static void tvm_destroy(struct tvm *t)
{
	kvm_vm_free(t->vm);
	munmap(t->hva, t->size);
}

static int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Write @len bytes of @val; 0 or -errno of the write. */
static int sysfs_write(const char *path, const char *val, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Physical base of the provider's memory, as its module parameter says. */
static unsigned long long provider_base(void)
{
	char buf[32];

	TEST_ASSERT(!sysfs_read("/sys/module/s2attr_test_provider/parameters/base",
				buf, sizeof(buf)), "provider not loaded");
	return strtoull(buf, NULL, 0);
}

static long long provider_pmd_faults(void)
{
	char buf[32];

	TEST_ASSERT(!sysfs_read("/sys/module/s2attr_test_provider/parameters/pmd_faults",
				buf, sizeof(buf)), "provider not loaded");
	return atoll(buf);
}

/* @file in the sysfs directory of the VM called @vm ("" for the directory) */
static void vm_name_path(const char *vm, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, S2ATTR_SYSFS "/vms/%s%s%s", vm, *file ? "/" : "", file);
}

static void vm_path(const struct tvm *t, const char *file, char *buf, size_t len)
{
	vm_name_path(t->name, file, buf, len);
}

static int vm_set_enabled(const struct tvm *t, bool on)
{
	char path[128];

	vm_path(t, "enabled", path, sizeof(path));
	return sysfs_write(path, on ? "1\n" : "0\n", 2);
}

/* ---- expectations --------------------------------------------------- */

enum s2 { S2_DEVICE, S2_NORMAL, S2_NORMAL_NC, S2_UNMAPPED, S2_OTHER };
static const char * const s2_name[] = {
	"Device-nGnRE", "Normal-WB", "Normal-NC", "unmapped", "unexpected MemAttr",
};

static enum s2 s2_decode(uint64_t desc, bool valid)
{
	if (!valid)
		return S2_UNMAPPED;
	switch (S2_DESC_MEMATTR(desc)) {
	case S2_MEMATTR_DEVICE_NGNRE:
		return S2_DEVICE;
	case S2_MEMATTR_NORMAL_NC:
		return S2_NORMAL_NC;
	case S2_MEMATTR_FWB_NORMAL:
		return cpu_fwb ? S2_NORMAL : S2_OTHER;
	case S2_MEMATTR_NORMAL_WB:
		return cpu_fwb ? S2_OTHER : S2_NORMAL;
	}
	return S2_OTHER;
}

/* Every page of the region must be mapped as @want; reports one result. */
static bool expect_region(struct tvm *t, enum s2 want, const char *what)
{
	uint64_t i, desc = 0;
	bool valid = false;
	enum s2 got = want;

	for (i = 0; i < t->size / PAGE_4K && got == want; i++) {
		desc = s2_desc(t, REGION_GPA + i * PAGE_4K, NULL, &valid);
		got = s2_decode(desc, valid);
	}
	if (got != want)
		ksft_print_msg("%s: page %lu: %s, want %s (desc 0x%016lx)\n",
			       what, i - 1, s2_name[got], s2_name[want], desc);
	ksft_test_result(got == want, "%s: %s\n", what, s2_name[want]);
	return got == want;
}

/* ---- cases ---------------------------------------------------------- */

/* No policy: each kind maps as stock KVM maps it, exec gives a PABT. */
static void case_stock_kinds(const char *prefix)
{
	char what[96];
	struct tvm t;
	int k;

	for (k = 0; k < NR_KINDS; k++) {
		tvm_create(&t, k, REGION_PAGES);
		snprintf(what, sizeof(what), "%s: %s PFNMAP", prefix, kind_name[k]);
		if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH))
			ksft_test_result_fail("%s: memslot %d, run %d\n", what,
					      t.memslot_err, t.run_ok);
		else
			expect_region(&t, S2_DEVICE, what);
		tvm_destroy(&t);
	}

	tvm_create(&t, WB, 1);
	ksft_test_result(!tvm_add_memslot(&t) && tvm_run(&t, G_TOUCH | G_EXEC) &&
			 t.pabt == 1,
			 "%s: exec from wb PFNMAP: prefetch abort in the guest\n", prefix);
	tvm_destroy(&t);
}

static void case_vm_dir(void)
{
	char path[128];
	struct tvm t;
	bool gone;

	tvm_create(&t, WB, 1);
	vm_path(&t, "", path, sizeof(path));
	ksft_test_result(!access(path, F_OK), "vms/<pid>-<fd> appears with its VM\n");
	tvm_destroy(&t);
	gone = access(path, F_OK) && errno == ENOENT;
	ksft_test_result(gone, "vms/<pid>-<fd> disappears with its VM\n");
}

static void case_enabled(void)
{
	bool valid;
	struct tvm t;
	int k, err;

	/* Enabled before its memslots exist, as a VMM would do. */
	tvm_create(&t, WB, REGION_PAGES);
	ksft_test_result(!vm_set_enabled(&t, true), "enable a VM through sysfs\n");
	err = tvm_add_memslot(&t);
	if (!cpu_fwb) {
		ksft_test_result(err == EINVAL,
				 "enabled, no FWB: cacheable memslot refused with EINVAL (got %d)\n",
				 err);
		s2_desc(&t, REGION_GPA, NULL, &valid);
		ksft_test_result(!valid, "enabled, no FWB: nothing mapped\n");
		tvm_destroy(&t);
		return;
	}
	if (err || !tvm_run(&t, G_TOUCH))
		ksft_test_result_fail("enabled: wb PFNMAP: memslot %d run %d\n", err, t.run_ok);
	else
		expect_region(&t, S2_NORMAL, "enabled: wb PFNMAP");
	tvm_destroy(&t);

	for (k = NC; k <= WC; k++) {
		char what[64];

		snprintf(what, sizeof(what), "enabled: %s PFNMAP unchanged", kind_name[k]);
		tvm_create(&t, k, REGION_PAGES);
		vm_set_enabled(&t, true);
		if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH))
			ksft_test_result_fail("%s: memslot %d run %d\n", what,
					      t.memslot_err, t.run_ok);
		else
			expect_region(&t, S2_DEVICE, what);
		tvm_destroy(&t);
	}
}

/* Without DIC, exec is refused with a PABT; the data mapping stays Normal. */
static void case_enabled_exec(void)
{
	uint64_t desc;
	bool valid;
	struct tvm t;

	if (!cpu_fwb) {
		ksft_test_result_skip("enabled exec: needs FWB, this CPU model has none\n");
		return;
	}
	tvm_create(&t, WB, 1);
	vm_set_enabled(&t, true);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH | G_EXEC)) {
		ksft_test_result_fail("enabled exec: the guest did not complete\n");
	} else if (cpu_dic) {
		ksft_test_result(t.pabt == 0, "enabled exec with DIC: runs\n");
	} else {
		ksft_test_result(t.pabt == 1,
				 "enabled exec without DIC: prefetch abort in the guest\n");
		desc = s2_desc(&t, REGION_GPA, NULL, &valid);
		ksft_test_result(s2_decode(desc, valid) == S2_NORMAL && S2_DESC_XN(desc),
				 "enabled exec without DIC: data still Normal-WB, not executable\n");
	}
	tvm_destroy(&t);
}

/* Is the page of the guest's own code, which is RAM, still mapped? */
static bool ram_is_mapped(struct tvm *t)
{
	bool valid;

	s2_desc(t, addr_gva2gpa(t->vm, (vm_vaddr_t)guest_code), NULL, &valid);
	return valid;
}

/*
 * A toggle takes effect on memory already mapped: when the write returns,
 * no mapping of the old type is left, the VM's RAM is still mapped, and
 * the next access maps the new type.  Same VM throughout.
 */
static void case_toggle(void)
{
	static const struct { bool on; enum s2 want; } steps[] = {
		{ true, S2_NORMAL }, { false, S2_DEVICE }, { true, S2_NORMAL },
	};
	char what[64];
	struct tvm t;
	size_t i;

	if (!cpu_fwb) {
		ksft_test_result_skip("toggle: needs FWB, this CPU model has none\n");
		return;
	}
	tvm_create(&t, WB, REGION_PAGES);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH)) {
		ksft_test_result_fail("toggle: the guest did not run\n");
		tvm_destroy(&t);
		return;
	}
	expect_region(&t, S2_DEVICE, "toggle: before enabling");
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(what, sizeof(what), "toggle %zu: enabled=%d", i + 1, steps[i].on);
		ksft_test_result(!vm_set_enabled(&t, steps[i].on), "%s: write\n", what);
		expect_region(&t, S2_UNMAPPED, what);
		ksft_test_result(ram_is_mapped(&t), "%s: RAM stays mapped\n", what);
		ksft_test_result(tvm_run(&t, G_TOUCH), "%s: the guest runs on\n", what);
		expect_region(&t, steps[i].want, what);
	}
	tvm_destroy(&t);
}

static enum s2 demo_show(struct tvm *t, const char *when)
{
	uint64_t desc;
	uint32_t level;
	bool valid;

	desc = s2_desc(t, REGION_GPA, &level, &valid);
	printf("demo:   %-7s IPA 0x%llx -> stage-2 descriptor 0x%016lx, level %u, MemAttr 0b%d%d%d%d: %s\n",
	       when, REGION_GPA, desc, level,
	       !!(S2_DESC_MEMATTR(desc) & 8), !!(S2_DESC_MEMATTR(desc) & 4),
	       !!(S2_DESC_MEMATTR(desc) & 2), !!(S2_DESC_MEMATTR(desc) & 1),
	       s2_name[s2_decode(desc, valid)]);
	return s2_decode(desc, valid);
}

/* One VM, its GPU-like memory before and after it is enabled. */
static void case_demo(void)
{
	enum s2 before, after;
	char path[128];
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	vm_path(&t, "enabled", path, sizeof(path));
	printf("demo: VM %s: %lu KiB of GPU-like memory (VM_PFNMAP, cacheable in stage 1, outside the linear map)\n",
	       t.name, t.size >> 10);
	TEST_ASSERT(!tvm_add_memslot(&t) && tvm_run(&t, G_TOUCH), "guest run failed");
	before = demo_show(&t, "before:");
	printf("demo: echo 1 > %s\n", path);
	TEST_ASSERT(!vm_set_enabled(&t, true), "enabling %s failed", t.name);
	TEST_ASSERT(tvm_run(&t, G_TOUCH), "guest run failed");
	after = demo_show(&t, "after:");
	ksft_test_result(before == S2_DEVICE && after == S2_NORMAL,
			 "demo: Device before, Normal-WB after\n");
	tvm_destroy(&t);
}

static bool value_is(const char *path, const char *want)
{
	char buf[32];

	return !sysfs_read(path, buf, sizeof(buf)) && !strcmp(buf, want);
}

/* Every malformed write fails with EINVAL and leaves the value alone. */
static void expect_bad_writes(const char *path, const char *what)
{
	static const char * const bad[] = {
		"2", "abc", "", "\n", "-1", "1 1", "01", "1\n\n", "y", "on",
		"99999999999999999999999", " 1", "0x1", "1\0001",
	};
	static const size_t bad_len[] = { 1, 3, 0, 1, 2, 3, 2, 3, 1, 2, 23, 2, 3, 3 };
	bool ok = true;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = sysfs_write(path, bad[i], bad_len[i]);
		/* An empty write never reaches the file; it must change nothing. */
		if ((bad_len[i] && ret != -EINVAL) || !value_is(path, "0\n")) {
			ksft_print_msg("%s: write of %zu bytes '%s': %d\n", what,
				       bad_len[i], bad[i], ret);
			ok = false;
		}
	}
	ksft_test_result(ok, "%s: malformed writes rejected, value kept\n", what);
}

static void case_sysfs(void)
{
	char path[128], want[4];
	struct tvm t;

	snprintf(want, sizeof(want), "%d\n", cpu_fwb);
	ksft_test_result(value_is(S2ATTR_SYSFS "/fwb", want), "sysfs fwb is %d\n", cpu_fwb);
	snprintf(want, sizeof(want), "%d\n", cpu_dic);
	ksft_test_result(value_is(S2ATTR_SYSFS "/dic", want), "sysfs dic is %d\n", cpu_dic);
	ksft_test_result(sysfs_write(S2ATTR_SYSFS "/fwb", want, 2) &&
			 sysfs_write(S2ATTR_SYSFS "/dic", want, 2),
			 "sysfs fwb and dic are read-only\n");

	expect_bad_writes(S2ATTR_SYSFS "/default_enabled", "default_enabled");

	tvm_create(&t, WB, 1);
	vm_path(&t, "enabled", path, sizeof(path));
	ksft_test_result(value_is(path, "0\n"), "a new VM is not enabled by default\n");
	expect_bad_writes(path, "vms/<vm>/enabled");
	ksft_test_result(!vm_set_enabled(&t, true) && value_is(path, "1\n") &&
			 !vm_set_enabled(&t, false) && value_is(path, "0\n"),
			 "vms/<vm>/enabled takes 0 and 1\n");
	tvm_destroy(&t);
}

/* Not enabled: a loaded module changes nothing. */
static void case_not_enabled(void)
{
	case_stock_kinds("not enabled");
}

static void case_default_enabled(void)
{
	char path[128];
	struct tvm t;
	int err;

	tvm_create(&t, WB, REGION_PAGES);
	vm_path(&t, "enabled", path, sizeof(path));
	ksft_test_result(value_is(path, "1\n"), "default_enabled=1: a new VM is enabled\n");
	err = tvm_add_memslot(&t);
	if (!cpu_fwb)
		ksft_test_result(err == EINVAL,
				 "default_enabled=1, no FWB: memslot refused with EINVAL (got %d)\n",
				 err);
	else if (err || !tvm_run(&t, G_TOUCH))
		ksft_test_result_fail("default_enabled=1: memslot %d run %d\n", err, t.run_ok);
	else
		expect_region(&t, S2_NORMAL, "default_enabled=1: wb PFNMAP");
	tvm_destroy(&t);
}

/*
 * The scenario whose descriptors must be identical, bit for bit, on a stock
 * kernel and on a shimmed one with no policy registered.  RAM pages are
 * printed without their output address, which the page allocator picks.
 */
static void case_dump(void)
{
	uint64_t desc, i;
	uint32_t level;
	bool valid;
	struct tvm t;
	int k;

	for (k = 0; k < NR_KINDS; k++) {
		tvm_create(&t, k, 4);
		tvm_add_memslot(&t);
		tvm_run(&t, G_TOUCH | (k == WB ? G_EXEC : 0));
		printf("dump %s memslot=%d run=%d pabt=%lu\n", kind_name[k],
		       t.memslot_err, t.run_ok, t.pabt);
		for (i = 0; i < 4; i++) {
			desc = s2_desc(&t, REGION_GPA + i * PAGE_4K, &level, &valid);
			printf("dump %s page %lu valid=%d level=%u desc=0x%016lx\n",
			       kind_name[k], i, valid, level, desc);
		}
		desc = s2_desc(&t, addr_gva2gpa(t.vm, (vm_vaddr_t)guest_code),
			       &level, &valid);
		printf("dump %s ram valid=%d level=%u attrs=0x%016lx\n", kind_name[k],
		       valid, level, (uint64_t)(desc & ~GENMASK_ULL(47, 12)));
		tvm_destroy(&t);
	}
}

/*
 * How many stage-2 leaves map the region: each fault installs one leaf, so
 * this is the number of stage-2 faults the region took.
 */
static uint64_t count_leaves(struct tvm *t)
{
	uint64_t ipa = REGION_GPA, end = REGION_GPA + t->size, n = 0;
	uint32_t level;
	bool valid;

	while (ipa < end) {
		s2_desc(t, ipa, &level, &valid);
		n += valid;
		ipa = (ipa | ((1ULL << (12 + 9 * (3 - level))) - 1)) + 1;
	}
	return n;
}

/* How many pages of the region the oracle finds mapped as @want. */
static uint64_t count_region(struct tvm *t, enum s2 want)
{
	uint64_t i, n = 0, desc;
	bool valid;

	for (i = 0; i < t->size / PAGE_4K; i++) {
		desc = s2_desc(t, REGION_GPA + i * PAGE_4K, NULL, &valid);
		n += s2_decode(desc, valid) == want;
	}
	return n;
}

/* Counter @name of the VM called @vm, or -1 if it cannot be read. */
static long long vm_name_counter(const char *vm, const char *name)
{
	char path[128], buf[32];

	vm_name_path(vm, name, path, sizeof(path));
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

static long long vm_counter(const struct tvm *t, const char *name)
{
	return vm_name_counter(t->name, name);
}

/* One result: counter @name of @t equals @want, which the oracle saw. */
static void expect_counter(const struct tvm *t, const char *name, long long want,
			   const char *what)
{
	long long got = vm_counter(t, name);

	ksft_test_result(got == want, "counters: %s: %s = %lld (want %lld)\n",
			 what, name, got, want);
}

/* The counters match the leaves the oracle finds and the refusals seen. */
static void case_counters(void)
{
	uint64_t n;
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH | G_EXEC))
		ksft_test_result_fail("counters: not enabled: the guest did not run\n");
	/* Each Device leaf, and the exec fault the guest saw as a PABT. */
	n = count_region(&t, S2_DEVICE);
	expect_counter(&t, "faults_stock", n + t.pabt, "not enabled");
	expect_counter(&t, "faults_normal", 0, "not enabled");
	tvm_destroy(&t);

	tvm_create(&t, WB, REGION_PAGES);
	vm_set_enabled(&t, true);
	if (!cpu_fwb) {
		ksft_test_result(tvm_add_memslot(&t) == EINVAL,
				 "counters: enabled, no FWB: memslot refused\n");
		expect_counter(&t, "refused_nofwb", 1, "memslot refused");
	} else if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH | G_EXEC)) {
		ksft_test_result_fail("counters: enabled: the guest did not run\n");
	} else {
		n = count_region(&t, S2_NORMAL);
		ksft_test_result(n == REGION_PAGES, "counters: enabled: %lu Normal-WB leaves\n", n);
		expect_counter(&t, "faults_normal", n, "enabled");
		expect_counter(&t, "refused_exec", cpu_dic ? 0 : t.pabt, "enabled, exec");
		expect_counter(&t, "faults_stock", 0, "enabled");
	}
	expect_counter(&t, "refused_mte", 0, "no MTE VM");
	tvm_destroy(&t);
}

/*
 * The fault row of "no FWB": the memslot was created while the VM was not
 * enabled, then the VM is enabled.  KVM_RUN fails with EFAULT and nothing
 * is mapped: never a non-cacheable mapping of a cacheable VMA.
 */
static void case_nofwb_fault(void)
{
	bool valid;
	struct tvm t;
	int ret;

	if (cpu_fwb) {
		ksft_test_result_skip("no-FWB fault: this CPU model has FWB\n");
		return;
	}
	tvm_create(&t, WB, 1);
	ksft_test_result(!tvm_add_memslot(&t) && !vm_set_enabled(&t, true),
			 "no FWB: memslot first, then enable\n");
	*(volatile uint64_t *)addr_gva2hva(t.vm, (vm_vaddr_t)&guest_ops) = G_TOUCH;
	ret = _vcpu_run(t.vcpu);
	ksft_test_result(ret && errno == EFAULT, "no FWB: KVM_RUN fails with EFAULT\n");
	s2_desc(&t, REGION_GPA, NULL, &valid);
	ksft_test_result(!valid, "no FWB: nothing mapped\n");
	expect_counter(&t, "refused_nofwb", 1, "fault refused");
	tvm_destroy(&t);
}

/* PMD-sized stage-1 leaves: the right type, and 2 MiB blocks in stage-2. */
static void case_huge(void)
{
	uint64_t i, desc;
	uint32_t level, want_level;
	struct utsname u;
	long long pmds;
	bool valid, ok = true;
	struct tvm t;

	/*
	 * 6.12 maps PFNMAP memory with blocks when stage-1 has PMD leaves.
	 * Earlier kernels have no huge PFNMAP: the provider's huge device
	 * falls back to PTEs and KVM maps pages.
	 */
	uname(&u);
	want_level = strncmp(u.release, "6.12.", 5) ? 3 : 2;

	/* Counted from before the VMM's own first write into the region. */
	pmds = provider_pmd_faults();
	tvm_create(&t, WB_HUGE, HUGE_PAGES);
	vm_set_enabled(&t, true);
	if (!cpu_fwb) {
		ksft_test_result(tvm_add_memslot(&t) == EINVAL,
				 "huge: enabled, no FWB: memslot refused\n");
		tvm_destroy(&t);
		return;
	}
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH)) {
		ksft_test_result_fail("huge: the guest did not run\n");
		tvm_destroy(&t);
		return;
	}
	pmds = provider_pmd_faults() - pmds;
	if (want_level == 2)
		ksft_test_result(pmds == HUGE_PAGES / (SZ_2M / PAGE_4K),
				 "huge: stage-1 got %lld PMD leaves for 4 MiB\n", pmds);
	else
		ksft_test_result_skip("huge: %s has no huge PFNMAP (mm gained it in 6.12), stage-1 stays at 4 KiB (%lld PMD leaves)\n",
				      u.release, pmds);
	expect_region(&t, S2_NORMAL, "huge: enabled: wb PFNMAP, 2 MiB stage-1 leaves");
	for (i = 0; i < HUGE_PAGES; i += SZ_2M / PAGE_4K) {
		desc = s2_desc(&t, REGION_GPA + i * PAGE_4K, &level, &valid);
		if (!valid || level < want_level) {
			ksft_print_msg("huge: page %lu: level %u desc 0x%lx\n", i, level, desc);
			ok = false;
		}
	}
	ksft_test_result(ok, "huge: enabled: stage-2 leaves at level %u\n", want_level);
	tvm_destroy(&t);
}

/* The tracepoint reports each decision with the VM's name and IPA. */
static void case_trace(void)
{
	static const char tr[] = "/sys/kernel/tracing";
	char *buf = malloc(1 << 20), needle[96], *save;
	uint64_t lines = 0;
	bool first_ok;
	ssize_t len = 0, n;
	struct tvm t;
	char *p;
	int fd;

	TEST_ASSERT(buf, "out of memory");
	if (sysfs_write("/sys/kernel/tracing/events/s2attr/s2attr_decision/enable", "1", 1) ||
	    sysfs_write("/sys/kernel/tracing/trace", "", 0)) {
		ksft_test_result_fail("trace: cannot enable s2attr:s2attr_decision in %s\n", tr);
		free(buf);
		return;
	}
	tvm_create(&t, WB, REGION_PAGES);
	vm_set_enabled(&t, cpu_fwb);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH))
		ksft_test_result_fail("trace: the guest did not run\n");
	sysfs_write("/sys/kernel/tracing/events/s2attr/s2attr_decision/enable", "0", 1);

	fd = open("/sys/kernel/tracing/trace", O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	snprintf(needle, sizeof(needle), "vm=%s ipa=0x%llx pfn=0x%llx attridx=0 ",
		 t.name, REGION_GPA, (provider_base() + kind_offset[WB]) >> 12);
	first_ok = strstr(buf, needle) != NULL;
	snprintf(needle, sizeof(needle), "vm=%s ipa=0x", t.name);
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		lines += strstr(p, needle) &&
			 strstr(p, cpu_fwb ? "result=normal reason=cacheable" :
				"result=stock reason=disabled");
	ksft_test_result(lines == count_region(&t, cpu_fwb ? S2_NORMAL : S2_DEVICE) &&
			 lines == REGION_PAGES,
			 "trace: one s2attr_decision event per fault (%lu)\n", lines);
	ksft_test_result(first_ok, "trace: events carry VM, IPA and PFN\n");
	tvm_destroy(&t);
	free(buf);
}

#define S2ATTR_KO	"/lib/modules/s2attr.ko"

static bool insmod_s2attr(const char *args)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "insmod " S2ATTR_KO " %s", args);
	return !system(cmd);
}

static bool rmmod_s2attr(void)
{
	return !system("rmmod s2attr");
}

/*
 * Run with s2attr not loaded.  A VM that exists when s2attr loads appears
 * under vms/ and can be enabled; rmmod acts like disabling it (its Normal
 * mappings go, RAM stays), and insmod brings it back.
 */
static void case_preexisting(void)
{
	char path[128];
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	vm_path(&t, "", path, sizeof(path));
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH))
		ksft_test_result_fail("pre-existing VM: the guest did not run\n");
	expect_region(&t, S2_DEVICE, "pre-existing VM, no module");
	ksft_test_result(insmod_s2attr("") && !access(path, F_OK),
			 "pre-existing VM: appears under vms/ at insmod\n");
	if (cpu_fwb) {
		vm_set_enabled(&t, true);
		ksft_test_result(tvm_run(&t, G_TOUCH), "pre-existing VM: runs once enabled\n");
		expect_region(&t, S2_NORMAL, "pre-existing VM, enabled");
	}
	ksft_test_result(rmmod_s2attr() && access(path, F_OK),
			 "pre-existing VM: rmmod with the VM alive, its directory goes\n");
	expect_region(&t, cpu_fwb ? S2_UNMAPPED : S2_DEVICE,
		      "after rmmod: no Normal mapping survives");
	ksft_test_result(ram_is_mapped(&t), "after rmmod: RAM stays mapped\n");
	ksft_test_result(tvm_run(&t, G_TOUCH), "after rmmod: the guest runs on\n");
	expect_region(&t, S2_DEVICE, "after rmmod");
	ksft_test_result(insmod_s2attr("") && !access(path, F_OK) &&
			 vm_counter(&t, "faults_normal") == 0,
			 "insmod again: the VM is back under vms/\n");
	ksft_test_result(rmmod_s2attr(), "rmmod\n");
	tvm_destroy(&t);
}

#define RELOAD_PAGES	(32 << 20 >> 12)	/* 32 MiB */
#define RELOAD_SECONDS	20
#define RELOAD_MAX	200

static void *reload_vcpu_thread(void *arg)
{
	struct tvm *t = arg;

	tvm_run(t, G_LOOP);
	return NULL;
}

/*
 * Run with s2attr not loaded: rmmod and insmod s2attr in a loop, bounded in
 * time and count, while a vCPU faults through a 32 MiB region again and
 * again.  No fault may be lost (the vCPU never fails and keeps making
 * progress), and the final mappings match the final state.
 */
static void case_reload_loop(void)
{
	const char *args = cpu_fwb ? "default_enabled=1" : "";
	uint64_t reloads = 0, passes;
	struct timespec start, now;
	pthread_t thread;
	bool ok = true;
	struct tvm t;

	ok &= insmod_s2attr(args);
	tvm_create(&t, WB, RELOAD_PAGES);
	if (tvm_add_memslot(&t)) {
		ksft_test_result_fail("reload loop: memslot: %s\n", strerror(t.memslot_err));
		tvm_destroy(&t);
		return;
	}
	pthread_create(&thread, NULL, reload_vcpu_thread, &t);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		ok &= rmmod_s2attr();
		usleep(100 * 1000);
		ok &= insmod_s2attr(args);
		usleep(100 * 1000);
		reloads++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (ok && reloads < RELOAD_MAX && now.tv_sec - start.tv_sec < RELOAD_SECONDS);
	passes = READ_ONCE(t.passes);
	*(volatile uint64_t *)addr_gva2hva(t.vm, (vm_vaddr_t)&guest_stop) = 1;
	pthread_join(thread, NULL);

	ksft_test_result(ok && reloads > 10, "reload loop: %lu rmmod/insmod cycles\n", reloads);
	ksft_test_result(t.run_ok && passes > 0,
			 "reload loop: the vCPU faulted through %lu passes of 32 MiB, KVM_RUN never failed\n",
			 passes);
	*(volatile uint64_t *)addr_gva2hva(t.vm, (vm_vaddr_t)&guest_stop) = 0;
	ksft_test_result(tvm_run(&t, G_TOUCH), "reload loop: the guest runs on\n");
	expect_region(&t, cpu_fwb ? S2_NORMAL : S2_DEVICE, "reload loop: final mappings");
	tvm_destroy(&t);
	ksft_test_result(rmmod_s2attr(), "reload loop: rmmod at the end\n");
}

/* ---- benchmark ------------------------------------------------------ */

#define BENCH_PAGES	(256 << 20 >> 12)	/* 256 MiB, every 4 KiB page once */
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
 * One measurement: a fresh VM whose guest touches every 4 KiB page of a
 * 256 MiB region once; the time of that KVM_RUN sequence over the number of
 * stage-2 faults it took (one per page: each touch is a write).
 */
static double bench_one(enum kind kind, bool enable, uint64_t *leaves)
{
	struct tvm t;
	double t0, us;

	tvm_create_at(&t, kind, BENCH_PAGES, 0);
	if (enable)
		TEST_ASSERT(!vm_set_enabled(&t, true), "enable");
	TEST_ASSERT(!tvm_add_memslot(&t), "memslot: %s", strerror(t.memslot_err));
	t0 = now_us();
	TEST_ASSERT(tvm_run(&t, G_TOUCH), "guest run");
	us = now_us() - t0;
	if (leaves)
		*leaves = count_leaves(&t);
	tvm_destroy(&t);
	return us / BENCH_PAGES;
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

	TEST_ASSERT(cpu_fwb, "the benchmark needs FWB (-cpu max)");
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
	ksft_test_result(small >= 256 * huge && huge,
			 "bench: 256 MiB: %lu stage-2 faults with 4 KiB leaves, %lu with 2 MiB\n",
			 small, huge);
}

/* ---- stress and fuzz ------------------------------------------------ */

#define STRESS_VMS		3
#define STRESS_VCPUS		2	/* vCPU 0 loops over WB, vCPU 1 over NC */
#define STRESS_WB_PAGES		(16 << 20 >> 12)
#define STRESS_NC_PAGES		(4 << 20 >> 12)
#define STRESS_NC_GPA		(REGION_GPA + (64 << 20))

struct stress_vm {
	struct kvm_vm		*vm;
	struct kvm_vcpu		*vcpu[STRESS_VCPUS];
	pthread_t		thread[STRESS_VCPUS];
	void			*wb, *nc;
	char			name[32];
	uint64_t		passes[STRESS_VCPUS];
	int			err[STRESS_VCPUS];	/* errno of a failed KVM_RUN */
};

static struct stress_vm stress_vms[STRESS_VMS];
static volatile bool stress_stop;
static uint64_t stress_toggles, stress_defaults, stress_reloads, stress_created;
/* Faults s2attr decided, from the counters read before each reload and destroy */
static uint64_t stress_faults;
static unsigned long stress_seconds = 30;

static void *stress_map(const char *dev, uint64_t size, uint64_t offset)
{
	void *p;
	int fd = open(dev, O_RDWR);

	TEST_ASSERT(fd >= 0, "open %s", dev);
	p = mmap(hva_aligned_2m(size), size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, offset);
	TEST_ASSERT(p != MAP_FAILED, "mmap %s", dev);
	close(fd);
	return p;
}

static void stress_vm_create(struct stress_vm *v)
{
	v->vm = vm_create_with_vcpus(STRESS_VCPUS, guest_code, v->vcpu);
	vm_ucall_init(v->vm);
	snprintf(v->name, sizeof(v->name), "%d-%d", getpid(), v->vm->fd);
	v->wb = stress_map(S2ATTR_PFNMAP_DEV_PREFIX "wb_huge", STRESS_WB_PAGES * PAGE_4K, 0);
	v->nc = stress_map(S2ATTR_PFNMAP_DEV_PREFIX "nc", STRESS_NC_PAGES * PAGE_4K, 64 << 20);
	/* Enabled VMs need FWB at memslot time; the toggler enables later. */
	vm_set_user_memory_region(v->vm, REGION_SLOT, 0, REGION_GPA,
				  STRESS_WB_PAGES * PAGE_4K, v->wb);
	vm_set_user_memory_region(v->vm, REGION_SLOT + 1, 0, STRESS_NC_GPA,
				  STRESS_NC_PAGES * PAGE_4K, v->nc);
	virt_map(v->vm, REGION_GPA, REGION_GPA, STRESS_WB_PAGES);
	virt_map(v->vm, STRESS_NC_GPA, STRESS_NC_GPA, STRESS_NC_PAGES);
	vcpu_args_set(v->vcpu[0], 2, REGION_GPA, STRESS_WB_PAGES);
	vcpu_args_set(v->vcpu[1], 2, STRESS_NC_GPA, STRESS_NC_PAGES);
	*(volatile uint64_t *)addr_gva2hva(v->vm, (vm_vaddr_t)&guest_ops) = G_LOOP;
}

struct stress_vcpu_arg {
	struct stress_vm	*v;
	int			i;
};

static void *stress_vcpu_thread(void *arg)
{
	struct stress_vcpu_arg *a = arg;
	struct stress_vm *v = a->v;
	struct ucall uc;

	for (;;) {
		if (_vcpu_run(v->vcpu[a->i])) {
			v->err[a->i] = errno;
			break;
		}
		if (get_ucall(v->vcpu[a->i], &uc) != UCALL_SYNC)
			break;
		v->passes[a->i]++;
	}
	free(a);
	return NULL;
}

static unsigned int stress_rand(void)
{
	static __thread unsigned int seed;

	if (!seed)
		seed = getpid() ^ (uintptr_t)&seed;
	return rand_r(&seed);
}

static void stress_sleep_ms(unsigned int ms)
{
	usleep(ms * 1000);
}

/*
 * The stage-2 faults s2attr decided for VM @name: the sum of its counters,
 * which start again at 0 when s2attr is reloaded; 0 while it is out.
 */
static uint64_t vm_decisions(const char *name)
{
	static const char * const counters[] = {
		"faults_normal", "faults_stock", "refused_nofwb", "refused_exec", "refused_mte",
	};
	uint64_t n = 0;
	long long c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		c = vm_name_counter(name, counters[i]);
		if (c > 0)
			n += c;
	}
	return n;
}

static uint64_t stress_vms_decisions(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < STRESS_VMS; i++)
		n += vm_decisions(stress_vms[i].name);
	return n;
}

/* Writes enabled of random VMs; fails harmlessly while s2attr is out. */
static void *stress_toggler(void *arg)
{
	char path[128];

	while (!stress_stop) {
		struct stress_vm *v = &stress_vms[stress_rand() % STRESS_VMS];

		vm_name_path(v->name, "enabled", path, sizeof(path));
		if (!sysfs_write(path, stress_rand() & 1 ? "1" : "0", 1))
			__atomic_add_fetch(&stress_toggles, 1, __ATOMIC_RELAXED);
		stress_sleep_ms(10);
	}
	return NULL;
}

static void *stress_default_toggler(void *arg)
{
	while (!stress_stop) {
		if (!sysfs_write(S2ATTR_SYSFS "/default_enabled",
				 stress_rand() & 1 ? "1" : "0", 1))
			stress_defaults++;
		stress_sleep_ms(37);
	}
	return NULL;
}

static void *stress_reloader(void *arg)
{
	while (!stress_stop) {
		/* Those decided between this read and the unload go uncounted. */
		__atomic_add_fetch(&stress_faults, stress_vms_decisions(), __ATOMIC_RELAXED);
		rmmod_s2attr();
		stress_sleep_ms(150);
		insmod_s2attr(stress_rand() & 1 ? "default_enabled=1" : "");
		stress_reloads++;
		stress_sleep_ms(400);
	}
	return NULL;
}

/* Short-lived VMs: created, faulted once, destroyed, over and over. */
static void *stress_creator(void *arg)
{
	struct tvm t;

	while (!stress_stop) {
		tvm_create_at(&t, WB, 64, 96 << 20);
		if (!tvm_add_memslot(&t))
			tvm_run(&t, G_TOUCH);
		__atomic_add_fetch(&stress_faults, vm_decisions(t.name), __ATOMIC_RELAXED);
		tvm_destroy(&t);
		stress_created++;
	}
	return NULL;
}

/* Every leaf agrees with the VM's final state: no stale Normal, no stale Device. */
static bool stress_vm_consistent(struct stress_vm *v, bool enabled)
{
	struct tvm t = { .vm = v->vm, .size = STRESS_WB_PAGES * PAGE_4K };
	uint64_t i, desc;
	bool valid, ok = true;
	enum s2 got;

	for (i = 0; i < STRESS_WB_PAGES; i++) {
		desc = s2_desc(&t, REGION_GPA + i * PAGE_4K, NULL, &valid);
		got = s2_decode(desc, valid);
		if (got != S2_UNMAPPED && got != (enabled ? S2_NORMAL : S2_DEVICE)) {
			ksft_print_msg("VM %s (enabled=%d): WB page %lu is %s\n", v->name,
				       enabled, i, s2_name[got]);
			ok = false;
			break;
		}
	}
	for (i = 0; i < STRESS_NC_PAGES && ok; i++) {
		desc = s2_desc(&t, STRESS_NC_GPA + i * PAGE_4K, NULL, &valid);
		got = s2_decode(desc, valid);
		if (got != S2_UNMAPPED && got != S2_DEVICE) {
			ksft_print_msg("VM %s: NC page %lu is %s\n", v->name, i, s2_name[got]);
			ok = false;
		}
	}
	return ok;
}

static int count_vm_dirs(void)
{
	char cmd[] = "ls " S2ATTR_SYSFS "/vms 2>/dev/null | wc -l";
	FILE *f = popen(cmd, "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/*
 * make stress: several VMs with several vCPUs fault through cacheable and
 * uncached PFNMAP memory while other threads toggle enabled and
 * default_enabled, create and destroy VMs, and reload s2attr; bounded in
 * time.  Run with s2attr loaded; stress_seconds from "seconds=N".
 */
static void case_stress(void)
{
	pthread_t helpers[4];
	void *(*helper_fn[4])(void *) = {
		stress_toggler, stress_default_toggler, stress_reloader, stress_creator,
	};
	uint64_t passes = 0;
	bool ok = true, enabled;
	int i, j, errs = 0;
	char path[128];

	TEST_ASSERT(cpu_fwb, "the stress test needs FWB (-cpu max)");
	for (i = 0; i < STRESS_VMS; i++) {
		stress_vm_create(&stress_vms[i]);
		for (j = 0; j < STRESS_VCPUS; j++) {
			struct stress_vcpu_arg *a = malloc(sizeof(*a));

			a->v = &stress_vms[i];
			a->i = j;
			pthread_create(&stress_vms[i].thread[j], NULL, stress_vcpu_thread, a);
		}
	}
	for (i = 0; i < 4; i++)
		pthread_create(&helpers[i], NULL, helper_fn[i], NULL);
	sleep(stress_seconds);
	stress_stop = true;
	for (i = 0; i < 4; i++)
		pthread_join(helpers[i], NULL);
	/* End with the module loaded, so that the final state is observable. */
	if (access(S2ATTR_SYSFS, F_OK))
		ok &= insmod_s2attr("");

	for (i = 0; i < STRESS_VMS; i++) {
		*(volatile uint64_t *)addr_gva2hva(stress_vms[i].vm, (vm_vaddr_t)&guest_stop) = 1;
		for (j = 0; j < STRESS_VCPUS; j++) {
			pthread_join(stress_vms[i].thread[j], NULL);
			passes += stress_vms[i].passes[j];
			errs += stress_vms[i].err[j] != 0;
			if (stress_vms[i].err[j])
				ksft_print_msg("VM %s vCPU %d: KVM_RUN: %s\n", stress_vms[i].name,
					       j, strerror(stress_vms[i].err[j]));
		}
	}
	stress_faults += stress_vms_decisions();
	printf("stress: seconds=%lu vms=%d vcpus=%d short_lived_vms=%lu passes=%lu "
	       "faults_decided>=%lu toggles=%lu default_writes=%lu reloads=%lu\n",
	       stress_seconds, STRESS_VMS, STRESS_VMS * STRESS_VCPUS, stress_created,
	       passes, stress_faults, stress_toggles, stress_defaults, stress_reloads);
	ksft_test_result(ok && !errs && passes >= STRESS_VMS * STRESS_VCPUS,
			 "stress: every vCPU ran to the end, %lu passes, no failed KVM_RUN\n",
			 passes);
	ksft_test_result(stress_reloads > 0 && stress_toggles > 0 && stress_created > 0,
			 "stress: %lu reloads, %lu toggles, %lu short-lived VMs\n",
			 stress_reloads, stress_toggles, stress_created);

	for (i = 0; i < STRESS_VMS; i++) {
		vm_name_path(stress_vms[i].name, "enabled", path, sizeof(path));
		enabled = value_is(path, "1\n");
		ok = stress_vm_consistent(&stress_vms[i], enabled);
		ksft_test_result(ok, "stress: VM %d: every leaf agrees with enabled=%d\n", i, enabled);
	}
	for (i = 0; i < STRESS_VMS; i++)
		kvm_vm_free(stress_vms[i].vm);
	ksft_test_result(count_vm_dirs() == 0, "stress: no directory left for a dead VM\n");
}

/* A random write: sometimes valid, mostly garbage of random length. */
static size_t fuzz_input(char *buf, size_t max)
{
	static const char * const valid[] = { "0", "1", "0\n", "1\n" };
	unsigned int r = stress_rand();
	size_t i, len;

	if (r % 4 == 0) {
		strcpy(buf, valid[(r >> 2) % 4]);
		return strlen(buf);
	}
	len = (r >> 2) % max;
	for (i = 0; i < len; i++)
		buf[i] = (r & 8) ? "01\n \t-x"[stress_rand() % 7] : stress_rand();
	return len;
}

static bool fuzz_is_valid(const char *buf, size_t len, char *val)
{
	if ((len == 1 || (len == 2 && buf[1] == '\n')) && (buf[0] == '0' || buf[0] == '1')) {
		*val = buf[0];
		return true;
	}
	return false;
}

/*
 * Random bytes and lengths into every s2attr file, as root and as an
 * unprivileged user: a value changes only through a valid root write.
 */
static void case_fuzz(void)
{
	const char *files[8];
	char model[8], buf[80], path[8][128], want[3];
	int nfiles = 0, i, iter, bad = 0, denied = 0;
	struct tvm t;
	pid_t pid;

	tvm_create(&t, WB, 1);
	snprintf(path[0], sizeof(path[0]), S2ATTR_SYSFS "/default_enabled");
	vm_path(&t, "enabled", path[1], sizeof(path[1]));
	snprintf(path[2], sizeof(path[2]), S2ATTR_SYSFS "/fwb");
	snprintf(path[3], sizeof(path[3]), S2ATTR_SYSFS "/dic");
	vm_path(&t, "faults_normal", path[4], sizeof(path[4]));
	vm_path(&t, "refused_nofwb", path[5], sizeof(path[5]));
	for (i = 0; i < 6; i++) {
		files[nfiles++] = path[i];
		TEST_ASSERT(!sysfs_read(path[i], buf, sizeof(buf)), "read %s", path[i]);
		model[i] = buf[0];
	}

	for (iter = 0; iter < 3000; iter++) {
		size_t len = fuzz_input(buf, sizeof(buf));
		int f = stress_rand() % nfiles, ret;
		char val;

		ret = sysfs_write(files[f], buf, len);
		if (f < 2 && fuzz_is_valid(buf, len, &val) && !ret)
			model[f] = val;
		else if (ret == 0 && len)
			bad++;	/* a write that should have failed succeeded */
		TEST_ASSERT(!sysfs_read(files[f], buf, sizeof(buf)), "read %s", files[f]);
		if (buf[0] != model[f]) {
			ksft_print_msg("%s: reads %c, want %c\n", files[f], buf[0], model[f]);
			bad++;
		}
	}
	ksft_test_result(!bad, "fuzz: 3000 random writes as root, values change only on valid writes\n");

	pid = fork();
	if (!pid) {
		int n = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		for (iter = 0; iter < 500; iter++) {
			size_t len = fuzz_input(buf, sizeof(buf));

			n += sysfs_write(files[stress_rand() % nfiles], buf, len) == -EACCES;
		}
		_exit(n == 500 ? 0 : 1);
	}
	waitpid(pid, &i, 0);
	denied = WIFEXITED(i) && WEXITSTATUS(i) == 0;
	for (i = 0; i < nfiles; i++) {
		snprintf(want, sizeof(want), "%c\n", model[i]);
		denied &= value_is(files[i], want);
	}
	ksft_test_result(denied, "fuzz: an unprivileged user cannot write any file, values kept\n");
	tvm_destroy(&t);
}

struct suite {
	const char	*name;
	void		(*cases[10])(void);
};

static void case_stock(void)
{
	case_stock_kinds("stock");
}

static const struct suite suites[] = {
	{ "stock",	{ case_stock } },
	{ "module",	{ case_sysfs, case_vm_dir, case_not_enabled, case_enabled,
			  case_enabled_exec, case_toggle, case_counters,
			  case_nofwb_fault, case_huge, case_trace } },
	{ "demo",	{ case_demo } },
	{ "bench",	{ case_bench } },
	{ "stress",	{ case_stress, case_fuzz } },
	{ "default",	{ case_default_enabled } },
	{ "preload",	{ case_preexisting, case_reload_loop } },
	{ "dump",	{ case_dump } },
};

static void parse_args(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "fwb=", 4))
			cpu_fwb = atoi(argv[i] + 4);
		else if (!strncmp(argv[i], "dic=", 4))
			cpu_dic = atoi(argv[i] + 4);
		else if (!strncmp(argv[i], "seconds=", 8))
			stress_seconds = strtoul(argv[i] + 8, NULL, 0);
		else
			ksft_exit_fail_msg("unknown argument '%s'\n", argv[i]);
	}
}

int main(int argc, char **argv)
{
	const struct suite *s = NULL;
	size_t i;

	for (i = 0; argc > 1 && i < ARRAY_SIZE(suites); i++)
		if (!strcmp(argv[1], suites[i].name))
			s = &suites[i];
	if (!s)
		ksft_exit_fail_msg("usage: %s stock|module|default|preload|dump|demo|bench|stress [fwb=0|1] [dic=0|1]\n",
				   argv[0]);
	parse_args(argc, argv);

	oracle_fd = open("/dev/s2attr_oracle", O_RDWR);
	if (oracle_fd < 0)
		ksft_exit_fail_msg("/dev/s2attr_oracle: %s\n", strerror(errno));

	ksft_print_header();
	for (i = 0; i < ARRAY_SIZE(s->cases) && s->cases[i]; i++)
		s->cases[i]();
	ksft_set_plan(ksft_test_num());
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}
