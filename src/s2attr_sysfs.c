// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: /sys/kernel/s2attr, the ABI of Documentation/ABI/testing/sysfs-kernel-s2attr.
 */

#include <kunit/visibility.h>
#include <linux/kobject.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "s2attr.h"

static struct kobject *s2attr_kobj;
struct kobject *s2attr_vms_kobj;

/**
 * s2attr_parse_bool() - parse a value written to an s2attr file
 * @buf: the bytes written
 * @count: how many; an embedded NUL does not end the input
 * @val: set on success only
 *
 * Exactly "0" or "1", optionally followed by one newline: kstrtobool()
 * would also take "yes", "on" and "1 1", which the ABI rejects.
 *
 * Return: 0, or -EINVAL with @val untouched.
 */
int s2attr_parse_bool(const char *buf, size_t count, bool *val)
{
	if (count < 1 || count > 2 || (buf[0] != '0' && buf[0] != '1') ||
	    (count == 2 && buf[1] != '\n'))
		return -EINVAL;
	*val = buf[0] == '1';
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(s2attr_parse_bool);

static ssize_t fwb_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", s2attr_fwb);
}

static ssize_t dic_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", s2attr_dic);
}

static ssize_t default_enabled_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(s2attr_default_enabled));
}

static ssize_t default_enabled_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	bool val;

	if (s2attr_parse_bool(buf, count, &val))
		return -EINVAL;
	WRITE_ONCE(s2attr_default_enabled, val);
	return count;
}

static ssize_t policy_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return s2attr_rules_show(buf);
}

static ssize_t policy_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	return s2attr_rules_store(buf, count) ?: count;
}

static struct kobj_attribute s2attr_attr_fwb = __ATTR_RO(fwb);
static struct kobj_attribute s2attr_attr_dic = __ATTR_RO(dic);
static struct kobj_attribute s2attr_attr_default_enabled = __ATTR_RW(default_enabled);
static struct kobj_attribute s2attr_attr_policy = __ATTR_RW(policy);

static struct attribute *s2attr_attrs[] = {
	&s2attr_attr_fwb.attr,
	&s2attr_attr_dic.attr,
	&s2attr_attr_default_enabled.attr,
	&s2attr_attr_policy.attr,
	NULL,
};

static const struct attribute_group s2attr_group = {
	.attrs = s2attr_attrs,
};

static struct s2attr_vm *s2attr_kobj_to_vm(struct kobject *kobj)
{
	return container_of(kobj, struct s2attr_vm, kobj);
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(s2attr_kobj_to_vm(kobj)->enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool val;
	int ret;

	if (s2attr_parse_bool(buf, count, &val))
		return -EINVAL;
	ret = s2attr_vm_set_enabled(s2attr_kobj_to_vm(kobj), val);
	return ret ?: count;
}

static struct kobj_attribute s2attr_vm_attr_enabled = __ATTR_RW(enabled);

/* A counter file: its attribute and the counter it shows. */
struct s2attr_counter_attr {
	struct kobj_attribute	attr;
	enum s2attr_counter	counter;
};

static ssize_t s2attr_counter_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct s2attr_counter_attr *ca =
		container_of(attr, struct s2attr_counter_attr, attr);

	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&s2attr_kobj_to_vm(kobj)->counters[ca->counter]));
}

#define S2ATTR_COUNTER_ATTR(_name, _counter)				\
	struct s2attr_counter_attr s2attr_vm_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, s2attr_counter_show, NULL),	\
		.counter = _counter,					\
	}

static S2ATTR_COUNTER_ATTR(faults_normal, S2ATTR_FAULTS_NORMAL);
static S2ATTR_COUNTER_ATTR(faults_stock, S2ATTR_FAULTS_STOCK);
static S2ATTR_COUNTER_ATTR(refused_nofwb, S2ATTR_REFUSED_NOFWB);
static S2ATTR_COUNTER_ATTR(refused_exec, S2ATTR_REFUSED_EXEC);
static S2ATTR_COUNTER_ATTR(refused_mte, S2ATTR_REFUSED_MTE);

static struct attribute *s2attr_vm_attrs[] = {
	&s2attr_vm_attr_enabled.attr,
	&s2attr_vm_attr_faults_normal.attr.attr,
	&s2attr_vm_attr_faults_stock.attr.attr,
	&s2attr_vm_attr_refused_nofwb.attr.attr,
	&s2attr_vm_attr_refused_exec.attr.attr,
	&s2attr_vm_attr_refused_mte.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(s2attr_vm);

/* Lockless readers in the fault path may still hold the VM: see s2attr_vm.c. */
static void s2attr_vm_kobj_release(struct kobject *kobj)
{
	kfree_rcu(s2attr_kobj_to_vm(kobj), rcu);
}

const struct kobj_type s2attr_vm_ktype = {
	.release	= s2attr_vm_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= s2attr_vm_groups,
};

int s2attr_sysfs_init(void)
{
	int ret;

	s2attr_kobj = kobject_create_and_add("s2attr", kernel_kobj);
	if (!s2attr_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(s2attr_kobj, &s2attr_group);
	if (ret)
		goto put_root;

	s2attr_vms_kobj = kobject_create_and_add("vms", s2attr_kobj);
	if (!s2attr_vms_kobj) {
		ret = -ENOMEM;
		goto put_root;
	}
	return 0;

put_root:
	kobject_put(s2attr_kobj);
	return ret;
}

void s2attr_sysfs_exit(void)
{
	kobject_put(s2attr_vms_kobj);
	kobject_put(s2attr_kobj);
}
