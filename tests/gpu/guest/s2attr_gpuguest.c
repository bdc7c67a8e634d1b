// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_gpuguest: the guest side of the real-stack test
 * (tests/gpu/host/gpu.sh).  It does with the GPU that vfio-pci passes through
 * what NVIDIA's guest driver does with a Grace GPU's memory: find the
 * device, map its usemem BAR cacheable (memremap(MEMREMAP_WB)) and its
 * resmem BAR write-combine, use them, then hand the start of usemem to the
 * kernel as memory of a memory-only NUMA node (add_memory_driver_managed()),
 * which /init onlines movable for the workload (gpuload.c).
 *
 * The cases run on the last S2ATTR_GG_WINDOW bytes of each BAR, apart from
 * what is onlined; each prints one TAP line on the console as it ends, so
 * a VM killed by a case shows the last case that completed.  A case the
 * CPU cannot run is reported as skipped, with the reason.  The aligned
 * case comes first: it completes on stage-2 Device too, the unaligned one
 * after it does not (KVM_RUN fails with EFAULT and QEMU stops the VM).
 * The host reads each BAR's last bytes back through its own mapping
 * after the guest is gone (s2attr_vfio): stamp= makes them this run's.
 *
 * Not a driver: the device stays unbound, its BARs are the PCI core's
 * resources, and the added memory nests inside the usemem BAR's resource
 * as virtio-mem's does inside its device's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/unaligned.h>
#include <asm/cpufeature.h>

/* nvgrace-gpu's BARs: resmem (write-combine) and usemem (cacheable). */
#define S2ATTR_GG_RESMEM_BAR	2
#define S2ATTR_GG_USEMEM_BAR	4
/* The part of each BAR the cases use, at its end. */
#define S2ATTR_GG_WINDOW	SZ_16M
/* Where the host finds this run's stamp: the BAR's last 4 KiB. */
#define S2ATTR_GG_STAMP_OFF(size)	((size) - SZ_4K)

static unsigned int s2attr_gg_vendor = 0x1234;
module_param_named(vendor, s2attr_gg_vendor, uint, 0444);
MODULE_PARM_DESC(vendor, "PCI vendor ID of the GPU (QEMU's edu: 0x1234)");
static unsigned int s2attr_gg_device = 0x11e8;
module_param_named(device, s2attr_gg_device, uint, 0444);
MODULE_PARM_DESC(device, "PCI device ID of the GPU (QEMU's edu: 0x11e8)");
static int s2attr_gg_node = 1;
module_param_named(node, s2attr_gg_node, int, 0444);
MODULE_PARM_DESC(node, "NUMA node that gets the onlined usemem");
static unsigned long s2attr_gg_online_offset;
module_param_named(online_offset, s2attr_gg_online_offset, ulong, 0444);
MODULE_PARM_DESC(online_offset, "Offset in usemem of the memory to online (memory-block aligned)");
static unsigned long s2attr_gg_online_size = SZ_512M;
module_param_named(online_size, s2attr_gg_online_size, ulong, 0444);
MODULE_PARM_DESC(online_size, "Bytes of usemem to online (memory-block aligned; 0: none)");
static char *s2attr_gg_stamp = "none";
module_param_named(stamp, s2attr_gg_stamp, charp, 0444);
MODULE_PARM_DESC(stamp, "This run's word, written where the host reads it back");

/*
 * Where the usemem this module added lies: outputs, for /init to hand to
 * gpuload, which checks that the frames of its pages are in that range (a
 * NUMA node can hold RAM besides the GPU's memory, so "on the node" alone
 * does not prove "in GPU memory").  Both are 0 until the memory is added,
 * which happens once, in s2attr_gg_init(), before insmod returns.
 */
static u64 s2attr_gg_added_base;
static u64 s2attr_gg_added_size;

/* An output cannot be set: a load that tries fails rather than lie. */
static int s2attr_gg_param_refuse(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

/* 0x-prefixed hex: what shell arithmetic and strtoull(..., 0) both read. */
static int s2attr_gg_param_get_hex(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "0x%llx\n", *(const u64 *)kp->arg);
}

static const struct kernel_param_ops s2attr_gg_param_output_ops = {
	.set	= s2attr_gg_param_refuse,
	.get	= s2attr_gg_param_get_hex,
};

module_param_cb(added_base, &s2attr_gg_param_output_ops, &s2attr_gg_added_base, 0444);
MODULE_PARM_DESC(added_base, "Read-only: guest-physical start of the usemem added (0 until added)");
module_param_cb(added_size, &s2attr_gg_param_output_ops, &s2attr_gg_added_size, 0444);
MODULE_PARM_DESC(added_size, "Read-only: bytes of usemem added (0 until added)");

/**
 * struct s2attr_gg_bar - one of the GPU's memory BARs as the guest maps it
 * @name:	"usemem" or "resmem"
 * @bar:	its BAR number
 * @flags:	how memremap() maps it
 * @start:	guest-physical address of the BAR
 * @size:	size of the BAR
 * @window:	mapping of its last S2ATTR_GG_WINDOW bytes, while cases run
 */
struct s2attr_gg_bar {
	const char *name;
	int bar;
	unsigned long flags;
	resource_size_t start;
	resource_size_t size;
	u8 *window;
};

static struct s2attr_gg_bar s2attr_gg_bars[] = {
	{ "usemem", S2ATTR_GG_USEMEM_BAR, MEMREMAP_WB },
	{ "resmem", S2ATTR_GG_RESMEM_BAR, MEMREMAP_WC },
};

/*
 * TAP case names: the host compares them with the list of cases it
 * expects, so a name is the same string in every run.  Figures (sizes,
 * addresses, return values) go on "# " lines of their own.
 */
static unsigned int s2attr_gg_tap;

static void s2attr_gg_result(int ret, const struct s2attr_gg_bar *b, const char *what)
{
	pr_notice("%s %u %s: %s\n", ret ? "not ok" : "ok", ++s2attr_gg_tap, b->name, what);
}

/* A case that cannot run here: it passes, with the reason (TAP's SKIP). */
static void s2attr_gg_skip(const struct s2attr_gg_bar *b, const char *what, const char *why)
{
	pr_notice("ok %u %s: %s # SKIP %s\n", ++s2attr_gg_tap, b->name, what, why);
}

/* A word no two offsets of a window share, so a misplaced access shows. */
static u64 s2attr_gg_pattern(size_t off, u64 seed)
{
	return (off * 0x9e3779b97f4a7c15ULL) ^ seed;
}

static int s2attr_gg_verify(const u8 *p, size_t len, u64 seed, const char *what)
{
	size_t off;

	for (off = 0; off < len; off += 8) {
		if (get_unaligned((const u64 *)(p + off)) != s2attr_gg_pattern(off, seed)) {
			pr_notice("# %s: wrong word at +0x%zx\n", what, off);
			return -EIO;
		}
	}
	return 0;
}

static void s2attr_gg_fill(u8 *p, size_t len, u64 seed)
{
	size_t off;

	for (off = 0; off < len; off += 8)
		put_unaligned(s2attr_gg_pattern(off, seed), (u64 *)(p + off));
}

/* Aligned 8-byte stores and loads: they complete on stage-2 Device too. */
static int s2attr_gg_aligned(u8 *w)
{
	s2attr_gg_fill(w, SZ_64K, 1);
	return s2attr_gg_verify(w, SZ_64K, 1, "aligned");
}

/* One unaligned 8-byte store and load: an alignment fault on Device. */
static int s2attr_gg_unaligned(u8 *w)
{
	u64 *p = (u64 *)(w + 3);

	put_unaligned(0x0123456789abcdefULL, p);
	return get_unaligned(p) == 0x0123456789abcdefULL ? 0 : -EIO;
}

/* memset() of zero zeroes whole blocks with DC ZVA. */
static int s2attr_gg_memset(u8 *w)
{
	size_t i;

	memset(w, 0xa5, SZ_1M);
	memset(w, 0, SZ_1M);
	for (i = 0; i < SZ_1M; i++)
		if (w[i])
			return -EIO;
	return 0;
}

/* memcpy() between offsets that no access size divides. */
static int s2attr_gg_memcpy(u8 *w)
{
	static const size_t offs[][2] = {
		{ 1, SZ_1M + 7 }, { SZ_2M + 5, 3 }, { 4099, SZ_4M + 13 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		s2attr_gg_fill(w + offs[i][0], SZ_256K, i);
		memcpy(w + offs[i][1], w + offs[i][0], SZ_256K - 1);
		if (memcmp(w + offs[i][1], w + offs[i][0], SZ_256K - 1))
			return -EIO;
	}
	return 0;
}

/* Load-/store-exclusive: a loop of LDXR/STXR increments. */
static int s2attr_gg_exclusive(u8 *w)
{
	u64 *p = (u64 *)(w + SZ_8M), val, tmp;
	unsigned int fail, i;

	*p = 0;
	for (i = 0; i < 1000; i++)
		asm volatile("1:	ldxr	%0, %3\n"
			     "	add	%1, %0, #1\n"
			     "	stxr	%w2, %1, %3\n"
			     "	cbnz	%w2, 1b\n"
			     : "=&r" (val), "=&r" (tmp), "=&r" (fail), "+Q" (*p) : : "memory");
	return *p == 1000 ? 0 : -EIO;
}

static bool s2attr_gg_has_lse(void)
{
	return cpus_have_final_cap(ARM64_HAS_LSE_ATOMICS);
}

/* LSE atomics: LDADD and CAS; only where s2attr_gg_has_lse(). */
static int s2attr_gg_lse(u8 *w)
{
	u64 *p = (u64 *)(w + SZ_8M + SZ_4K), old, cmp = 1000;
	unsigned int i;

	*p = 0;
	for (i = 0; i < 1000; i++)
		asm volatile(".arch_extension lse\n"
			     "	ldadd	%2, %0, %1\n"
			     : "=&r" (old), "+Q" (*p) : "r" (1ULL) : "memory");
	asm volatile(".arch_extension lse\n"
		     "	cas	%0, %2, %1\n"
		     : "+&r" (cmp), "+Q" (*p) : "r" (42ULL) : "memory");
	return cmp == 1000 && *p == 42 ? 0 : -EIO;
}

/* The whole window written with a pattern, then read back. */
static int s2attr_gg_pattern_all(u8 *w)
{
	s2attr_gg_fill(w, S2ATTR_GG_WINDOW, 0x5a);
	return s2attr_gg_verify(w, S2ATTR_GG_WINDOW, 0x5a, "pattern");
}

/**
 * struct s2attr_gg_case - one thing a GPU driver does with a BAR
 * @name:	what is done, as reported
 * @mask:	the BARs it runs on (bit 0 usemem, bit 1 resmem)
 * @run:	does it on the window's mapping; 0 if it completed right
 * @has:	whether the CPU can run it; NULL: every CPU can
 * @skip:	why it is skipped where @has is false, after "# SKIP"
 *
 * A case that cannot run is reported as skipped, under the same name, so
 * that every run reports the same cases and a skip is not a failure.
 */
struct s2attr_gg_case {
	const char *name;
	unsigned int mask;
	int (*run)(u8 *w);
	bool (*has)(void);
	const char *skip;
};

#define S2ATTR_GG_USE	BIT(0)
#define S2ATTR_GG_RES	BIT(1)
#define S2ATTR_GG_BOTH	(S2ATTR_GG_USE | S2ATTR_GG_RES)

/* In order: the first case is the one that completes on Device. */
static const struct s2attr_gg_case s2attr_gg_cases[] = {
	{ "aligned 8-byte stores and loads",	S2ATTR_GG_BOTH,	s2attr_gg_aligned },
	{ "unaligned 8-byte store and load",	S2ATTR_GG_BOTH,	s2attr_gg_unaligned },
	{ "memset zeroes with DC ZVA",		S2ATTR_GG_USE,	s2attr_gg_memset },
	{ "memcpy at unaligned offsets",	S2ATTR_GG_BOTH,	s2attr_gg_memcpy },
	{ "exclusives (LDXR/STXR)",		S2ATTR_GG_USE,	s2attr_gg_exclusive },
	{ "LSE atomics (LDADD, CAS)",		S2ATTR_GG_USE,	s2attr_gg_lse,
	  s2attr_gg_has_lse, "the CPU has no LSE atomics" },
	{ "pattern over the whole window written and read back",
						S2ATTR_GG_BOTH,	s2attr_gg_pattern_all },
};

/* Run the cases of one BAR on its window, then leave the host's stamp. */
static int s2attr_gg_exercise(struct s2attr_gg_bar *b, unsigned int mask)
{
	size_t off = b->size - S2ATTR_GG_WINDOW;
	const struct s2attr_gg_case *c;
	char stamp[64];
	int ret, fails = 0;

	b->window = memremap(b->start + off, S2ATTR_GG_WINDOW, b->flags);
	if (!b->window) {
		pr_err("%s: cannot memremap %pa+%zx\n", b->name, &b->start, off);
		return -ENOMEM;
	}
	pr_notice("# %s: the window: %u MiB at BAR offset 0x%zx\n", b->name,
		  S2ATTR_GG_WINDOW >> 20, off);
	for (c = s2attr_gg_cases; c < s2attr_gg_cases + ARRAY_SIZE(s2attr_gg_cases); c++) {
		if (!(c->mask & mask))
			continue;
		if (c->has && !c->has()) {
			s2attr_gg_skip(b, c->name, c->skip);
			continue;
		}
		ret = c->run(b->window);
		s2attr_gg_result(ret, b, c->name);
		fails += !!ret;
	}
	snprintf(stamp, sizeof(stamp), "s2attr-gpuguest %s %s", b->name, s2attr_gg_stamp);
	memcpy(b->window + S2ATTR_GG_STAMP_OFF(S2ATTR_GG_WINDOW), stamp, strlen(stamp) + 1);
	memunmap(b->window);
	b->window = NULL;
	pr_notice("# %s: stamp \"%s\" at BAR offset 0x%llx\n", b->name, stamp,
		  (unsigned long long)S2ATTR_GG_STAMP_OFF(b->size));
	return fails ? -EIO : 0;
}

/*
 * Online: memory hotplug takes whole memory blocks (128 MiB with 4 KiB
 * pages, 512 MiB with 64 KiB: why nvgrace-gpu rounds usemem to 512 MiB),
 * and the range must stay clear of the cases' window.
 */
static int s2attr_gg_check_online(const struct s2attr_gg_bar *use)
{
	unsigned long block = memory_block_size_bytes();
	u64 start = use->start + s2attr_gg_online_offset;

	if (!IS_ALIGNED(start, block) || !IS_ALIGNED(s2attr_gg_online_size, block)) {
		pr_err("usemem: %lu MiB at BAR offset 0x%lx (guest-physical 0x%llx): not memory-block aligned (block size %lu MiB); refusing to online it\n",
		       s2attr_gg_online_size >> 20, s2attr_gg_online_offset,
		       (unsigned long long)start, block >> 20);
		return -EINVAL;
	}
	if (s2attr_gg_online_offset + s2attr_gg_online_size > use->size - S2ATTR_GG_WINDOW) {
		pr_err("usemem: %lu MiB at BAR offset 0x%lx do not fit a %llu MiB BAR beside the test window\n",
		       s2attr_gg_online_size >> 20, s2attr_gg_online_offset,
		       (unsigned long long)use->size >> 20);
		return -EINVAL;
	}
	if (!node_possible(s2attr_gg_node)) {
		pr_err("usemem: NUMA node %d is not possible on this machine\n", s2attr_gg_node);
		return -EINVAL;
	}
	return 0;
}

/* The online case's name; its figures go on a "# " line. */
#define S2ATTR_GG_ONLINE	"added to its NUMA node as driver-managed memory"

/**
 * s2attr_gg_online() - hand usemem to the kernel, as NVIDIA's driver does
 * @use:	the usemem BAR
 * @ret:	what the cases on the BARs returned: usemem is added only if
 *		they all passed, since memory once added stays (no hot-remove)
 *
 * Reports its case in every run that gets this far: failed when a case
 * before it failed, skipped when online_size is 0.  On success it sets
 * the added_base and added_size parameters.
 *
 * Context: module init, before the module is live.
 * Return: @ret if not 0, else what add_memory_driver_managed() returned.
 */
static int s2attr_gg_online(const struct s2attr_gg_bar *use, int ret)
{
	u64 start = use->start + s2attr_gg_online_offset;

	if (ret) {
		pr_notice("# usemem: not added: a case before failed\n");
		s2attr_gg_result(ret, use, S2ATTR_GG_ONLINE);
		return ret;
	}
	if (!s2attr_gg_online_size) {
		s2attr_gg_skip(use, S2ATTR_GG_ONLINE, "online_size=0: nothing to add");
		return 0;
	}
	ret = add_memory_driver_managed(s2attr_gg_node, start, s2attr_gg_online_size,
					"System RAM (s2attr_gpuguest)", MHP_NONE);
	pr_notice("# usemem: %lu MiB at 0x%llx to NUMA node %d: %d\n",
		  s2attr_gg_online_size >> 20, start, s2attr_gg_node, ret);
	if (!ret) {
		s2attr_gg_added_base = start;
		s2attr_gg_added_size = s2attr_gg_online_size;
	}
	s2attr_gg_result(ret, use, S2ATTR_GG_ONLINE);
	return ret;
}

/* The BARs' addresses and sizes, as the PCI core assigned them. */
static int s2attr_gg_find(struct pci_dev *pdev)
{
	struct s2attr_gg_bar *b;

	for (b = s2attr_gg_bars; b < s2attr_gg_bars + ARRAY_SIZE(s2attr_gg_bars); b++) {
		b->start = pci_resource_start(pdev, b->bar);
		b->size = pci_resource_len(pdev, b->bar);
		if (!(pci_resource_flags(pdev, b->bar) & IORESOURCE_MEM) || !b->start ||
		    b->size < 2 * S2ATTR_GG_WINDOW) {
			pr_err("%s: BAR %d of %s is not an assigned memory BAR of at least %u MiB\n",
			       b->name, b->bar, pci_name(pdev), 2 * S2ATTR_GG_WINDOW >> 20);
			return -ENODEV;
		}
		pr_notice("# %s: BAR %d at 0x%llx, %llu MiB\n", b->name, b->bar,
			  (unsigned long long)b->start, (unsigned long long)b->size >> 20);
	}
	return 0;
}

/*
 * The BARs are checked before anything is touched; memory decoding is
 * enabled only then: that is when QEMU maps the BARs into the guest, so a
 * host that refuses the GPU memory's memslot stops the VM here.
 */
static int s2attr_gg_setup(struct pci_dev *pdev)
{
	struct s2attr_gg_bar *use = &s2attr_gg_bars[0], *res = &s2attr_gg_bars[1];
	int ret;

	ret = s2attr_gg_find(pdev) ?: s2attr_gg_check_online(use);
	if (ret)
		return ret;
	ret = pci_enable_device_mem(pdev);
	if (ret) {
		pr_err("%s: cannot enable memory decoding: %d\n", pci_name(pdev), ret);
		return ret;
	}
	ret = s2attr_gg_exercise(use, S2ATTR_GG_USE);
	ret = s2attr_gg_exercise(res, S2ATTR_GG_RES) ?: ret;
	ret = s2attr_gg_online(use, ret);
	if (ret)
		pci_disable_device(pdev);
	return ret;
}

static int __init s2attr_gg_init(void)
{
	struct pci_dev *pdev;
	int ret;

	pdev = pci_get_device(s2attr_gg_vendor, s2attr_gg_device, NULL);
	if (!pdev) {
		pr_err("no PCI device %04x:%04x\n", s2attr_gg_vendor, s2attr_gg_device);
		return -ENODEV;
	}
	/* On success the reference stays, with the device enabled. */
	ret = s2attr_gg_setup(pdev);
	if (ret)
		pci_dev_put(pdev);
	return ret;
}

/*
 * No module_exit(): the test kernels have no MEMORY_HOTREMOVE, so usemem
 * once added stays, and so must the module that enabled its decoding.
 */
module_init(s2attr_gg_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("s2attr test: a Grace GPU's memory as a guest driver uses it");
