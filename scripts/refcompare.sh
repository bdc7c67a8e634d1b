#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# refcompare.sh: s2attr against upstream's own logic.  Boots the 6.12
# reference kernel (kernel.sh 6.12 ref: upstream 6.17's semantics for
# cacheable PFNMAP memory, test-only) and the shimmed kernel with s2attr and
# every VM enabled, both on the FWB+DIC CPU (neoverse-n2), runs the same
# cases on both (plan blocks_dump, "s2attr_blocks dump": every kind of
# PFNMAP memory both map, the nvgrace-shaped provider's shapes included,
# two 2 MiB blocks' worth each) and compares the stage-2 leaves page by
# page: valid, level, attributes and PA.  They must be equal, except where
# s2attr maps a 2 MiB block over pages the host maps with pages and the
# reference maps pages: those blocks are listed.  make refcompare.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=6.12
cpu=neoverse-n2
logs=$S2ATTR_BUILD/logs/refcompare
mkdir -p "$logs"

for v in "" ref; do
	build_kernel "$series" $v >"$logs/build${v:+-$v}.log" 2>&1 ||
		die "kernel build failed, see ${logs#"$S2ATTR_TOP"/}/build${v:+-$v}.log"
	"$S2ATTR_TOP/scripts/build-tests.sh" "$series" $v >>"$logs/build${v:+-$v}.log" 2>&1 ||
		die "test build failed, see ${logs#"$S2ATTR_TOP"/}/build${v:+-$v}.log"
done
for v in s2attr ref; do
	tree=$(ktree "$series" "$([ $v = ref ] && echo ref)")
	note "running the cases on $(basename "$tree") ($cpu)"
	"$S2ATTR_TOP/scripts/qemu.sh" "$tree" "$cpu" blocks_dump "$logs/$v.log" ||
		die "the guest did not finish, see ${logs#"$S2ATTR_TOP"/}/$v.log"
	tr -d '\r' <"$logs/$v.log" | grep '^dump: ' >"$logs/$v.dump" ||
		die "no leaves in ${logs#"$S2ATTR_TOP"/}/$v.log"
	! tr -d '\r' <"$logs/$v.log" | grep '^not ok' || die "a case failed on $v"
done

# Expand both to one line per page, then compare: a page may differ only by
# level 2 (s2attr) against 3 (reference), with the same attributes and PA.
expand() {
	awk '{
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		for (k = 0; k < f["pages"]; k++)
			printf "%s %d %s %s %s %d\n", $2, f["page"] + k, f["valid"],
			       f["level"], f["attrs"], f["valid"] ? f["pa"] + k : 0
	}' "$1"
}
expand "$logs/s2attr.dump" >"$logs/s2attr.pages"
expand "$logs/ref.dump" >"$logs/ref.pages"
paste -d' ' "$logs/s2attr.pages" "$logs/ref.pages" | awk '
	$1 != $7 || $2 != $8 { print "not ok: the two runs have different cases"; bad++; exit }
	$3 == $9 && $4 == $10 && $5 == $11 && $6 == $12 { same++; next }
	$3 == 1 && $9 == 1 && $4 == 2 && $10 == 3 && $5 == $11 && $6 == $12 {
		blk = $1 ": the 2 MiB at IPA +" int($2 / 512) * 2 " MiB"
		if (!(blk in seen)) { seen[blk] = 1; order[nb++] = blk }
		blocks++; next
	}
	{ print "differs: " $0; bad++ }
	END {
		for (i = 0; i < nb; i++)
			print "s2attr block, reference pages: " order[i]
		printf "%d pages equal, %d pages in %d s2attr blocks where the reference maps pages, %d different\n",
		       same, blocks, nb, bad
		exit bad != 0
	}'
