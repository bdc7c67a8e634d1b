/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * s2attr: private declarations shared by the module's files.
 */
#ifndef __S2ATTR_H
#define __S2ATTR_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/kvm_s2attr.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include <asm/pgtable-hwdef.h>

#include "s2attr_rules.h"

struct kvm;

/* The stage-1 MAIR index (MT_NORMAL, MT_DEVICE_nGnRE, ...) of a pgprot. */
static inline unsigned int s2attr_prot_attridx(u64 prot)
{
	return (prot & PTE_ATTRINDX_MASK) >> 2;
}

/* What the module answers for one fault or memslot. */
enum s2attr_result {
	S2ATTR_STOCK,		/* leave it to stock KVM */
	S2ATTR_NORMAL,		/* Normal-WB in stage-2 */
	S2ATTR_REFUSE,		/* -EINVAL at memslot, -EFAULT at fault */
	S2ATTR_REFUSE_EXEC,	/* -ENOEXEC: prefetch abort, data stays Normal */
};

/* Why; one reason per row of the decision table. */
enum s2attr_reason {
	S2ATTR_WHY_NOT_PFNMAP,	/* neither VM_PFNMAP nor VM_MIXEDMAP */
	S2ATTR_WHY_DISABLED,	/* the VM is not enabled */
	S2ATTR_WHY_UNCACHED,	/* stage-1 type is not Normal cacheable */
	S2ATTR_WHY_MTE,		/* MTE VM: tags cannot be sanitised */
	S2ATTR_WHY_NOFWB,	/* no FEAT_S2FWB: no cache maintenance by VA */
	S2ATTR_WHY_NODIC,	/* exec without CTR_EL0.DIC */
	S2ATTR_WHY_CACHEABLE,	/* Normal-WB */
};

/**
 * struct s2attr_facts - everything a decision depends on
 * @vm_flags:	flags of the VMA backing the fault or memslot
 * @prot:	the VMA's stage-1 protection (pgprot_val())
 * @enabled:	the VM is enabled
 * @fwb:	the CPU has FEAT_S2FWB
 * @dic:	CTR_EL0.DIC is set
 * @mte:	the VM has MTE enabled
 * @exec:	the fault is an instruction fetch
 */
struct s2attr_facts {
	unsigned long	vm_flags;
	u64		prot;
	bool		enabled;
	bool		fwb;
	bool		dic;
	bool		mte;
	bool		exec;
};

struct s2attr_decision {
	enum s2attr_result	result;
	enum s2attr_reason	reason;
};

const char *s2attr_result_name(enum s2attr_result result);
const char *s2attr_reason_name(enum s2attr_reason reason);

/* Per-VM counters, one sysfs file each. */
enum s2attr_counter {
	S2ATTR_FAULTS_NORMAL,
	S2ATTR_FAULTS_STOCK,
	S2ATTR_REFUSED_NOFWB,
	S2ATTR_REFUSED_EXEC,
	S2ATTR_REFUSED_MTE,
	S2ATTR_NR_COUNTERS,
};

/**
 * struct s2attr_vm - what the module keeps for one live VM
 * @enabled:	map cacheable PFNMAP memory Normal-WB (0 or 1); read
 *		locklessly, as a word: a volatile bool read is masked again
 * @fwb:	s2attr_fwb, copied
 * @dic:	s2attr_dic, copied
 * @counters:	decisions taken for this VM, by &enum s2attr_counter
 * @kobj:	vms/<name>/ in sysfs; its release frees the structure
 * @node:	in the VM list, under s2attr_vms_lock
 * @kvm:	the VM; used only between vm_created and vm_destroyed
 * @name:	"<pid>-<fd>"
 * @lock:	serialises changes of @enabled with their stage-2 unmap
 * @rcu:	defers the free past the fault path, which gets the VM from
 *		kvm->arch.s2attr_data as an RCU reader
 *
 * The fault path reads and writes the first four fields only: one cache
 * line, and no other data of the module.
 */
struct s2attr_vm {
	u32			enabled;
	bool			fwb;
	bool			dic;
	atomic64_t		counters[S2ATTR_NR_COUNTERS];
	struct kobject		kobj;
	struct list_head	node;
	struct kvm		*kvm;
	char			name[KVM_S2ATTR_NAME_LEN];
	struct mutex		lock;		/* serialises toggles */
	struct rcu_head		rcu;
};

/**
 * struct s2attr_rule - one line of the policy
 * @enable:	the initial "enabled" of a VM the rule matches
 * @exe:	the VMM's executable, absolute path; "" matches any
 * @guest:	the guest name on the VMM's command line; "" matches any
 */
struct s2attr_rule {
	bool	enable;
	char	exe[S2ATTR_EXE_LEN];
	char	guest[S2ATTR_GUEST_LEN];
};

/**
 * struct s2attr_rules - the policy; replaced as a whole, never changed
 * @rcu:	defers the free past the readers, VM creations
 * @nr:		rules in use
 * @rule:	in order: the first that matches decides
 */
struct s2attr_rules {
	struct rcu_head		rcu;
	unsigned int		nr;
	struct s2attr_rule	rule[S2ATTR_RULES_MAX];
};

/* What the policy knows of a VMM, to match the rules' values. */
struct s2attr_vmm_id {
	char	exe[S2ATTR_EXE_LEN];
	char	guest[S2ATTR_GUEST_LEN];
};

/* CPU capabilities, read once at load. */
extern bool s2attr_fwb;
extern bool s2attr_dic;
extern bool s2attr_default_enabled;
extern bool s2attr_unloading;

int s2attr_parse_bool(const char *buf, size_t count, bool *val);

/* s2attr_vm.c */
void s2attr_vm_add(struct kvm *kvm, const char *name);
void s2attr_vm_remove(struct kvm *kvm, void *data);
int s2attr_vm_set_enabled(struct s2attr_vm *vm, bool enabled);
void s2attr_vm_disable_all(void);
void s2attr_vm_remove_all(void);

/* s2attr_rules.c */
struct s2attr_rules *s2attr_rules_parse(const char *buf, size_t count);
int s2attr_rules_store(const char *buf, size_t count);
ssize_t s2attr_rules_show(char *buf);
void s2attr_rules_exit(void);
bool s2attr_rules_initially_enabled(struct kvm *kvm, const char *name);

/* s2attr_sysfs.c */
extern struct kobject *s2attr_vms_kobj;
extern const struct kobj_type s2attr_vm_ktype;
int s2attr_sysfs_init(void);
void s2attr_sysfs_exit(void);

/* s2attr_hook.c */
int s2attr_hook_init(void);
void s2attr_hook_exit(void);
void s2attr_unmap_device(struct kvm *kvm);

#endif /* __S2ATTR_H */
