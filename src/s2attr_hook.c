// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: the callbacks KVM calls through the shim, and the shim's API
 * looked up at load so that a kernel without the shim gets a clear error.
 */

#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "s2attr.h"
#include "s2attr_policy.h"

#define CREATE_TRACE_POINTS
#include "s2attr_trace.h"

static int (*s2attr_register_fn)(const struct kvm_s2attr_ops *ops);
static void (*s2attr_unregister_fn)(const struct kvm_s2attr_ops *ops);
static void (*s2attr_unmap_fn)(struct kvm *kvm);

static const enum s2attr_counter s2attr_refusal_counter[] = {
	[S2ATTR_WHY_MTE]	= S2ATTR_REFUSED_MTE,
	[S2ATTR_WHY_NOFWB]	= S2ATTR_REFUSED_NOFWB,
	[S2ATTR_WHY_NODIC]	= S2ATTR_REFUSED_EXEC,
};

static __always_inline void s2attr_account(struct s2attr_vm *vm,
					   struct s2attr_decision d)
{
	enum s2attr_counter c;

	if (d.result == S2ATTR_NORMAL)
		c = S2ATTR_FAULTS_NORMAL;
	else if (d.result == S2ATTR_STOCK)
		c = S2ATTR_FAULTS_STOCK;
	else
		c = s2attr_refusal_counter[d.reason];
	atomic64_inc(&vm->counters[c]);
}

/*
 * The shim calls in an RCU read-side critical section, ->fault under
 * mmu_lock: @vm stays alive.
 */
static __always_inline struct s2attr_facts
s2attr_facts_for(struct s2attr_vm *vm, struct kvm *kvm,
		 const struct kvm_s2attr_vma *vma, bool exec)
{
	return (struct s2attr_facts){
		.vm_flags	= vma->vm_flags,
		.prot		= pgprot_val(vma->vm_page_prot),
		/*
		 * A toggle of @enabled is followed by an unmap under mmu_lock
		 * for write, and KVM calls ->fault under mmu_lock after
		 * mmu_invalidate_retry(): if this reads the old value, that
		 * unmap drops what the fault maps.  A memslot vetted with the
		 * old value is vetted again by each of its faults.
		 */
		.enabled	= READ_ONCE(vm->enabled),
		.fwb		= vm->fwb,
		.dic		= vm->dic,
		/*
		 * kvm_has_mte() without its system_supports_mte() branch,
		 * which an MTE host takes out of line: KVM_CAP_ARM_MTE sets
		 * the flag only where the system supports MTE.
		 */
		.mte		= test_bit(KVM_ARCH_FLAG_MTE_ENABLED, &kvm->arch.flags),
		.exec		= exec,
	};
}

static void __cold s2attr_log_refusal(const struct s2attr_vm *vm,
				      const char *what, u64 ipa,
				      struct s2attr_decision d)
{
	pr_warn_ratelimited("s2attr: VM %s: refused %s at IPA 0x%llx: %s\n",
			    vm->name, what, ipa, s2attr_reason_name(d.reason));
}

static bool s2attr_refused(enum s2attr_result r)
{
	return r == S2ATTR_REFUSE || r == S2ATTR_REFUSE_EXEC;
}

/* What KVM is told; compares rather than a table, to stay off .rodata */
static __always_inline int s2attr_fault_answer(struct s2attr_decision d)
{
	if (d.result == S2ATTR_NORMAL)
		return KVM_S2ATTR_NORMAL;
	if (d.result == S2ATTR_REFUSE)
		return -EFAULT;
	if (d.result == S2ATTR_REFUSE_EXEC)
		return -ENOEXEC;
	return KVM_S2ATTR_STOCK;
}

/*
 * A refusal or a traced decision, out of the fault path's way.  The facts
 * are taken again, so that the fault path keeps them in registers:
 * @enabled may have changed in between, and either value gives an answer
 * that the unmap following the change makes right.  The arguments are in
 * s2attr_hook_fault()'s order, so that its tail call moves none of them.
 */
static noinline int s2attr_fault_report(struct kvm *kvm, struct s2attr_vm *vm,
					const struct kvm_s2attr_vma *vma,
					phys_addr_t ipa, kvm_pfn_t pfn,
					bool exec)
{
	struct s2attr_facts f = s2attr_facts_for(vm, kvm, vma, exec);
	struct s2attr_decision d = s2attr_decide(&f);

	s2attr_account(vm, d);
	if (s2attr_refused(d.result))
		s2attr_log_refusal(vm, exec ? "exec" : "fault", ipa, d);
	trace_s2attr_decision(vm->name, ipa, pfn, s2attr_prot_attridx(f.prot),
			      d.result, d.reason);
	return s2attr_fault_answer(d);
}

/*
 * Runs on every stage-2 fault on memory outside the linear map, so a
 * mapping that is not traced costs the result of the inline decision, one
 * counter on the VM's first cache line, no call and no stack frame: the
 * reason is worked out only for a report.
 */
static int s2attr_hook_fault(struct kvm *kvm, void *data,
			     const struct kvm_s2attr_vma *vma, phys_addr_t ipa,
			     kvm_pfn_t pfn, bool exec)
{
	struct s2attr_vm *vm = data;
	struct s2attr_facts f = s2attr_facts_for(vm, kvm, vma, exec);
	enum s2attr_result r = s2attr_decide(&f).result;

	if (unlikely(s2attr_refused(r)) || trace_s2attr_decision_enabled())
		return s2attr_fault_report(kvm, vm, vma, ipa, pfn, exec);
	if (r == S2ATTR_NORMAL) {
		atomic64_inc(&vm->counters[S2ATTR_FAULTS_NORMAL]);
		return KVM_S2ATTR_NORMAL;
	}
	atomic64_inc(&vm->counters[S2ATTR_FAULTS_STOCK]);
	return KVM_S2ATTR_STOCK;
}

static int s2attr_hook_memslot(struct kvm *kvm, void *data,
			       const struct kvm_memory_slot *slot,
			       const struct kvm_s2attr_vma *vma)
{
	struct s2attr_vm *vm = data;
	struct s2attr_facts f = s2attr_facts_for(vm, kvm, vma, false);
	struct s2attr_decision d = s2attr_decide(&f);

	if (d.result == S2ATTR_REFUSE) {
		s2attr_account(vm, d);
		s2attr_log_refusal(vm, "memslot", slot->base_gfn << PAGE_SHIFT, d);
	}

	return d.result == S2ATTR_REFUSE ? -EINVAL : 0;
}

static const struct kvm_s2attr_ops s2attr_hook_ops = {
	.fault		= s2attr_hook_fault,
	.memslot	= s2attr_hook_memslot,
	.vm_created	= s2attr_vm_add,
	.vm_destroyed	= s2attr_vm_remove,
};

void s2attr_unmap_device(struct kvm *kvm)
{
	s2attr_unmap_fn(kvm);
}

static void s2attr_hook_put_symbols(void)
{
	if (s2attr_register_fn)
		symbol_put(kvm_s2attr_register);
	if (s2attr_unregister_fn)
		symbol_put(kvm_s2attr_unregister);
	if (s2attr_unmap_fn)
		symbol_put(kvm_s2attr_unmap_device);
}

/*
 * The shim's functions are looked up rather than linked, so that loading
 * on a kernel without the shim names what is missing instead of failing
 * with "Unknown symbol".
 */
int s2attr_hook_init(void)
{
	int ret;

	s2attr_register_fn = symbol_get(kvm_s2attr_register);
	s2attr_unregister_fn = symbol_get(kvm_s2attr_unregister);
	s2attr_unmap_fn = symbol_get(kvm_s2attr_unmap_device);
	if (!s2attr_register_fn || !s2attr_unregister_fn || !s2attr_unmap_fn) {
		pr_err("s2attr: this kernel lacks the s2attr KVM shim (kvm_s2attr_register() not found, CONFIG_KVM_S2ATTR_HOOK): apply patches/<series>/ from s2attr to the kernel\n");
		ret = -ENOENT;
		goto put_symbols;
	}

	ret = s2attr_register_fn(&s2attr_hook_ops);
	if (ret) {
		pr_err("s2attr: cannot register with KVM: %d (another policy module is loaded)\n",
		       ret);
		goto put_symbols;
	}
	return 0;

put_symbols:
	s2attr_hook_put_symbols();
	return ret;
}

void s2attr_hook_exit(void)
{
	s2attr_unregister_fn(&s2attr_hook_ops);
	s2attr_hook_put_symbols();
}
