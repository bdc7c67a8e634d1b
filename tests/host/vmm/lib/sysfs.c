// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr's sysfs files (the ABI under test), the provider's module
 * parameters, and loading and unloading s2attr.
 */
#include <fcntl.h>
#include <unistd.h>

#include "s2attr_vmm.h"

#define S2ATTR_KO	"/lib/modules/s2attr.ko"
#define PROVIDER_PARAMS	"/sys/module/s2attr_test_provider/parameters/"

int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Write @len bytes of @val; 0 or -errno of the write. */
int sysfs_write(const char *path, const char *val, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	return n < 0 ? -errno : 0;
}

bool value_is(const char *path, const char *want)
{
	char buf[32];

	return !sysfs_read(path, buf, sizeof(buf)) && !strcmp(buf, want);
}

/* @file in the sysfs directory of the VM called @vm ("" for the directory) */
void vm_name_path(const char *vm, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, S2ATTR_SYSFS "/vms/%s%s%s", vm, *file ? "/" : "", file);
}

void vm_path(const struct tvm *t, const char *file, char *buf, size_t len)
{
	vm_name_path(t->name, file, buf, len);
}

int vm_set_enabled(const struct tvm *t, bool on)
{
	char path[128];

	vm_path(t, "enabled", path, sizeof(path));
	return sysfs_write(path, on ? "1\n" : "0\n", 2);
}

/* Counter @name of the VM called @vm, or -1 if it cannot be read. */
long long vm_name_counter(const char *vm, const char *name)
{
	char path[128], buf[32];

	vm_name_path(vm, name, path, sizeof(path));
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

long long vm_counter(const struct tvm *t, const char *name)
{
	return vm_name_counter(t->name, name);
}

/* One result: counter @name of @t equals @want, which the oracle saw. */
void expect_counter(const struct tvm *t, const char *name, long long want,
		    const char *what)
{
	long long got = vm_counter(t, name);

	test_result(got == want, "counters: %s: %s = %lld (want %lld)\n",
		    what, name, got, want);
}

static unsigned long long provider_param(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PROVIDER_PARAMS "%s", name);
	TEST_ASSERT(!sysfs_read(path, buf, sizeof(buf)), "provider not loaded");
	return strtoull(buf, NULL, 0);
}

/* Physical base of the provider's memory, as its module parameter says. */
unsigned long long provider_base(void)
{
	return provider_param("base");
}

long long provider_pmd_faults(void)
{
	return provider_param("pmd_faults");
}

bool insmod_s2attr(const char *args)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "insmod " S2ATTR_KO " %s", args);
	return !system(cmd);
}

bool rmmod_s2attr(void)
{
	return !system("rmmod s2attr");
}
