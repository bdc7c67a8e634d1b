#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [SECONDS]: make stress.  Boots the debug variant of the shimmed
# kernel (KASAN, lockdep, PROVE_RCU, kmemleak, debug objects) on -cpu neoverse-n2
# with 4 vCPUs; several VMs with several vCPUs fault through cacheable and
# uncached PFNMAP memory while other threads toggle enabled and
# default_enabled, create and destroy VMs and reload s2attr, for SECONDS
# (default 600; .ci/run uses a short run).  Then: no splat, no leak, every
# leaf consistent with its VM's final state, no directory of a dead VM, and
# a sysfs fuzz run as root and as an unprivileged user.  A second boot of
# the same kernel runs plan failslab (tests/host/failslab.sh): VMs created
# while s2attr's allocations fail run as stock KVM, nothing leaks, s2attr
# unloads.
# S2ATTR_STRESS_SERIES=6.1 runs it on that series (default 6.12),
# S2ATTR_STRESS_PAGES=64k on its 64 KiB-page debug kernel (make stress
# PAGES=64K).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

seconds=${1:-${S2ATTR_STRESS_SECONDS:-600}}
series=${S2ATTR_STRESS_SERIES:-6.12}
logs=$S2ATTR_BUILD/logs
case "${S2ATTR_STRESS_PAGES:-4k}" in
4k) variant=debug name=$series ;;
64k) variant=64k-debug name=$series-64k ;;
*) die "S2ATTR_STRESS_PAGES is 4k or 64k, not '$S2ATTR_STRESS_PAGES'" ;;
esac
dir=$logs/stress-$name
mkdir -p "$dir"

step "$series: build the debug test kernel ($variant)" build_kernel "$series" "$variant" &&
step "$series: build the debug test programs" \
	"$S2ATTR_TOP/scripts/build-tests.sh" "$series" "$variant" &&
{
	S2ATTR_QEMU_SMP=4 S2ATTR_QEMU_TIMEOUT=$((seconds * 4 + 900)) \
	S2ATTR_QEMU_APPEND="s2test_seconds=$seconds" \
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$series" "$variant")" neoverse-n2 stress "$dir/stress.log"
	collect "$dir/stress.log" "$name/stress" stress neoverse-n2 "$series" "${S2ATTR_STRESS_PAGES:-4k}"
	tr -d '\r' <"$dir/stress.log" | grep '^stress: ' | sed 's/^/    /'
	"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$series" "$variant")" neoverse-n2 failslab \
		"$dir/failslab.log"
	collect "$dir/failslab.log" "$name/failslab" failslab neoverse-n2 "$series" "${S2ATTR_STRESS_PAGES:-4k}"
}

summary
[ "$fail" -eq 0 ]
