// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr: map cacheable PFNMAP memory (CPU-coherent GPU memory on Grace
 * hosts) Normal-WB in KVM/arm64 stage-2 instead of Device, per VM.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include <asm/cpufeature.h>

#include "s2attr.h"

bool s2attr_fwb;
bool s2attr_dic;
bool s2attr_default_enabled;
/* Set at unload before the VMs are disabled: none is enabled again. */
bool s2attr_unloading;

/* Same strict syntax as the sysfs file, so a typo refuses the load. */
static int s2attr_param_set_bool(const char *val, const struct kernel_param *kp)
{
	if (!val || s2attr_parse_bool(val, strlen(val), kp->arg)) {
		pr_err("s2attr: %s=%s: expected 0 or 1\n", kp->name, val);
		return -EINVAL;
	}
	return 0;
}

static const struct kernel_param_ops s2attr_param_bool_ops = {
	.set	= s2attr_param_set_bool,
	.get	= param_get_bool,
};

module_param_cb(default_enabled, &s2attr_param_bool_ops, &s2attr_default_enabled, 0444);
MODULE_PARM_DESC(default_enabled,
		 "Initial value of 'enabled' for VMs created from now on: 0 (default) or 1; /sys/kernel/s2attr/default_enabled changes it at run time");

static int __init s2attr_init(void)
{
	int ret;

	s2attr_fwb = cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
	s2attr_dic = cpus_have_final_cap(ARM64_HAS_CACHE_DIC);

	ret = s2attr_sysfs_init();
	if (ret)
		return ret;

	ret = s2attr_hook_init();
	if (ret)
		goto exit_sysfs;

	pr_info("s2attr: loaded: FWB %s, DIC %s, default_enabled %d\n",
		s2attr_fwb ? "yes" : "no (cacheable PFNMAP refused)",
		s2attr_dic ? "yes" : "no (exec from cacheable PFNMAP refused)",
		s2attr_default_enabled);
	return 0;

exit_sysfs:
	s2attr_sysfs_exit();
	return ret;
}

/*
 * Unload acts like disabling every VM first: their Normal mappings are
 * dropped and re-fault as stock KVM maps them.  Only then is the hook
 * removed, which waits for callers still inside the module.
 */
static void __exit s2attr_exit(void)
{
	WRITE_ONCE(s2attr_unloading, true);
	s2attr_vm_disable_all();
	s2attr_hook_exit();
	s2attr_vm_remove_all();
	s2attr_sysfs_exit();
	s2attr_rules_exit();
	rcu_barrier();
	pr_info("s2attr: unloaded\n");
}

module_init(s2attr_init);
module_exit(s2attr_exit);

MODULE_DESCRIPTION("Normal-WB stage-2 mappings of cacheable PFNMAP memory for KVM/arm64");
MODULE_AUTHOR("s2attr developers");
MODULE_LICENSE("GPL");
