# SPDX-License-Identifier: GPL-2.0
#
# Test plans of the policy (/sys/kernel/s2attr/policy) and of s2attrctl,
# sourced by /init after lib.sh.  The VMs come from s2attr_rawvmm, which
# makes its own TAP lines about them; it is installed as
# /bin/s2attr_vmm_a and /bin/s2attr_vmm_b, two executables to match.

CTL=/usr/sbin/s2attrctl
VMM_A=/bin/s2attr_vmm_a
VMM_B=/bin/s2attr_vmm_b
POLICY_RULES="enable exe=$VMM_A
disable guest=other
enable exe=$VMM_B guest=gpu-vm"

# What an enabled VM's cacheable memory gets on this CPU.
enabled_expect() { [ "$s2test_fwb" = 1 ] && echo normal || echo einval; }

# ctl_fails STATUS MESSAGE ARGS...: s2attrctl ARGS exits with STATUS and
# says MESSAGE, in one line on stderr, and nothing on stdout.
ctl_fails() {
	want=$1 msg=$2
	shift 2
	out=$("$CTL" "$@" 2>/tmp/ctl.err)
	rc=$?
	err=$(cat /tmp/ctl.err)
	if [ $rc = "$want" ] && [ -z "$out" ] && [ "$(wc -l </tmp/ctl.err)" = 1 ] &&
	   grep -q "^s2attrctl: .*$msg" /tmp/ctl.err; then
		ok "s2attrctl $*: exit $want, '$err'"
	else
		not_ok "s2attrctl $*: exit $rc (want $want), said '$err' (want '$msg')"
	fi
}

# policy_refused INPUT: writing INPUT (printf format) fails, nothing changed.
policy_refused() {
	before=$(cat $SYS/policy)
	# shellcheck disable=SC2059
	! printf "$1" >$SYS/policy 2>/dev/null && [ "$(cat $SYS/policy)" = "$before" ]
}

policy_abi() {
	check "policy: empty after load" test -z "$(cat $SYS/policy)"
	check "policy: takes rules and shows them normalised" sh -c \
		"printf 'enable\texe=/x   guest=g\n\ndisable\n' >$SYS/policy &&
		 [ \"\$(cat $SYS/policy)\" = \"\$(printf 'enable exe=/x guest=g\ndisable')\" ]"
	for bad in 'enabel\n' 'enable exe=rel\n' 'enable guest=\n' \
		   'enable guest=a guest=b\n' 'enable exe=/a exe=/b\n' 'enable foo=bar\n' \
		   ' enable\n' '# comment\n' 'enable exe=/a\0\n' 'enable guest=a\001\n' \
		   'disable,\n' 'enable 1\n' "$(printf 'enable\\n%.0s' $(seq 33))"; do
		check "policy: '$(echo "$bad" | cut -c1-30)' refused, policy unchanged" \
			policy_refused "$bad"
	done
	check "policy: 4 KiB refused, policy unchanged" \
		policy_refused "$(printf 'enable exe=/%0250d\\n' $(seq 17))"
	check "policy: a lone newline empties it" \
		sh -c "echo >$SYS/policy && test -z \"\$(cat $SYS/policy)\""
}

# One run: a VM of each kind, each checked by the VMM itself.
policy_run() {
	en=$(enabled_expect)
	$VMM_A "expect=$en" label="$1: exe match" &&
		$VMM_B "expect=$en" label="$1: exe and guest= match" -name guest=gpu-vm,debug-threads=on &&
		$VMM_B "expect=$en" label="$1: exe and implied guest match" -name gpu-vm &&
		$VMM_B expect=device label="$1: disable rule" -name guest=other &&
		$VMM_B expect=device label="$1: no rule, default 0" -name guest=gpu-vm2
}

# policy_runs LABEL: policy_run twenty times in a row; one result.
policy_runs() {
	fails=0
	for i in $(seq 20); do
		out=$(policy_run "$1 run $i" 2>&1) || { fails=$((fails + 1)); echo "$out"; }
	done
	echo "# $1: $fails of 20 runs failed"
	check "$1: 20 runs, each VM as its rule says from its first fault" \
		test $fails = 0
}

policy_order() {
	printf '%s\n' "# /etc/s2attr/policy" "$POLICY_RULES" >/etc/s2attr/policy
	check "s2attrctl policy load" "$CTL" policy load
	check "s2attrctl policy show: the rules" \
		test "$("$CTL" policy show)" = "$POLICY_RULES"
	policy_run "policy"
	policy_runs policy
	echo 1 >$SYS/default_enabled
	$VMM_B expect=device label="default_enabled=1: disable rule wins" -name guest=other
	$VMM_B "expect=$(enabled_expect)" label="default_enabled=1: no rule" -name x
	echo 0 >$SYS/default_enabled
}

ctl_errors() {
	ctl_fails 2 "no command"
	ctl_fails 2 "unknown command" frob
	ctl_fails 2 "list: unknown argument" list --xml
	ctl_fails 2 "which VM" enable
	ctl_fails 2 "not a VM name" enable foo
	ctl_fails 2 "not a VM name" disable 1-2-3
	ctl_fails 2 "expected one of" enable 1-2 3-4
	ctl_fails 2 "expected a process id" enable --pid abc
	ctl_fails 2 "expected a process id" enable --pid -1
	ctl_fails 2 "expected a process id" enable --pid 99999999999
	ctl_fails 2 "expected a guest name" enable --guest ""
	ctl_fails 1 "no such VM: 99999-9" enable 99999-9
	ctl_fails 1 "no such VM: --pid 99999" disable --pid 99999
	ctl_fails 1 "no such VM: --guest nosuch" enable --guest nosuch
	ctl_fails 1 "/nonexistent: No such file" policy load /nonexistent
	# As an unprivileged user: reading works, changing does not.
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
	printf '#!/bin/sh\nexec su -s %s nobody "$@"\n' "$CTL" >/tmp/ctl-nobody
	chmod 755 /tmp/ctl-nobody
	CTL=/tmp/ctl-nobody
	ctl_fails 1 "permission denied: changing s2attr needs root" enable 1-2
	ctl_fails 1 "permission denied" policy load
	check "s2attrctl list as nobody" sh -c "$CTL list | grep -q '^VM '"
	CTL=/usr/sbin/s2attrctl
	printf 'enable\nenable guest=ok\nenabel\n' >/tmp/bad-policy
	before=$(cat $SYS/policy)
	ctl_fails 1 "/tmp/bad-policy:3: expected 'enable' or 'disable'" policy load /tmp/bad-policy
	check "s2attrctl: a bad policy file changes nothing" test "$(cat $SYS/policy)" = "$before"
}

# A VM that stays alive while s2attrctl lists and toggles it.
ctl_vm() {
	mkfifo /tmp/hold
	$VMM_B expect=device hold label=held -name guest=held-vm,debug-threads=on \
		</tmp/hold >/tmp/held.out &
	exec 8>/tmp/hold
	for _ in $(seq 50); do grep -q '^hold ' /tmp/held.out && break; sleep 0.2; done
	held=$(sed -n 's/^hold //p' /tmp/held.out)
	pid=${held%-*}
	check "held VM is up" test -n "$held"
	"$CTL" list
	check "s2attrctl list: name, pid, comm, guest, enabled, counters" sh -c \
		"$CTL list | grep -Eq '^$held +$pid +s2attr_vmm_b +held-vm +0 +0 +1 +0 +0 +0\$'"
	check "s2attrctl list --json" sh -c "$CTL list --json | grep -q \
		'\"name\": \"$held\", \"pid\": $pid, \"comm\": \"s2attr_vmm_b\", \"guest\": \"held-vm\", \"enabled\": false, \"faults_normal\": 0, \"faults_stock\": 1'"
	enabled=$SYS/vms/$held/enabled
	check "s2attrctl enable --guest held-vm" sh -c "$CTL enable --guest held-vm && grep -qx 1 $enabled"
	echo "# the held VM: $held, its VMM's pid $pid"
	check "s2attrctl disable --pid PID (the held VM's VMM)" \
		sh -c "$CTL disable --pid $pid && grep -qx 0 $enabled"
	check "s2attrctl enable NAME (the held VM)" sh -c "$CTL enable $held && grep -qx 1 $enabled"
	check "s2attrctl disable NAME (the held VM)" sh -c "$CTL disable $held && grep -qx 0 $enabled"
	exec 8>&-
	wait
	cat /tmp/held.out
}

# A shimmed kernel: s2attrctl and the policy, with and without s2attr.
plan_policy() {
	load_test_modules
	mkdir -p /etc/s2attr
	ctl_fails 1 "s2attr is not loaded" list
	ctl_fails 1 "s2attr is not loaded" policy load
	check "insmod s2attr" insmod $MODS/s2attr.ko
	policy_abi
	ctl_errors
	policy_order
	ctl_vm
	check "rmmod s2attr" rmmod s2attr
}

# A kernel without the shim: s2attrctl says so.
plan_policy_stock() {
	ctl_fails 1 "no s2attr KVM shim" list
	ctl_fails 1 "no s2attr KVM shim" enable --guest x
}
