/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * s2attr: the decision table.
 *
 * A pure function of captured facts: it reads no global state, so the
 * KUnit suite can feed it every row, including CPU features that QEMU does
 * not model.  It is inline because it runs on every stage-2 fault s2attr
 * sees: the call and the facts spilled to the stack for it would cost as
 * much as the decision.
 */
#ifndef __S2ATTR_POLICY_H
#define __S2ATTR_POLICY_H

#include <linux/mm.h>

#include <asm/memory.h>

#include "s2attr.h"

static inline bool s2attr_vma_is_pfnmap(const struct s2attr_facts *f)
{
	return f->vm_flags & (VM_PFNMAP | VM_MIXEDMAP);
}

/*
 * Only the stage-1 Normal write-back types qualify.  Normal-NC and Device
 * stay with stock KVM, which maps them Device (or Normal-NC when the VMA
 * has VM_ALLOW_ANY_UNCACHED): they are what the VMM asked for already.
 */
static inline bool s2attr_prot_is_cacheable(const struct s2attr_facts *f)
{
	/* One test for both: they differ only in the index's lowest bit */
	BUILD_BUG_ON(MT_NORMAL != 0 || MT_NORMAL_TAGGED != 1);
	return !(f->prot & PTE_ATTRINDX_MASK & ~PTE_ATTRINDX(1));
}

/**
 * s2attr_decide() - choose the stage-2 mapping of a cacheable PFNMAP fault
 * @f: the facts, captured by KVM before it dropped mmap_lock
 *
 * Callers pass only PFNs outside the linear map.  For a memslot, @f->exec
 * is false and S2ATTR_REFUSE means -EINVAL.
 *
 * Never downgrade: once the VM is enabled, a cacheable stage-1 mapping is
 * either mapped Normal-WB or refused.  Mapping it Device or NC would give
 * the guest and the host mismatched attributes on the same memory, and
 * the guest could read stale lines the host wrote through its cache.
 *
 * The refusals are rare and reported out of line: unlikely() makes each
 * of them one branch on the fault path.
 *
 * Return: the result and the reason, one row of the decision table.
 */
static __always_inline struct s2attr_decision
s2attr_decide(const struct s2attr_facts *f)
{
	if (!s2attr_vma_is_pfnmap(f))
		return (struct s2attr_decision){ S2ATTR_STOCK, S2ATTR_WHY_NOT_PFNMAP };
	if (!f->enabled)
		return (struct s2attr_decision){ S2ATTR_STOCK, S2ATTR_WHY_DISABLED };
	if (!s2attr_prot_is_cacheable(f))
		return (struct s2attr_decision){ S2ATTR_STOCK, S2ATTR_WHY_UNCACHED };
	/* Tag storage of such memory cannot be sanitised: no struct page. */
	if (unlikely(f->mte))
		return (struct s2attr_decision){ S2ATTR_REFUSE, S2ATTR_WHY_MTE };
	/* Without FWB, KVM cleans the D-cache through the missing linear map. */
	if (unlikely(!f->fwb))
		return (struct s2attr_decision){ S2ATTR_REFUSE, S2ATTR_WHY_NOFWB };
	/* Without DIC, KVM invalidates the I-cache through that same address. */
	if (unlikely(f->exec && !f->dic))
		return (struct s2attr_decision){ S2ATTR_REFUSE_EXEC, S2ATTR_WHY_NODIC };
	return (struct s2attr_decision){ S2ATTR_NORMAL, S2ATTR_WHY_CACHEABLE };
}

#endif /* __S2ATTR_POLICY_H */
