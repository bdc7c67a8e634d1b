// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_lifetime: per-VM state over the lives of VMs and of s2attr.
 *
 *   case              s2attr        what must hold
 *   vm dir            loaded        vms/<pid>-<fd> comes and goes with its VM;
 *                                   its enabled takes a write of 1
 *   toggle            loaded        each write of enabled takes effect on
 *                                   memory already mapped: no leaf of the old
 *                                   type survives it, RAM stays mapped, the
 *                                   next access maps the new type (toggle_steps)
 *   default_enabled   loaded, =1    a new VM starts enabled
 *   pre-existing VM   not loaded    a VM older than s2attr appears at insmod;
 *                                   rmmod acts like disabling it
 *   reload loop       not loaded    rmmod/insmod while a vCPU faults through
 *                                   32 MiB: no fault lost, final leaves right
 *
 * Suites: module, default, preload.  Without FWB, "enabled" leaves the
 * memory Device here (the memslot exists before the VM is enabled, or the
 * VM is never enabled) or has its memslot refused.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "s2attr_vmm.h"

static const struct { bool on; enum s2 want; } toggle_steps[] = {
	{ true, S2_NORMAL }, { false, S2_DEVICE }, { true, S2_NORMAL },
};

#define RELOAD_SIZE	(32ULL << 20)
/*
 * A fixed number of cycles, each racing the vCPU's faults, so that a
 * loaded host runs the same test, only slower (make stress reloads s2attr
 * for as long as it runs); the time bound only stops a hung loop.
 */
#define RELOAD_CYCLES	16
#define RELOAD_PAUSE_US	(20 * 1000)
#define RELOAD_SECONDS	120

static void case_vm_dir(void)
{
	char path[128], enabled[128];
	struct tvm t;
	bool gone;

	tvm_create(&t, WB, 1);
	vm_path(&t, "", path, sizeof(path));
	test_result(!access(path, F_OK), "vms/<pid>-<fd> appears with its VM\n");
	vm_path(&t, "enabled", enabled, sizeof(enabled));
	test_result(!vm_set_enabled(&t, true) && value_is(enabled, "1\n"),
		    "enable a VM through sysfs\n");
	tvm_destroy(&t);
	gone = access(path, F_OK) && errno == ENOENT;
	test_result(gone, "vms/<pid>-<fd> disappears with its VM\n");
}

/* Same VM throughout; see toggle_steps. */
static void case_toggle(void)
{
	char what[64];
	struct tvm t;
	size_t i;

	if (!cpu_fwb) {
		test_skip("toggle: needs FWB, this CPU model has none\n");
		return;
	}
	tvm_create(&t, WB, REGION_PAGES);
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH)) {
		test_result(false, "toggle: the guest did not run\n");
		tvm_destroy(&t);
		return;
	}
	expect_region(&t, S2_DEVICE, "toggle: before enabling");
	for (i = 0; i < ARRAY_SIZE(toggle_steps); i++) {
		snprintf(what, sizeof(what), "toggle %zu: enabled=%d", i + 1, toggle_steps[i].on);
		test_result(!vm_set_enabled(&t, toggle_steps[i].on), "%s: write\n", what);
		expect_region(&t, S2_UNMAPPED, what);
		test_result(ram_is_mapped(&t), "%s: RAM stays mapped\n", what);
		test_result(tvm_run(&t, G_TOUCH), "%s: the guest runs on\n", what);
		expect_region(&t, toggle_steps[i].want, what);
	}
	tvm_destroy(&t);
}

static void case_default_enabled(void)
{
	char path[128];
	struct tvm t;
	int err;

	tvm_create(&t, WB, REGION_PAGES);
	vm_path(&t, "enabled", path, sizeof(path));
	test_result(value_is(path, "1\n"), "default_enabled=1: a new VM is enabled\n");
	err = tvm_add_memslot(&t);
	if (!cpu_fwb)
		test_result(err == EINVAL,
			    "default_enabled=1, no FWB: memslot refused with EINVAL (got %d)\n",
			    err);
	else if (err || !tvm_run(&t, G_TOUCH))
		test_result(false, "default_enabled=1: memslot %d run %d\n", err, t.run_ok);
	else
		expect_region(&t, S2_NORMAL, "default_enabled=1: wb PFNMAP");
	tvm_destroy(&t);
}

/*
 * A VM that exists when s2attr loads appears under vms/ and can be
 * enabled; rmmod acts like disabling it (its Normal mappings go, RAM
 * stays), and insmod brings it back.
 */
static void case_preexisting(void)
{
	char path[128];
	struct tvm t;

	tvm_create(&t, WB, REGION_PAGES);
	vm_path(&t, "", path, sizeof(path));
	if (tvm_add_memslot(&t) || !tvm_run(&t, G_TOUCH))
		test_result(false, "pre-existing VM: the guest did not run\n");
	expect_region(&t, S2_DEVICE, "pre-existing VM, no module");
	test_result(insmod_s2attr("") && !access(path, F_OK),
		    "pre-existing VM: appears under vms/ at insmod\n");
	if (cpu_fwb) {
		vm_set_enabled(&t, true);
		test_result(tvm_run(&t, G_TOUCH), "pre-existing VM: runs once enabled\n");
		expect_region(&t, S2_NORMAL, "pre-existing VM, enabled");
	}
	test_result(rmmod_s2attr() && access(path, F_OK),
		    "pre-existing VM: rmmod with the VM alive, its directory goes\n");
	expect_region(&t, cpu_fwb ? S2_UNMAPPED : S2_DEVICE,
		      "after rmmod: no Normal mapping survives");
	test_result(ram_is_mapped(&t), "after rmmod: RAM stays mapped\n");
	test_result(tvm_run(&t, G_TOUCH), "after rmmod: the guest runs on\n");
	expect_region(&t, S2_DEVICE, "after rmmod");
	test_result(insmod_s2attr("") && !access(path, F_OK) &&
		    vm_counter(&t, "faults_normal") == 0,
		    "insmod again: the VM is back under vms/\n");
	test_result(rmmod_s2attr(), "rmmod\n");
	tvm_destroy(&t);
}

static void *reload_vcpu_thread(void *arg)
{
	struct tvm *t = arg;

	tvm_run(t, G_LOOP);
	return NULL;
}

/*
 * rmmod and insmod s2attr RELOAD_CYCLES times while a vCPU faults
 * through a 32 MiB region again and again.  No fault may be lost (the
 * vCPU never fails and finishes a pass after the last reload), and the
 * final mappings match the final state.
 */
static void case_reload_loop(void)
{
	const char *args = cpu_fwb ? "default_enabled=1" : "";
	uint64_t reloads = 0, last, passes;
	struct timespec start, now;
	pthread_t thread;
	bool ok = true;
	struct tvm t;

	ok &= insmod_s2attr(args);
	tvm_create(&t, WB, RELOAD_SIZE / host_page);
	if (tvm_add_memslot(&t)) {
		test_result(false, "reload loop: memslot: %s\n", strerror(t.memslot_err));
		tvm_destroy(&t);
		return;
	}
	pthread_create(&thread, NULL, reload_vcpu_thread, &t);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		ok &= rmmod_s2attr();
		usleep(RELOAD_PAUSE_US);
		ok &= insmod_s2attr(args);
		usleep(RELOAD_PAUSE_US);
		reloads++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (ok && reloads < RELOAD_CYCLES && now.tv_sec - start.tv_sec < RELOAD_SECONDS);
	/*
	 * A fault lost in a reload would hold the vCPU for good.  It must
	 * finish the pass it is in, however slow the host: nested without
	 * FWB, the first pass alone can outlast the reloads.
	 */
	last = READ_ONCE(t.passes);
	while (READ_ONCE(t.passes) == last && now.tv_sec - start.tv_sec < RELOAD_SECONDS) {
		usleep(RELOAD_PAUSE_US);
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	passes = READ_ONCE(t.passes);
	guest_set(t.vm, &guest_stop, 1);
	pthread_join(thread, NULL);

	test_result(ok && reloads == RELOAD_CYCLES, "reload loop: %lu of %d rmmod/insmod cycles\n",
		    reloads, RELOAD_CYCLES);
	test_result(t.run_ok && passes > last,
		    "reload loop: the vCPU faulted through %lu passes of 32 MiB, %lu after the last reload, KVM_RUN never failed\n",
		    passes, passes - last);
	guest_set(t.vm, &guest_stop, 0);
	test_result(tvm_run(&t, G_TOUCH), "reload loop: the guest runs on\n");
	expect_region(&t, cpu_fwb ? S2_NORMAL : S2_DEVICE, "reload loop: final mappings");
	tvm_destroy(&t);
	test_result(rmmod_s2attr(), "reload loop: rmmod at the end\n");
}

static const struct suite suites[] = {
	{ "module",	{ case_vm_dir, case_toggle } },
	{ "default",	{ case_default_enabled } },
	{ "preload",	{ case_preexisting, case_reload_loop } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
