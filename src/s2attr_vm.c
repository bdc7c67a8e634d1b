// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: per-VM state, created and destroyed with the VM.
 */

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "s2attr.h"

/*
 * The VMs:
 *
 * The fault path does not look VMs up: the shim hands it the VM's
 * struct s2attr_vm, which we publish in kvm->arch.s2attr_data and which is
 * therefore freed only after a grace period (see the kobject release).
 * The list is for the rest, under s2attr_vms_lock.  The lock is never held
 * across sysfs removal: removal waits for the VM's sysfs handlers, and a
 * handler may be waiting for the VM's own lock.
 */
static LIST_HEAD(s2attr_vms);
static DEFINE_MUTEX(s2attr_vms_lock);

static bool s2attr_vm_name_is_used(const char *name)
{
	struct s2attr_vm *vm;

	lockdep_assert_held(&s2attr_vms_lock);
	list_for_each_entry(vm, &s2attr_vms, node)
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
 * The VM is published to the shim before its directory appears, so that
 * no change of @enabled precedes the faults it is meant to decide.  Its
 * initial @enabled, from the policy or default_enabled, is set before
 * that: KVM_CREATE_VM has not returned, so the VM has not faulted.
 *
 * No uevent is sent: KVM sends its own for the VM, just before the VM's
 * fd is installed, and one from here would come at that same moment,
 * too early for anything that would act on it; the policy acts instead.
 *
 * Context: process context, kvm_lock held.
 */
void s2attr_vm_add(struct kvm *kvm, const char *name)
{
	bool initial = s2attr_rules_initially_enabled(kvm, name);
	struct s2attr_vm *vm;

	/* Out of memory: the VM is left to stock KVM. */
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return;
	vm->kvm = kvm;
	strscpy(vm->name, name, sizeof(vm->name));
	mutex_init(&vm->lock);
	vm->fwb = s2attr_fwb;
	vm->dic = s2attr_dic;
	kobject_init(&vm->kobj, &s2attr_vm_ktype);

	mutex_lock(&s2attr_vms_lock);
	/*
	 * Under the lock, so that s2attr_vm_disable_all() either finds this
	 * VM or came first, and then we see s2attr_unloading.
	 */
	vm->enabled = initial && !READ_ONCE(s2attr_unloading);
	if (s2attr_vm_name_is_used(name)) {
		pr_warn("s2attr: VM %s: name in use by a dying VM, left to stock KVM\n",
			name);
		goto put;
	}
	rcu_assign_pointer(kvm->arch.s2attr_data, vm);
	if (kobject_add(&vm->kobj, s2attr_vms_kobj, "%s", name)) {
		pr_warn("s2attr: VM %s: cannot create its sysfs directory\n", name);
		RCU_INIT_POINTER(kvm->arch.s2attr_data, NULL);
		goto put;
	}
	list_add(&vm->node, &s2attr_vms);
	mutex_unlock(&s2attr_vms_lock);

	/*
	 * A VM that existed before the module loaded may have Device
	 * mappings already; drop them so that it is enabled in fact too.
	 */
	if (READ_ONCE(vm->enabled))
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
 * @data: its struct s2attr_vm
 *
 * Context: process context, kvm_lock held.  Waits for the VM's sysfs
 * handlers to finish, so none of them uses @kvm after this returns; none
 * of them takes kvm_lock.
 */
void s2attr_vm_remove(struct kvm *kvm, void *data)
{
	struct s2attr_vm *vm = data;

	mutex_lock(&s2attr_vms_lock);
	list_del(&vm->node);
	mutex_unlock(&s2attr_vms_lock);

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
 * Return: 0, or -ENODEV when enabling while s2attr is being unloaded.
 */
int s2attr_vm_set_enabled(struct s2attr_vm *vm, bool enabled)
{
	int ret = 0;

	mutex_lock(&vm->lock);
	/* Under the lock: s2attr_vm_disable_all() comes after us or we see it */
	if (enabled && READ_ONCE(s2attr_unloading)) {
		ret = -ENODEV;
	} else if (vm->enabled != enabled) {
		WRITE_ONCE(vm->enabled, enabled);
		s2attr_unmap_device(vm->kvm);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/*
 * Unload, first step: with s2attr_unloading set no VM is enabled again,
 * so once every VM is disabled here, and what was mapped Normal dropped,
 * every decision until the hook is gone is stock.
 */
void s2attr_vm_disable_all(void)
{
	struct s2attr_vm *vm;

	mutex_lock(&s2attr_vms_lock);
	list_for_each_entry(vm, &s2attr_vms, node)
		s2attr_vm_set_enabled(vm, false);
	mutex_unlock(&s2attr_vms_lock);
}

/*
 * Unload, last step: the hook is unregistered, so the shim has forgotten
 * every VM's data and no VM comes or goes for us any more.
 */
void s2attr_vm_remove_all(void)
{
	struct s2attr_vm *vm, *tmp;

	list_for_each_entry_safe(vm, tmp, &s2attr_vms, node) {
		list_del(&vm->node);
		s2attr_vm_release(vm);
	}
}
