# SPDX-License-Identifier: GPL-2.0
#
# Test plan "gpufile_bench", for make bench (scripts/bench.sh), under
# QEMU's -icount: what the real stack's Linux guest (tests/gpu/guest/)
# pays to first touch its GPU node.  As in plan gpufile, node 1 is the
# nvgrace-shaped provider's usemem, mapped with remap_pfn_range() as
# nvgrace-gpu maps it, given by memory-backend-file; here 1 GiB of it, of
# which gpuload writes one byte per page of 512 MiB, once, timed by the
# guest's clock (1 ns per instruction).  Three runs of each configuration
# (a new VM each), one line per run:
#   bench: gpufile,CONFIG,LAYOUT,PAGE_KIB,MIB,LEAVES,LEVEL2,NS
# LEAVES the valid stage-2 leaves over node 1 afterwards (each one a
# stage-2 fault; LEVEL2 of them blocks), counted by the oracle.  CONFIG:
#   reference  upstream 6.17's own logic (the kernel.sh ref tree): pages
#   s2attr     s2attr, every VM enabled
# LAYOUT, of QEMU's mapping of the memory:
#   aligned    align=2M: the HVA and the PA congruent with the IPA modulo
#              2 MiB, so s2attr maps blocks
#   offset     offset=4096: the PA 4 KiB off that, so pages only (as the
#              reference maps them in both layouts)

GPUBENCH_MIB=512

# gpubench CONFIG LAYOUT: the runs of CONFIG with LAYOUT.
gpubench() {
	opts=align=2M
	[ "$2" = aligned ] || opts=offset=4096
	for _ in 1 2 3; do
		gpubench_run "$1,$2" $opts
	done
}

# gpubench_run NAME OPTS: one run, OPTS added to the memory backend's.
gpubench_run() {
	gpu_qemu bench "s2gg_node=boot s2gg_exec=touch s2gg_mib=$GPUBENCH_MIB" -m 1280M \
		-object memory-backend-ram,id=ram0,size=256M \
		-object "memory-backend-file,id=gpu,mem-path=/dev/s2attr_nvgrace_usemem,share=on,size=1G,$2" \
		-numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1,cpus=1,memdev=gpu
	gpu_wait bench 1500
	gpu_report bench gpufile_bench
	ns=$(sed -n 's/^bench: firsttouch,[0-9]*,[0-9]*,\([0-9]*\).*/\1/p' /tmp/bench.serial | head -n 1)
	walk=$(s2attr_peek "$(qemu_vm)" $GPUFILE_NODE_IPA 0x40000000)
	echo "# $walk"
	gpu_stop
	if [ "$end" = finished ] && [ -n "$ns" ] && [ -n "$walk" ]; then
		echo "$walk" | awk -v c="$1" -v k="$(gpu_page_kib)" -v m=$GPUBENCH_MIB -v ns="$ns" \
			'{ printf "bench: gpufile,%s,%d,%d,%d,%d,%d\n", c, k, m, $7, $9, ns }'
	else
		not_ok "gpufile_bench, $1: the guest's first touch ($end)"
	fi
}

plan_gpufile_bench() {
	[ -x $QEMU ] || { not_ok "no $QEMU in the initramfs (scripts/vmm-qemu.sh)"; return; }
	load_test_modules >/dev/null
	config=reference
	if grep -q ' kvm_s2attr_register$' /proc/kallsyms; then
		insmod $MODS/s2attr.ko default_enabled=1 || { not_ok "insmod s2attr"; return; }
		config=s2attr
	fi
	gpubench $config aligned
	gpubench $config offset
	[ $config = reference ] || rmmod s2attr
}
