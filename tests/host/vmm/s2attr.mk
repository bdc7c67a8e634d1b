# SPDX-License-Identifier: GPL-2.0
#
# The s2attr test programs, built by the KVM selftest Makefile of the
# kernel under test, which this file extends:
#
#   make -C <tree>/tools/testing/selftests/kvm -f Makefile -f <this file> \
#	TEST_GEN_PROGS_aarch64="aarch64/s2attr/s2attr_types ..."
#
# with tests/host/vmm/ copied to aarch64/s2attr/ of that directory.  The test
# library (lib/) is compiled once and linked into every program, after the
# selftest library: 6.12 links $(LIBKVM_OBJS), 6.1 a program's
# prerequisites.

S2ATTR_LIB_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(wildcard aarch64/s2attr/lib/*.c))

$(shell mkdir -p $(OUTPUT)/aarch64/s2attr/lib)

LIBKVM_OBJS += $(S2ATTR_LIB_OBJS)

$(S2ATTR_LIB_OBJS): $(OUTPUT)/%.o: %.c
	$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c $< -o $@

$(TEST_GEN_PROGS): $(S2ATTR_LIB_OBJS)

-include $(S2ATTR_LIB_OBJS:.o=.d)
