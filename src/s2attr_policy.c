// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: the names of the decision table's results and reasons, as the
 * tracepoint and the refusal messages print them.  The table itself is
 * include/s2attr_policy.h.
 */

#include <kunit/visibility.h>

#include "s2attr.h"

static const char * const s2attr_result_names[] = {
	[S2ATTR_STOCK]		= "stock",
	[S2ATTR_NORMAL]		= "normal",
	[S2ATTR_REFUSE]		= "refuse",
	[S2ATTR_REFUSE_EXEC]	= "refuse_exec",
};

static const char * const s2attr_reason_names[] = {
	[S2ATTR_WHY_NOT_PFNMAP]	= "not_pfnmap",
	[S2ATTR_WHY_DISABLED]	= "disabled",
	[S2ATTR_WHY_UNCACHED]	= "uncached",
	[S2ATTR_WHY_MTE]	= "mte",
	[S2ATTR_WHY_NOFWB]	= "nofwb",
	[S2ATTR_WHY_NODIC]	= "nodic",
	[S2ATTR_WHY_CACHEABLE]	= "cacheable",
};

const char *s2attr_result_name(enum s2attr_result result)
{
	return s2attr_result_names[result];
}
EXPORT_SYMBOL_IF_KUNIT(s2attr_result_name);

const char *s2attr_reason_name(enum s2attr_reason reason)
{
	return s2attr_reason_names[reason];
}
EXPORT_SYMBOL_IF_KUNIT(s2attr_reason_name);
