// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_rawvmm: the smallest VMM, on raw KVM ioctls, for the policy
 * tests.  The policy matches a VM by its VMM's executable and the guest
 * name on its command line, so this program is installed under several
 * names and takes QEMU's "-name" (which it ignores, as the kernel reads
 * it).
 *
 * It creates one VM whose IPA 0x40000000 is 64 KiB of the test provider's
 * cacheable PFNMAP memory (/dev/s2attr_pfnmap_wb), runs a guest that
 * stores to it and loads it back (its first and only access), and prints
 * TAP lines on what happened:
 *
 *   expect=normal	the memslot is accepted; the VM was enabled at its
 *			creation: enabled 1, faults_normal 1, faults_stock 0,
 *			stage-2 Normal-WB
 *   expect=device	not enabled: enabled 0, faults_stock 1, Device
 *   expect=einval	enabled on a CPU without FWB: the memslot is refused
 *			with EINVAL
 *   label=TEXT		names the results
 *   hold		then prints "hold <vm name>" and waits for stdin to
 *			close, with the VM alive
 *
 * Usage: s2attr_rawvmm expect=normal|device|einval [label=TEXT] [hold]
 *			[-name GUEST]...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "../modules/s2attr_test.h"

#define CODE_IPA	0x10000000ULL
#define REGION_IPA	0x40000000ULL
#define REGION_SIZE	0x10000ULL
#define MMIO_IPA	0x09000000ULL	/* no memslot: a store exits */
#define PATTERN		0x1234ULL

/*
 * The guest, MMU off: store PATTERN to the region, load it back, store
 * what it read to MMIO_IPA, then spin.
 */
static const uint32_t guest_code[] = {
	0xd2a80000,	/* movz x0, #0x4000, lsl #16 */
	0xd2824681,	/* movz x1, #0x1234 */
	0xf9000001,	/* str  x1, [x0] */
	0xf9400002,	/* ldr  x2, [x0] */
	0xd2a12003,	/* movz x3, #0x0900, lsl #16 */
	0xf9000062,	/* str  x2, [x3] */
	0x14000000,	/* b    . */
};

static const char *label = "rawvmm";
static int failures;

static void __attribute__((format(printf, 2, 3))) result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok 0 %s: ", ok ? "" : "not ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += !ok;
}

static void __attribute__((noreturn)) fatal(const char *what)
{
	printf("not ok 0 %s: %s: %s\n", label, what, strerror(errno));
	exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret = ioctl(fd, req, arg);

	if (ret < 0)
		fatal(what);
	return ret;
}

static int set_slot(int vm, uint32_t slot, uint64_t ipa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = ipa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? errno : 0;
}

static void *map_region(void)
{
	int fd = open(S2ATTR_PFNMAP_DEV_PREFIX "wb", O_RDWR);
	void *p;

	if (fd < 0)
		fatal("open " S2ATTR_PFNMAP_DEV_PREFIX "wb");
	p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fatal("mmap the provider");
	close(fd);
	return p;
}

static void *map_code(void)
{
	void *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fatal("mmap guest RAM");
	memcpy(p, guest_code, sizeof(guest_code));
	return p;
}

static int vcpu_create(int kvm, int vm)
{
	struct kvm_vcpu_init init;
	struct kvm_one_reg reg;
	uint64_t pc = CODE_IPA;
	int vcpu = xioctl(vm, KVM_CREATE_VCPU, (void *)0, "KVM_CREATE_VCPU");

	(void)kvm;
	xioctl(vm, KVM_ARM_PREFERRED_TARGET, &init, "KVM_ARM_PREFERRED_TARGET");
	xioctl(vcpu, KVM_ARM_VCPU_INIT, &init, "KVM_ARM_VCPU_INIT");
	reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		 (offsetof(struct kvm_regs, regs.pc) / sizeof(uint32_t));
	reg.addr = (uintptr_t)&pc;
	xioctl(vcpu, KVM_SET_ONE_REG, &reg, "KVM_SET_ONE_REG pc");
	return vcpu;
}

/* Run until the guest's MMIO store; what it stored. */
static uint64_t vcpu_run(int kvm, int vcpu)
{
	int size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	uint64_t val = 0;

	if (run == MAP_FAILED)
		fatal("mmap kvm_run");
	xioctl(vcpu, KVM_RUN, NULL, "KVM_RUN");
	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_IPA)
		memcpy(&val, run->mmio.data, sizeof(val));
	else
		printf("# %s: exit reason %u\n", label, run->exit_reason);
	return val;
}

static long long vm_file(const char *name, const char *file)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/s2attr/vms/%s/%s", name, file);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fatal(path);
	fclose(f);
	return atoll(buf);
}

static unsigned int s2_memattr(int vm)
{
	struct s2attr_oracle_query q = { .vm_fd = vm, .ipa = REGION_IPA };
	int fd = open("/dev/s2attr_oracle", O_RDWR);

	if (fd < 0)
		fatal("open /dev/s2attr_oracle");
	xioctl(fd, S2ATTR_ORACLE_QUERY, &q, "oracle query");
	close(fd);
	return q.valid ? S2_DESC_MEMATTR(q.desc) : 0;
}

/*
 * The VM's state right after KVM_CREATE_VM, and after the guest ran.  A
 * result's name says what is expected, so that it is the same in every
 * run; what was seen, and the VM's name, go to comment lines.
 */
static void check(int kvm, int vm, const char *name, const char *expect)
{
	int normal = !strcmp(expect, "normal");
	int einval = !strcmp(expect, "einval");
	unsigned int attr, want;
	long long seen;
	int err, vcpu;

	printf("# %s: VM %s\n", label, name);
	seen = vm_file(name, "enabled");
	printf("# %s: enabled %lld\n", label, seen);
	result(seen == (normal || einval), "enabled is %d at creation", normal || einval);
	err = set_slot(vm, 1, REGION_IPA, REGION_SIZE, map_region());
	printf("# %s: memslot: errno %d\n", label, err);
	if (einval) {
		result(err == EINVAL, "memslot refused with EINVAL");
		return;
	}
	result(!err, "memslot accepted");
	vcpu = vcpu_create(kvm, vm);
	result(vcpu_run(kvm, vcpu) == PATTERN, "the guest read back 0x%llx", PATTERN);
	seen = vm_file(name, "faults_stock");
	printf("# %s: faults_stock %lld\n", label, seen);
	result(seen == !normal, "faults_stock %d", !normal);
	seen = vm_file(name, "faults_normal");
	printf("# %s: faults_normal %lld\n", label, seen);
	result(seen == normal, "faults_normal %d", normal);
	attr = s2_memattr(vm);
	want = normal ? S2_MEMATTR_FWB_NORMAL : S2_MEMATTR_DEVICE_NGNRE;
	printf("# %s: stage-2 MemAttr 0x%x\n", label, attr);
	result(attr == want, "stage-2 MemAttr 0x%x", want);
}

int main(int argc, char **argv)
{
	const char *expect = NULL;
	int kvm, vm, hold = 0, i;
	char name[32];

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "expect=", 7))
			expect = argv[i] + 7;
		else if (!strncmp(argv[i], "label=", 6))
			label = argv[i] + 6;
		else if (!strcmp(argv[i], "hold"))
			hold = 1;
	}
	if (!expect || (strcmp(expect, "normal") && strcmp(expect, "device") &&
			strcmp(expect, "einval"))) {
		fprintf(stderr, "usage: %s expect=normal|device|einval [label=TEXT] [hold] [-name GUEST]...\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		fatal("open /dev/kvm");
	vm = xioctl(kvm, KVM_CREATE_VM, (void *)0, "KVM_CREATE_VM");
	snprintf(name, sizeof(name), "%d-%d", getpid(), vm);
	if (set_slot(vm, 0, CODE_IPA, REGION_SIZE, map_code()))
		fatal("RAM memslot");
	check(kvm, vm, name, expect);
	if (hold) {
		printf("hold %s\n", name);
		while (getchar() != EOF)
			;
	}
	return failures ? 1 : 0;
}
