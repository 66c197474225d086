#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of tcpfault_lib.sh's checks and cases (no kernel, no
# root): fake suites built on the real library must say why they failed.
# - a failing check prints the case, its reason and what it saw, and the
#   case is "not ok"; the first failing check is the one reported;
# - TESTS="a b" runs only those cases, an unknown name fails;
# - a failing step of the suite's own setup() is a FAIL naming the step,
#   not a SKIP;
# - the clocks: under a real clock a case of LONG_TESTS over the bound
#   skips naming the command that runs it, TCPFAULT_LONG=1 runs it,
#   KSFT_MACHINE_SLOW=yes makes a timing miss an XFAIL, bad values are
#   refused, and the host-jitter tolerance passes a gap late by less
#   than it, never a wrong count; unset, the clock is measured against
#   the RTC; a case longer than twice TF_LONG_S under the virtual clock
#   that LONG_TESTS does not name fails;
# - the suites themselves: every case in ALL_TESTS is a function, no check
#   ends in "|| ok=0", no wait is an sh -c string, LONG_TESTS names cases.
# Needs kselftest's net/lib.sh (make -C selftests extracts it).
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail()
{
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# suite NAME BODY: a fake suite in $tmp/NAME, sourcing the real library.
suite()
{
	cat >"$tmp/$1" <<EOS
#!/bin/bash
source "$here/tcpfault_lib.sh"
ktap_print_header
cleanup() { :; }
$2
tf_run_tests
EOS
	chmod +x "$tmp/$1"
}

# run NAME [VAR=VALUE...]: run a fake suite; its output in OUT, status in ST.
run()
{
	local name=$1

	shift
	# A real clock unless told: the host's (no measuring, no cache in /tmp).
	OUT=$(env TCPFAULT_CLOCK=real "$@" "$tmp/$name" 2>&1)
	ST=$?
}

# has TEXT: OUT has a line containing TEXT.
has()
{
	grep -qF -- "$1" <<<"$OUT" || { fail "$CASE: no '$1' in:"; sed 's/^/    /' <<<"$OUT"; }
}

hasnt()
{
	! grep -qF -- "$1" <<<"$OUT" || { fail "$CASE: '$1' should not be in:"; sed 's/^/    /' <<<"$OUT"; }
}

status()
{
	[ "$ST" = "$1" ] || fail "$CASE: exit status $ST, want $1"
}

suite basic '
ALL_TESTS="test_good test_bad test_cmd"
setup() { :; }
test_good()
{
	tf_check_eq "one is one" 1 1
	tf_check_range "in range" 5 1 9
	log_test "a good case"
}
test_bad()
{
	local n=3

	tf_check_eq "the first count" "$n" 6
	tf_check_ge "the second count" 0 1
	log_test "a bad case"
}
test_cmd()
{
	grep -q needle <<<"haystack"
	check_err $? "needle in the haystack"
	log_test "a command check"
}
'

CASE="failing check"
run basic
status 1
has "ok 1 a good case"
has "not ok 2 a bad case"
has "# test_bad: FAIL: the first count: saw '3', want '6' (and 1 later failed checks)"
hasnt "the second count"
has "not ok 3 a command check"
has "# test_cmd: FAIL: needle in the haystack"
has "1..3"

CASE="TESTS selects"
run basic TESTS="test_cmd test_good"
status 1
has "1..2"
has "ok 1 a command check"
hasnt "a bad case"
run basic TESTS="test_good"
status 0
has "ok 1 a good case"
hasnt "a command check"

CASE="TESTS names an unknown case"
run basic TESTS="test_good test_nosuch"
status 1
has "no case test_nosuch"

suite setupfail '
ALL_TESTS="test_a test_b"
helper_that_fails() { return 1; }
setup()
{
	true || return 1
	helper_that_fails "listener" 8080 || return 1
	true
}
test_a() { log_test "a"; }
test_b() { log_test "b"; }
'

CASE="setup failure"
run setupfail
status 1
has "setup failed at: helper_that_fails \"listener\" 8080"
has "not ok 1 test_a (setup failed)"
has "not ok 2 test_b (setup failed)"
hasnt "SKIP"

suite clocks '
ALL_TESTS="test_short test_long test_timing"
LONG_TESTS="test_long=1000 test_short=10"
setup() { :; }
test_short() { log_test "short"; }
test_long() { log_test "long"; }
test_timing()
{
	xfail_on_slow check_err 1 "a gap outside its window"
	log_test "timing"
}
'

CASE="real clock: a long case skips, with the command that runs it"
run clocks TCPFAULT_CLOCK=real
status 1
has "ok 1 short"
has "ok 2 test_long (waits ~1000 s, over 300 s of a real clock: run it with TCPFAULT_LONG=1 TESTS=test_long ./clocks"
has "# SKIP"
has "not ok 3 timing"

CASE="TCPFAULT_LONG=1 and the virtual clock run it"
run clocks TCPFAULT_LONG=1
has "ok 2 long"
run clocks TCPFAULT_CLOCK=virtual
has "ok 2 long"
hasnt "SKIP"

CASE="KSFT_MACHINE_SLOW=yes: a timing miss is an XFAIL"
run clocks TCPFAULT_CLOCK=virtual KSFT_MACHINE_SLOW=yes
status 0
has "# test_timing: XFAIL: a gap outside its window"
has "ok 3 timing # XFAIL"

CASE="bad clock variables are refused"
run clocks TCPFAULT_CLOCK=fast
status 1
has "TCPFAULT_CLOCK=fast: want virtual or real"
run clocks TCPFAULT_TOLERANCE_MS=1.5
status 1
has "TCPFAULT_TOLERANCE_MS=1.5: want a number of ms"
run clocks TCPFAULT_LONG=yes
status 1
has "TCPFAULT_LONG=yes: want 1"

CASE="TCPFAULT_CLOCK unset: measured against the RTC, virtual when it stands still"
echo 1000 >"$tmp/rtc"
run clocks TCPFAULT_CLOCK= TCPFAULT_RTC="$tmp/rtc"
has "# clock: virtual (measured: TCPFAULT_CLOCK unset)"
has "ok 2 long"
CASE="TCPFAULT_CLOCK unset: real when the RTC moves with the nap"
(sleep 1; echo 1003 >"$tmp/rtc") &
run clocks TCPFAULT_CLOCK= TCPFAULT_RTC="$tmp/rtc"
wait
has "# clock: real (measured: TCPFAULT_CLOCK unset)"
has "ok 2 test_long (waits ~1000 s"
CASE="TCPFAULT_CLOCK unset, no RTC: real"
run clocks TCPFAULT_CLOCK= TCPFAULT_RTC="$tmp/no-rtc"
has "# clock: real (measured: TCPFAULT_CLOCK unset)"

suite slow '
ALL_TESTS="test_slow"
setup() { :; }
test_slow() { tf_nap 2.2; log_test "slow"; }
'
CASE="virtual clock: a case over twice TCPFAULT_LONG_S that LONG_TESTS does not name fails"
run slow TCPFAULT_CLOCK=virtual TCPFAULT_LONG_S=1
status 1
has "# test_slow took 2.2 s"
has "# test_slow: FAIL: it took over twice TF_LONG_S (1 s) of guest time, and LONG_TESTS does not name it"
CASE="virtual clock: named in LONG_TESTS, it passes"
suite slow '
ALL_TESTS="test_slow"
LONG_TESTS="test_slow=3"
setup() { :; }
test_slow() { tf_nap 2.2; log_test "slow"; }
'
run slow TCPFAULT_CLOCK=virtual TCPFAULT_LONG_S=1
status 0
hasnt "FAIL"
run slow TCPFAULT_LONG_S=1x
status 1
has "TCPFAULT_LONG_S=1x: want a number of seconds"

# The tolerance: tf_tolerated MS on tcpfaultctl -j timeline output (stdin).
tolerated()
{
	TCPFAULT_CLOCK=real bash -c 'source "$1/tcpfault_lib.sh" && tf_tolerated "$2"' tolerated "$here" "$1"
}

CASE="tolerance: a gap 124 ms late"
j='[{"flow":1,"src":"10.0.1.1:5000","events":[{"ts":1,"syn_gap":1.160000,"window_lo":1.000000,"window_hi":1.036000,"ok":false,"syn":5}],"syns":{"count":7,"model_min":7,"model_max":7,"ok":true}}]'
OUT=$(tolerated 100 <<<"$j") && fail "$CASE: tolerated at 100 ms: $OUT"
OUT=$(tolerated 150 <<<"$j") || fail "$CASE: not tolerated at 150 ms"
[ "$OUT" = "1 0.124" ] || fail "$CASE: '$OUT', want '1 0.124'"
CASE="tolerance: a count is never tolerated"
j='[{"events":[],"syns":{"count":7,"model_min":11,"model_max":11,"ok":false}}]'
OUT=$(tolerated 100000 <<<"$j") && fail "$CASE: tolerated"
CASE="tolerance: a give-up the model does not have is never tolerated"
j='[{"events":[],"giveup":{"wait":4.100000,"ok":false,"total":11.379000,"total_window":{"window_lo":11.3,"window_hi":11.4,"ok":true}}}]'
OUT=$(tolerated 100000 <<<"$j") && fail "$CASE: tolerated"
CASE="tolerance: the give-up total late"
j='[{"events":[],"giveup":{"wait":4.1,"window_lo":4.0,"window_hi":4.2,"ok":true,"total":11.45,"total_window":{"window_lo":11.3,"window_hi":11.4,"ok":false}}}]'
OUT=$(tolerated 100 <<<"$j") || fail "$CASE: not tolerated"

CASE="the suites"
for s in "$here"/*.sh; do
	case ${s##*/} in
	*_lib.sh|run.sh|fetch-kselftest.sh) continue ;;
	esac
	n=$(grep -cE '(\|\||&&|;|\{) *ok=0|^\s*ok=0' "$s")
	[ "$n" = 0 ] || fail "${s##*/}: $n checks end in 'ok=0' (say why: check_err, tf_check_*)"
	n=$(grep -cE '\btf_result\b|\btf_check |^\s*expect ' "$s")
	[ "$n" = 0 ] || fail "${s##*/}: $n test points without a reason (tf_result, tf_check, expect)"
	n=$(grep -c 'wait [0-9]* sh -c' "$s")
	[ "$n" = 0 ] || fail "${s##*/}: $n waits on sh -c strings (name the condition)"
	all=$(sed -n '/^ALL_TESTS="/,/"/p' "$s" | tr -d '"' | sed 's/ALL_TESTS=//')
	[ -n "$all" ] || fail "${s##*/}: no ALL_TESTS"
	for t in $all; do
		grep -q "^$t()" "$s" || fail "${s##*/}: $t in ALL_TESTS is not a function"
	done
	for t in $(sed -n 's/^\(test_[a-z0-9_]*\)()$/\1/p' "$s"); do
		grep -qw "$t" <<<"$all" || fail "${s##*/}: $t() is not in ALL_TESTS"
	done
	grep -q 'tf_run_tests' "$s" || fail "${s##*/}: does not run its cases through tf_run_tests"
	for t in $(sed -n 's/^LONG_TESTS="\(.*\)"$/\1/p' "$s"); do
		grep -qw "${t%%=*}" <<<"$all" || fail "${s##*/}: LONG_TESTS: ${t%%=*} is not in ALL_TESTS"
		[[ ${t#*=} =~ ^[0-9]+$ ]] || fail "${s##*/}: LONG_TESTS: $t: want NAME=SECONDS"
	done
done

if [ "$fails" -gt 0 ]; then
	echo "lib_test: $fails failed"
	exit 1
fi
echo "lib_test: ok"
