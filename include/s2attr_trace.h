/* SPDX-License-Identifier: GPL-2.0-only */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM s2attr

#if !defined(_S2ATTR_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _S2ATTR_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#include "s2attr.h"

/*
 * One event per decision at a fault; @attridx is the stage-1 MAIR index of
 * the VMA (0 Normal, 1 Normal-Tagged, 2 Normal-NC, 3 and 4 Device).
 */
TRACE_EVENT(s2attr_decision,
	    TP_PROTO(const char *vm, u64 ipa, u64 pfn, unsigned int attridx,
		     enum s2attr_result result, enum s2attr_reason reason),
	    TP_ARGS(vm, ipa, pfn, attridx, result, reason),
	    TP_STRUCT__entry(__array(char, vm, KVM_S2ATTR_NAME_LEN)
			     __field(u64, ipa)
			     __field(u64, pfn)
			     __field(unsigned int, attridx)
			     __field(unsigned int, result)
			     __field(unsigned int, reason)),
	    TP_fast_assign(strscpy(__entry->vm, vm, KVM_S2ATTR_NAME_LEN);
			   __entry->ipa = ipa;
			   __entry->pfn = pfn;
			   __entry->attridx = attridx;
			   __entry->result = result;
			   __entry->reason = reason),
	    TP_printk("vm=%s ipa=0x%llx pfn=0x%llx attridx=%u result=%s reason=%s",
		      __entry->vm, __entry->ipa, __entry->pfn, __entry->attridx,
		      s2attr_result_name(__entry->result),
		      s2attr_reason_name(__entry->reason))
);

#endif /* _S2ATTR_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE s2attr_trace
#include <trace/define_trace.h>
