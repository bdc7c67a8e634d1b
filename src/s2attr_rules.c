// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: the policy, /sys/kernel/s2attr/policy.  Rules that decide the
 * initial "enabled" of a VM from its VMM's executable and the guest name
 * on the VMM's command line (QEMU's -name), applied as the VM is created,
 * before it can fault.
 */

#include <kunit/visibility.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "s2attr.h"
#include "s2attr_compat.h"

/*
 * The rules:
 *
 * A write replaces the whole set: parsed into a new one, which is then
 * published with rcu_assign_pointer(); the old one is freed after a grace
 * period.  Readers, VM creations, only read under rcu_read_lock(), so a
 * store never waits for kvm_lock and a VM creation never waits for a
 * store.
 */
static struct s2attr_rules __rcu *s2attr_rules;
static DEFINE_MUTEX(s2attr_rules_lock);

/* A value: printable, no blank, shorter than @max. */
static bool s2attr_rule_value_is_valid(const char *val, size_t len, size_t max)
{
	size_t i;

	if (!len || len >= max)
		return false;
	for (i = 0; i < len; i++)
		if (val[i] <= ' ' || val[i] > '~')
			return false;
	return true;
}

/* One "key=value" of a rule; each key at most once. */
static int s2attr_rule_parse_field(const char *tok, size_t len,
				   struct s2attr_rule *rule)
{
	char *dst;
	size_t max, klen;

	if (len > 4 && !strncmp(tok, "exe=/", 5)) {
		dst = rule->exe;
		max = sizeof(rule->exe);
		klen = 4;
	} else if (len > 6 && !strncmp(tok, "guest=", 6)) {
		dst = rule->guest;
		max = sizeof(rule->guest);
		klen = 6;
	} else {
		return -EINVAL;
	}
	if (*dst || !s2attr_rule_value_is_valid(tok + klen, len - klen, max))
		return -EINVAL;
	memcpy(dst, tok + klen, len - klen);
	return 0;
}

/* The length of the token at @p, at most @len bytes. */
static size_t s2attr_token_len(const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n] != ' ' && p[n] != '\t')
		n++;
	return n;
}

/*
 * One line, without its newline: "enable" or "disable", then optional
 * "exe=PATH" and "guest=NAME", separated by blanks.
 */
static int s2attr_rule_parse(const char *p, size_t len, struct s2attr_rule *rule)
{
	size_t n = s2attr_token_len(p, len);

	memset(rule, 0, sizeof(*rule));
	if (n == 6 && !strncmp(p, "enable", 6))
		rule->enable = true;
	else if (n != 7 || strncmp(p, "disable", 7))
		return -EINVAL;

	while (n < len) {
		while (n < len && (p[n] == ' ' || p[n] == '\t'))
			n++;
		if (n == len)
			break;
		if (s2attr_rule_parse_field(p + n, s2attr_token_len(p + n, len - n), rule))
			return -EINVAL;
		n += s2attr_token_len(p + n, len - n);
	}
	return 0;
}

/**
 * s2attr_rules_parse() - parse what is written to the policy file
 * @buf: the bytes written
 * @count: how many
 *
 * One rule per line, blank lines allowed; see the ABI file for the syntax.
 * Anything else, an embedded NUL or more than S2ATTR_RULES_MAX rules fails
 * the whole input.  A write of S2ATTR_POLICY_MAX (4 KiB) bytes or more is
 * refused, on every host: with 4 KiB pages sysfs would have cut it, and
 * the policy is never the first page of a file.
 *
 * Return: the rules, to be freed with kvfree(), or ERR_PTR(-EINVAL) or
 * ERR_PTR(-ENOMEM).
 */
struct s2attr_rules *s2attr_rules_parse(const char *buf, size_t count)
{
	struct s2attr_rules *rules;
	const char *end = buf + count;
	const char *eol;

	if (count >= S2ATTR_POLICY_MAX || memchr(buf, '\0', count))
		return ERR_PTR(-EINVAL);
	rules = kvzalloc(sizeof(*rules), GFP_KERNEL);
	if (!rules)
		return ERR_PTR(-ENOMEM);

	for (; buf < end; buf = eol + 1) {
		eol = memchr(buf, '\n', end - buf) ?: end;
		if (eol == buf)
			continue;
		if (rules->nr == S2ATTR_RULES_MAX ||
		    s2attr_rule_parse(buf, eol - buf, &rules->rule[rules->nr])) {
			kvfree(rules);
			return ERR_PTR(-EINVAL);
		}
		rules->nr++;
	}
	return rules;
}
EXPORT_SYMBOL_IF_KUNIT(s2attr_rules_parse);

/**
 * s2attr_rules_store() - replace the policy
 * @buf: the bytes written to the policy file
 * @count: how many
 *
 * Context: process context.
 * Return: 0; -EINVAL or -ENOMEM with the policy unchanged.
 */
int s2attr_rules_store(const char *buf, size_t count)
{
	struct s2attr_rules *rules = s2attr_rules_parse(buf, count);

	if (IS_ERR(rules))
		return PTR_ERR(rules);
	mutex_lock(&s2attr_rules_lock);
	rules = rcu_replace_pointer(s2attr_rules, rules,
				    lockdep_is_held(&s2attr_rules_lock));
	mutex_unlock(&s2attr_rules_lock);
	if (rules)
		kvfree_rcu(rules, rcu);
	return 0;
}

/**
 * s2attr_rules_show() - the policy, one normalised rule per line
 * @buf: the sysfs page
 *
 * Return: the number of bytes in @buf.
 */
ssize_t s2attr_rules_show(char *buf)
{
	const struct s2attr_rules *rules;
	const struct s2attr_rule *r;
	int len = 0;
	unsigned int i;

	rcu_read_lock();
	rules = rcu_dereference(s2attr_rules);
	for (i = 0; rules && i < rules->nr; i++) {
		r = &rules->rule[i];
		len += sysfs_emit_at(buf, len, "%s%s%s%s%s\n",
				     r->enable ? "enable" : "disable",
				     *r->exe ? " exe=" : "", r->exe,
				     *r->guest ? " guest=" : "", r->guest);
	}
	rcu_read_unlock();
	return len;
}

void s2attr_rules_exit(void)
{
	kvfree(rcu_dereference_protected(s2attr_rules, true));
}

/*
 * The guest name from the VMM's own command line.  kvm_lock is held and
 * must not be held across a page fault on user memory (a fault can take
 * mmap_lock, or wait on userfaultfd forever): the arguments are copied
 * without faulting.  They are on the VMM's stack, written by execve(), so
 * they are present unless swapped out; when they are not, the VM has no
 * guest name and no guest= rule matches it.
 *
 * Return: 0, or -ENOMEM if there was no memory to copy them into.
 */
static int s2attr_vmm_guest(struct mm_struct *mm, char *guest, size_t size)
{
	unsigned long start, len;
	char *argv;

	*guest = '\0';
	spin_lock(&mm->arg_lock);
	start = mm->arg_start;
	len = min(mm->arg_end - start, (unsigned long)S2ATTR_ARGV_MAX);
	spin_unlock(&mm->arg_lock);
	if (!len)
		return 0;
	argv = kvmalloc(len + 1, GFP_KERNEL);
	if (!argv)
		return -ENOMEM;
	if (!copy_from_user_nofault(argv, (const void __user *)start, len)) {
		argv[len] = '\0';
		s2attr_argv_guest(argv, len + 1, guest, size);
	}
	kvfree(argv);
	return 0;
}

/* The path of the VMM's executable, or "" (no mmap_lock taken). */
static void s2attr_vmm_exe(struct mm_struct *mm, char *exe, size_t size)
{
	struct file *file = s2attr_get_mm_exe_file(mm);
	char *path;

	*exe = '\0';
	if (!file)
		return;
	path = d_path(&file->f_path, exe, size);
	if (!IS_ERR(path))
		memmove(exe, path, strlen(path) + 1);
	fput(file);
}

static bool s2attr_rule_matches(const struct s2attr_rule *r,
				const struct s2attr_vmm_id *id)
{
	return (!*r->exe || !strcmp(r->exe, id->exe)) &&
	       (!*r->guest || !strcmp(r->guest, id->guest));
}

/*
 * The first rule matching @id, or -1; its number, counted from 0, is
 * returned in @nr.
 */
static int s2attr_rules_match(const struct s2attr_vmm_id *id, unsigned int *nr)
{
	const struct s2attr_rules *rules;
	int ret = -1;
	unsigned int i;

	rcu_read_lock();
	rules = rcu_dereference(s2attr_rules);
	for (i = 0; rules && i < rules->nr && ret < 0; i++) {
		if (s2attr_rule_matches(&rules->rule[i], id)) {
			ret = rules->rule[i].enable;
			*nr = i;
		}
	}
	rcu_read_unlock();
	return ret;
}

static bool s2attr_rules_are_empty(void)
{
	const struct s2attr_rules *rules;
	bool empty;

	rcu_read_lock();
	rules = rcu_dereference(s2attr_rules);
	empty = !rules || !rules->nr;
	rcu_read_unlock();
	return empty;
}

/**
 * s2attr_rules_initially_enabled() - the "enabled" a new VM starts with
 * @kvm: the VM, being created
 * @name: its name
 *
 * The first rule matching the VMM's executable and guest name decides;
 * with none, default_enabled does.  The rules apply only in the VMM's
 * own KVM_CREATE_VM: a VM announced when the module loads gets
 * default_enabled.  A VM whose VMM cannot be identified for want of
 * memory starts disabled, whatever default_enabled says: a rule may have
 * been meant to keep it so.
 *
 * Context: process context, kvm_lock held; takes no other lock that
 * may be held across a user page fault.
 * Return: the initial value of the VM's "enabled".
 */
bool s2attr_rules_initially_enabled(struct kvm *kvm, const char *name)
{
	struct s2attr_vmm_id *id;
	unsigned int nr = 0;
	int ret = -1;

	if (current->mm != kvm->mm || s2attr_rules_are_empty())
		return READ_ONCE(s2attr_default_enabled);
	id = kmalloc(sizeof(*id), GFP_KERNEL);
	if (!id || s2attr_vmm_guest(kvm->mm, id->guest, sizeof(id->guest))) {
		pr_warn_ratelimited("s2attr: VM %s: no memory to match the policy, disabled\n",
				    name);
		kfree(id);
		return false;
	}
	s2attr_vmm_exe(kvm->mm, id->exe, sizeof(id->exe));
	ret = s2attr_rules_match(id, &nr);
	if (ret >= 0)
		pr_info("s2attr: VM %s: %s by policy rule %u (exe %s, guest %s)\n",
			name, ret ? "enabled" : "disabled", nr + 1,
			*id->exe ? id->exe : "-", *id->guest ? id->guest : "-");
	kfree(id);
	return ret >= 0 ? ret : READ_ONCE(s2attr_default_enabled);
}
