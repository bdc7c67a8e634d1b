// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attrctl: list the VMs s2attr knows, enable or disable them, and load
 * the policy that enables VMs as they are created.
 *
 *   s2attrctl list [--json]
 *   s2attrctl enable|disable NAME | --pid PID | --guest GUEST
 *   s2attrctl policy load [FILE]     (default /etc/s2attr/policy)
 *   s2attrctl policy check [FILE]
 *   s2attrctl policy show
 *
 * Every error is one line on stderr and a non-zero exit: 2 for a usage
 * error, 1 for anything else.  Nothing is changed unless every argument
 * is valid and every VM named exists.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2attr_rules.h"

#define SYS		"/sys/kernel/s2attr"
#define POLICY_FILE	"/etc/s2attr/policy"
#define MAX_VMS		1024
#define POLICY_MAX	(S2ATTR_POLICY_MAX - 1)	/* what one sysfs write takes */

static const char * const counters[] = {
	"faults_normal", "faults_stock", "refused_nofwb", "refused_exec",
	"refused_mte",
};
#define NR_COUNTERS	(sizeof(counters) / sizeof(counters[0]))

struct vm {
	char			name[32];
	int			pid;
	char			comm[32];
	char			guest[S2ATTR_GUEST_LEN];
	int			enabled;
	unsigned long long	counter[NR_COUNTERS];
};

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("s2attrctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((noreturn)) usage(const char *why)
{
	die(2, "%s (usage: s2attrctl list [--json] | enable|disable NAME|--pid PID|--guest GUEST | policy load|check [FILE] | policy show)",
	    why);
}

/* Read a small file; the length read, or -1 with errno set. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* The kernel has the shim when its symbols are listed, to anyone. */
static bool kernel_has_shim(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " kvm_s2attr_register") != NULL;
	fclose(f);
	return found;
}

static void need_s2attr(void)
{
	if (!access(SYS, F_OK))
		return;
	if (kernel_has_shim())
		die(1, "s2attr is not loaded (%s is missing): modprobe s2attr", SYS);
	die(1, "this kernel has no s2attr KVM shim (CONFIG_KVM_S2ATTR_HOOK): s2attr cannot be used on it");
}

static void need_root(void)
{
	if (geteuid())
		die(1, "permission denied: changing s2attr needs root");
}

/* ---- QEMU's guest name: the module's own parser ---------------------- */

/* The guest name from -name/--name on @pid's command line, or "". */
static void pid_guest(int pid, char *guest, size_t size)
{
	static char argv[S2ATTR_ARGV_MAX + 1];
	char path[64];
	ssize_t len;

	*guest = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	len = read_file(path, argv, sizeof(argv));
	if (len > 0)
		s2attr_argv_guest(argv, len + 1, guest, size);
}

/* ---- the VMs --------------------------------------------------------- */

static bool vm_read(const char *name, struct vm *vm)
{
	char path[128], buf[64];
	size_t i;

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->pid = atoi(name);
	snprintf(path, sizeof(path), SYS "/vms/%.31s/enabled", name);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return false;	/* gone meanwhile */
	vm->enabled = buf[0] == '1';
	for (i = 0; i < NR_COUNTERS; i++) {
		snprintf(path, sizeof(path), SYS "/vms/%.31s/%s", name, counters[i]);
		if (read_file(path, buf, sizeof(buf)) > 0)
			vm->counter[i] = strtoull(buf, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", vm->pid);
	if (read_file(path, vm->comm, sizeof(vm->comm)) <= 0)
		strcpy(vm->comm, "?");
	vm->comm[strcspn(vm->comm, "\n")] = '\0';
	pid_guest(vm->pid, vm->guest, sizeof(vm->guest));
	return true;
}

static int vm_cmp(const void *a, const void *b)
{
	const struct vm *x = a, *y = b;

	return x->pid != y->pid ? (x->pid > y->pid) - (x->pid < y->pid) :
	       strcmp(x->name, y->name);
}

/* Every VM, sorted by pid; their number. */
static size_t vms_read(struct vm *vms)
{
	DIR *d = opendir(SYS "/vms");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		die(1, "%s/vms: %s", SYS, strerror(errno));
	while ((e = readdir(d)) && n < MAX_VMS)
		if (e->d_name[0] != '.' && vm_read(e->d_name, &vms[n]))
			n++;
	closedir(d);
	qsort(vms, n, sizeof(*vms), vm_cmp);
	return n;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void list_json(const struct vm *vms, size_t n)
{
	size_t i, c;

	putchar('[');
	for (i = 0; i < n; i++) {
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_string(vms[i].name);
		printf(", \"pid\": %d, \"comm\": ", vms[i].pid);
		json_string(vms[i].comm);
		printf(", \"guest\": ");
		if (*vms[i].guest)
			json_string(vms[i].guest);
		else
			printf("null");
		printf(", \"enabled\": %s", vms[i].enabled ? "true" : "false");
		for (c = 0; c < NR_COUNTERS; c++)
			printf(", \"%s\": %llu", counters[c], vms[i].counter[c]);
		putchar('}');
	}
	printf("%s]\n", n ? "\n" : "");
}

static void list_text(const struct vm *vms, size_t n)
{
	size_t i;

	printf("%-12s %7s %-16s %-20s %7s %13s %12s %13s %12s %11s\n",
	       "VM", "PID", "COMM", "GUEST", "ENABLED", "FAULTS_NORMAL",
	       "FAULTS_STOCK", "REFUSED_NOFWB", "REFUSED_EXEC", "REFUSED_MTE");
	for (i = 0; i < n; i++)
		printf("%-12s %7d %-16s %-20s %7d %13llu %12llu %13llu %12llu %11llu\n",
		       vms[i].name, vms[i].pid, vms[i].comm,
		       *vms[i].guest ? vms[i].guest : "-", vms[i].enabled,
		       vms[i].counter[0], vms[i].counter[1], vms[i].counter[2],
		       vms[i].counter[3], vms[i].counter[4]);
}

static struct vm vms[MAX_VMS];

static int cmd_list(int argc, char **argv)
{
	bool json = false;
	size_t n;

	if (argc > 1 && !strcmp(argv[1], "--json"))
		json = true;
	else if (argc > 1)
		usage("list: unknown argument");
	if (argc > 2)
		usage("list: too many arguments");
	need_s2attr();
	n = vms_read(vms);
	if (json)
		list_json(vms, n);
	else
		list_text(vms, n);
	return 0;
}

/* A VM name as the module makes them: "<pid>-<fd>", decimal, no sign. */
static bool name_is_valid(const char *s)
{
	size_t pid = strspn(s, "0123456789");

	return pid && pid < 11 && s[pid] == '-' && s[pid + 1] &&
	       strspn(s + pid + 1, "0123456789") == strlen(s + pid + 1) &&
	       strlen(s + pid + 1) < 11;
}

static int parse_pid(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v <= 0 || v > 0x3fffffff)
		usage("--pid: expected a process id");
	return v;
}

static bool vm_selected(const struct vm *vm, const char *key, const char *val)
{
	if (!strcmp(key, "--pid"))
		return vm->pid == atoi(val);
	if (!strcmp(key, "--guest"))
		return !strcmp(vm->guest, val);
	return !strcmp(vm->name, val);
}

static void vm_write_enabled(const struct vm *vm, bool on)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), SYS "/vms/%.31s/enabled", vm->name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, on ? "1\n" : "0\n", 2) != 2)
		die(1, "VM %s: cannot %s it: %s", vm->name,
		    on ? "enable" : "disable",
		    errno == ENOENT ? "it went away" : strerror(errno));
	close(fd);
}

static int cmd_enable(int argc, char **argv, bool on)
{
	const char *key = "", *val;
	size_t n, i, hit = 0;

	if (argc == 3 && (!strcmp(argv[1], "--pid") || !strcmp(argv[1], "--guest"))) {
		key = argv[1];
		val = argv[2];
		if (!strcmp(key, "--pid"))
			parse_pid(val);
		else if (!*val || strlen(val) >= S2ATTR_GUEST_LEN)
			usage("--guest: expected a guest name of 1 to 63 characters");
	} else if (argc == 2 && argv[1][0] != '-') {
		val = argv[1];
		if (!name_is_valid(val))
			die(2, "'%s' is not a VM name: expected <pid>-<fd>, as s2attrctl list shows", val);
	} else {
		usage(argc < 2 ? "which VM?" : "expected one of NAME, --pid PID, --guest GUEST");
	}
	need_root();
	need_s2attr();

	n = vms_read(vms);
	for (i = 0; i < n; i++)
		hit += vm_selected(&vms[i], key, val);
	if (!hit)
		die(1, "no such VM: %s%s%s", key, *key ? " " : "", val);
	for (i = 0; i < n; i++)
		if (vm_selected(&vms[i], key, val))
			vm_write_enabled(&vms[i], on);
	return 0;
}

/* ---- the policy ------------------------------------------------------ */

static bool is_printable(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

/* What is wrong with one "exe=" or "guest=" word, or NULL. */
static const char *field_check(const char *tok, bool *exe, bool *guest)
{
	if (!is_printable(tok))
		return "only printable ASCII in values";
	if (!strncmp(tok, "exe=", 4)) {
		if (*exe || tok[4] != '/' || strlen(tok + 4) >= S2ATTR_EXE_LEN)
			return "exe= needs one absolute path shorter than 256 bytes";
		return *exe = true, NULL;
	}
	if (!strncmp(tok, "guest=", 6)) {
		if (*guest || !tok[6] || strlen(tok + 6) >= S2ATTR_GUEST_LEN)
			return "guest= needs one name of 1 to 63 characters";
		return *guest = true, NULL;
	}
	return "unknown word: expected exe=PATH or guest=NAME";
}

/*
 * One rule, as the module takes it: "enable" or "disable", then
 * "exe=/PATH" and "guest=NAME" at most once each.  Appended to @out,
 * normalised.  NULL, or what is wrong.
 */
static const char *rule_check(char *line, char *out, size_t *len)
{
	bool exe = false, guest = false;
	const char *err;
	char *tok, *save;

	tok = strtok_r(line, " \t", &save);
	if (strcmp(tok, "enable") && strcmp(tok, "disable"))
		return "expected 'enable' or 'disable' first";
	*len += sprintf(out + *len, "%s", tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		err = field_check(tok, &exe, &guest);
		if (err)
			return err;
		*len += sprintf(out + *len, " %s", tok);
	}
	*len += sprintf(out + *len, "\n");
	return NULL;
}

/* Read and check a policy file into @out; exits on the first error. */
static size_t policy_read(const char *path, bool missing_ok, char *out)
{
	size_t len = 0, nr = 0, lineno = 0, cap = 0;
	char *line = NULL, *p;
	const char *err;
	ssize_t n;
	FILE *f = fopen(path, "re");

	if (!f && errno == ENOENT && missing_ok)
		return 0;
	if (!f)
		die(1, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (strlen(line) != (size_t)n)
			die(1, "%s:%zu: NUL byte in the line", path, lineno);
		if (n > 1000)
			die(1, "%s:%zu: line too long", path, lineno);
		line[strcspn(line, "#\n")] = '\0';
		p = line + strspn(line, " \t");
		if (!*p)
			continue;
		if (++nr > S2ATTR_RULES_MAX)
			die(1, "%s:%zu: more than %d rules", path, lineno, S2ATTR_RULES_MAX);
		err = rule_check(p, out, &len);
		if (err)
			die(1, "%s:%zu: %s", path, lineno, err);
		if (len > POLICY_MAX)
			die(1, "%s: the rules take more than %d bytes", path, POLICY_MAX);
	}
	free(line);
	fclose(f);
	return len;
}

static void policy_write(const char *rules, size_t len)
{
	int fd = open(SYS "/policy", O_WRONLY | O_CLOEXEC);

	/* An empty policy is a lone newline: sysfs drops empty writes. */
	if (!len)
		rules = "\n", len = 1;
	if (fd < 0)
		die(1, "%s/policy: %s", SYS, strerror(errno));
	if (write(fd, rules, len) != (ssize_t)len)
		die(1, "%s/policy: the module refused the rules: %s", SYS,
		    strerror(errno));
	close(fd);
}

static int cmd_policy(int argc, char **argv)
{
	static char rules[POLICY_MAX + 1200];
	const char *path = argc > 2 ? argv[2] : POLICY_FILE;
	size_t len;

	if (argc < 2)
		usage("policy: load, check or show?");
	if (!strcmp(argv[1], "show") && argc == 2) {
		need_s2attr();
		if (read_file(SYS "/policy", rules, sizeof(rules)) < 0)
			die(1, "%s/policy: %s", SYS, strerror(errno));
		fputs(rules, stdout);
		return 0;
	}
	if (argc > 3 || (strcmp(argv[1], "load") && strcmp(argv[1], "check")))
		usage("policy: expected load [FILE], check [FILE] or show");
	if (!strcmp(argv[1], "load")) {
		need_root();
		need_s2attr();
	}
	len = policy_read(path, argc == 2, rules);
	if (!strcmp(argv[1], "load"))
		policy_write(rules, len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage("no command");
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "enable") || !strcmp(argv[1], "disable"))
		return cmd_enable(argc - 1, argv + 1, argv[1][0] == 'e');
	if (!strcmp(argv[1], "policy"))
		return cmd_policy(argc - 1, argv + 1);
	usage("unknown command");
}
