// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr test provider shaped like nvgrace-gpu: the RAM that QEMU has above
 * the kernel's mem= limit (outside the linear map) is split into the two
 * regions nvgrace-gpu exposes, and each is mapped the way its mmap() maps
 * them on 6.12 and 6.1:
 *
 *   /dev/s2attr_nvgrace_usemem	cacheable (the VMA's MT_NORMAL pgprot)
 *   /dev/s2attr_nvgrace_resmem	pgprot_writecombine() and, where the kernel
 *				has it (6.9+), VM_ALLOW_ANY_UNCACHED, so that
 *				stock KVM maps it Normal-NC
 *
 * The whole request is mapped at mmap() time with remap_pfn_range(), which
 * leaves page-sized stage-1 entries, and vm_pgoff is then set to the start
 * PFN, as nvgrace_gpu_mmap() does.  The mmap offset is the offset into the
 * region.  Test-only.
 */

#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>

static unsigned long s2attr_nv_base;
module_param_named(base, s2attr_nv_base, ulong, 0444);
MODULE_PARM_DESC(base, "Physical base of the memory above mem=");

static unsigned long s2attr_nv_size;
module_param_named(size, s2attr_nv_size, ulong, 0444);
MODULE_PARM_DESC(size, "Size of that memory in bytes");

static unsigned long s2attr_nv_resmem = 64UL << 20;
module_param_named(resmem, s2attr_nv_resmem, ulong, 0444);
MODULE_PARM_DESC(resmem, "Bytes at the top of that memory that are resmem (default 64 MiB)");

/* Tells the tests whether resmem has VM_ALLOW_ANY_UNCACHED (6.9+). */
#ifdef VM_ALLOW_ANY_UNCACHED
static bool s2attr_nv_anyuc = true;
#else
static bool s2attr_nv_anyuc;
#endif
module_param_named(anyuc, s2attr_nv_anyuc, bool, 0444);
MODULE_PARM_DESC(anyuc, "resmem is mapped with VM_ALLOW_ANY_UNCACHED (read-only)");

/**
 * struct s2attr_nv_region - one of the regions, as nvgrace-gpu's mem_region
 * @memphys:	physical base
 * @memlength:	length in bytes
 * @misc:	its device node
 */
struct s2attr_nv_region {
	phys_addr_t		memphys;
	size_t			memlength;
	struct miscdevice	misc;
};

enum { S2ATTR_NV_USEMEM, S2ATTR_NV_RESMEM, S2ATTR_NV_NR_REGIONS };

static struct s2attr_nv_region s2attr_nv_regions[S2ATTR_NV_NR_REGIONS] = {
	[S2ATTR_NV_USEMEM] = { .misc = { .name = "s2attr_nvgrace_usemem" } },
	[S2ATTR_NV_RESMEM] = { .misc = { .name = "s2attr_nvgrace_resmem" } },
};

/* The resmem pgprot and flags, as nvgrace_gpu_mmap() sets them. */
static void s2attr_nv_make_resmem(struct vm_area_struct *vma)
{
#ifdef VM_ALLOW_ANY_UNCACHED
	vm_flags_set(vma, VM_ALLOW_ANY_UNCACHED);
#endif
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
}

static int s2attr_nv_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct miscdevice *misc = file->private_data;
	struct s2attr_nv_region *region =
		container_of(misc, struct s2attr_nv_region, misc);
	unsigned long start_pfn;
	u64 req_len, end;
	int ret;

	if (check_sub_overflow(vma->vm_end, vma->vm_start, &req_len) ||
	    check_add_overflow(PHYS_PFN(region->memphys), vma->vm_pgoff, &start_pfn) ||
	    check_add_overflow(PFN_PHYS(vma->vm_pgoff), req_len, &end))
		return -EOVERFLOW;
	if (end > region->memlength)
		return -EINVAL;

	if (region == &s2attr_nv_regions[S2ATTR_NV_RESMEM])
		s2attr_nv_make_resmem(vma);

	ret = remap_pfn_range(vma, vma->vm_start, start_pfn, req_len,
			      vma->vm_page_prot);
	if (ret)
		return ret;

	vma->vm_pgoff = start_pfn;
	return 0;
}

static const struct file_operations s2attr_nv_fops = {
	.owner	= THIS_MODULE,
	.mmap	= s2attr_nv_mmap,
};

/* The memory must be outside the linear map, as GPU memory is. */
static int s2attr_nv_check_memory(void)
{
	unsigned long pfn, end;

	if (!PAGE_ALIGNED(s2attr_nv_base) || !PAGE_ALIGNED(s2attr_nv_size) ||
	    !PAGE_ALIGNED(s2attr_nv_resmem) || s2attr_nv_resmem >= s2attr_nv_size ||
	    check_add_overflow(s2attr_nv_base, s2attr_nv_size, &end)) {
		pr_err("s2attr_test_nvgrace: bad base=0x%lx size=0x%lx resmem=0x%lx\n",
		       s2attr_nv_base, s2attr_nv_size, s2attr_nv_resmem);
		return -EINVAL;
	}
	for (pfn = PHYS_PFN(s2attr_nv_base); pfn < PHYS_PFN(end); pfn++) {
		if (pfn_is_map_memory(pfn)) {
			pr_err("s2attr_test_nvgrace: pfn 0x%lx is in the linear map; boot with a lower mem=\n",
			       pfn);
			return -EINVAL;
		}
	}
	return 0;
}

static void s2attr_nv_unregister(int n)
{
	while (n--)
		misc_deregister(&s2attr_nv_regions[n].misc);
}

static int __init s2attr_nv_init(void)
{
	int i, ret;

	ret = s2attr_nv_check_memory();
	if (ret)
		return ret;

	s2attr_nv_regions[S2ATTR_NV_USEMEM].memphys = s2attr_nv_base;
	s2attr_nv_regions[S2ATTR_NV_USEMEM].memlength = s2attr_nv_size - s2attr_nv_resmem;
	s2attr_nv_regions[S2ATTR_NV_RESMEM].memphys = s2attr_nv_base + s2attr_nv_size -
						      s2attr_nv_resmem;
	s2attr_nv_regions[S2ATTR_NV_RESMEM].memlength = s2attr_nv_resmem;

	for (i = 0; i < S2ATTR_NV_NR_REGIONS; i++) {
		s2attr_nv_regions[i].misc.minor = MISC_DYNAMIC_MINOR;
		s2attr_nv_regions[i].misc.fops = &s2attr_nv_fops;
		s2attr_nv_regions[i].misc.mode = 0666;
		ret = misc_register(&s2attr_nv_regions[i].misc);
		if (ret)
			goto unregister;
	}
	return 0;

unregister:
	s2attr_nv_unregister(i);
	return ret;
}

static void __exit s2attr_nv_exit(void)
{
	s2attr_nv_unregister(S2ATTR_NV_NR_REGIONS);
}

module_init(s2attr_nv_init);
module_exit(s2attr_nv_exit);

MODULE_DESCRIPTION("s2attr test provider shaped like nvgrace-gpu: usemem and resmem (test only)");
MODULE_LICENSE("GPL");
