#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: the fault-path benchmark (a benchmark, not a timed test).  In a
# -cpu neoverse-n2 guest, a VM touches every 4 KiB page of a 256 MiB PFNMAP region
# once, in three configurations interleaved (A B C, B C A, ...): s2attr not
# loaded, loaded with the VM not enabled, VM enabled.  Prints the median
# time per stage-2 fault, the min-max, the ratios to stock, the cost of
# one decision measured in the kernel, and the fault count of the region
# with 4 KiB and with 2 MiB stage-1 leaves; writes build/bench.csv.  Then
# the stage-2 blocks benchmark (below), build/bench-blocks.csv, and the
# Linux guest's first touch of its GPU node, build/bench-guest.csv.
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
	S2ATTR_QEMU_ICOUNT=$([ "$clock" = icount ] && echo 1 || echo 0) \
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

# icount_plan TREE PLAN LOG KEY: run benchmark plan PLAN on TREE under
# -icount with one vCPU; prints its "bench: KEY," lines without the prefix.
# A guest that does not finish or a case that fails stops the benchmark.
icount_plan() {
	S2ATTR_QEMU_ICOUNT=1 S2ATTR_QEMU_SMP=1 S2ATTR_QEMU_TIMEOUT=3600 \
		"$S2ATTR_TOP/scripts/qemu.sh" "$1" neoverse-n2 "$2" "$3" ||
		die "the benchmark guest did not finish, see ${3#"$S2ATTR_TOP"/}"
	! tr -d '\r' <"$3" | grep '^not ok' >&2 || die "a benchmark case failed, see ${3#"$S2ATTR_TOP"/}"
	tr -d '\r' <"$3" | sed -n "s/^bench: $4,//p"
}

# Stage-2 blocks: the stage-2 faults and instructions (-icount) to write
# every page of memory the host maps with pages (the nvgrace-shaped
# provider), 256 MiB with 4 KiB pages and 1 GiB with 64 KiB pages, on the
# stock kernel (the shimmed one without s2attr), the reference kernel
# (upstream 6.17's own logic: kernel.sh SERIES ref) and with s2attr and
# every VM enabled; the HVA aligned with the IPA modulo the block (blocks
# possible) and one page off (pages only).  64 KiB pages only where that
# kernel is built (make kernel PAGES=64K; its reference: kernel.sh SERIES
# 64k-ref): this script builds only the 4 KiB ones.
blocks_csv=$S2ATTR_BUILD/bench-blocks.csv
blocks_data=$S2ATTR_BUILD/logs/bench-blocks.data
build_kernel "$series" ref >>"$S2ATTR_BUILD/bench-build.log" 2>&1 ||
	die "reference kernel build failed, see build/bench-build.log"
: >"$blocks_data"
for v in "" ref 64k 64k-ref; do
	tree=$(ktree "$series" "$v")
	log=$S2ATTR_BUILD/logs/bench-blocks${v:+-$v}.log
	if [ ! -f "$tree/vmlinux" ]; then
		echo "skip: ${tree#"$S2ATTR_TOP"/} is not built (scripts/kernel.sh $series $v): no row for it" |
			tee -a "$blocks_data"
		continue
	fi
	"$S2ATTR_TOP/scripts/build-tests.sh" "$series" $v >>"$S2ATTR_BUILD/bench-build.log" 2>&1 ||
		die "test build for ${tree#"$S2ATTR_TOP"/} failed, see build/bench-build.log"
	note "stage-2 blocks: $(basename "$tree"), -icount"
	icount_plan "$tree" blocks_bench "$log" blocks >>"$blocks_data"
done
echo "config,page_kib,region_mib,hva,faults,instructions" >"$blocks_csv"
grep -v '^skip: ' "$blocks_data" >>"$blocks_csv" || true
awk -F, -v series="$series" '
	BEGIN { n = 0; ns = 0 }
	/^skip: / { skips[ns++] = substr($0, 7); next }
	{
		name[n] = $1; page[n] = $2; mib[n] = $3; hva[n] = $4; f[n] = $5; ins[n] = $6
		key[$1 "," $2 "," $4] = n++
	}
	function ratio(a, b) { return b ? a / b : 0 }
	END {
		printf "\nLinux %s, QEMU TCG -cpu neoverse-n2, -icount: write every page of memory the host maps with pages\n", series
		printf "(median of 3 runs after one warm-up; a stage-2 leaf is a stage-2 fault)\n\n"
		printf "| %5s | %6s | %-14s | %9s | %14s | %14s | %10s | %12s |\n", "page", "region", "configuration", "HVA", "stage-2 faults", "instructions", "per fault", "vs reference"
		printf "| %5s | %6s | %-14s | %9s | %14s | %14s | %10s | %12s |\n", "---", "---", "---", "---", "---", "---", "---", "---"
		for (i = 0; i < n; i++) {
			r = key["reference," page[i] "," hva[i]]
			vs = r != "" ? sprintf("%.4f", ratio(ins[i], ins[r])) : "-"
			printf "| %3d K | %4d M | %-14s | %9s | %14d | %14d | %10.0f | %12s |\n", page[i], mib[i], name[i], hva[i],
			       f[i], ins[i], ratio(ins[i], f[i]), vs
		}
		printf "\n"
		for (p = 4; p <= 64; p *= 16) {
			s = key["s2attr enabled," p ",aligned"]; r = key["reference," p ",aligned"]
			if (s != "" && r != "")
				printf "%d KiB pages, s2attr enabled: %.0fx fewer stage-2 faults and %.0fx fewer instructions than the reference\n",
				       p, ratio(f[r], f[s]), ratio(ins[r], ins[s])
			t = key["stock," p ",aligned"]
			if (s != "" && r == "" && t != "")
				printf "%d KiB pages, s2attr enabled: %.0fx fewer stage-2 faults and %.0fx fewer instructions than stock (no reference kernel)\n",
				       p, ratio(f[t], f[s]), ratio(ins[t], ins[s])
			s = key["s2attr enabled," p ",unaligned"]; r = key["reference," p ",unaligned"]
			if (s != "" && r != "")
				printf "%d KiB pages, pages only: s2attr enabled takes %.4fx the reference'"'"'s instructions per fault\n",
				       p, ratio(ins[s] / f[s], ins[r] / f[r])
		}
		for (i = 0; i < ns; i++)
			print "skip: " skips[i]
	}' "$blocks_data"
# The real stack's Linux guest (tests/gpu/host/gpubench.sh): the stage-2
# faults and instructions (-icount) for the guest to first touch 512 MiB
# of its GPU node, on the reference kernel and with s2attr, with QEMU's
# mapping aligned (s2attr: blocks) and 4 KiB off (pages only).  4 KiB
# pages: the 64 KiB kernels are not built here.
guest_csv=$S2ATTR_BUILD/bench-guest.csv
guest_data=$S2ATTR_BUILD/logs/bench-guest.data
: >"$guest_data"
for v in ref ""; do
	tree=$(ktree "$series" "$v")
	log=$S2ATTR_BUILD/logs/bench-guest${v:+-$v}.log
	note "the Linux guest's first touch: $(basename "$tree"), -icount"
	icount_plan "$tree" gpufile_bench "$log" gpufile >>"$guest_data"
done
echo "config,layout,page_kib,touched_mib,leaves,blocks,instructions" >"$guest_csv"
cat "$guest_data" >>"$guest_csv"
awk -F, -v series="$series" '
	function median(v, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return v[int((n + 1) / 2)]
	}
	{ k = $1 "," $2 }
	!(k in runs) { order[++n] = k; conf[k] = $1; lay[k] = $2; page[k] = $3; mib = $4 }
	{
		r = ++runs[k]
		f[k, r] = $5; blk[k, r] = $6; ins[k, r] = $7
	}
	END {
		for (c = 1; c <= n; c++) {
			k = order[c]
			for (r = 1; r <= runs[k]; r++) { a[r] = f[k, r]; b[r] = blk[k, r]; d[r] = ins[k, r] }
			mf[k] = median(a, runs[k]); mb[k] = median(b, runs[k]); mi[k] = median(d, runs[k])
			lo[k] = d[1]; hi[k] = d[runs[k]]
		}
		printf "\nLinux %s, QEMU TCG -cpu neoverse-n2, -icount: a Linux guest (QEMU 10 under KVM, nested) first touches %d MiB of its GPU node\n", series, mib
		printf "(median of %d runs, each a new VM; instructions of the whole machine while the guest writes a byte per page; stage-2 leaves over the 1 GiB node afterwards, each a stage-2 fault)\n\n", runs[order[1]]
		printf "| %-13s | %-7s | %5s | %14s | %6s | %14s | %27s | %12s |\n", "configuration", "layout", "page", "stage-2 faults", "blocks", "instructions", "min-max", "vs reference"
		printf "| %-13s | %-7s | %5s | %14s | %6s | %14s | %27s | %12s |\n", "---", "---", "---", "---", "---", "---", "---", "---"
		for (c = 1; c <= n; c++) {
			k = order[c]
			r = "reference," lay[k]
			printf "| %-13s | %-7s | %3d K | %14d | %6d | %14d | %12d - %12d | %12s |\n", conf[k], lay[k], page[k], mf[k], mb[k], mi[k], lo[k], hi[k],
			       (r in mi) ? sprintf("%.4f", mi[k] / mi[r]) : "-"
		}
		printf "\n"
	}' "$guest_data"
note "CSV: ${csv#"$S2ATTR_TOP"/}, ${blocks_csv#"$S2ATTR_TOP"/}, ${guest_csv#"$S2ATTR_TOP"/}, every sample: ${samples#"$S2ATTR_TOP"/}"
