/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * s2attr: the policy's rules as the module and s2attrctl both read them.
 * Their limits, and the guest name on a QEMU command line that a guest=
 * rule matches.  s2attrctl checks a policy file against the module's
 * limits and lists the guest name the module matched: one definition
 * of each, so that the two cannot disagree.  Plain C on both sides: no
 * kernel-only helper below.
 */
#ifndef __S2ATTR_RULES_H
#define __S2ATTR_RULES_H

#ifdef __KERNEL__
#include <linux/string.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#endif

/*
 * Limits of the policy: the size of a write, rules, and the lengths of
 * their values, NULs included.  A write is shorter than one 4 KiB page,
 * whatever the host's page size, so that a policy means the same on every
 * host and its normalised form always fits the page sysfs shows it in.
 */
#define S2ATTR_POLICY_MAX	4096
#define S2ATTR_RULES_MAX	32
#define S2ATTR_EXE_LEN		256
#define S2ATTR_GUEST_LEN	64

/*
 * How much of a VMM's command line is searched for -name, by the module
 * and by s2attrctl: libvirt puts it first, right after the executable.
 */
#define S2ATTR_ARGV_MAX		16384

/* The next element of a QEMU option string, ",," standing for ','. */
static inline const char *s2attr_opt_next(const char *p, char *elem, size_t size)
{
	size_t n = 0;

	for (; *p && (*p != ',' || p[1] == ','); p++) {
		if (*p == ',')
			p++;
		if (n + 1 < size)
			elem[n++] = *p;
		else
			n = size;	/* too long: no value */
	}
	elem[n < size ? n : 0] = '\0';
	return *p ? p + 1 : p;
}

/*
 * The guest name in the value of -name: "NAME,..." or "guest=NAME,...".
 * A name that does not fit is no name rather than a prefix of one.
 */
static inline void s2attr_opt_guest(const char *opts, char *guest, size_t size)
{
	char elem[S2ATTR_GUEST_LEN + 6];
	const char *name;
	bool first = true;
	size_t len;

	while (*opts) {
		opts = s2attr_opt_next(opts, elem, sizeof(elem));
		if (!strncmp(elem, "guest=", 6))
			name = elem + 6;
		else if (first && !strchr(elem, '='))
			name = elem;
		else
			name = NULL;
		if (name) {
			len = strlen(name);
			if (len < size)
				memcpy(guest, name, len + 1);
			else
				*guest = '\0';
		}
		first = false;
	}
}

/**
 * s2attr_argv_guest() - the guest name on a QEMU command line
 * @argv: the arguments, each NUL-terminated, as in /proc/<pid>/cmdline
 * @len: the length of @argv, its last byte a NUL
 * @guest: set to the name given by the last "-name" or "--name", or to ""
 * @size: the size of @guest; a longer name is no name
 */
static inline void s2attr_argv_guest(const char *argv, size_t len, char *guest,
				     size_t size)
{
	const char *end = argv + len;
	const char *arg, *val;

	*guest = '\0';
	for (arg = argv; arg < end; arg = val) {
		val = arg + strlen(arg) + 1;
		if (val < end && (!strcmp(arg, "-name") || !strcmp(arg, "--name")))
			s2attr_opt_guest(val, guest, size);
	}
}

#endif /* __S2ATTR_RULES_H */
