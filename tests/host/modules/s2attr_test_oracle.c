// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr test oracle: report the stage-2 leaf descriptor KVM installed for
 * an IPA of a VM, read from the page tables themselves.  The tests assert
 * on this, never on what s2attr says it did.  Test-only.
 *
 * The walk is written out here rather than using kvm_pgtable_get_leaf(),
 * which is not exported; it assumes 4 KiB granules and no LPA2, as the
 * test kernels are configured.
 */

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <asm/kvm_pgtable.h>

#include "s2attr_test.h"

#define S2ATTR_ORACLE_TABLE_MASK	GENMASK_ULL(47, 12)

static unsigned int s2attr_oracle_shift(int level)
{
	return PAGE_SHIFT + (3 - level) * (PAGE_SHIFT - 3);
}

static void s2attr_oracle_walk(struct kvm_pgtable *pgt, u64 ipa,
			       struct s2attr_oracle_query *q)
{
	kvm_pte_t *table = (kvm_pte_t *)rcu_dereference_raw(pgt->pgd);
	int level = pgt->start_level;

	for (;;) {
		unsigned int shift = s2attr_oracle_shift(level);
		unsigned int bits = level == pgt->start_level ?
				    pgt->ia_bits - shift : PAGE_SHIFT - 3;
		kvm_pte_t pte = READ_ONCE(table[(ipa >> shift) & GENMASK_ULL(bits - 1, 0)]);

		q->level = level;
		if (!(pte & BIT(0)))
			return;
		if (level == 3 || !(pte & BIT(1))) {
			q->desc = pte;
			q->valid = 1;
			return;
		}
		table = __va(pte & S2ATTR_ORACLE_TABLE_MASK);
		level++;
	}
}

static int s2attr_oracle_query(struct s2attr_oracle_query *q)
{
	struct file *file;
	struct kvm *kvm;
	int ret = 0;

	file = fget(q->vm_fd);
	if (!file)
		return -EBADF;
	if (strcmp(file->f_path.dentry->d_name.name, "kvm-vm")) {
		ret = -EINVAL;
		goto put;
	}
	kvm = file->private_data;

	q->desc = 0;
	q->valid = 0;
	read_lock(&kvm->mmu_lock);
	if (kvm->arch.mmu.pgt) {
		if (q->ipa >> kvm->arch.mmu.pgt->ia_bits)
			ret = -ERANGE;
		else
			s2attr_oracle_walk(kvm->arch.mmu.pgt, q->ipa, q);
		q->fwb = cpus_have_final_cap(ARM64_HAS_STAGE2_FWB) &&
			 !(kvm->arch.mmu.pgt->flags & KVM_PGTABLE_S2_NOFWB);
	}
	read_unlock(&kvm->mmu_lock);
put:
	fput(file);
	return ret;
}

static long s2attr_oracle_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct s2attr_oracle_query q;
	int ret;

	if (cmd != S2ATTR_ORACLE_QUERY)
		return -ENOTTY;
	if (copy_from_user(&q, (void __user *)arg, sizeof(q)))
		return -EFAULT;
	ret = s2attr_oracle_query(&q);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &q, sizeof(q)) ? -EFAULT : 0;
}

static const struct file_operations s2attr_oracle_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= s2attr_oracle_ioctl,
};

static struct miscdevice s2attr_oracle_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "s2attr_oracle",
	.fops	= &s2attr_oracle_fops,
	.mode	= 0600,
};

module_misc_device(s2attr_oracle_dev);

MODULE_DESCRIPTION("s2attr test oracle: KVM stage-2 leaf descriptors (test only)");
MODULE_LICENSE("GPL");
