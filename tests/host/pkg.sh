# SPDX-License-Identifier: GPL-2.0
#
# Test plan "pkg": s2attr-tools as installed, on the packaged kernel with
# the dkms-built s2attr.ko.  scripts/pkgtest.sh puts in the initramfs what
# the packages installed in its Debian root: s2attrctl (dynamically
# linked, with its libraries), /etc/s2attr/policy, the modprobe.d file,
# the udev rule, kmod as /sbin/modprobe and the kernel's /lib/modules.
# The cases it reports: tests/host/pkg.cases.

UDEV_RULE=/lib/udev/rules.d/60-s2attr.rules

# policy_is RULES: the module's rules are RULES.
policy_is() { test "$(cat $SYS/policy)" = "$1"; }

pkg_modprobe() {
	check "the shipped /etc/s2attr/policy has no rule" \
		sh -c "! grep -v '^#' /etc/s2attr/policy | grep -q ."
	printf '%s\n' "$POLICY_RULES" >>/etc/s2attr/policy
	check "modprobe s2attr: the dkms-built module, from modules.dep" /sbin/modprobe s2attr
	check "the rules are loaded when modprobe returns (modprobe.d install line)" \
		policy_is "$POLICY_RULES"
	policy_run "pkg"
	policy_runs pkg
	ctl_vm
	check "modprobe -r s2attr" /sbin/modprobe -r s2attr
}

# No udevd here: the rule is checked for the event it matches, and its
# command is run as udev would on that event, after a load without modprobe.
pkg_udev() {
	cmd=$(sed -n 's/^ACTION=="add", SUBSYSTEM=="module", KERNEL=="s2attr", RUN+="\(.*\)"$/\1/p' \
		$UDEV_RULE)
	check "udev rule: RUN on the add event of module s2attr" test -n "$cmd"
	check "insmod s2attr (no modprobe): no rules" \
		sh -c "insmod /lib/modules/$(uname -r)/updates/dkms/s2attr.ko && test -z \"\$(cat $SYS/policy)\""
	check "the udev rule's command loads the rules" sh -c "$cmd"
	check "the rules are loaded" policy_is "$POLICY_RULES"
	check "rmmod s2attr" rmmod s2attr
}

plan_pkg() {
	load_test_modules
	pkg_modprobe
	pkg_udev
}
