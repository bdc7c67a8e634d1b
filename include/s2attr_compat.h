/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * s2attr: what differs between the kernel series s2attr builds for.  One
 * block per kernel change; the rest of the module uses only these names.
 */
#ifndef __S2ATTR_COMPAT_H
#define __S2ATTR_COMPAT_H

#include <linux/mm.h>

/*
 * 6.9, "mm: Introduce new flag to indicate wc safe": VFIO marks VMAs that
 * KVM may map Normal-NC.  Before it no VMA carries the flag.
 */
#ifdef VM_ALLOW_ANY_UNCACHED
#define S2ATTR_VM_ALLOW_ANY_UNCACHED	VM_ALLOW_ANY_UNCACHED
#else
#define S2ATTR_VM_ALLOW_ANY_UNCACHED	0
#endif

#endif /* __S2ATTR_COMPAT_H */
