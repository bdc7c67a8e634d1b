# SPDX-License-Identifier: GPL-2.0
#
# Results of test runs, shared by check.sh, stress.sh and pkgtest.sh; sourced.
# Every result is one line, "PASS|FAIL|SKIP <name>", counted for the
# closing "N passed, M failed" line.

pass=0
fail=0
skip=0

result() {
	case "$1" in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	esac
	echo "$1 $2"
}

# summary: the closing lines; a skip has said why on its own line.
summary() {
	echo "$skip skipped"
	echo "$pass passed, $fail failed"
}

# step NAME CMD...: a build step is a test too; its output goes to a log,
# the seconds it took to its result line.
step() {
	local name=$1 log t0=$SECONDS
	shift
	log=$logs/step-$(echo "$name" | tr -c 'a-zA-Z0-9.\n' '-').log
	if "$@" >"$log" 2>&1; then
		result PASS "$name ($((SECONDS - t0)) s)"
	else
		result FAIL "$name (see ${log#"$S2ATTR_TOP"/})"
		tail -n 20 "$log" | sed 's/^/    /'
		return 1
	fi
}

# A kernel splat anywhere in a run fails it.
SPLAT='WARNING:|BUG:|Oops|Kernel panic|Call trace:|circular locking|INFO: task .* blocked|KASAN:|UBSAN:|kmemleak: [0-9]+ new suspected|self-detected stall|Unable to handle|refcount_t:|list_(add|del) corruption'

# collect LOG PREFIX: one result per TAP line of a run, plus the run's own.
collect() {
	local log=$1 prefix=$2 line name
	tr -d '\r' <"$log" >"$log.txt"
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*) result SKIP "$prefix: ${line#*# SKIP }" ;;
		"ok "*) name=${line#ok }; result PASS "$prefix: ${name#* }" ;;
		"not ok "*) name=${line#not ok }; result FAIL "$prefix: ${name#* }" ;;
		"# "*) echo "    $line" ;;
		esac
	done < <(sed -n '/^S2ATTR-BEGIN/,/^S2ATTR-DMESG-BEGIN/p' "$log.txt" |
		 grep -E '^(ok |not ok |# )' | grep -v '^# \(Totals\|Planned\)')
	if grep -q '^S2ATTR-END' "$log.txt"; then
		result PASS "$prefix: the run completed"
	else
		result FAIL "$prefix: the run did not complete (see ${log#"$S2ATTR_TOP"/}.txt)"
	fi
	if grep -Ev '^(ok|not ok) ' "$log.txt" | grep -Eq "$SPLAT"; then
		result FAIL "$prefix: kernel splat (see ${log#"$S2ATTR_TOP"/}.txt)"
		grep -Ev '^(ok|not ok) ' "$log.txt" | grep -E -m5 "$SPLAT" | sed 's/^/    /'
	else
		result PASS "$prefix: no kernel splat"
	fi
	awk '/^S2ATTR-DUMP-BEGIN/ { f = $2 ".dump"; next } /^S2ATTR-DUMP-END/ { f = ""; next }
	     f != "" { print > (DIR "/" f) }' DIR="$(dirname "$log")" "$log.txt"
}

