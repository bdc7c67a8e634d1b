#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: the fault-path benchmark (a benchmark, not a timed test).  In a
# -cpu neoverse-n2 guest, a VM touches every 4 KiB page of a 256 MiB PFNMAP region
# once, in three configurations interleaved (A B C, B C A, ...): s2attr not
# loaded, loaded with the VM not enabled, VM enabled.  Prints the median
# time per stage-2 fault, the min-max, the ratios to stock, the cost of
# one decision measured in the kernel, and the fault count of the region
# with 4 KiB and with 2 MiB stage-1 leaves; writes build/bench.csv.
#
# It runs twice.  First on the wall clock, as QEMU TCG runs on this host,
# where other tenants of the machine add noise.  Then with -icount, where
# the guest's clock advances 1 ns per instruction executed: the same
# measurement as an instruction count, repeatable to the instruction.
# S2ATTR_BENCH_CLOCKS="icount" runs only one of them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${S2ATTR_BENCH_SERIES:-6.12}
csv=$S2ATTR_BUILD/bench.csv
samples=$S2ATTR_BUILD/bench-samples.csv

build_kernel "$series" >"$S2ATTR_BUILD/bench-build.log" 2>&1 ||
	die "kernel build failed, see build/bench-build.log"
"$S2ATTR_TOP/scripts/build-tests.sh" "$series" >>"$S2ATTR_BUILD/bench-build.log" 2>&1 ||
	die "test build failed, see build/bench-build.log"

echo "clock,kind,name,median_us,min_us,max_us,ratio_to_stock" >"$csv"
echo "clock,round,name,us" >"$samples"
for clock in ${S2ATTR_BENCH_CLOCKS:-wall icount}; do
	log=$S2ATTR_BUILD/logs/bench-$clock.log
	note "running the benchmark under QEMU TCG (-cpu neoverse-n2), $clock clock, a few minutes"
	# One vCPU: the VMM's thread cannot move between CPUs mid-measurement.
	S2ATTR_QEMU_ICOUNT=$([ $clock = icount ] && echo 1 || echo 0) \
	S2ATTR_QEMU_SMP=1 S2ATTR_QEMU_TIMEOUT=1800 \
		"$S2ATTR_TOP/scripts/qemu.sh" "$(ktree "$series")" neoverse-n2 bench "$log" ||
		die "the benchmark guest did not finish, see ${log#"$S2ATTR_TOP"/}"

	tr -d '\r' <"$log" | sed -n 's/^bench: //p' >"$log.data"
	grep -q '^config,' "$log.data" || die "no results in ${log#"$S2ATTR_TOP"/}"
	grep '^config,' "$log.data" | sed "s/^/$clock,/" >>"$csv"
	grep '^sample,' "$log.data" | sed "s/^sample,/$clock,/" >>"$samples"

	awk -F, -v series="$series" -v clock="$clock" '
		BEGIN { n = 0 }
		/^config,/ { name[n] = $2; med[n] = $3; lo[n] = $4; hi[n] = $5; ratio[n] = $6; n++ }
		/^decide_ps,/ { decide = $2 / 1000 }
		/^leaves,/ { small = $2; huge = $3 }
		/^rounds,/ { rounds = $2 }
		END {
			if (clock == "wall") {
				what = "wall clock"
				unit = "ns"
			} else {
				what = "-icount: 1 ns per guest instruction"
				unit = "ns (instructions)"
			}
			printf "\nLinux %s + s2attr shim, QEMU TCG -cpu neoverse-n2, %s: 256 MiB PFNMAP region, one write per 4 KiB page\n", series, what
			printf "(median of %d interleaved rounds after one warm-up; times are per stage-2 fault)\n\n", rounds
			printf "| %-26s | %12s | %17s | %8s |\n", "configuration", "median (us)", "min-max (us)", "vs stock"
			printf "| %-26s | %12s | %17s | %8s |\n", "---", "---", "---", "---"
			for (i = 0; i < n; i++)
				printf "| %-26s | %12.3f | %7.3f - %7.3f | %8.4f |\n", name[i], med[i], lo[i], hi[i], ratio[i]
			printf "\none decision (s2attr_decide, in-kernel, 4M calls): %.1f %s = %.3f%% of a stock fault\n",
			       decide, unit, decide / 10 / med[0]
			printf "stage-2 faults for the 256 MiB region: %d with 4 KiB stage-1 leaves, %d with 2 MiB (%.0fx fewer)\n\n",
			       small, huge, huge ? small / huge : 0
		}' "$log.data"
done
note "CSV: ${csv#"$S2ATTR_TOP"/}, every sample: ${samples#"$S2ATTR_TOP"/}"
