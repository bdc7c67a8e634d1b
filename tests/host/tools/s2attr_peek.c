// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_peek: the stage-2 descriptor of another process's VM, for the
 * real-VMM test.  The oracle takes a VM fd of its caller; this takes a
 * copy of the VMM's with pidfd_getfd() (root, or ptrace rights over the
 * VMM), named as s2attr and debugfs name the VM: "<pid>-<fd>".
 *
 * Usage: s2attr_peek <pid>-<fd> IPA
 * Prints: "<name> ipa 0x.. desc 0x.. level N valid 0|1 memattr 0x.."
 *
 * Usage: s2attr_peek <pid>-<fd> IPA LEN
 * Walks [IPA, IPA + LEN) leaf by leaf and prints the valid leaves there,
 * each a stage-2 fault: "<name> ipa 0x.. len 0x.. leaves N level2 N
 * level3 N" (level 1 and 2 are blocks, level 3 pages).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../modules/s2attr_test.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

/*
 * The size an entry of LEVEL maps with the host's granule (4 KiB: 1 GiB,
 * 2 MiB, 4 KiB; 64 KiB: 4 TiB, 512 MiB, 64 KiB).
 */
static unsigned long long level_size(unsigned int level)
{
	unsigned int shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));

	return 1ULL << (shift + (3 - level) * (shift - 3));
}

/* walk: count the valid leaves of [q->ipa, q->ipa + len). */
static int walk(int oracle, struct s2attr_oracle_query *q, const char *name,
		unsigned long long len)
{
	unsigned long long ipa = q->ipa, end = q->ipa + len, n[4] = { 0 };

	while (ipa < end) {
		q->ipa = ipa;
		if (ioctl(oracle, S2ATTR_ORACLE_QUERY, q) || q->level > 3) {
			fprintf(stderr, "s2attr_peek: %s at 0x%llx: %s\n", name, ipa,
				strerror(errno));
			return 1;
		}
		n[q->level] += q->valid;
		ipa = (ipa & ~(level_size(q->level) - 1)) + level_size(q->level);
	}
	printf("%s ipa 0x%llx len 0x%llx leaves %llu level2 %llu level3 %llu\n",
	       name, end - len, len, n[1] + n[2] + n[3], n[2], n[3]);
	return 0;
}

int main(int argc, char **argv)
{
	struct s2attr_oracle_query q = { 0 };
	int pid, fd, pidfd, oracle;

	if ((argc != 3 && argc != 4) || sscanf(argv[1], "%d-%d", &pid, &fd) != 2) {
		fprintf(stderr, "usage: s2attr_peek <pid>-<fd> IPA [LEN]\n");
		return 2;
	}
	q.ipa = strtoull(argv[2], NULL, 0);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "s2attr_peek: pidfd_open %d: %s\n", pid, strerror(errno));
		return 1;
	}
	q.vm_fd = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	oracle = open("/dev/s2attr_oracle", O_RDWR);
	if (argc == 4 && q.vm_fd >= 0 && oracle >= 0)
		return walk(oracle, &q, argv[1], strtoull(argv[3], NULL, 0));
	if (q.vm_fd < 0 || oracle < 0 || ioctl(oracle, S2ATTR_ORACLE_QUERY, &q)) {
		fprintf(stderr, "s2attr_peek: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("%s ipa 0x%llx desc 0x%016llx level %u valid %u memattr 0x%llx\n",
	       argv[1], (unsigned long long)q.ipa, (unsigned long long)q.desc,
	       q.level, q.valid, (unsigned long long)S2_DESC_MEMATTR(q.desc));
	return 0;
}
