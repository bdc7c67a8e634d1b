#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mutate.sh [SERIES]: mutation check of the KUnit suite.  Each mutant flips
# one condition of the classifier (include/s2attr_policy.h); the mutant module
# and the KUnit suite are built and run in QEMU (-cpu neoverse-n2), and the mutant
# must make at least one KUnit case fail.  Prints one line per mutant and
# ends with "N passed, M failed" (a surviving mutant is a failure).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:-6.12}
tree=$(ktree "$series")
out=$S2ATTR_BUILD/out/$(basename "$tree")
work=$S2ATTR_BUILD/mutate
read -r -a kargs <<<"$(kmake_args)"
[ -f "$out/initramfs.cpio.gz" ] || die "run scripts/build-tests.sh $series first"

# One mutant per line: a sed expression on s2attr_policy.h.
mutants=(
	's/if (!s2attr_vma_is_pfnmap(f))/if (s2attr_vma_is_pfnmap(f))/'
	's/return f->vm_flags \& (VM_PFNMAP | VM_MIXEDMAP);/return f->vm_flags \& VM_PFNMAP;/'
	's/if (!f->enabled)/if (f->enabled)/'
	's/if (!s2attr_prot_is_cacheable(f))/if (s2attr_prot_is_cacheable(f))/'
	's/idx == MT_NORMAL || idx == MT_NORMAL_TAGGED/idx == MT_NORMAL/'
	's/idx == MT_NORMAL || idx == MT_NORMAL_TAGGED/idx == MT_NORMAL || idx == MT_NORMAL_NC/'
	's/if (f->mte)/if (!f->mte)/'
	's/if (!f->fwb)/if (f->fwb)/'
	's/if (f->exec \&\& !f->dic)/if (f->exec \&\& f->dic)/'
	's/if (f->exec \&\& !f->dic)/if (!f->dic)/'
	's/if (f->exec \&\& !f->dic)/if (f->exec)/'
)

pass=0
fail=0
for i in "${!mutants[@]}"; do
	m=${mutants[$i]}
	rm -rf "$work"
	mkdir -p "$work"
	(cd "$S2ATTR_TOP" && cp -r --parents Kbuild src include tests/kunit "$work/")
	sed -i "$m" "$work/include/s2attr_policy.h"
	if cmp -s "$work/include/s2attr_policy.h" "$S2ATTR_TOP/include/s2attr_policy.h"; then
		echo "FAIL mutant $i does not apply: $m"
		fail=$((fail + 1))
		continue
	fi
	make -s -C "$tree" "${kargs[@]}" M="$work" S2ATTR_KUNIT=m modules >"$work/build.log" 2>&1 ||
		{ echo "FAIL mutant $i does not build: $m"; fail=$((fail + 1)); continue; }
	root=$work/initramfs
	mkdir -p "$root"
	(cd "$root" && gzip -dc "$out/initramfs.cpio.gz" | cpio -id --quiet)
	install -m644 "$work/s2attr.ko" "$work/s2attr_kunit.ko" "$root/lib/modules/"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
	S2ATTR_INITRD=$work/initramfs.cpio.gz "$S2ATTR_TOP/scripts/qemu.sh" "$tree" neoverse-n2 kunit "$work/qemu.log"
	killed=$(tr -d '\r' <"$work/qemu.log" | grep -c '^not ok 0 kunit:')
	if [ "$killed" -gt 0 ]; then
		echo "PASS mutant $i killed by $killed KUnit case(s): $m"
		pass=$((pass + 1))
	else
		echo "FAIL mutant $i survived: $m"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
