/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * s2attr: what differs between the kernel series s2attr builds for.  One
 * block per kernel change; the rest of the module uses only these names.
 */
#ifndef __S2ATTR_COMPAT_H
#define __S2ATTR_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

/*
 * 6.9, "mm: Introduce new flag to indicate wc safe": VFIO marks VMAs that
 * KVM may map Normal-NC.  Before it no VMA carries the flag.
 */
#ifdef VM_ALLOW_ANY_UNCACHED
#define S2ATTR_VM_ALLOW_ANY_UNCACHED	VM_ALLOW_ANY_UNCACHED
#else
#define S2ATTR_VM_ALLOW_ANY_UNCACHED	0
#endif

/*
 * 6.7, "fs: rework get_file_rcu()": files became SLAB_TYPESAFE_BY_RCU and
 * get_file_rcu(), a function from then on, takes the RCU pointer to the
 * file and rechecks it; before, a macro, it took the file.
 * get_mm_exe_file() itself is not exported.
 */
static inline struct file *s2attr_get_mm_exe_file(struct mm_struct *mm)
{
	struct file *file;

	rcu_read_lock();
#ifdef get_file_rcu
	file = rcu_dereference(mm->exe_file);
	if (file && !get_file_rcu(file))
		file = NULL;
#else
	file = get_file_rcu(&mm->exe_file);
#endif
	rcu_read_unlock();
	return file;
}

#endif /* __S2ATTR_COMPAT_H */
