// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr test provider: stands in for nvgrace-gpu.  It hands the RAM that
 * QEMU has above the kernel's mem= limit (outside the linear map, no
 * struct page, like Grace GPU memory) to user space as VM_PFNMAP, with the
 * three pgprots drivers use: cacheable (nvgrace-gpu usemem), Device and
 * write-combine, the last also with VM_ALLOW_ANY_UNCACHED (nvgrace-gpu
 * resmem, "_anyuc").  The "_huge" devices fault the memory in
 * with PMD-sized stage-1 leaves where the mapping is aligned, as vfio-pci
 * and nvgrace-gpu do with huge PFNMAP support.  Test-only.
 */

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pfn_t.h>

static unsigned long s2attr_tp_base;
module_param_named(base, s2attr_tp_base, ulong, 0444);
MODULE_PARM_DESC(base, "Physical base of the memory above mem=");

static unsigned long s2attr_tp_size;
module_param_named(size, s2attr_tp_size, ulong, 0444);
MODULE_PARM_DESC(size, "Size of that memory in bytes");

/* Tells the tests that stage-1 really got PMD leaves. */
static atomic64_t s2attr_tp_pmd_faults = ATOMIC64_INIT(0);

static int s2attr_tp_get_pmd_faults(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&s2attr_tp_pmd_faults));
}

static const struct kernel_param_ops s2attr_tp_pmd_faults_ops = {
	.get	= s2attr_tp_get_pmd_faults,
};

module_param_cb(pmd_faults, &s2attr_tp_pmd_faults_ops, NULL, 0444);
MODULE_PARM_DESC(pmd_faults, "PMD-sized stage-1 leaves inserted so far");

enum s2attr_tp_kind {
	S2ATTR_TP_WB,
	S2ATTR_TP_NC,
	S2ATTR_TP_WC,
	S2ATTR_TP_WB_HUGE,
	S2ATTR_TP_NC_HUGE,
	S2ATTR_TP_WC_HUGE,
	S2ATTR_TP_WC_ANYUC,
	S2ATTR_TP_NR_ALL,
};

#define S2ATTR_TP_HUGE	S2ATTR_TP_WB_HUGE

/*
 * wc_anyuc: write-combine with VM_ALLOW_ANY_UNCACHED, as nvgrace-gpu maps
 * its resmem; stock KVM maps such a VMA Normal-NC in stage-2.  The flag
 * came with 6.8: without it the device is not registered, and the tests
 * that need it say so.
 */
#ifdef VM_ALLOW_ANY_UNCACHED
#define S2ATTR_TP_NR_KINDS	S2ATTR_TP_NR_ALL
#else
#define S2ATTR_TP_NR_KINDS	S2ATTR_TP_WC_ANYUC
#define VM_ALLOW_ANY_UNCACHED	VM_NONE
#endif

static bool s2attr_tp_kind_is_huge(enum s2attr_tp_kind kind)
{
	return kind >= S2ATTR_TP_HUGE && kind < S2ATTR_TP_WC_ANYUC;
}

static pgprot_t s2attr_tp_prot(enum s2attr_tp_kind kind, pgprot_t prot)
{
	if (kind == S2ATTR_TP_WC_ANYUC)
		return pgprot_writecombine(prot);
	switch (kind % S2ATTR_TP_HUGE) {
	case S2ATTR_TP_NC:
		return pgprot_noncached(prot);
	case S2ATTR_TP_WC:
		return pgprot_writecombine(prot);
	default:
		return prot;	/* MT_NORMAL for a shared mapping */
	}
}

/*
 * 6.3, "mm: introduce vma->vm_flags wrapper functions": vm_flags became
 * read-only, set through vm_flags_set().  The next commit of that series
 * renamed VM_LOCKED_CLEAR_MASK to VM_LOCKED_MASK, which tells the two apart.
 */
static void s2attr_tp_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef VM_LOCKED_MASK
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static struct miscdevice s2attr_tp_devs[S2ATTR_TP_NR_ALL];

/*
 * 6.6, "mm: remove enum page_entry_size": ->huge_fault() takes a page
 * order; PMD_ORDER, which the same pull moved to <linux/pgtable.h>, tells
 * the two apart.
 */
#ifdef PMD_ORDER
#define S2ATTR_TP_HUGE_FAULT_ORDER	1
#else
#define PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#endif

/* Huge faults: a PMD leaf where VA, PFN and VMA allow it, else fallback. */
static vm_fault_t s2attr_tp_fault_order(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & ~((PAGE_SIZE << order) - 1);
	unsigned long pfn = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	vm_fault_t ret;

	pfn += PHYS_PFN(s2attr_tp_base);
	if (order && (addr < vma->vm_start ||
		      addr + (PAGE_SIZE << order) > vma->vm_end ||
		      pfn & ((1UL << order) - 1)))
		return VM_FAULT_FALLBACK;

	switch (order) {
	case 0:
		return vmf_insert_pfn(vma, vmf->address, pfn);
	case PMD_ORDER:
		ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), false);
		if (ret == VM_FAULT_NOPAGE)
			atomic64_inc(&s2attr_tp_pmd_faults);
		return ret;
	default:
		return VM_FAULT_FALLBACK;
	}
}

/*
 * Before huge PFNMAP support (6.12) mm never calls ->huge_fault for a
 * VM_PFNMAP VMA, and must not see PMD leaves there: GUP-fast would take a
 * reference on the struct page that such memory does not have.
 */
static vm_fault_t s2attr_tp_fault(struct vm_fault *vmf)
{
	return s2attr_tp_fault_order(vmf, 0);
}

#ifdef S2ATTR_TP_HUGE_FAULT_ORDER
static vm_fault_t s2attr_tp_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return s2attr_tp_fault_order(vmf, order);
}
#else
static vm_fault_t s2attr_tp_huge_fault(struct vm_fault *vmf, enum page_entry_size pe)
{
	return pe == PE_SIZE_PMD ? s2attr_tp_fault_order(vmf, PMD_ORDER) : VM_FAULT_FALLBACK;
}
#endif

static const struct vm_operations_struct s2attr_tp_huge_ops = {
	.fault		= s2attr_tp_fault,
	.huge_fault	= s2attr_tp_huge_fault,
};

static int s2attr_tp_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct miscdevice *misc = file->private_data;
	enum s2attr_tp_kind kind = misc - s2attr_tp_devs;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long off, end;

	if (check_shl_overflow(vma->vm_pgoff, PAGE_SHIFT, &off) ||
	    check_add_overflow(off, len, &end) || end > s2attr_tp_size)
		return -EINVAL;

	/* As nvgrace-gpu does: KVM classifies by the VMA's vm_page_prot. */
	vma->vm_page_prot = s2attr_tp_prot(kind, vma->vm_page_prot);
	if (kind == S2ATTR_TP_WC_ANYUC)
		s2attr_tp_vm_flags_set(vma, VM_ALLOW_ANY_UNCACHED);
	if (!s2attr_tp_kind_is_huge(kind))
		return remap_pfn_range(vma, vma->vm_start,
				       PHYS_PFN(s2attr_tp_base + off), len,
				       vma->vm_page_prot);

	s2attr_tp_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &s2attr_tp_huge_ops;
	return 0;
}

static const struct file_operations s2attr_tp_fops = {
	.owner	= THIS_MODULE,
	.mmap	= s2attr_tp_mmap,
};

static struct miscdevice s2attr_tp_devs[S2ATTR_TP_NR_ALL] = {
	[S2ATTR_TP_WB] = { .name = "s2attr_pfnmap_wb" },
	[S2ATTR_TP_NC] = { .name = "s2attr_pfnmap_nc" },
	[S2ATTR_TP_WC] = { .name = "s2attr_pfnmap_wc" },
	[S2ATTR_TP_WB_HUGE] = { .name = "s2attr_pfnmap_wb_huge" },
	[S2ATTR_TP_NC_HUGE] = { .name = "s2attr_pfnmap_nc_huge" },
	[S2ATTR_TP_WC_HUGE] = { .name = "s2attr_pfnmap_wc_huge" },
	[S2ATTR_TP_WC_ANYUC] = { .name = "s2attr_pfnmap_wc_anyuc" },
};

/* The memory must be outside the linear map, as device memory is. */
static int s2attr_tp_check_region(void)
{
	unsigned long pfn, end;

	if (!s2attr_tp_size || !PAGE_ALIGNED(s2attr_tp_base) ||
	    !PAGE_ALIGNED(s2attr_tp_size) ||
	    check_add_overflow(s2attr_tp_base, s2attr_tp_size, &end)) {
		pr_err("s2attr_test_provider: bad base=0x%lx size=0x%lx\n",
		       s2attr_tp_base, s2attr_tp_size);
		return -EINVAL;
	}
	for (pfn = PHYS_PFN(s2attr_tp_base); pfn < PHYS_PFN(end); pfn++) {
		/*
		 * Not pfn_valid(): with 64K pages it is true up to the end of
		 * the 512 MiB section that mem= falls in.
		 */
		if (pfn_is_map_memory(pfn)) {
			pr_err("s2attr_test_provider: pfn 0x%lx is in the linear map; boot with a lower mem=\n",
			       pfn);
			return -EINVAL;
		}
	}
	return 0;
}

static void s2attr_tp_unregister(int n)
{
	while (n--)
		misc_deregister(&s2attr_tp_devs[n]);
}

static int __init s2attr_tp_init(void)
{
	int i, ret;

	ret = s2attr_tp_check_region();
	if (ret)
		return ret;
	if (!request_mem_region(s2attr_tp_base, s2attr_tp_size, "s2attr-test-pfnmap"))
		return -EBUSY;

	for (i = 0; i < S2ATTR_TP_NR_KINDS; i++) {
		s2attr_tp_devs[i].minor = MISC_DYNAMIC_MINOR;
		s2attr_tp_devs[i].fops = &s2attr_tp_fops;
		s2attr_tp_devs[i].mode = 0666;
		ret = misc_register(&s2attr_tp_devs[i]);
		if (ret)
			goto unregister;
	}
	return 0;

unregister:
	s2attr_tp_unregister(i);
	release_mem_region(s2attr_tp_base, s2attr_tp_size);
	return ret;
}

static void __exit s2attr_tp_exit(void)
{
	s2attr_tp_unregister(S2ATTR_TP_NR_KINDS);
	release_mem_region(s2attr_tp_base, s2attr_tp_size);
}

module_init(s2attr_tp_init);
module_exit(s2attr_tp_exit);

MODULE_DESCRIPTION("s2attr test provider: PFNMAP memory outside the linear map (test only)");
MODULE_LICENSE("GPL");
