// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite of the s2attr decision table and the sysfs value parser.
 *
 * Every row of the decision table in DESIGN.md, with the CPU capabilities
 * injected as facts: DIC and MTE, which QEMU 7.2 cannot show end to end,
 * are covered here.  Built as its own module (s2attr_kunit.ko) for test
 * kernels; the decision table is inline (include/s2attr_policy.h), the
 * rest comes from s2attr.ko's EXPORT_SYMBOL_IF_KUNIT() symbols.
 */

#include <kunit/test.h>
#include <linux/mm.h>

#include <asm/memory.h>
#include <asm/pgtable-hwdef.h>

#include "s2attr.h"
#include "s2attr_compat.h"
#include "s2attr_policy.h"

#define PFNMAP		(VM_PFNMAP | VM_IO)
#define ATTR(idx)	((u64)PTE_ATTRINDX(idx))

struct s2attr_kunit_row {
	const char		*name;
	struct s2attr_facts	facts;
	enum s2attr_result	result;
	enum s2attr_reason	reason;
};

#define ROW(_name, _flags, _idx, _en, _fwb, _dic, _mte, _exec, _res, _why)	\
	{ .name = _name,						\
	  .facts = { .vm_flags = _flags, .prot = ATTR(_idx), .enabled = _en,	\
		     .fwb = _fwb, .dic = _dic, .mte = _mte, .exec = _exec },	\
	  .result = S2ATTR_##_res, .reason = S2ATTR_WHY_##_why }

static const struct s2attr_kunit_row s2attr_kunit_rows[] = {
	/* Normal-WB or Normal-Tagged, FWB, no MTE: mapped Normal-WB. */
	ROW("WB data, FWB", PFNMAP, MT_NORMAL, 1, 1, 0, 0, 0, NORMAL, CACHEABLE),
	ROW("WB data, FWB, DIC", PFNMAP, MT_NORMAL, 1, 1, 1, 0, 0, NORMAL, CACHEABLE),
	ROW("Tag data, FWB", PFNMAP, MT_NORMAL_TAGGED, 1, 1, 0, 0, 0, NORMAL, CACHEABLE),
	ROW("WB data, FWB, MIXEDMAP", VM_MIXEDMAP, MT_NORMAL, 1, 1, 0, 0, 0, NORMAL, CACHEABLE),
	/* Exec: Normal-WB executable with DIC, refused without. */
	ROW("WB exec, FWB, DIC", PFNMAP, MT_NORMAL, 1, 1, 1, 0, 1, NORMAL, CACHEABLE),
	ROW("Tag exec, FWB, DIC", PFNMAP, MT_NORMAL_TAGGED, 1, 1, 1, 0, 1, NORMAL, CACHEABLE),
	ROW("WB exec, FWB, no DIC", PFNMAP, MT_NORMAL, 1, 1, 0, 0, 1, REFUSE_EXEC, NODIC),
	ROW("Tag exec, FWB, no DIC", PFNMAP, MT_NORMAL_TAGGED, 1, 1, 0, 0, 1, REFUSE_EXEC, NODIC),
	/* No FWB: refused, data or exec, DIC or not. */
	ROW("WB data, no FWB", PFNMAP, MT_NORMAL, 1, 0, 0, 0, 0, REFUSE, NOFWB),
	ROW("WB data, no FWB, DIC", PFNMAP, MT_NORMAL, 1, 0, 1, 0, 0, REFUSE, NOFWB),
	ROW("WB exec, no FWB", PFNMAP, MT_NORMAL, 1, 0, 0, 0, 1, REFUSE, NOFWB),
	ROW("Tag data, no FWB", PFNMAP, MT_NORMAL_TAGGED, 1, 0, 0, 0, 0, REFUSE, NOFWB),
	ROW("WB data, no FWB, MIXEDMAP", VM_MIXEDMAP, MT_NORMAL, 1, 0, 0, 0, 0, REFUSE, NOFWB),
	/* MTE VM: refused whatever the CPU has. */
	ROW("WB data, MTE VM, FWB", PFNMAP, MT_NORMAL, 1, 1, 1, 1, 0, REFUSE, MTE),
	ROW("WB data, MTE VM, no FWB", PFNMAP, MT_NORMAL, 1, 0, 0, 1, 0, REFUSE, MTE),
	ROW("Tag data, MTE VM, FWB", PFNMAP, MT_NORMAL_TAGGED, 1, 1, 0, 1, 0, REFUSE, MTE),
	ROW("WB exec, MTE VM, FWB, DIC", PFNMAP, MT_NORMAL, 1, 1, 1, 1, 1, REFUSE, MTE),
	/* Stage-1 Normal-NC and Device: stock, enabled or not. */
	ROW("NC data, FWB", PFNMAP, MT_NORMAL_NC, 1, 1, 1, 0, 0, STOCK, UNCACHED),
	ROW("NC, VM_ALLOW_ANY_UNCACHED", PFNMAP | S2ATTR_VM_ALLOW_ANY_UNCACHED,
	    MT_NORMAL_NC, 1, 1, 1, 0, 0, STOCK, UNCACHED),
	ROW("NC exec, no FWB", PFNMAP, MT_NORMAL_NC, 1, 0, 0, 0, 1, STOCK, UNCACHED),
	ROW("NC data, MTE VM", PFNMAP, MT_NORMAL_NC, 1, 1, 0, 1, 0, STOCK, UNCACHED),
	ROW("Device-nGnRnE data, FWB", PFNMAP, MT_DEVICE_nGnRnE, 1, 1, 1, 0, 0, STOCK, UNCACHED),
	ROW("Device-nGnRE data, FWB", PFNMAP, MT_DEVICE_nGnRE, 1, 1, 1, 0, 0, STOCK, UNCACHED),
	ROW("Device-nGnRE exec, no FWB", PFNMAP, MT_DEVICE_nGnRE, 1, 0, 0, 0, 1, STOCK, UNCACHED),
	/* VM not enabled: stock for everything, refusals included. */
	ROW("not enabled, WB data, FWB", PFNMAP, MT_NORMAL, 0, 1, 1, 0, 0, STOCK, DISABLED),
	ROW("not enabled, WB data, no FWB", PFNMAP, MT_NORMAL, 0, 0, 0, 0, 0, STOCK, DISABLED),
	ROW("not enabled, WB exec, no DIC", PFNMAP, MT_NORMAL, 0, 1, 0, 0, 1, STOCK, DISABLED),
	ROW("not enabled, WB data, MTE VM", PFNMAP, MT_NORMAL, 0, 1, 0, 1, 0, STOCK, DISABLED),
	/* Not a PFNMAP or MIXEDMAP VMA: never ours. */
	ROW("anonymous VMA, WB, FWB", 0, MT_NORMAL, 1, 1, 1, 0, 0, STOCK, NOT_PFNMAP),
	ROW("anonymous VMA, WB, no FWB", 0, MT_NORMAL, 1, 0, 0, 0, 0, STOCK, NOT_PFNMAP),
};

static void s2attr_kunit_row_desc(const struct s2attr_kunit_row *row, char *desc)
{
	strscpy(desc, row->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(s2attr_kunit_rows, s2attr_kunit_rows, s2attr_kunit_row_desc);

static void s2attr_kunit_decide(struct kunit *test)
{
	const struct s2attr_kunit_row *row = test->param_value;
	struct s2attr_decision d = s2attr_decide(&row->facts);

	KUNIT_EXPECT_EQ_MSG(test, d.result, row->result, "result %s, want %s",
			    s2attr_result_name(d.result), s2attr_result_name(row->result));
	KUNIT_EXPECT_EQ_MSG(test, d.reason, row->reason, "reason %s, want %s",
			    s2attr_reason_name(d.reason), s2attr_reason_name(row->reason));
}

struct s2attr_kunit_input {
	const char	*name;
	const char	*buf;
	size_t		len;
	int		ret;
	bool		val;
};

#define IN(_name, _buf, _ret, _val) \
	{ _name, _buf, sizeof(_buf) - 1, _ret, _val }

static const struct s2attr_kunit_input s2attr_kunit_inputs[] = {
	IN("0", "0", 0, false),
	IN("1", "1", 0, true),
	IN("0 newline", "0\n", 0, false),
	IN("1 newline", "1\n", 0, true),
	IN("empty", "", -EINVAL, false),
	IN("newline", "\n", -EINVAL, false),
	IN("2", "2", -EINVAL, false),
	IN("-1", "-1", -EINVAL, false),
	IN("01", "01", -EINVAL, false),
	IN("10", "10", -EINVAL, false),
	IN("1 1", "1 1", -EINVAL, false),
	IN("two newlines", "1\n\n", -EINVAL, false),
	IN("leading space", " 1", -EINVAL, false),
	IN("yes", "yes", -EINVAL, false),
	IN("on", "on", -EINVAL, false),
	IN("y", "y", -EINVAL, false),
	IN("embedded NUL", "1\0001", -EINVAL, false),
	IN("huge number", "99999999999999999999", -EINVAL, false),
};

static void s2attr_kunit_input_desc(const struct s2attr_kunit_input *in, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "parse %s", in->name);
}

KUNIT_ARRAY_PARAM(s2attr_kunit_inputs, s2attr_kunit_inputs, s2attr_kunit_input_desc);

static void s2attr_kunit_parse(struct kunit *test)
{
	const struct s2attr_kunit_input *in = test->param_value;
	bool val = !in->val;	/* must be left alone on error */
	bool before = val;

	KUNIT_EXPECT_EQ(test, s2attr_parse_bool(in->buf, in->len, &val), in->ret);
	KUNIT_EXPECT_EQ(test, val, in->ret ? before : in->val);
}

static struct kunit_case s2attr_kunit_cases[] = {
	KUNIT_CASE_PARAM(s2attr_kunit_decide, s2attr_kunit_rows_gen_params),
	KUNIT_CASE_PARAM(s2attr_kunit_parse, s2attr_kunit_inputs_gen_params),
	{}
};

static struct kunit_suite s2attr_kunit_suite = {
	.name = "s2attr",
	.test_cases = s2attr_kunit_cases,
};

kunit_test_suite(s2attr_kunit_suite);

MODULE_DESCRIPTION("KUnit tests of the s2attr decision table");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
