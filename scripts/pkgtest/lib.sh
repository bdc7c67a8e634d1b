# SPDX-License-Identifier: GPL-2.0
#
# scripts/pkgtest/lib.sh: the steps of scripts/pkgtest.sh; sourced by it
# after scripts/lib.sh and scripts/results.sh, before the stages.  A step
# is one result line of results.sh's (result), counted for the closing
# "N passed, M failed"; its command runs with errexit, its output goes to
# a numbered log under $logs.  "must" steps end the run when they fail:
# what follows needs them.  "check" steps do not.  (results.sh's own step
# runs its command without errexit, which these commands need.)

# finish: the closing lines, and the run's exit status.
finish() {
	note "pkgtest: $((SECONDS - started)) s"
	summary
	[ "$fail" -eq 0 ] || exit 1
	exit 0
}

# run FATAL NAME CMD...: one result from CMD, run with errexit in a subshell
# (a caller's "if" or "||" would switch errexit off inside functions), its
# output in a log.  A FATAL failure ends the run.
run() {
	local fatal=$1 name=$2 log rc
	shift 2
	log=$logs/$(printf %02d $((pass + fail + 1)))-$(echo "$name" |
		tr -c 'a-zA-Z0-9.\n' '-' | cut -c1-60).log
	set +e
	(set -e; "$@") >"$log" 2>&1
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		result PASS "$name"
		return 0
	fi
	result FAIL "$name (see ${log#"$S2ATTR_TOP"/})"
	tail -n 20 "$log" | sed 's/^/    /'
	[ "$fatal" = fatal ] && finish
	return 0
}
must() { run fatal "$@"; }
check() { run nonfatal "$@"; }

# none WHAT CMD...: CMD finds nothing; what it finds is shown.  ("! CMD"
# would not stop errexit.)
none() {
	local what=$1 out
	shift
	out=$("$@" 2>/dev/null) || true
	[ -z "$out" ] || die "found $what: $out"
}
