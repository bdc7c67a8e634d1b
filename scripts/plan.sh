#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# plan.sh PLAN CPU [SERIES [PAGES]]: one test plan of tests/plans.conf on
# one CPU model of scripts/cpus.conf (make plan PLAN=gpu CPU=neoverse-n1),
# with its results compared with the cases it must report, as make check
# does; ends with "N passed, M failed".  SERIES defaults to 6.12, PAGES to
# 4k.  Builds what the plan's kernel needs first (the shimmed kernel, and
# for a stock plan its stock twin).  The console log is build/logs/plan/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

plan=${1:?usage: plan.sh PLAN CPU [SERIES [PAGES]]}
cpu=${2:?usage: plan.sh PLAN CPU [SERIES [PAGES]]}
series=${3:-6.12}
pages=${4:-4k}
kernel=$(plan_field "$plan" 2)
[ -n "$kernel" ] || die "unknown plan '$plan' (see tests/plans.conf)"
[ "$kernel" != - ] || die "plan '$plan' is run by another target (see tests/plans.conf)"
[ -n "$(cpu_field "$cpu" 1)" ] || die "unknown CPU '$cpu' (see scripts/cpus.conf)"
case "$pages" in 4k | 64k) ;; *) die "PAGES is 4k or 64k, not '$pages'" ;; esac
v=$(pages_variant "$pages")
[ "$kernel" = shim ] || v=${v:+$v-}stock
logs=$S2ATTR_BUILD/logs/plan
mkdir -p "$logs"

# shellcheck disable=SC2016 # the inner shell expands them
step "$series: build the shimmed test kernel and its tests" \
	sh -c '"$1/scripts/kernel.sh" "$2" "$3" && "$1/scripts/build-tests.sh" "$2" "$3"' \
	sh "$S2ATTR_TOP" "$series" "$(pages_variant "$pages")" || { summary; exit 1; }
if [ "$kernel" = stock ]; then
	# shellcheck disable=SC2016 # the inner shell expands them
	step "$series: build the stock test kernel and its tests" \
		sh -c '"$1/scripts/kernel.sh" "$2" "$3" && "$1/scripts/build-tests.sh" "$2" "$3"' \
		sh "$S2ATTR_TOP" "$series" "$v" || { summary; exit 1; }
fi
"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$series" "$v")" "$cpu" "$plan" "$logs/$plan.log"
collect "$logs/$plan.log" "$series/$cpu/$plan" "$plan" "$cpu" "$series" "$pages"
summary
[ "$fail" -eq 0 ]
