/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The s2attr test library, shared by the test programs of tests/host/vmm/.
 * Built on the KVM selftest library of the kernel under test; everything
 * runs inside the QEMU guest that runs that kernel.
 *
 *   lib/vm.c		the guest code; VMs whose region at REGION_GPA is
 *			memory of the test provider (PFNMAP, outside the
 *			linear map)
 *   lib/oracle.c	the stage-2 oracle's client: descriptors, decoding,
 *			expectations on a whole region
 *   lib/sysfs.c	s2attr's sysfs files, the provider's parameters,
 *			loading and unloading s2attr
 *   lib/main.c		arguments, suites, TAP
 *
 * Every memory-type assertion is on the descriptors the oracle reads from
 * KVM's page tables, or on what the guest and KVM_RUN experience; never on
 * what s2attr reports about itself.
 */
#ifndef S2ATTR_VMM_H
#define S2ATTR_VMM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "s2attr_test.h"

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
#define SZ_2M			(2ULL << 20)

/*
 * The host's page size (4 or 64 KiB), which is KVM's stage-2 granule and
 * the unit of a memslot, and its PMD size, a stage-2 block at level 2
 * (2 MiB or 512 MiB).  A region's pages are host pages; the guest maps
 * them with its own, possibly smaller, pages.  Set by s2attr_main().
 */
extern uint64_t host_page, host_pmd;
extern unsigned int host_page_shift;

/*
 * The provider's devices, /dev/s2attr_pfnmap_<kind_name>, each used at its
 * own offset into the provider's memory so that they never alias.  WB_HUGE
 * is mapped with 2 MiB stage-1 leaves.  The suites go through the first
 * NR_KINDS; WC_ANYUC (write-combine with VM_ALLOW_ANY_UNCACHED, which stock
 * KVM maps Normal-NC) exists only on kernels that have that flag.
 */
enum kind { WB, NC, WC, WB_HUGE, NR_KINDS, WC_ANYUC = NR_KINDS };
extern const char * const kind_name[];
extern const uint64_t kind_offset[];

/*
 * What the guest does, in order: touch every page; the unaligned pattern
 * on page 0 (guest_unaligned_expect()); execute page 0; with G_LOOP, touch
 * every page again and again until guest_stop is set.
 */
#define G_TOUCH		(1 << 0)
#define G_EXEC		(1 << 1)
#define G_LOOP		(1 << 2)
#define G_UNALIGNED	(1 << 3)

extern volatile uint64_t guest_ops, guest_stop;
void guest_code(uint64_t gva, uint64_t npages, uint64_t stride);

/*
 * TAP results.  kselftest.h counts results per translation unit, so every
 * result goes through these, in lib/main.c, whose counts make the plan and
 * the exit status.  @fmt ends with a newline, as for ksft_test_result().
 */
void test_result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What the CPU model has, as the test runner knows it (fwb=, dic=). */
extern bool cpu_fwb, cpu_dic;
/* seconds=N, for time-bounded suites. */
extern unsigned long arg_seconds;

struct tvm {
	struct kvm_vm		*vm;
	struct kvm_vcpu		*vcpu;
	void			*hva;
	uint64_t		size;		/* host pages * host_page */
	enum kind		kind;
	uint64_t		offset;		/* into the provider's memory */
	int			memslot_err;	/* errno of the memslot, 0 if set */
	int			run_err;	/* errno of a failed KVM_RUN */
	uint64_t		pabt;		/* prefetch aborts the guest saw */
	uint64_t		passes;		/* G_LOOP passes completed */
	bool			run_ok;
	char			name[32];	/* "<pid>-<fd>" */
};

void *hva_aligned(uint64_t size, uint64_t align);
void *provider_map(enum kind kind, uint64_t size, uint64_t offset);
void tvm_create_at(struct tvm *t, enum kind kind, uint64_t npages, uint64_t offset);
void tvm_create(struct tvm *t, enum kind kind, uint64_t npages);
void tvm_create_mte(struct tvm *t, enum kind kind, uint64_t npages);
int tvm_add_memslot(struct tvm *t);
bool __tvm_run(struct tvm *t, uint64_t ops);
bool tvm_run(struct tvm *t, uint64_t ops);
void tvm_destroy(struct tvm *t);
void guest_set(struct kvm_vm *vm, volatile uint64_t *var, uint64_t val);
void guest_unaligned_expect(uint8_t *page);
void tvm_zero_page0(struct tvm *t);
bool tvm_reads_back(struct tvm *t);

/* Stage-2 memory types, as decoded from a descriptor. */
enum s2 { S2_DEVICE, S2_NORMAL, S2_NORMAL_NC, S2_UNMAPPED, S2_OTHER };
extern const char * const s2_name[];

uint64_t s2_desc(struct tvm *t, uint64_t ipa, uint32_t *level, bool *valid);
enum s2 s2_decode(uint64_t desc, bool valid);
enum s2 s2_show(struct tvm *t, const char *prefix, const char *when);
bool expect_region(struct tvm *t, enum s2 want, const char *what);
uint64_t count_region(struct tvm *t, enum s2 want);
uint64_t s2_level_size(uint32_t level);
uint64_t count_leaves(struct tvm *t);
bool ram_is_mapped(struct tvm *t);

int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_write(const char *path, const char *val, size_t len);
bool value_is(const char *path, const char *want);
void vm_name_path(const char *vm, const char *file, char *buf, size_t len);
void vm_path(const struct tvm *t, const char *file, char *buf, size_t len);
int vm_set_enabled(const struct tvm *t, bool on);
long long vm_name_counter(const char *vm, const char *name);
long long vm_counter(const struct tvm *t, const char *name);
void expect_counter(const struct tvm *t, const char *name, long long want,
		    const char *what);
unsigned long long provider_base(void);
long long provider_pmd_faults(void);
bool insmod_s2attr(const char *args);
bool rmmod_s2attr(void);

/*
 * A suite is what a plan of tests/host/lib.sh asks for, named for the
 * state s2attr is in when it runs (see lib/main.c); a program lists the
 * cases it has for each.
 */
struct suite {
	const char	*name;
	void		(*cases[8])(void);
};

void s2attr_main(int argc, char **argv, const struct suite *suites, size_t n);

/*
 * Stage-2 blocks over memory the host maps with pages (lib/blocks.c): a
 * VM whose region at REGION_GPA is memory of one of the nvgrace-shaped
 * provider's shapes (S2ATTR_NVGRACE_DEV_PREFIX), at a PA, HVA and IPA
 * aligned to the stage-2 block, host_pmd: 2 MiB with 4 KiB pages,
 * 512 MiB with 64 KiB pages.  The guest touches the first @window
 * pages of each block of the region (all of them with BVM_ALL), one host
 * page at a time; pages are host pages throughout.
 */
#define BVM_ODD		S2ATTR_NVGRACE_ODD_PAGE
#define BVM_ALL		0		/* a window of every page */
#define BVM_NO_SKIP	(~0ULL)

struct bvm {
	struct tvm	t;		/* vm, vcpu, hva, size, name */
	const char	*shape;		/* contig, hole, swap, prot, ro */
	uint64_t	page;		/* the host's page size */
	uint64_t	block;		/* the stage-2 block size */
	uint64_t	npages;		/* in the region */
	uint64_t	window;		/* pages of each block the guest maps */
	uint64_t	pa;		/* of the region's first page */
};

/* A stage-2 leaf, and the PA it maps at the IPA looked up. */
struct leaf {
	bool		valid;
	uint32_t	level;
	uint64_t	desc;
	uint64_t	pa;
};

/* Set by the host: after touching, the guest calls the region's first page */
extern volatile uint64_t bvm_guest_exec;

uint64_t bvm_offset(void);
uint64_t bvm_room(void);
void bvm_create(struct bvm *b, const char *shape, uint64_t size, uint64_t skew,
		uint64_t window, bool enable);
int bvm_touch(struct bvm *b, uint64_t first, uint64_t npages, uint64_t skip,
	      bool write);
void bvm_destroy(struct bvm *b);
bool bvm_is_touched(const struct bvm *b, uint64_t page);
uint64_t bvm_host_pa(const struct bvm *b, uint64_t page);
struct leaf bvm_leaf(struct bvm *b, uint64_t page);
uint64_t bvm_leaf_pages(const struct bvm *b, struct leaf l);
bool bvm_expect(struct bvm *b, uint64_t first, uint64_t n, uint64_t skip,
		uint32_t level, enum s2 want, const char *what);

#endif /* S2ATTR_VMM_H */
