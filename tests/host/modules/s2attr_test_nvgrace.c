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
 * region.
 *
 * For the stage-2 block tests, the same mapping of all of the memory
 * (usemem and resmem, so that the tests find two blocks at 64 KiB pages)
 * in the shapes of S2ATTR_NVGRACE_DEV_PREFIX (s2attr_test.h):
 *
 *   /dev/s2attr_nvgrace_contig	cacheable, every page, contiguous PFNs
 *   /dev/s2attr_nvgrace_hole	page S2ATTR_NVGRACE_ODD_PAGE not mapped
 *   /dev/s2attr_nvgrace_swap	that page and the next with their PFNs swapped
 *   /dev/s2attr_nvgrace_prot	that page write-combine, the VMA cacheable
 *   /dev/s2attr_nvgrace_ro	that page read-only, the VMA writable
 *
 * Test-only.
 */

#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>

#include "s2attr_test.h"

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

/*
 * The block tests' shapes: how the host's page table differs from a
 * contiguous cacheable mapping, in page S2ATTR_NVGRACE_ODD_PAGE of the VMA.
 */
enum s2attr_nv_shape {
	S2ATTR_NV_CONTIG,	/* it does not */
	S2ATTR_NV_HOLE,		/* the page is not mapped */
	S2ATTR_NV_SWAP,		/* its PFN and the next page's are swapped */
	S2ATTR_NV_PROT,		/* the page is write-combine */
	S2ATTR_NV_RO,		/* the page is read-only */
	S2ATTR_NV_NR_SHAPES,
};

static struct miscdevice s2attr_nv_shape_devs[S2ATTR_NV_NR_SHAPES] = {
	[S2ATTR_NV_CONTIG]	= { .name = "s2attr_nvgrace_contig" },
	[S2ATTR_NV_HOLE]	= { .name = "s2attr_nvgrace_hole" },
	[S2ATTR_NV_SWAP]	= { .name = "s2attr_nvgrace_swap" },
	[S2ATTR_NV_PROT]	= { .name = "s2attr_nvgrace_prot" },
	[S2ATTR_NV_RO]		= { .name = "s2attr_nvgrace_ro" },
};

/* Map @npages pages of @vma from page @idx on to the PFNs from @pfn on. */
static int s2attr_nv_remap(struct vm_area_struct *vma, unsigned long idx,
			   unsigned long npages, unsigned long pfn, pgprot_t prot)
{
	if (!npages)
		return 0;
	return remap_pfn_range(vma, vma->vm_start + idx * PAGE_SIZE, pfn,
			       npages * PAGE_SIZE, prot);
}

/* The odd page of @shape, whose PFN is @pfn if mapped contiguously. */
static int s2attr_nv_remap_odd(struct vm_area_struct *vma,
			       enum s2attr_nv_shape shape, unsigned long pfn)
{
	unsigned long odd = S2ATTR_NVGRACE_ODD_PAGE;
	pgprot_t prot = vma->vm_page_prot;

	switch (shape) {
	case S2ATTR_NV_HOLE:
		return 0;
	case S2ATTR_NV_SWAP:
		return s2attr_nv_remap(vma, odd, 1, pfn + 1, prot) ?:
		       s2attr_nv_remap(vma, odd + 1, 1, pfn, prot);
	case S2ATTR_NV_PROT:
		prot = pgprot_writecombine(prot);
		break;
	case S2ATTR_NV_RO:
		prot = vm_get_page_prot(vma->vm_flags & ~VM_WRITE);
		break;
	default:
		break;
	}
	return s2attr_nv_remap(vma, odd, 1, pfn, prot);
}

static int s2attr_nv_shape_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct miscdevice *misc = file->private_data;
	enum s2attr_nv_shape shape = misc - s2attr_nv_shape_devs;
	unsigned long odd = S2ATTR_NVGRACE_ODD_PAGE, npages = vma_pages(vma);
	unsigned long start_pfn, end, rest;
	int ret;

	if (check_add_overflow(vma->vm_pgoff, npages, &end) ||
	    end > PHYS_PFN(s2attr_nv_size))
		return -EINVAL;
	/* The odd page, and for swap the page after it, are inside the VMA */
	if (shape != S2ATTR_NV_CONTIG && npages < odd + 2)
		return -EINVAL;

	start_pfn = PHYS_PFN(s2attr_nv_base) + vma->vm_pgoff;
	if (shape == S2ATTR_NV_CONTIG) {
		ret = s2attr_nv_remap(vma, 0, npages, start_pfn, vma->vm_page_prot);
	} else {
		rest = shape == S2ATTR_NV_SWAP ? odd + 2 : odd + 1;
		ret = s2attr_nv_remap(vma, 0, odd, start_pfn, vma->vm_page_prot) ?:
		      s2attr_nv_remap(vma, rest, npages - rest, start_pfn + rest,
				      vma->vm_page_prot) ?:
		      s2attr_nv_remap_odd(vma, shape, start_pfn + odd);
	}
	if (ret)
		return ret;

	vma->vm_pgoff = start_pfn;
	return 0;
}

static const struct file_operations s2attr_nv_shape_fops = {
	.owner	= THIS_MODULE,
	.mmap	= s2attr_nv_shape_mmap,
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

static void s2attr_nv_unregister_shapes(int n)
{
	while (n--)
		misc_deregister(&s2attr_nv_shape_devs[n]);
}

static int s2attr_nv_register_shapes(void)
{
	int i, ret;

	for (i = 0; i < S2ATTR_NV_NR_SHAPES; i++) {
		s2attr_nv_shape_devs[i].minor = MISC_DYNAMIC_MINOR;
		s2attr_nv_shape_devs[i].fops = &s2attr_nv_shape_fops;
		s2attr_nv_shape_devs[i].mode = 0666;
		ret = misc_register(&s2attr_nv_shape_devs[i]);
		if (ret) {
			s2attr_nv_unregister_shapes(i);
			return ret;
		}
	}
	return 0;
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
	ret = s2attr_nv_register_shapes();
	if (ret)
		goto unregister;
	return 0;

unregister:
	s2attr_nv_unregister(i);
	return ret;
}

static void __exit s2attr_nv_exit(void)
{
	s2attr_nv_unregister_shapes(S2ATTR_NV_NR_SHAPES);
	s2attr_nv_unregister(S2ATTR_NV_NR_REGIONS);
}

module_init(s2attr_nv_init);
module_exit(s2attr_nv_exit);

MODULE_DESCRIPTION("s2attr test provider shaped like nvgrace-gpu: usemem, resmem and shapes of them (test only)");
MODULE_LICENSE("GPL");
