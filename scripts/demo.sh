#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: boot the shimmed 6.12 kernel under QEMU (-cpu neoverse-n2,
# with EL2), load s2attr, and run the same guest twice on memory from a
# PFNMAP provider: in a VM that is not enabled, where stage-2 maps it
# Device and the guest's unaligned load kills the VM (KVM_RUN: EFAULT),
# then in one that is enabled, where it is Normal-WB and the guest
# completes.  The descriptors are read from KVM's page tables by the
# oracle.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${S2ATTR_DEMO_SERIES:-6.12}
log=$S2ATTR_BUILD/logs/demo.log

note "building the test kernel (minutes the first time, cached after)"
"$S2ATTR_TOP/scripts/kernel.sh" "$series" >"$S2ATTR_BUILD/demo-build.log" 2>&1 ||
	die "kernel build failed, see build/demo-build.log"
"$S2ATTR_TOP/scripts/build-tests.sh" "$series" >>"$S2ATTR_BUILD/demo-build.log" 2>&1 ||
	die "module build failed, see build/demo-build.log"

note "booting $(cat "$(ktree "$series")/.s2attr-source") + s2attr shim on $(qemu-system-aarch64 --version | head -n 1), -cpu neoverse-n2 (KVM runs inside)"
"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$series")" neoverse-n2 demo "$log" ||
	die "the demo guest did not finish, see ${log#"$S2ATTR_TOP"/}"

tr -d '\r' <"$log" | awk '
	/s2attr: loaded/ { sub(/^\[[ 0-9.]*\] /, ""); loaded = $0 }
	/^demo: / { sub(/^demo: /, ""); lines[n++] = $0 }
	/^not ok/ { failed = 1 }
	END {
		print ""
		print "  " loaded
		for (i = 0; i < n; i++) print "  " lines[i]
		print ""
		if (failed || n < 7) { print "demo FAILED"; exit 1 }
	}'
