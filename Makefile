# SPDX-License-Identifier: GPL-2.0
#
# Developer entry points.  The module itself is built by Kbuild:
#   make KDIR=<kernel tree>          build s2attr.ko for that tree
#   make s2attrctl                   the control command, for this host
#   make kernel SERIES=6.12          patched, built test kernel in build/
#        [PAGES=64K] [STOCK=1] [DEBUG=1]   ... with 64 KiB pages, without the
#                                    shim, with debug options
#   make demo                        Device -> Normal, shown in a QEMU guest
#   make check                       every test, ends in "N passed, M failed"
#   make check-full                  make check, and the 64 KiB-page matrix
#   make plan PLAN=gpu CPU=neoverse-n1   one plan of tests/plans.conf on
#        [SERIES=6.1] [PAGES=64K]    one CPU model, its cases checked
#   make mutate                      mutation check of the KUnit suite
#   make mutate-e2e                  mutants of the shim, the module and a
#                                    guest test, each caught by make check's plans
#   make bench                       fault-path benchmark, build/bench.csv
#   make refcompare                  stage-2 leaves: s2attr against the
#                                    reference kernel (upstream 6.17's logic)
#   make stress [SECONDS=600]        debug kernel under load and fuzzing
#        [PAGES=64K]                 ... its 64 KiB-page variant
#   make pkgtest [PAGES=4K|64K]      DKMS and Debian package, the real flow,
#                                    with the 4 KiB- and the 64 KiB-page
#                                    kernel (PAGES: only that one)
#   make shim-applies                the shim against every archive version

SERIES	?= 6.12
PAGES	?= 4K
ifeq ($(filter 4K 64K,$(PAGES)),)
$(error PAGES=$(PAGES): use 4K or 64K)
endif
empty	:=
space	:= $(empty) $(empty)
VARIANT	:= $(subst $(space),-,$(strip $(if $(filter 64K,$(PAGES)),64k) \
	   $(if $(STOCK),stock) $(if $(DEBUG),debug)))
KDIR	?= $(CURDIR)/build/linux-$(SERIES)$(if $(VARIANT),-$(VARIANT))

ifneq ($(shell uname -m),aarch64)
KARGS	:= ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
else
KARGS	:= ARCH=arm64
endif

.PHONY: all modules s2attrctl clean deps kernel demo check check-full plan mutate mutate-e2e bench refcompare stress pkgtest shim-applies

all: modules

modules:
	@test -f $(KDIR)/include/config/auto.conf || \
		{ echo "KDIR=$(KDIR) is not a configured kernel tree (try: make kernel SERIES=$(SERIES))" >&2; exit 1; }
	@grep -q '^CONFIG_KVM_S2ATTR_HOOK=y' $(KDIR)/include/config/auto.conf || \
		{ echo "KDIR=$(KDIR) lacks the s2attr shim: apply patches/<series>/ and set CONFIG_KVM_S2ATTR_HOOK=y" >&2; exit 1; }
	$(MAKE) -C $(KDIR) $(KARGS) M=$(CURDIR) modules

s2attrctl:
	$(MAKE) -C tools

# Not kbuild's "make M=$(CURDIR) clean": it deletes every object and .cmd
# file below M, and the test kernels under build/ are below it (a clean
# during a kernel build broke that build).  What the module build leaves:
clean:
	rm -f s2attr.ko s2attr.mod s2attr.mod.c s2attr.mod.o s2attr.o .module-common.o \
		modules.order Module.symvers
	find . -maxdepth 1 -name '.*.cmd' -delete
	find src tests/kunit \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' \) -delete

deps:
	scripts/deps.sh

kernel:
	scripts/deps.sh $(SERIES)
	scripts/kernel.sh $(SERIES) $(VARIANT)

demo:
	scripts/deps.sh $${S2ATTR_DEMO_SERIES:-6.12}
	scripts/demo.sh

check: deps
	scripts/check.sh

check-full: deps
	S2ATTR_PAGES="4k 64k" scripts/check.sh

plan: deps
	scripts/plan.sh "$(PLAN)" "$(CPU)" $(SERIES) $(if $(filter 64K,$(PAGES)),64k,4k)

pkgtest: deps
	scripts/pkgtest.sh $(SERIES) $(if $(filter file,$(origin PAGES)),4k 64k,$(if $(filter 64K,$(PAGES)),64k,4k))

stress: deps
	S2ATTR_STRESS_PAGES=$(if $(filter 64K,$(PAGES)),64k,4k) scripts/stress.sh $(SECONDS)

bench: deps
	scripts/bench.sh

refcompare: deps
	scripts/refcompare.sh

shim-applies: deps
	scripts/shim-applies.sh

mutate-e2e: kernel
	scripts/build-tests.sh $(SERIES)
	scripts/mutate-e2e.sh $(SERIES)

mutate: kernel
	scripts/build-tests.sh $(SERIES)
	scripts/mutate.sh $(SERIES)
