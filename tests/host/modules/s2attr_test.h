/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * s2attr test modules: user ABI shared with the test VMM.  Test-only; never
 * shipped.
 */
#ifndef __S2ATTR_TEST_H
#define __S2ATTR_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The PFNMAP provider: /dev/s2attr_pfnmap_{wb,nc,wc} map the memory above
 * mem= with a cacheable, a Device-nGnRnE and a write-combine (Normal-NC)
 * pgprot; the mmap offset is the offset into that memory.  The same
 * devices with "_huge" map it with PMD-sized stage-1 leaves where aligned.
 * /dev/s2attr_pfnmap_wc_anyuc maps it write-combine with
 * VM_ALLOW_ANY_UNCACHED (Normal-NC in stage-2), on kernels that have it.
 */
#define S2ATTR_PFNMAP_DEV_PREFIX	"/dev/s2attr_pfnmap_"

/*
 * The nvgrace-shaped provider (s2attr_test_nvgrace): /dev/s2attr_nvgrace_
 * usemem and resmem as nvgrace-gpu maps them, and for the stage-2 block
 * tests one device per shape of the host's page table, contig, hole, swap,
 * prot and ro, which map all of its memory (the mmap offset is the offset
 * into it) and differ from a contiguous cacheable mapping in page
 * S2ATTR_NVGRACE_ODD_PAGE of the VMA only: hole leaves it unmapped, swap
 * swaps its PFN with the next page's, prot maps it write-combine, ro
 * read-only.
 */
#define S2ATTR_NVGRACE_DEV_PREFIX	"/dev/s2attr_nvgrace_"
#define S2ATTR_NVGRACE_ODD_PAGE		7

/* The stage-2 oracle: /dev/s2attr_oracle. */
struct s2attr_oracle_query {
	__s32	vm_fd;		/* in: a KVM VM fd of the calling process */
	__u32	level;		/* out: level of the leaf or invalid entry */
	__u64	ipa;		/* in: the IPA to look up */
	__u64	desc;		/* out: the stage-2 descriptor, 0 if none */
	__u32	valid;		/* out: @desc is a valid leaf */
	__u32	fwb;		/* out: the VM's stage-2 uses the FWB encoding */
};

#define S2ATTR_ORACLE_QUERY	_IOWR('s', 0x01, struct s2attr_oracle_query)

/* Stage-2 descriptor fields (Arm ARM D8.3). */
#define S2_DESC_MEMATTR(d)	(((d) >> 2) & 0xf)
#define S2_DESC_XN(d)		(((d) >> 53) & 0x3)

/* MemAttr[3:0] encodings KVM uses. */
#define S2_MEMATTR_DEVICE_NGNRE	0x1
#define S2_MEMATTR_NORMAL_NC	0x5
#define S2_MEMATTR_FWB_NORMAL	0x6	/* FWB: forced Normal-WB */
#define S2_MEMATTR_NORMAL_WB	0xf	/* no FWB: Normal inner/outer WB */

#endif /* __S2ATTR_TEST_H */
