# SPDX-License-Identifier: GPL-2.0
#
# Developer entry points.  The module itself is built by Kbuild:
#   make KDIR=<kernel tree>          build s2attr.ko for that tree
#   make s2attrctl                   the control command, for this host
#   make kernel SERIES=6.12          patched, built test kernel in build/
#   make demo                        Device -> Normal, shown in a QEMU guest
#   make check                       every test, ends in "N passed, M failed"
#   make mutate                      mutation check of the KUnit suite
#   make bench                       fault-path benchmark, build/bench.csv
#   make stress [SECONDS=600]        debug kernel under load and fuzzing
#   make pkgtest                     DKMS and Debian package, the real flow

SERIES	?= 6.12
KDIR	?= $(CURDIR)/build/linux-$(SERIES)

ifneq ($(shell uname -m),aarch64)
KARGS	:= ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
else
KARGS	:= ARCH=arm64
endif

.PHONY: all modules s2attrctl clean deps kernel demo check mutate bench stress pkgtest

all: modules

modules:
	@test -f $(KDIR)/include/config/auto.conf || \
		{ echo "KDIR=$(KDIR) is not a configured kernel tree (try: make kernel SERIES=$(SERIES))" >&2; exit 1; }
	@grep -q '^CONFIG_KVM_S2ATTR_HOOK=y' $(KDIR)/include/config/auto.conf || \
		{ echo "KDIR=$(KDIR) lacks the s2attr shim: apply patches/<series>/ and set CONFIG_KVM_S2ATTR_HOOK=y" >&2; exit 1; }
	$(MAKE) -C $(KDIR) $(KARGS) M=$(CURDIR) modules

s2attrctl:
	$(MAKE) -C tools

clean:
	@if [ -f $(KDIR)/Makefile ]; then $(MAKE) -C $(KDIR) $(KARGS) M=$(CURDIR) clean; fi

deps:
	scripts/deps.sh

kernel: deps
	scripts/kernel.sh $(SERIES) $(if $(DEBUG),debug)

demo: deps
	scripts/demo.sh

check: deps
	scripts/check.sh

pkgtest: deps
	scripts/pkgtest.sh $(SERIES)

stress: deps
	scripts/stress.sh $(SECONDS)

bench: deps
	scripts/bench.sh

mutate: kernel
	scripts/build-tests.sh $(SERIES)
	scripts/mutate.sh $(SERIES)
