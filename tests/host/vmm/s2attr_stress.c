// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_stress: make stress, on the debug kernel.
 *
 *   case     what runs                                  what must hold
 *   stress   STRESS_VMS VMs, STRESS_VCPUS vCPUs each,   no failed KVM_RUN, every
 *            fault through wb_huge and nc memory while  vCPU progresses; every
 *            threads toggle enabled, default_enabled,   leaf agrees with its VM's
 *            create and destroy VMs, reload s2attr,     final enabled; no
 *            for seconds=N                              directory of a dead VM
 *            and short-lived VMs get stage-2 blocks     no stale leaf of a page
 *            over page-mapped memory, then lose one     munmap()ed or made
 *            page to munmap() or mprotect(), or are     read-only; blocks were
 *            toggled                                    mapped
 *   fuzz     random writes to every s2attr file, as     values change only
 *            root and as nobody                         through valid root writes
 *
 * Suite: stress (s2attr loaded; needs FWB).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s2attr_vmm.h"

#define STRESS_VMS		3
#define STRESS_VCPUS		2	/* vCPU 0 loops over WB, vCPU 1 over NC */
#define STRESS_WB_SIZE		(16ULL << 20)
#define STRESS_NC_SIZE		(4ULL << 20)
#define STRESS_NC_GPA		(REGION_GPA + (64 << 20))

struct stress_vm {
	struct kvm_vm		*vm;
	struct kvm_vcpu		*vcpu[STRESS_VCPUS];
	pthread_t		thread[STRESS_VCPUS];
	void			*wb, *nc;
	char			name[32];
	uint64_t		passes[STRESS_VCPUS];
	int			err[STRESS_VCPUS];	/* errno of a failed KVM_RUN */
};

static struct stress_vm stress_vms[STRESS_VMS];
static volatile bool stress_stop;
static uint64_t stress_toggles, stress_defaults, stress_reloads, stress_created;
/* Faults s2attr decided, from the counters read before each reload and destroy */
static uint64_t stress_faults;

static void stress_vm_create(struct stress_vm *v)
{
	v->vm = vm_create_with_vcpus(STRESS_VCPUS, guest_code, v->vcpu);
	vm_ucall_init(v->vm);
	snprintf(v->name, sizeof(v->name), "%d-%d", getpid(), v->vm->fd);
	v->wb = provider_map(WB_HUGE, STRESS_WB_SIZE, 0);
	v->nc = provider_map(NC, STRESS_NC_SIZE, 64 << 20);
	/* Enabled VMs need FWB at memslot time; the toggler enables later. */
	vm_set_user_memory_region(v->vm, REGION_SLOT, 0, REGION_GPA,
				  STRESS_WB_SIZE, v->wb);
	vm_set_user_memory_region(v->vm, REGION_SLOT + 1, 0, STRESS_NC_GPA,
				  STRESS_NC_SIZE, v->nc);
	virt_map(v->vm, REGION_GPA, REGION_GPA, STRESS_WB_SIZE / v->vm->page_size);
	virt_map(v->vm, STRESS_NC_GPA, STRESS_NC_GPA, STRESS_NC_SIZE / v->vm->page_size);
	vcpu_args_set(v->vcpu[0], 3, REGION_GPA, STRESS_WB_SIZE / host_page, host_page);
	vcpu_args_set(v->vcpu[1], 3, STRESS_NC_GPA, STRESS_NC_SIZE / host_page, host_page);
	guest_set(v->vm, &guest_ops, G_LOOP);
}

struct stress_vcpu_arg {
	struct stress_vm	*v;
	int			i;
};

static void *stress_vcpu_thread(void *arg)
{
	struct stress_vcpu_arg *a = arg;
	struct stress_vm *v = a->v;
	struct ucall uc;

	for (;;) {
		if (_vcpu_run(v->vcpu[a->i])) {
			v->err[a->i] = errno;
			break;
		}
		if (get_ucall(v->vcpu[a->i], &uc) != UCALL_SYNC)
			break;
		v->passes[a->i]++;
	}
	free(a);
	return NULL;
}

static unsigned int stress_rand(void)
{
	static __thread unsigned int seed;

	if (!seed)
		seed = getpid() ^ (uintptr_t)&seed;
	return rand_r(&seed);
}

static void stress_sleep_ms(unsigned int ms)
{
	usleep(ms * 1000);
}

/*
 * The stage-2 faults s2attr decided for VM @name: the sum of its counters,
 * which start again at 0 when s2attr is reloaded; 0 while it is out.
 */
static uint64_t vm_decisions(const char *name)
{
	static const char * const counters[] = {
		"faults_normal", "faults_stock", "refused_nofwb", "refused_exec", "refused_mte",
	};
	uint64_t n = 0;
	long long c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		c = vm_name_counter(name, counters[i]);
		if (c > 0)
			n += c;
	}
	return n;
}

static uint64_t stress_vms_decisions(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < STRESS_VMS; i++)
		n += vm_decisions(stress_vms[i].name);
	return n;
}

/* Writes enabled of random VMs; fails harmlessly while s2attr is out. */
static void *stress_toggler(void *arg __maybe_unused)
{
	char path[128];

	while (!stress_stop) {
		struct stress_vm *v = &stress_vms[stress_rand() % STRESS_VMS];

		vm_name_path(v->name, "enabled", path, sizeof(path));
		if (!sysfs_write(path, stress_rand() & 1 ? "1" : "0", 1))
			__atomic_add_fetch(&stress_toggles, 1, __ATOMIC_RELAXED);
		stress_sleep_ms(10);
	}
	return NULL;
}

static void *stress_default_toggler(void *arg __maybe_unused)
{
	while (!stress_stop) {
		if (!sysfs_write(S2ATTR_SYSFS "/default_enabled",
				 stress_rand() & 1 ? "1" : "0", 1))
			stress_defaults++;
		stress_sleep_ms(37);
	}
	return NULL;
}

static void *stress_reloader(void *arg __maybe_unused)
{
	while (!stress_stop) {
		/* Those decided between this read and the unload go uncounted. */
		__atomic_add_fetch(&stress_faults, stress_vms_decisions(), __ATOMIC_RELAXED);
		rmmod_s2attr();
		stress_sleep_ms(150);
		insmod_s2attr(stress_rand() & 1 ? "default_enabled=1" : "");
		stress_reloads++;
		stress_sleep_ms(400);
	}
	return NULL;
}

/* Short-lived VMs: created, faulted once, destroyed, over and over. */
static void *stress_creator(void *arg __maybe_unused)
{
	struct tvm t;

	while (!stress_stop) {
		tvm_create_at(&t, WB, 64, 96 << 20);
		if (!tvm_add_memslot(&t))
			tvm_run(&t, G_TOUCH);
		__atomic_add_fetch(&stress_faults, vm_decisions(t.name), __ATOMIC_RELAXED);
		tvm_destroy(&t);
		stress_created++;
	}
	return NULL;
}

/*
 * Stage-2 blocks in the load: short-lived VMs over two blocks of memory the
 * host maps with pages (the nvgrace-shaped provider's contig), enabled or
 * not at random, written whole; then one page is munmap()ed or made
 * read-only, or the VM toggled, and the guest writes or reads again, while
 * the other threads reload s2attr and write default_enabled.  After the
 * munmap() no leaf may map the page, after the mprotect() no writable one.
 */
#define STRESS_BVM_WINDOW	64	/* pages of each block the guest touches */

static uint64_t stress_bvms, stress_blocks, stress_bvm_stale, stress_bvm_errs;

/* After @b lost page BVM_ODD to munmap() (@unmapped) or mprotect(). */
static bool stress_bvm_is_stale(struct bvm *b, bool unmapped)
{
	struct leaf l = bvm_leaf(b, BVM_ODD);

	return unmapped ? l.valid : l.valid && (l.desc & (1ULL << 7));
}

static void stress_bvm_change(struct bvm *b, uint64_t bp)
{
	uint8_t *odd = (uint8_t *)b->t.hva + BVM_ODD * b->page;
	unsigned int action = stress_rand() % 3;
	int err = 0;

	if (action == 0) {
		TEST_ASSERT(!munmap(odd, b->page), "munmap");
		stress_bvm_stale += stress_bvm_is_stale(b, true);
		err = bvm_touch(b, 0, 2 * bp, BVM_ODD, true);
		stress_bvm_stale += stress_bvm_is_stale(b, true);
	} else if (action == 1) {
		TEST_ASSERT(!mprotect(odd, b->page, PROT_READ), "mprotect");
		stress_bvm_stale += stress_bvm_is_stale(b, false);
		err = bvm_touch(b, 0, 2 * bp, BVM_NO_SKIP, false);
		stress_bvm_stale += stress_bvm_is_stale(b, false);
	} else {
		vm_set_enabled(&b->t, stress_rand() & 1);
		err = bvm_touch(b, 0, 2 * bp, BVM_NO_SKIP, true);
	}
	if (err) {
		ksft_print_msg("blocks VM %s: KVM_RUN: %s\n", b->t.name, strerror(err));
		stress_bvm_errs++;
	}
}

static void *stress_blocker(void *arg __maybe_unused)
{
	uint64_t bp = host_pmd / host_page;
	struct leaf l;
	struct bvm b;
	int err;

	while (!stress_stop) {
		bvm_create(&b, "nvgrace_contig", 2 * host_pmd, 0, STRESS_BVM_WINDOW, false);
		/* Fails harmlessly while s2attr is out */
		vm_set_enabled(&b.t, stress_rand() % 4);
		err = bvm_touch(&b, 0, 2 * bp, BVM_NO_SKIP, true);
		if (err) {
			ksft_print_msg("blocks VM %s: KVM_RUN: %s\n", b.t.name, strerror(err));
			stress_bvm_errs++;
		}
		l = bvm_leaf(&b, 0);
		stress_blocks += l.valid && l.level == 2;
		stress_bvm_change(&b, bp);
		__atomic_add_fetch(&stress_faults, vm_decisions(b.t.name), __ATOMIC_RELAXED);
		bvm_destroy(&b);
		stress_bvms++;
	}
	return NULL;
}

/* Every leaf agrees with the VM's final state: no stale Normal, no stale Device. */
static bool stress_vm_consistent(struct stress_vm *v, bool enabled)
{
	struct tvm t = { .vm = v->vm, .size = STRESS_WB_SIZE };
	uint64_t i, desc;
	bool valid, ok = true;
	enum s2 got;

	for (i = 0; i < STRESS_WB_SIZE / host_page; i++) {
		desc = s2_desc(&t, REGION_GPA + i * host_page, NULL, &valid);
		got = s2_decode(desc, valid);
		if (got != S2_UNMAPPED && got != (enabled ? S2_NORMAL : S2_DEVICE)) {
			ksft_print_msg("VM %s (enabled=%d): WB page %lu is %s\n", v->name,
				       enabled, i, s2_name[got]);
			ok = false;
			break;
		}
	}
	for (i = 0; i < STRESS_NC_SIZE / host_page && ok; i++) {
		desc = s2_desc(&t, STRESS_NC_GPA + i * host_page, NULL, &valid);
		got = s2_decode(desc, valid);
		if (got != S2_UNMAPPED && got != S2_DEVICE) {
			ksft_print_msg("VM %s: NC page %lu is %s\n", v->name, i, s2_name[got]);
			ok = false;
		}
	}
	return ok;
}

static int count_vm_dirs(void)
{
	char cmd[] = "ls " S2ATTR_SYSFS "/vms 2>/dev/null | wc -l";
	FILE *f = popen(cmd, "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/*
 * make stress: several VMs with several vCPUs fault through cacheable and
 * uncached PFNMAP memory while other threads toggle enabled and
 * default_enabled, create and destroy VMs, and reload s2attr; bounded in
 * time.  Run with s2attr loaded; arg_seconds from "seconds=N".
 */
static void case_stress(void)
{
	pthread_t helpers[4];
	void *(*helper_fn[4])(void *) = {
		stress_toggler, stress_default_toggler, stress_reloader, stress_creator,
	};
	uint64_t passes = 0;
	bool ok = true, enabled;
	int i, j, errs = 0;
	pthread_t blocker;
	char path[128];

	TEST_ASSERT(cpu_fwb, "the stress test needs FWB");
	for (i = 0; i < STRESS_VMS; i++) {
		stress_vm_create(&stress_vms[i]);
		for (j = 0; j < STRESS_VCPUS; j++) {
			struct stress_vcpu_arg *a = malloc(sizeof(*a));

			a->v = &stress_vms[i];
			a->i = j;
			pthread_create(&stress_vms[i].thread[j], NULL, stress_vcpu_thread, a);
		}
	}
	for (i = 0; i < 4; i++)
		pthread_create(&helpers[i], NULL, helper_fn[i], NULL);
	pthread_create(&blocker, NULL, stress_blocker, NULL);
	sleep(arg_seconds);
	stress_stop = true;
	for (i = 0; i < 4; i++)
		pthread_join(helpers[i], NULL);
	pthread_join(blocker, NULL);
	/* End with the module loaded, so that the final state is observable. */
	if (access(S2ATTR_SYSFS, F_OK))
		ok &= insmod_s2attr("");

	for (i = 0; i < STRESS_VMS; i++) {
		guest_set(stress_vms[i].vm, &guest_stop, 1);
		for (j = 0; j < STRESS_VCPUS; j++) {
			pthread_join(stress_vms[i].thread[j], NULL);
			passes += stress_vms[i].passes[j];
			errs += stress_vms[i].err[j] != 0;
			if (stress_vms[i].err[j])
				ksft_print_msg("VM %s vCPU %d: KVM_RUN: %s\n", stress_vms[i].name,
					       j, strerror(stress_vms[i].err[j]));
		}
	}
	stress_faults += stress_vms_decisions();
	printf("stress: seconds=%lu vms=%d vcpus=%d short_lived_vms=%lu passes=%lu "
	       "faults_decided>=%lu toggles=%lu default_writes=%lu reloads=%lu\n",
	       arg_seconds, STRESS_VMS, STRESS_VMS * STRESS_VCPUS, stress_created,
	       passes, stress_faults, stress_toggles, stress_defaults, stress_reloads);
	test_result(ok && !errs && passes >= STRESS_VMS * STRESS_VCPUS,
		    "stress: every vCPU ran to the end, %lu passes, no failed KVM_RUN\n",
		    passes);
	test_result(stress_reloads > 0 && stress_toggles > 0 && stress_created > 0,
		    "stress: %lu reloads, %lu toggles, %lu short-lived VMs\n",
		    stress_reloads, stress_toggles, stress_created);
	printf("stress: blocks: vms=%lu blocks_mapped=%lu stale_leaves=%lu failed_runs=%lu\n",
	       stress_bvms, stress_blocks, stress_bvm_stale, stress_bvm_errs);
	test_result(stress_blocks > 0 && !stress_bvm_stale && !stress_bvm_errs,
		    "stress: blocks: %lu VMs, %lu blocks mapped, no stale leaf after munmap or mprotect, no failed KVM_RUN\n",
		    stress_bvms, stress_blocks);

	for (i = 0; i < STRESS_VMS; i++) {
		vm_name_path(stress_vms[i].name, "enabled", path, sizeof(path));
		enabled = value_is(path, "1\n");
		ok = stress_vm_consistent(&stress_vms[i], enabled);
		test_result(ok, "stress: VM %d: every leaf agrees with enabled=%d\n", i, enabled);
	}
	for (i = 0; i < STRESS_VMS; i++)
		kvm_vm_free(stress_vms[i].vm);
	test_result(count_vm_dirs() == 0, "stress: no directory left for a dead VM\n");
}

/* A random write: sometimes valid, mostly garbage of random length. */
static size_t fuzz_input(char *buf, size_t max)
{
	static const char * const valid[] = { "0", "1", "0\n", "1\n" };
	unsigned int r = stress_rand();
	size_t i, len;

	if (r % 4 == 0) {
		strcpy(buf, valid[(r >> 2) % 4]);
		return strlen(buf);
	}
	len = (r >> 2) % max;
	for (i = 0; i < len; i++)
		buf[i] = (r & 8) ? "01\n \t-x"[stress_rand() % 7] : stress_rand();
	return len;
}

static bool fuzz_is_valid(const char *buf, size_t len, char *val)
{
	if ((len == 1 || (len == 2 && buf[1] == '\n')) && (buf[0] == '0' || buf[0] == '1')) {
		*val = buf[0];
		return true;
	}
	return false;
}

/*
 * Random bytes and lengths into every s2attr file, as root and as an
 * unprivileged user: a value changes only through a valid root write.
 */
static void case_fuzz(void)
{
	const char *files[8];
	char model[8], buf[80], path[8][128], want[3];
	int nfiles = 0, i, iter, bad = 0, denied = 0;
	struct tvm t;
	pid_t pid;

	tvm_create(&t, WB, 1);
	snprintf(path[0], sizeof(path[0]), S2ATTR_SYSFS "/default_enabled");
	vm_path(&t, "enabled", path[1], sizeof(path[1]));
	snprintf(path[2], sizeof(path[2]), S2ATTR_SYSFS "/fwb");
	snprintf(path[3], sizeof(path[3]), S2ATTR_SYSFS "/dic");
	vm_path(&t, "faults_normal", path[4], sizeof(path[4]));
	vm_path(&t, "refused_nofwb", path[5], sizeof(path[5]));
	for (i = 0; i < 6; i++) {
		files[nfiles++] = path[i];
		TEST_ASSERT(!sysfs_read(path[i], buf, sizeof(buf)), "read %s", path[i]);
		model[i] = buf[0];
	}

	for (iter = 0; iter < 3000; iter++) {
		size_t len = fuzz_input(buf, sizeof(buf));
		int f = stress_rand() % nfiles, ret;
		char val;

		ret = sysfs_write(files[f], buf, len);
		if (f < 2 && fuzz_is_valid(buf, len, &val) && !ret)
			model[f] = val;
		else if (ret == 0 && len)
			bad++;	/* a write that should have failed succeeded */
		TEST_ASSERT(!sysfs_read(files[f], buf, sizeof(buf)), "read %s", files[f]);
		if (buf[0] != model[f]) {
			ksft_print_msg("%s: reads %c, want %c\n", files[f], buf[0], model[f]);
			bad++;
		}
	}
	test_result(!bad, "fuzz: 3000 random writes as root, values change only on valid writes\n");

	pid = fork();
	if (!pid) {
		int n = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		for (iter = 0; iter < 500; iter++) {
			size_t len = fuzz_input(buf, sizeof(buf));

			n += sysfs_write(files[stress_rand() % nfiles], buf, len) == -EACCES;
		}
		_exit(n == 500 ? 0 : 1);
	}
	waitpid(pid, &i, 0);
	denied = WIFEXITED(i) && WEXITSTATUS(i) == 0;
	for (i = 0; i < nfiles; i++) {
		snprintf(want, sizeof(want), "%c\n", model[i]);
		denied &= value_is(files[i], want);
	}
	test_result(denied, "fuzz: an unprivileged user cannot write any file, values kept\n");
	tvm_destroy(&t);
}

static const struct suite suites[] = {
	{ "stress",	{ case_stress, case_fuzz } },
};

int main(int argc, char **argv)
{
	s2attr_main(argc, argv, suites, ARRAY_SIZE(suites));
}
