// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite of the s2attr decision table, the sysfs value parser, the
 * policy parser and the guest name found on a QEMU command line.
 *
 * Every row of the decision table in DESIGN.md, with the CPU capabilities
 * injected as facts: DIC and MTE, which QEMU 7.2 cannot show end to end,
 * are covered here.  Built as its own module (s2attr_kunit.ko) for test
 * kernels; the decision table is inline (include/s2attr_policy.h), the
 * rest comes from s2attr.ko's EXPORT_SYMBOL_IF_KUNIT() symbols.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/slab.h>

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

struct s2attr_kunit_rules {
	const char	*name;
	const char	*buf;
	size_t		len;
	int		nr;	/* rules parsed, or -EINVAL */
};

/* A name of 63 bytes, the longest a rule or a VMM's -name can have. */
#define NAME63	"012345678901234567890123456789012345678901234567890123456789012"

#define RULES(_name, _buf, _nr) { _name, _buf, sizeof(_buf) - 1, _nr }

static const struct s2attr_kunit_rules s2attr_kunit_rules[] = {
	RULES("empty", "", 0),
	RULES("newline", "\n", 0),
	RULES("enable", "enable\n", 1),
	RULES("no final newline", "disable", 1),
	RULES("exe and guest", "enable exe=/usr/bin/qemu guest=vm1\n", 1),
	RULES("tabs and spaces", "enable\t exe=/q  \tguest=g\t\n", 1),
	RULES("blank lines", "\nenable\n\ndisable guest=x\n\n", 2),
	RULES("32 rules", "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n"
	      "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n"
	      "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n"
	      "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n", 32),
	RULES("33 rules", "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n"
	      "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n"
	      "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n"
	      "enable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\nenable\n",
	      -EINVAL),
	RULES("typo", "enabel\n", -EINVAL),
	RULES("capitals", "Enable\n", -EINVAL),
	RULES("leading blank", " enable\n", -EINVAL),
	RULES("comment", "# policy\n", -EINVAL),
	RULES("relative exe", "enable exe=qemu\n", -EINVAL),
	RULES("empty exe", "enable exe=\n", -EINVAL),
	RULES("empty guest", "enable guest=\n", -EINVAL),
	RULES("two exe", "enable exe=/a exe=/b\n", -EINVAL),
	RULES("two guest", "enable guest=a guest=b\n", -EINVAL),
	RULES("unknown key", "enable comm=qemu\n", -EINVAL),
	RULES("bare word", "enable 1\n", -EINVAL),
	RULES("control char", "enable guest=a\001b\n", -EINVAL),
	RULES("non-ASCII", "enable guest=\xc3\xa9\n", -EINVAL),
	RULES("embedded NUL", "enable\n\0disable\n", -EINVAL),
	RULES("second line bad", "enable\ndisable exe=x\n", -EINVAL),
	RULES("guest of 64 bytes", "enable guest=" NAME63 "3\n", -EINVAL),
	RULES("guest of 63 bytes", "enable guest=" NAME63 "\n", 1),
};

static void s2attr_kunit_rules_desc(const struct s2attr_kunit_rules *in, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "policy %s", in->name);
}

KUNIT_ARRAY_PARAM(s2attr_kunit_rules, s2attr_kunit_rules, s2attr_kunit_rules_desc);

static void s2attr_kunit_rules_parse(struct kunit *test)
{
	const struct s2attr_kunit_rules *in = test->param_value;
	struct s2attr_rules *rules = s2attr_rules_parse(in->buf, in->len);

	if (in->nr < 0) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(rules), in->nr);
		return;
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(rules));
	KUNIT_EXPECT_EQ(test, rules->nr, in->nr);
	kvfree(rules);
}

/*
 * A write of 4095 bytes is parsed, one of 4096 refused, whatever the page
 * size: blank lines around one rule.
 */
static void s2attr_kunit_rules_size(struct kunit *test)
{
	struct s2attr_rules *rules;
	char *buf;

	buf = kunit_kmalloc(test, S2ATTR_POLICY_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, '\n', S2ATTR_POLICY_MAX);
	memcpy(buf, "enable", 6);

	rules = s2attr_rules_parse(buf, S2ATTR_POLICY_MAX - 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rules));
	KUNIT_EXPECT_EQ(test, rules->nr, 1);
	kvfree(rules);
	KUNIT_EXPECT_EQ(test, PTR_ERR(s2attr_rules_parse(buf, S2ATTR_POLICY_MAX)), -EINVAL);
}

/* The values of the rule the parser filled in. */
static void s2attr_kunit_rules_values(struct kunit *test)
{
	static const char buf[] = "disable\tguest=vm-1  exe=/usr/bin/qemu\n";
	struct s2attr_rules *rules = s2attr_rules_parse(buf, sizeof(buf) - 1);

	KUNIT_ASSERT_FALSE(test, IS_ERR(rules));
	KUNIT_ASSERT_EQ(test, rules->nr, 1);
	KUNIT_EXPECT_FALSE(test, rules->rule[0].enable);
	KUNIT_EXPECT_STREQ(test, rules->rule[0].exe, "/usr/bin/qemu");
	KUNIT_EXPECT_STREQ(test, rules->rule[0].guest, "vm-1");
	kvfree(rules);
}

struct s2attr_kunit_argv {
	const char	*name;
	const char	*argv;	/* NUL-separated, as /proc/<pid>/cmdline */
	size_t		len;
	const char	*guest;
};

#define ARGV(_name, _argv, _guest) { _name, _argv, sizeof(_argv), _guest }

static const struct s2attr_kunit_argv s2attr_kunit_argvs[] = {
	ARGV("no -name", "qemu\0-m\0001G", ""),
	ARGV("libvirt", "qemu\0-name\0guest=vm1,debug-threads=on\0-S", "vm1"),
	ARGV("implied key", "qemu\0-name\0vm2", "vm2"),
	ARGV("implied key, options", "qemu\0-name\0vm3,process=q", "vm3"),
	ARGV("--name", "qemu\0--name\0guest=vm4", "vm4"),
	ARGV("guest= not first", "qemu\0-name\0debug-threads=on,guest=vm5", "vm5"),
	ARGV("only options", "qemu\0-name\0process=p", ""),
	ARGV("last -name wins", "qemu\0-name\0a\0-name\0guest=b", "b"),
	ARGV("escaped comma", "qemu\0-name\0guest=a,,b,debug-threads=on", "a,b"),
	ARGV("-name last, no value", "qemu\0-name", ""),
	ARGV("-name as a value", "qemu\0-append\0-name\0", ""),
	ARGV("too long", "qemu\0-name\0guest=" NAME63 "3", ""),
	ARGV("63 bytes", "qemu\0-name\0guest=" NAME63, NAME63),
};

static void s2attr_kunit_argv_desc(const struct s2attr_kunit_argv *in, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "guest name: %s", in->name);
}

KUNIT_ARRAY_PARAM(s2attr_kunit_argvs, s2attr_kunit_argvs, s2attr_kunit_argv_desc);

static void s2attr_kunit_argv_guest(struct kunit *test)
{
	const struct s2attr_kunit_argv *in = test->param_value;
	char guest[S2ATTR_GUEST_LEN] = "x";

	s2attr_argv_guest(in->argv, in->len, guest, sizeof(guest));
	KUNIT_EXPECT_STREQ(test, guest, in->guest);
}

static struct kunit_case s2attr_kunit_cases[] = {
	KUNIT_CASE_PARAM(s2attr_kunit_decide, s2attr_kunit_rows_gen_params),
	KUNIT_CASE_PARAM(s2attr_kunit_parse, s2attr_kunit_inputs_gen_params),
	KUNIT_CASE_PARAM(s2attr_kunit_rules_parse, s2attr_kunit_rules_gen_params),
	KUNIT_CASE(s2attr_kunit_rules_size),
	KUNIT_CASE(s2attr_kunit_rules_values),
	KUNIT_CASE_PARAM(s2attr_kunit_argv_guest, s2attr_kunit_argvs_gen_params),
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
