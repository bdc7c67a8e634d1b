// SPDX-License-Identifier: GPL-2.0-only
/*
 * s2attr_vfio: the host's own view of a vfio-pci device, for the real-stack
 * test (tests/gpu/host/gpu.sh).  It opens the device through its IOMMU group
 * and a type1v2 container, as QEMU does, so it can run only while no VMM
 * holds the group.
 *
 * Usage:
 *   s2attr_vfio BDF regions
 *	one line per region with a size: "region N size BYTES mmap 0|1"
 *   s2attr_vfio BDF expect REGION OFFSET TEXT
 *	maps REGION through the device fd (the driver's own mmap(), as QEMU
 *	maps it) and compares the bytes at OFFSET with TEXT; prints what it
 *	found; exit status 0 if equal, 1 if not
 *
 * Exit status 2: bad arguments; 3: the device could not be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

static int s2attr_vfio_fail(const char *what, const char *bdf)
{
	fprintf(stderr, "s2attr_vfio: %s %s: %s\n", what, bdf, strerror(errno));
	return -1;
}

/* The device fd of BDF, through its group and a fresh type1v2 container. */
static int s2attr_vfio_open(const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char link[PATH_MAX], path[PATH_MAX];
	int container, group, device;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return s2attr_vfio_fail("no IOMMU group for", bdf);
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));

	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0)
		return s2attr_vfio_fail("cannot open the vfio group of", bdf);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = errno ? errno : EBUSY;
		return s2attr_vfio_fail("group not viable for", bdf);
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return s2attr_vfio_fail("no type1v2 container for", bdf);
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		return s2attr_vfio_fail("cannot get the device fd of", bdf);
	return device;
}

static int s2attr_vfio_region(int device, unsigned int index,
			      struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(device, VFIO_DEVICE_GET_REGION_INFO, info);
}

static int s2attr_vfio_regions(int device)
{
	struct vfio_region_info info;
	unsigned int i;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		if (s2attr_vfio_region(device, i, &info) || !info.size)
			continue;
		printf("region %u size %llu mmap %d\n", i,
		       (unsigned long long)info.size,
		       !!(info.flags & VFIO_REGION_INFO_FLAG_MMAP));
	}
	return 0;
}

static int s2attr_vfio_expect(int device, unsigned int index,
			      unsigned long long offset, const char *text)
{
	size_t len = strlen(text);
	struct vfio_region_info info;
	char *map;
	int same;

	if (s2attr_vfio_region(device, index, &info) ||
	    !(info.flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    offset > info.size || len > info.size - offset) {
		fprintf(stderr, "s2attr_vfio: region %u: no mmap of %zu bytes at 0x%llx\n",
			index, len, offset);
		return 2;
	}
	map = mmap(NULL, info.size, PROT_READ, MAP_SHARED, device, info.offset);
	if (map == MAP_FAILED) {
		fprintf(stderr, "s2attr_vfio: mmap region %u: %s\n", index, strerror(errno));
		return 3;
	}
	same = !memcmp(map + offset, text, len);
	printf("region %u at 0x%llx: \"%.*s\"\n", index, offset, (int)len, map + offset);
	munmap(map, info.size);
	return same ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned long long offset;
	unsigned int index;
	char *end;
	int device;

	if (argc == 3 && !strcmp(argv[2], "regions")) {
		device = s2attr_vfio_open(argv[1]);
		return device < 0 ? 3 : s2attr_vfio_regions(device);
	}
	if (argc != 6 || strcmp(argv[2], "expect"))
		goto usage;
	index = strtoul(argv[3], &end, 0);
	if (*end || index > VFIO_PCI_BAR5_REGION_INDEX)
		goto usage;
	offset = strtoull(argv[4], &end, 0);
	if (*end || !*argv[5])
		goto usage;
	device = s2attr_vfio_open(argv[1]);
	return device < 0 ? 3 : s2attr_vfio_expect(device, index, offset, argv[5]);
usage:
	fprintf(stderr, "usage: s2attr_vfio BDF regions\n"
			"       s2attr_vfio BDF expect REGION OFFSET TEXT\n");
	return 2;
}
