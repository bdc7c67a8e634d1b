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

# The cases a run must report.  A run on another machine (the test host
# in QEMU, its nested guest, a booted Debian host) reports one TAP line per
# case; what the host counts is compared with the list of cases that the
# plan expects (a file named in tests/plans.conf), so that a case which did
# not run is a failure that names it, not a line that is simply absent.
#
# A cases file has one case per line: an optional condition in brackets,
# then the case's name.  "*" in a name stands for any text (a figure the
# run prints in its name); no other character is special.  A condition is
# a list of FACT=VALUE that must all hold for the case to be expected:
#   [fwb=1] [dic=0] [fwb=1 dic=1] [series=6.1] [pages=64k] [cpu=neoverse-n2]
# A name that may be reported more than once is listed as often.  Lines
# that are blank or start with "#" are comments.
#
# Numbered TAP lines ("ok 3 ...") are a test program's own results under
# its TAP plan; the plan checks the program's own line (named, "ok 0
# program ..."), which says whether it ran to its end and reported every
# result its plan announced.  Only named lines ("ok 0 ...") are matched.

# expect_cases FILE FACT=VALUE...: the names FILE expects under those facts.
expect_cases() {
	local file=$1 line cond f ok
	shift
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in "" | "#"*) continue ;; esac
		if [[ "$line" == "["*"] "* ]]; then
			cond=${line%%] *}
			cond=${cond#[}
			line=${line#*] }
			ok=1
			for f in $cond; do
				[[ " $* " == *" $f "* ]] || ok=
			done
			[ -n "$ok" ] || continue
		fi
		echo "$line"
	done <"$file"
}

# case_matches NAME PATTERN: NAME is PATTERN, "*" standing for any text.
case_matches() {
	local p
	p=$(printf '%q' "$2")
	p=${p//\\\*/*}
	# shellcheck disable=SC2053 # $p is the pattern, escaped above
	[[ "$1" == $p ]]
}

# check_cases PREFIX EXPECTED REPORTED: one FAIL per expected case that
# was not reported and per reported case that was not expected (or was
# reported more often than expected).  EXPECTED and REPORTED are files
# of one name per line.
check_cases() {
	local prefix=$1 name i n=0 found
	local -a want used
	mapfile -t want <"$2"
	while IFS= read -r name; do
		found=
		# A name listed as it is first, then the patterns, in order.
		for i in "${!want[@]}"; do
			if [ -z "${used[i]:-}" ] && [ "${want[i]}" = "$name" ]; then
				found=$i
				break
			fi
		done
		if [ -z "$found" ]; then
			for i in "${!want[@]}"; do
				if [ -z "${used[i]:-}" ] && case_matches "$name" "${want[i]}"; then
					found=$i
					break
				fi
			done
		fi
		if [ -n "$found" ]; then
			used[found]=1
			n=$((n + 1))
		else
			result FAIL "$prefix: a case the plan does not expect (or one more time than it does): $name"
		fi
	done <"$3"
	for i in "${!want[@]}"; do
		[ -n "${used[i]:-}" ] ||
			result FAIL "$prefix: an expected case did not report: ${want[i]}"
	done
	echo "    $prefix: $n of ${#want[@]} expected cases reported"
}

# collect LOG PREFIX PLAN CPU SERIES PAGES: one result per TAP line of a
# run of PLAN, the run's own (it completed, no kernel splat), and the
# comparison of its named cases with the plan's cases file
# (tests/plans.conf) under the facts of CPU, SERIES and PAGES.  A SKIP
# carries its reason ("ok 0 NAME # SKIP REASON").
collect() {
	local log=$1 prefix=$2 cases line name why tap
	cases=$S2ATTR_TOP/tests/$(plan_field "$3" 6)
	if [ ! -f "$cases" ]; then
		result FAIL "$prefix: plan $3 has no cases file (tests/plans.conf)"
		return
	fi
	if [ ! -f "$log" ]; then
		result FAIL "$prefix: the plan did not run (no ${log#"$S2ATTR_TOP"/})"
		return
	fi
	tr -d '\r' <"$log" >"$log.txt"
	tap=$log.cases
	: >"$tap"
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*)
			name=${line%%# SKIP*}
			name=${name#ok }
			# A program's skip has no name, only its reason.
			why=${name#* }
			result SKIP "$prefix: ${why:+$why- }${line#*# SKIP }"
			;;
		"ok "*) name=${line#ok }; result PASS "$prefix: ${name#* }" ;;
		"not ok "*) name=${line#not ok }; result FAIL "$prefix: ${name#* }" ;;
		"# "*) echo "    $line"; continue ;;
		esac
		# Numbered: a program's own result; "setup:": a fixture's failure.
		case "$name" in "0 setup: "*) continue ;; "0 "*) ;; *) continue ;; esac
		name=${name#0 }
		name=${name% }
		echo "$name" >>"$tap"
	done < <(sed -n '/^S2ATTR-BEGIN/,/^S2ATTR-DMESG-BEGIN/p' "$log.txt" |
		 grep -E '^(ok |not ok |# )' | grep -v '^# \(Totals\|Planned\)')
	# shellcheck disable=SC2046 # the facts are words
	expect_cases "$cases" $(plan_facts "$4" "$5" "$6") >"$log.expected"
	check_cases "$prefix" "$log.expected" "$tap"
	if grep -q '^S2ATTR-END' "$log.txt"; then
		result PASS "$prefix: the run completed"
	else
		result FAIL "$prefix: the run did not complete (see ${log#"$S2ATTR_TOP"/}.txt)"
	fi
	if grep -Ev '^(ok|not ok) ' "$log.txt" | grep -Eq "$SPLAT"; then
		result FAIL "$prefix: kernel splat (see ${log#"$S2ATTR_TOP"/}.txt)"
		grep -Ev '^(ok|not ok) ' "$log.txt" | grep -E -m5 "$SPLAT" | sed 's/^/    /' || true
	else
		result PASS "$prefix: no kernel splat"
	fi
	awk '/^S2ATTR-DUMP-BEGIN/ { f = $2 ".dump"; next } /^S2ATTR-DUMP-END/ { f = ""; next }
	     f != "" { print > (DIR "/" f) }' DIR="$(dirname "$log")" "$log.txt"
}
