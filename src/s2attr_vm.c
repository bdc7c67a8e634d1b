// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: per-VM state, created and destroyed with the VM.
 */

#include <linux/hashtable.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>

#include "s2attr.h"

/*
 * The VM table:
 *
 * Keyed by the struct kvm.  Writers hold s2attr_vms_lock; the fault path
 * looks VMs up under RCU, so entries are freed after a grace period (see
 * the kobject release).  The lock is never held across sysfs removal:
 * removal waits for the VM's sysfs handlers, and a handler may be waiting
 * for the VM's own lock.
 */
static DEFINE_HASHTABLE(s2attr_vms, 6);
static DEFINE_MUTEX(s2attr_vms_lock);

struct s2attr_vm *s2attr_vm_find(struct kvm *kvm)
{
	struct s2attr_vm *vm;

	hash_for_each_possible_rcu(s2attr_vms, vm, node, (unsigned long)kvm)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

static bool s2attr_vm_name_is_used(const char *name)
{
	struct s2attr_vm *vm;
	int bkt;

	lockdep_assert_held(&s2attr_vms_lock);
	hash_for_each(s2attr_vms, bkt, vm, node)
		if (!strcmp(vm->name, name))
			return true;
	return false;
}

/**
 * s2attr_vm_add() - start tracking a VM; the shim's vm_created callback
 * @kvm: the new VM
 * @name: its name, "<pid>-<fd>"
 *
 * A VM whose name is still held by an older VM (its fd was closed while
 * the VM lived on through a vCPU fd, and the number reused) is left to
 * stock KVM: sysfs cannot hold two directories of that name.
 *
 * Context: process context, kvm_lock held.
 */
void s2attr_vm_add(struct kvm *kvm, const char *name)
{
	struct s2attr_vm *vm;

	/* Out of memory: the VM is left to stock KVM. */
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return;
	vm->kvm = kvm;
	strscpy(vm->name, name, sizeof(vm->name));
	mutex_init(&vm->lock);
	vm->enabled = READ_ONCE(s2attr_default_enabled);
	kobject_init(&vm->kobj, &s2attr_vm_ktype);

	mutex_lock(&s2attr_vms_lock);
	if (s2attr_vm_name_is_used(name)) {
		pr_warn("s2attr: VM %s: name in use by a dying VM, left to stock KVM\n",
			name);
		goto put;
	}
	if (kobject_add(&vm->kobj, s2attr_vms_kobj, "%s", name)) {
		pr_warn("s2attr: VM %s: cannot create its sysfs directory\n", name);
		goto put;
	}
	hash_add_rcu(s2attr_vms, &vm->node, (unsigned long)kvm);
	mutex_unlock(&s2attr_vms_lock);
	kobject_uevent(&vm->kobj, KOBJ_ADD);

	/*
	 * A VM that existed before the module loaded may have Device
	 * mappings already; drop them so that it is enabled in fact too.
	 */
	if (vm->enabled)
		s2attr_unmap_device(kvm);
	return;

put:
	mutex_unlock(&s2attr_vms_lock);
	kobject_put(&vm->kobj);
}

static void s2attr_vm_release(struct s2attr_vm *vm)
{
	kobject_del(&vm->kobj);
	kobject_put(&vm->kobj);
}

/**
 * s2attr_vm_remove() - stop tracking a VM; the shim's vm_destroyed callback
 * @kvm: the VM going away
 *
 * Context: process context.  Waits for the VM's sysfs handlers to finish,
 * so none of them uses @kvm after this returns.
 */
void s2attr_vm_remove(struct kvm *kvm)
{
	struct s2attr_vm *vm;

	mutex_lock(&s2attr_vms_lock);
	vm = s2attr_vm_find(kvm);
	if (vm)
		hash_del_rcu(&vm->node);
	mutex_unlock(&s2attr_vms_lock);

	if (vm)
		s2attr_vm_release(vm);
}

/**
 * s2attr_vm_set_enabled() - change a VM's policy, also for mapped memory
 * @vm: the VM
 * @enabled: the new value
 *
 * When the value changes, the VM's mappings of memory outside the linear
 * map are dropped before this returns: the next guest access faults and
 * is decided under the new value.
 *
 * Context: process context; @vm->kvm is alive (the caller is a sysfs
 * handler of @vm or holds s2attr_vms_lock).
 */
void s2attr_vm_set_enabled(struct s2attr_vm *vm, bool enabled)
{
	mutex_lock(&vm->lock);
	if (vm->enabled != enabled) {
		WRITE_ONCE(vm->enabled, enabled);
		s2attr_unmap_device(vm->kvm);
	}
	mutex_unlock(&vm->lock);
}

/*
 * Unload, first step: with s2attr_unloading set, every decision is stock;
 * drop what was mapped Normal so that it re-faults that way.
 */
void s2attr_vm_disable_all(void)
{
	struct s2attr_vm *vm;
	int bkt;

	mutex_lock(&s2attr_vms_lock);
	hash_for_each(s2attr_vms, bkt, vm, node)
		s2attr_vm_set_enabled(vm, false);
	mutex_unlock(&s2attr_vms_lock);
}

/* Unload, last step: the hook is unregistered, no VM can come or go. */
void s2attr_vm_remove_all(void)
{
	struct hlist_node *tmp;
	struct s2attr_vm *vm;
	int bkt;

	hash_for_each_safe(s2attr_vms, bkt, tmp, vm, node) {
		hash_del_rcu(&vm->node);
		s2attr_vm_release(vm);
	}
}
