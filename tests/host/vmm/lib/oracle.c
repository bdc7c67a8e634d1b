// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stage-2 oracle's client: the leaf descriptor KVM installed for an
 * IPA, read from the page tables by tests/host/modules/s2attr_test_oracle.c,
 * and what it says about the memory type.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "s2attr_vmm.h"

const char * const s2_name[] = {
	"Device-nGnRE", "Normal-WB", "Normal-NC", "unmapped", "unexpected MemAttr",
};

static int oracle_fd = -1;

uint64_t s2_desc(struct tvm *t, uint64_t ipa, uint32_t *level, bool *valid)
{
	struct s2attr_oracle_query q = { .vm_fd = t->vm->fd, .ipa = ipa };

	if (oracle_fd < 0)
		oracle_fd = open("/dev/s2attr_oracle", O_RDWR);
	TEST_ASSERT(oracle_fd >= 0, "/dev/s2attr_oracle: %s", strerror(errno));
	TEST_ASSERT(!ioctl(oracle_fd, S2ATTR_ORACLE_QUERY, &q),
		    "oracle query failed: %s", strerror(errno));
	TEST_ASSERT(q.fwb == cpu_fwb, "stage-2 FWB %u, CPU model says %d",
		    q.fwb, cpu_fwb);
	if (level)
		*level = q.level;
	*valid = q.valid;
	return q.desc;
}

enum s2 s2_decode(uint64_t desc, bool valid)
{
	if (!valid)
		return S2_UNMAPPED;
	switch (S2_DESC_MEMATTR(desc)) {
	case S2_MEMATTR_DEVICE_NGNRE:
		return S2_DEVICE;
	case S2_MEMATTR_NORMAL_NC:
		return S2_NORMAL_NC;
	case S2_MEMATTR_FWB_NORMAL:
		return cpu_fwb ? S2_NORMAL : S2_OTHER;
	case S2_MEMATTR_NORMAL_WB:
		return cpu_fwb ? S2_OTHER : S2_NORMAL;
	default:
		return S2_OTHER;
	}
}

/*
 * Print the descriptor of the region's first page, "<prefix> <when> IPA
 * ...", with the level and the size its leaf maps at the host's granule.
 */
enum s2 s2_show(struct tvm *t, const char *prefix, const char *when)
{
	uint64_t desc, size;
	uint32_t level;
	bool valid;

	desc = s2_desc(t, REGION_GPA, &level, &valid);
	size = s2_level_size(level);
	printf("%s %-7s IPA 0x%llx -> stage-2 descriptor 0x%016lx, level %u (%lu %ciB %s), MemAttr 0b%d%d%d%d: %s\n",
	       prefix, when, REGION_GPA, desc, level,
	       size >> (size >= (1 << 20) ? 20 : 10), size >= (1 << 20) ? 'M' : 'K',
	       level == 3 ? "page" : "block",
	       !!(S2_DESC_MEMATTR(desc) & 8), !!(S2_DESC_MEMATTR(desc) & 4),
	       !!(S2_DESC_MEMATTR(desc) & 2), !!(S2_DESC_MEMATTR(desc) & 1),
	       s2_name[s2_decode(desc, valid)]);
	return s2_decode(desc, valid);
}

/* Every page of the region must be mapped as @want; reports one result. */
bool expect_region(struct tvm *t, enum s2 want, const char *what)
{
	uint64_t i, desc = 0;
	bool valid = false;
	enum s2 got = want;

	for (i = 0; i < t->size / host_page && got == want; i++) {
		desc = s2_desc(t, REGION_GPA + i * host_page, NULL, &valid);
		got = s2_decode(desc, valid);
	}
	if (got != want)
		ksft_print_msg("%s: page %lu: %s, want %s (desc 0x%016lx)\n",
			       what, i - 1, s2_name[got], s2_name[want], desc);
	test_result(got == want, "%s: %s\n", what, s2_name[want]);
	return got == want;
}

/* How many pages of the region the oracle finds mapped as @want. */
uint64_t count_region(struct tvm *t, enum s2 want)
{
	uint64_t i, n = 0, desc;
	bool valid;

	for (i = 0; i < t->size / host_page; i++) {
		desc = s2_desc(t, REGION_GPA + i * host_page, NULL, &valid);
		n += s2_decode(desc, valid) == want;
	}
	return n;
}

/*
 * The size a leaf at @level maps: a table level resolves page_shift - 3
 * bits, the last level (3) the page offset.
 */
uint64_t s2_level_size(uint32_t level)
{
	return 1ULL << (host_page_shift + (3 - level) * (host_page_shift - 3));
}

/*
 * How many stage-2 leaves map the region: each fault installs one leaf, so
 * this is the number of stage-2 faults the region took.
 */
uint64_t count_leaves(struct tvm *t)
{
	uint64_t ipa = REGION_GPA, end = REGION_GPA + t->size, n = 0;
	uint32_t level;
	bool valid;

	while (ipa < end) {
		s2_desc(t, ipa, &level, &valid);
		n += valid;
		ipa = (ipa | (s2_level_size(level) - 1)) + 1;
	}
	return n;
}

/* Is the page of the guest's own code, which is RAM, still mapped? */
bool ram_is_mapped(struct tvm *t)
{
	bool valid;

	s2_desc(t, addr_gva2gpa(t->vm, (vm_vaddr_t)guest_code), NULL, &valid);
	return valid;
}
