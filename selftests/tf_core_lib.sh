# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The core of the suites' library (tcpfault_lib.sh sources it first): finds
# kselftest's net/lib.sh and ktap_helpers.sh, the helpers and tcpfaultctl;
# module load, logging, checks and cases, the clock (naps and waits
# without exec), and conditions to wait on and queries of the module's
# event log and counters.

TF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# kselftest's own shell libraries: next to us in a kernel tree (or an
# installed kselftest), else the cache selftests/Makefile extracts.
if [ -z "${KSFT_DIR:-}" ]; then
	for d in "$TF_DIR/.." "$TF_DIR/../out/kselftest/tools/testing/selftests"; do
		if [ -r "$d/net/lib.sh" ] && [ -r "$d/kselftest/ktap_helpers.sh" ]; then
			KSFT_DIR=$(cd "$d" && pwd)
			break
		fi
	done
fi
if [ -z "${KSFT_DIR:-}" ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP kselftest's net/lib.sh not found (make -C selftests extracts it)"
	exit 4
fi
# shellcheck source=/dev/null
source "$KSFT_DIR/net/lib.sh"
# shellcheck source=/dev/null
source "$KSFT_DIR/kselftest/ktap_helpers.sh"

# --- The clock the suites run under
# virtual: scripts/run-in-vm --clock virtual (QEMU icount, sleep=off):
#   guest time skips idle time, so the long waits cost no wall time and
#   the host's load does not show in the guest's timings.
# real: any other machine (a CI engine's VM, hardware, run-in-vm --clock
#   real): waits are wall time and the host's jitter shows in the gaps.
# The runner says which: TCPFAULT_CLOCK=virtual (run-in-vm passes it).
# Unset, the first suite of a boot measures it (tf_detect_clock), the
# others read what it found. Under a real clock:
# - a case listed in the suite's LONG_TESTS ("test_x=SECONDS", the guest
#   seconds it waits) that waits longer than TF_LONG_S (TCPFAULT_LONG_S,
#   default 300) is skipped, with the command that runs it;
#   TCPFAULT_LONG=1 runs it anyway;
# - every window of the model is widened by TCPFAULT_TOLERANCE_MS each
#   side (default 100 ms; 0 under the virtual clock) for the host's jitter;
# and with KSFT_MACHINE_SLOW=yes (net/lib.sh's convention) a timing check
# outside its window is an XFAIL, not a FAIL.
TF_LONG_S=${TCPFAULT_LONG_S:-300}
if ! [[ $TF_LONG_S =~ ^[0-9]{1,6}$ ]]; then
	echo "# TCPFAULT_LONG_S=$TF_LONG_S: want a number of seconds (0-999999)" >&2
	exit "$KSFT_FAIL"
fi

# tf_nap SECONDS: sleep without exec (read -t on a pipe nobody writes),
# SECONDS at least by the clock: whatever might end a read -t early (a
# line on the pipe, an interrupted read), it reads again until then.
tf_nap()
{
	local int=${1%.*} frac=${1#*.} now end left t

	[[ $1 == *.* ]] || frac=
	frac=${frac}000000
	end=$(( ${EPOCHREALTIME/./} + 10#${int:-0} * 1000000 + 10#${frac:0:6} ))
	[ -n "${TF_NAP_FD:-}" ] || exec {TF_NAP_FD}<> <(:)
	while now=${EPOCHREALTIME/./}; left=$((end - now)); [ "$left" -gt 0 ]; do
		printf -v t '%d.%06d' $((left / 1000000)) $((left % 1000000))
		read -r -t "$t" -u "$TF_NAP_FD"
	done
	return 0
}

# tf_detect_clock: "virtual" or "real", measured once a boot (cached in
# /tmp by boot id): a 2 s nap against the RTC. QEMU's RTC follows the
# host's clock, and under -icount sleep=off a nap costs the host almost
# nothing, so the RTC moves by at most 1 s; a real clock moves it by 2 or
# 3. Without an RTC: real. TCPFAULT_RTC replaces the RTC's seconds file
# (for the library's own tests).
tf_detect_clock()
{
	local rtc=${TCPFAULT_RTC:-/sys/class/rtc/rtc0/since_epoch} id= cache a b clock=real

	{ read -r id </proc/sys/kernel/random/boot_id; } 2>/dev/null
	cache=/tmp/tcpfault-clock.${id:-unknown}
	if [ -z "${TCPFAULT_RTC:-}" ] && { read -r clock <"$cache"; } 2>/dev/null &&
	   [[ $clock == virtual || $clock == real ]]; then
		echo "$clock"
		return 0
	fi
	clock=real
	if { read -r a <"$rtc"; } 2>/dev/null; then
		tf_nap 2
		{ read -r b <"$rtc"; } 2>/dev/null && [ $((b - a)) -le 1 ] && clock=virtual
	fi
	[ -n "${TCPFAULT_RTC:-}" ] || { echo "$clock" >"$cache"; } 2>/dev/null
	echo "$clock"
}

TF_CLOCK_FROM="TCPFAULT_CLOCK"
if [ -n "${TCPFAULT_CLOCK:-}" ]; then
	TF_CLOCK=$TCPFAULT_CLOCK
else
	TF_CLOCK=$(tf_detect_clock)
	TF_CLOCK_FROM="measured: TCPFAULT_CLOCK unset"
fi
case $TF_CLOCK in
virtual) TF_TOLERANCE_MS=${TCPFAULT_TOLERANCE_MS:-0} ;;
real) TF_TOLERANCE_MS=${TCPFAULT_TOLERANCE_MS:-100} ;;
*)
	echo "# TCPFAULT_CLOCK=$TF_CLOCK: want virtual or real (unset: measured)" >&2
	exit "$KSFT_FAIL" ;;
esac
if ! [[ $TF_TOLERANCE_MS =~ ^[0-9]{1,6}$ ]]; then
	echo "# TCPFAULT_TOLERANCE_MS=$TF_TOLERANCE_MS: want a number of ms (0-999999)" >&2
	exit "$KSFT_FAIL"
fi
if [ -n "${TCPFAULT_LONG:-}" ] && [ "$TCPFAULT_LONG" != 1 ]; then
	echo "# TCPFAULT_LONG=$TCPFAULT_LONG: want 1 (or unset)" >&2
	exit "$KSFT_FAIL"
fi

# xfail_on_slow CMD...: CMD, its failed checks XFAILs when
# KSFT_MACHINE_SLOW=yes (net/lib.sh has it from 6.13 on; the same here
# for older ones).
if ! declare -F xfail_on_slow >/dev/null; then
	xfail_on_slow()
	{
		if [ "${KSFT_MACHINE_SLOW:-}" = yes ]; then
			FAIL_TO_XFAIL=yes "$@"
		else
			"$@"
		fi
	}
fi

# kselftest's slowwait counts guest seconds. Under the virtual clock the
# guest clock leaps, while the guest waits on its 9p root, to the next
# pending timer however far away, which can end such a wait at its first
# poll. Ours counts polls (ten a second) and naps without exec (tf_nap).
slowwait()
{
	local polls=$(( $1 * 10 ))

	shift
	tf_poll "$polls" 0.1 "$@"
}

# tf_poll POLLS SECONDS COND...: run COND (a named condition, e.g. one of
# the tf_* conditions below) until it is true, at most POLLS times,
# SECONDS apart (tf_nap); its output on success. False if it never was.
tf_poll()
{
	local polls=$1 nap=$2 out

	shift 2
	while :; do
		if out=$("$@"); then
			echo -n "$out"
			return 0
		fi
		polls=$((polls - 1))
		[ "$polls" -gt 0 ] || return 1
		tf_nap "$nap"
	done
}

# Helpers beside the scripts (installed / in-tree), or in out/selftests
# (out of tree); tcpfaultctl in out/.
PATH=$TF_DIR:$TF_DIR/../out/selftests:$TF_DIR/../out:$PATH

# shellcheck disable=SC2034 # used by the suites
TF_PORT=8080
TF_RELEASE=$(uname -r)

# Every suite: skip (exit 4) unless the tools and the helpers are here, and
# the module is loaded or can be (tf_load_module). Arguments: "noload" = the suite loads the module itself; the
# names of further tools the suite needs.
tf_require()
{
	local tool load=1 why

	ktap_print_header
	if [ "$(id -u)" -ne 0 ]; then
		ktap_skip_all "must run as root"
		exit "$KSFT_SKIP"
	fi
	if [ "${1:-}" = noload ]; then
		load=
		shift
	fi
	for tool in ip tcpfaultctl tf_listen tf_connect "$@"; do
		if ! command -v "$tool" >/dev/null; then
			ktap_skip_all "$tool not found (make; make -C selftests)"
			exit "$KSFT_SKIP"
		fi
	done
	if [ -n "$load" ] && ! why=$(tf_load_module); then
		ktap_skip_all "$why"
		exit "$KSFT_SKIP"
	fi
}

# tf_load_module: load the module unless it is: modprobe tcpfault (an
# installed or DKMS-built one), else the file tf_module_path finds (a
# kselftest package's modules/RELEASE/, the checkout's out/RELEASE/).
# Prints why not, when it cannot.
tf_load_module()
{
	local ko err

	[ -d /proc/net/tcpfault ] && return 0
	modprobe -q tcpfault 2>/dev/null && [ -d /proc/net/tcpfault ] && return 0
	ko=$(tf_module_path)
	if [ -z "$ko" ]; then
		echo "no tcpfault module for kernel $TF_RELEASE (build it: make module KVER=$TF_RELEASE; package it: make kselftest-install)"
		return 1
	fi
	if ! err=$(insmod "$ko" 2>&1) || [ ! -d /proc/net/tcpfault ]; then
		echo "insmod $ko failed on kernel $TF_RELEASE: $err"
		return 1
	fi
}

# The module file for the running kernel: $TCPFAULT_KO, the checkout's
# out/RELEASE/, a kselftest package's modules/RELEASE/, one beside the
# suites, or the installed module.
tf_module_path()
{
	local ko

	for ko in "${TCPFAULT_KO:-}" "$TF_DIR/../out/$TF_RELEASE/tcpfault.ko" \
		  "$TF_DIR/modules/$TF_RELEASE/tcpfault.ko" "$TF_DIR/tcpfault.ko"; do
		if [ -n "$ko" ] && [ -r "$ko" ]; then
			echo "$ko"
			return 0
		fi
	done
	modinfo -n tcpfault 2>/dev/null
}

# Print a command's output as KTAP diagnostics.
tf_diag()
{
	sed -e 's/^/# /'
}


# tf_stat NS KEY: one counter from /proc/net/tcpfault/stats in NS.
tf_stat()
{
	ip netns exec "$1" cat /proc/net/tcpfault/stats | sed -n "s/^$2 //p"
}

# tf_count_events NS [PATTERN]: number of events (matching PATTERN) in NS.
tf_count_events()
{
	ip netns exec "$1" cat /proc/net/tcpfault/events | grep -c -- "${2:-.}"
}

# tf_field LINE KEY: the value after KEY in a "key value ..." line.
tf_field()
{
	local line=$1 key=$2

	# shellcheck disable=SC2086
	set -- $line
	while [ $# -ge 2 ]; do
		if [ "$1" = "$key" ]; then
			echo "$2"
			return 0
		fi
		shift
	done
	return 1
}

# tf_secs FROM_NS TO_NS: the seconds from one CLOCK_MONOTONIC time (ns) to
# another, to the millisecond.
tf_secs()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# tf_timed_result WHAT OUT RC WANT: the line of a timed helper (tf_connect,
# tf_send, tf_idle: "start_ns S end_ns E ... errno NAME ...") and its exit
# status RC: the line as diagnostics, its fields in TF_START, TF_END,
# TF_ERRNO (and tf_idle's TF_RTO_MS), and a check that WHAT failed (exit
# 1) with errno WANT, or for WANT 0 that it succeeded (exit 0).
tf_timed_result()
{
	local what=$1 out=$2 rc=$3 want=$4 want_rc=1

	[ "$want" != 0 ] || want_rc=0
	tf_diag <<<"$out"
	# shellcheck disable=SC2034 # for the suites
	TF_START=$(tf_field "$out" start_ns)
	# shellcheck disable=SC2034
	TF_END=$(tf_field "$out" end_ns)
	TF_ERRNO=$(tf_field "$out" errno)
	# shellcheck disable=SC2034
	TF_RTO_MS=$(tf_field "$out" rto_ms)
	if [ "$rc" -ne "$want_rc" ] || [ "$TF_ERRNO" != "$want" ]; then
		check_err 1 "$what: errno ${TF_ERRNO:-?} (exit $rc), expected $want"
	fi
}

# --- Checks and cases
# As in the kernel's forwarding/lib.sh: a case (a test_* function named in
# ALL_TESTS) makes checks, each of which records the first one that fails
# (RET and retmsg, net/lib.sh's variables; ret_set_ksft_status keeps the
# first message), and ends with log_test TITLE, which prints one KTAP
# test point and, when it failed, that check's reason and what it saw.
# Later failures of the same case are counted, not reported.

TF_NFAIL=0

# check_err ERR MSG: fail unless ERR (a status, usually $?) is 0; an
# XFAIL instead under FAIL_TO_XFAIL=yes (xfail_on_slow).
# shellcheck disable=SC2154 # ksft_pass, ksft_fail ... are net/lib.sh's
check_err()
{
	if (($1)); then
		TF_NFAIL=$((TF_NFAIL + 1))
		if [ "${FAIL_TO_XFAIL:-}" = yes ]; then
			ret_set_ksft_status "$ksft_xfail" "$2"
		else
			ret_set_ksft_status "$ksft_fail" "$2"
		fi
	fi
	return 0
}

# check_fail ERR MSG: fail if ERR is 0 (something that must not succeed).
# shellcheck disable=SC2154
check_fail()
{
	if ((!$1)); then
		TF_NFAIL=$((TF_NFAIL + 1))
		ret_set_ksft_status "$ksft_fail" "$2"
	fi
	return 0
}

# tf_check_eq WHAT GOT WANT (and _ne): a value as a string; the message is
# "WHAT: saw GOT, want WANT".
tf_check_eq()
{
	[ "$2" = "$3" ]
	check_err $? "$1: saw '$2', want '$3'"
}

tf_check_ne()
{
	[ "$2" != "$3" ]
	check_err $? "$1: saw '$2', want anything but that"
}

# tf_check_ge / _gt / _le / _lt WHAT GOT BOUND: an integer against a bound
# (not an integer: failed).
tf_check_int()
{
	test "$2" "$3" "$4" 2>/dev/null
	check_err $? "$1: saw '$2', want $5 $4"
}

tf_check_ge() { tf_check_int "$1" "$2" -ge "$3" ">="; }
tf_check_gt() { tf_check_int "$1" "$2" -gt "$3" ">"; }
tf_check_le() { tf_check_int "$1" "$2" -le "$3" "<="; }
tf_check_lt() { tf_check_int "$1" "$2" -lt "$3" "<"; }

# tf_check_range WHAT GOT MIN MAX: an integer in [MIN, MAX].
tf_check_range()
{
	[ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]
	check_err $? "$1: saw '$2', want $3..$4"
}

# tf_check_grep WHAT [-E] PATTERN TEXT: TEXT has a line matching PATTERN
# (grep, or grep -E); tf_check_nogrep: no line of TEXT does.
tf_check_grep()
{
	tf_check_grep_as 0 "$@"
}

tf_check_nogrep()
{
	tf_check_grep_as 1 "$@"
}

# tf_check_grep_as INVERT WHAT [-E] PATTERN TEXT: the two above.
tf_check_grep_as()
{
	local invert=$1 what=$2 opt=() st

	shift 2
	if [ "$1" = -E ]; then
		opt=(-E)
		shift
	fi
	grep -q "${opt[@]}" -- "$1" <<<"$2"
	st=$?
	if [ "$invert" = 0 ] && [ "$st" != 0 ]; then
		check_err 1 "$what: no '$1' in '$(tf_oneline "$2")'"
	elif [ "$invert" = 1 ] && [ "$st" = 0 ]; then
		check_err 1 "$what: '$1' in '$(tf_oneline "$2")'"
	fi
	return 0
}

# tf_check_cmd WHAT CMD...: CMD (in this shell: a function may set
# variables) succeeds; the message names CMD, its arguments expanded, and
# its status.
tf_check_cmd()
{
	local _tf_what=$1 _tf_st

	shift
	"$@"
	_tf_st=$?
	check_err $_tf_st "$_tf_what: '$*' exited $_tf_st"
	return $_tf_st
}

# tf_oneline TEXT: TEXT on one line, at most 300 characters.
tf_oneline()
{
	local t=${1//$'\n'/ | }

	[ ${#t} -le 300 ] || t="${t:0:300}..."
	echo -n "$t"
}

# log_test TITLE: the case's KTAP test point from RET (pass, fail, xfail or
# skip, with retmsg as the reason), then RET and retmsg reset for the next
# case. (net/lib.sh's own prints "TEST: ... [FAIL]" lines, not KTAP.)
# shellcheck disable=SC2154
log_test()
{
	local title=$1 more=

	# A case that a real clock would skip must say so (LONG_TESTS): one
	# the virtual clock saw run longer than twice TF_LONG_S fails if it
	# does not (twice: the clock's leaps while the guest waits on 9p add
	# up to a minute or two to a case that waits less).
	if [ "$TF_CLOCK" = virtual ] && [ -n "${TF_CASE_T0:-}" ] &&
	   [ $(( ${EPOCHREALTIME/./} - TF_CASE_T0 )) -gt $((2 * TF_LONG_S * 1000000)) ] &&
	   ! [[ " ${LONG_TESTS:-} " == *" ${TF_TEST:-}="* ]]; then
		check_err 1 "it took over twice TF_LONG_S ($TF_LONG_S s) of guest time, and LONG_TESTS does not name it"
	fi
	[ "$TF_NFAIL" -le 1 ] || more=" (and $((TF_NFAIL - 1)) later failed checks)"
	case $RET in
	"$ksft_pass") ktap_test_pass "$title" ;;
	"$ksft_skip") ktap_test_skip "$title${retmsg:+ ($retmsg)}" ;;
	"$ksft_xfail")
		echo "# ${TF_TEST:-case}: XFAIL: $retmsg"
		__ktap_test ok "$title" XFAIL
		KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1)) ;;
	*)
		echo "# ${TF_TEST:-case}: FAIL: ${retmsg:-no reason given}$more"
		ktap_test_fail "$title" ;;
	esac
	RET=$ksft_pass
	retmsg=
	TF_NFAIL=0
}

# tf_selected_tests: the cases to run, one a line: TESTS (net/lib.sh's
# convention, names from ALL_TESTS) or all of ALL_TESTS. A name not in
# ALL_TESTS fails, unless TF_TESTS_ANY=1 (selftests/run.sh, which gives
# one TESTS to several suites and checks the names itself).
tf_selected_tests()
{
	local t bad=

	local all

	read -r -d '' -a all <<<"$ALL_TESTS"
	if [ -z "${TESTS:-}" ]; then
		printf '%s\n' "${all[@]}"
		return 0
	fi
	for t in ${TESTS}; do
		if [[ " ${all[*]} " == *" $t "* ]]; then
			echo "$t"
		elif [ "${TF_TESTS_ANY:-}" != 1 ]; then
			echo "# TESTS: no case $t here (ALL_TESTS: ${all[*]})" >&2
			bad=1
		fi
	done
	[ -z "$bad" ]
}

# tf_setup: the suite's setup(), and when it fails, which of its own
# steps did: TF_SETUP_STEP, the last command setup() itself (or a
# topology's tf_*_setup it calls) ran before it returned (not counting the
# return).
tf_setup()
{
	local st

	TF_SETUP_STEP=
	TF_SETUP_CUR=
	set -T
	trap '[[ ${FUNCNAME[0]} == @(setup|tf_*_setup) && $BASH_COMMAND != return* ]] && TF_SETUP_CUR=$BASH_COMMAND' DEBUG
	setup
	st=$?
	trap - DEBUG
	set +T
	TF_SETUP_STEP=$TF_SETUP_CUR
	return $st
}

# tf_run_tests: a suite's main part. Runs the suite's setup(), each case
# tf_selected_tests names (test_* functions ending in log_test), and its
# cleanup() on exit. A failing setup() is the suite's own fault: every
# selected case fails with the step that did (a missing tool or kernel
# option is a SKIP, decided before, by tf_require or the suite).
tf_run_tests()
{
	local t tests t0

	trap cleanup EXIT
	local why

	tests=$(tf_selected_tests) || exit "$KSFT_FAIL"
	if [ -z "$tests" ]; then
		ktap_skip_all "no case of this suite in TESTS"
		exit "$KSFT_SKIP"
	fi
	ktap_set_plan "$(wc -w <<<"$tests")"
	echo "# kernel $TF_RELEASE"
	echo "# clock: $TF_CLOCK ($TF_CLOCK_FROM)"
	if ! tf_setup; then
		echo "# setup failed at: $TF_SETUP_STEP"
		for t in $tests; do
			ktap_test_fail "$t (setup failed)"
		done
		ktap_finished
	fi
	for t in $tests; do
		if why=$(tf_too_long "$t"); then
			ktap_test_skip "$t ($why)"
			continue
		fi
		RET=$ksft_pass
		retmsg=
		TF_NFAIL=0
		TF_TEST=$t
		TF_CASE_T0=${EPOCHREALTIME/./}
		$t
		# What LONG_TESTS is made of: each case's time on the guest's clock.
		t0=$(( ${EPOCHREALTIME/./} - TF_CASE_T0 ))
		printf '# %s took %d.%d s\n' "$t" $((t0 / 1000000)) $((t0 % 1000000 / 100000))
	done
	ktap_finished
}

# tf_too_long CASE: true, with the reason and the command that runs it,
# when CASE waits longer than TF_LONG_S (LONG_TESTS) under a real clock.
tf_too_long()
{
	local t=$1 e secs

	[ "$TF_CLOCK" = real ] && [ "${TCPFAULT_LONG:-}" != 1 ] || return 1
	for e in ${LONG_TESTS:-}; do
		[ "${e%%=*}" = "$t" ] || continue
		secs=${e#*=}
		[ "$secs" -gt "$TF_LONG_S" ] || return 1
		echo "waits ~$secs s, over ${TF_LONG_S} s of a real clock: run it with" \
		     "TCPFAULT_LONG=1 TESTS=$t ./${0##*/} (and a kselftest timeout above $secs s)," \
		     "or under scripts/run-in-vm --clock virtual"
		return 0
	done
	return 1
}

# Scan the kernel log written since tf_dmesg_mark for trouble.
tf_dmesg_mark()
{
	TF_DMESG_LINES=$(dmesg | wc -l)
}

tf_dmesg_clean()
{
	local bad

	bad=$(dmesg | tail -n +"$((TF_DMESG_LINES + 1))" |
	      grep -E 'WARNING:|BUG:|BUG |Oops|Call Trace|leak|general protection|refcount_t|KASAN|UBSAN' || true)
	if [ -n "$bad" ]; then
		echo "$bad" | tf_diag
		return 1
	fi
	return 0
}

# --- Conditions to wait on (slowwait SECONDS COND ARGS...): named, so a
# wait says what it waits for; each is true or false, without sleeping.

# tf_ss_count_is NS N SS_FILTER...: exactly N TCP sockets in NS match
# `ss -Htan SS_FILTER...` (e.g. state established "( sport = :80 )").
tf_ss_count_is()
{
	local ns=$1 n=$2

	shift 2
	[ "$(tf_nsx "$ns" ss -Htan "$@" | wc -l)" = "$n" ]
}

# tf_ss_has NS SS_FILTER...: at least one TCP socket in NS matches.
tf_ss_has()
{
	local ns=$1

	shift
	[ -n "$(tf_nsx "$ns" ss -Htan "$@")" ]
}

# tf_ss_match NS REGEX: a line of `ss -Htan` in NS matches REGEX (grep -E).
tf_ss_match()
{
	tf_nsx "$1" ss -Htan | grep -qE -- "$2"
}

# tf_events_ge NS N [PATTERN]: NS's event log has N events (matching
# PATTERN, grep) or more.
tf_events_ge()
{
	[ "$(tf_nsx "$1" grep -c -- "${3:-.}" /proc/net/tcpfault/events)" -ge "$2" ]
}

# tf_stat_is NS KEY N, tf_stat_ge NS KEY N: a counter of NS's stats file.
tf_stat_is()
{
	[ "$(tf_nsx "$1" sed -n "s/^$2 //p" /proc/net/tcpfault/stats)" = "$3" ]
}

tf_stat_ge()
{
	[ "$(tf_nsx "$1" sed -n "s/^$2 //p" /proc/net/tcpfault/stats)" -ge "$3" ] 2>/dev/null
}

# tf_pid_gone PID: process PID has exited.
tf_pid_gone()
{
	! kill -0 "$1" 2>/dev/null
}

# tf_stop PID...: end each process (SIGTERM) and reap it (a child).
tf_stop()
{
	local p

	for p in "$@"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

# tf_netns_gone NAME: no network namespace NAME in `ip netns list`.
tf_netns_gone()
{
	! ip netns list | grep -q "^$1\b"
}

# tf_pid_in_netns PID NS: process PID is in network namespace NS (it has
# entered it).
tf_pid_in_netns()
{
	[ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/run/netns/$2")" ]
}

# tf_reset NS: start NS from an empty rule table and event log.
tf_reset()
{
	tcpfaultctl -n "$1" rule flush && tcpfaultctl -n "$1" events --clear
}

# tf_nsx NS CMD...: CMD in NS's network namespace only (lighter than ip
# netns exec under TCG: no mount namespace, no sysfs remount; /proc/net
# follows the network namespace).
tf_nsx()
{
	local ns=$1

	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# tf_probe_gaps NS START_NS DIR: gaps (s) between the probes (pure ACKs
# without payload) at DIR in NS's event log, from START_NS on, and their
# number.
tf_probe_gaps()
{
	ip netns exec "$1" cat /proc/net/tcpfault/events |
		awk -v s="$2" -v d="$3" '$6 == d && $14 == "A" && $20 == 0 && $2 >= s {
			printf " %.3f", ($2 - s) / 1e9; s = $2; n++ }
			END { printf " (%d probes)", n }'
}

# tf_timeline NS ARGS...: `tcpfaultctl [-n NS] timeline ARGS...` ("-" for
# NS: the current namespace), the command and its table as diagnostics;
# false when a gap or the give-up falls outside the model, its first such
# row (words only) then in TF_TIMELINE_MISS.
tf_timeline()
{
	local ns=$1 nsopt=() out st l w

	shift
	[ "$ns" = - ] || nsopt=(-n "$ns")
	# the HZ the model uses, and where tcpfaultctl found it (this kernel's)
	tcpfaultctl model syn --kernel "$TF_RELEASE" 2>/dev/null |
		sed -n '1s/^.* \(hz [0-9].*\)$/# model: \1/p'
	echo "# tcpfaultctl ${nsopt[*]} timeline $*"
	out=$(tcpfaultctl "${nsopt[@]}" timeline "$@" 2>&1)
	st=$?
	[ -z "$out" ] || tf_diag <<<"$out"
	TF_TIMELINE_MISS=
	while IFS= read -r l; do
		case $l in
		*FAIL*)
			read -ra w <<<"$l"
			TF_TIMELINE_MISS=${w[*]}
			break ;;
		esac
	done <<<"$out"
	[ "$st" -eq 0 ] && return 0
	if [ "$TF_TOLERANCE_MS" -gt 0 ] &&
	   w=$(tcpfaultctl -j "${nsopt[@]}" timeline "$@" 2>/dev/null | tf_tolerated "$TF_TOLERANCE_MS"); then
		read -ra w <<<"$w"
		echo "# timeline: ${w[0]} window(s) missed by at most ${w[1]} s, within the" \
		     "host-jitter tolerance (TCPFAULT_TOLERANCE_MS=$TF_TOLERANCE_MS, $TF_CLOCK clock)"
		TF_TIMELINE_MISS=
		return 0
	fi
	echo "# timeline: outside the model"
	return 1
}

# tf_tolerated MS: reads `tcpfaultctl -j timeline --model ...`; true when
# every check it failed is a time (a gap, the give-up wait or total)
# outside its window by MS ms at the most, and prints how many and the
# largest miss (s). A count or a give-up the model does not have is no
# time: never tolerated.
tf_tolerated()
{
	awk -v tol="$1" '
		{
			n = split($0, tok, /[][{},]/)
			for (i = 1; i <= n; i++) {
				if (split(tok[i], kv, ":") != 2)
					continue
				k = kv[1]
				gsub(/"/, "", k)
				v = kv[2]
				if (k == "syn_gap" || k == "wait" || k == "total") {
					val = v + 0
					have = 1
				} else if (k == "window_lo") {
					lo = v + 0
					wins++
				} else if (k == "window_hi") {
					hi = v + 0
					wins++
				} else if (k == "ok") {
					if (v == "false") {
						if (!have || wins != 2 || val < lo - tol / 1000 || val > hi + tol / 1000) {
							bad++
						} else {
							d = val < lo ? lo - val : val - hi
							if (d > worst)
								worst = d
							soft++
						}
					}
					have = 0
					wins = 0
				}
			}
		}
		END { printf "%d %.3f", soft, worst; exit bad > 0 || soft == 0 }'
}

# tf_check_give_up CALL NS MODEL END MODEL_ARGS...: the gaps of NS's
# events and the give-up at END (ns, when CALL failed) against the model
# (tf_check_timeline --model MODEL --end END); no END: a failed check,
# "no end: CALL".
tf_check_give_up()
{
	local call=$1 ns=$2 model=$3 end=$4

	shift 4
	if [ -z "$end" ]; then
		check_err 1 "no end: $call"
		return 1
	fi
	tf_check_timeline "gaps against the model" "$ns" --model "$model" --end "$end" "$@"
}

# tf_check_timeline WHAT NS ARGS...: tf_timeline as a check; the message
# has the first row outside the model.
tf_check_timeline()
{
	local what=$1

	shift
	tf_timeline "$@" && return 0
	xfail_on_slow check_err 1 "$what: ${TF_TIMELINE_MISS:-tcpfaultctl timeline failed}"
	return 1
}


# --- The clock

# The virtual clock leaps while the guest waits on 9p (any exec or open of
# the host's files, cached or not: cache=loose still asks the host), to the
# next pending timer however far, e.g. past a client's own deadline. What a
# suite looks at while a client waits is read with shell builtins only
# (tf_nap, above, and these):

# tf_nap_until NS_TS MS: tf_nap until MS ms after the event time NS_TS
# (CLOCK_MONOTONIC ns), without exec; at once if that is past.
tf_nap_until()
{
	local left

	left=$(( ${1:-0} + $2 * 1000000 - $(tf_mono_ns) ))
	[ "$left" -gt 0 ] || return 0
	tf_nap "$((left / 1000000000)).$(printf '%09d' $((left % 1000000000)))"
}

# tf_mono_ns: CLOCK_MONOTONIC now (the events' clock), without exec.
tf_mono_ns()
{
	local l

	while read -r l; do
		case $l in
		"now at "*) l=${l#now at }; echo "${l% nsecs}"; return 0 ;;
		esac
	done </proc/timer_list
	return 1
}

# tf_mariadb_sockets: "STATE LOCAL_PORT PEER_PORT" per TCP socket of port
# 3306 in TF_MARIADB_NS but those in TIME-WAIT, without exec: from the

# --- Queries of a namespace (scenarios.sh, handshake.sh ...): sockets,
# counters and events by name

# are in STATE (ss state names: syn-recv, established ...).
tf_sockets()
{
	tf_nsx "$1" ss -Htan state "$2" "( sport = :$3 or dport = :$3 )" | wc -l
}

# tf_nstat NS COUNTER: an SNMP counter of NS (nstat -az name).
tf_nstat()
{
	tf_nsx "$1" nstat -az "$2" | awk -v k="$2" '$1 == k { print $2 }'
}

# tf_events NS AWK_COND: the events of NS satisfying AWK_COND, with the
# fields by name (f["flags"], f["len"] ...), one "ts flags seq ack rule
# verdict" line each.
tf_events()
{
	tf_nsx "$1" cat /proc/net/tcpfault/events | awk '
		{ for (i = 1; i < NF; i += 2) f[$i] = $(i + 1) }
		'"$2"' { print f["ts"], f["flags"], f["seq"], f["ack"], f["rule"], f["verdict"] }'
}

# tf_sleep_until NS_TS SECONDS: sleep until SECONDS after the event time
# NS_TS (CLOCK_MONOTONIC ns; /proc/uptime runs on the same clock here).
tf_sleep_until()
{
	local now

	now=$(awk '{ printf "%d", $1 * 1e9 }' /proc/uptime)
	awk -v t="$1" -v s="$2" -v n="$now" 'BEGIN { d = (t - n) / 1e9 + s; if (d > 0) printf "%.3f", d; else print 0 }' |
		xargs sleep
}

# tf_idle_in NS OUT ADDR PORT [TF_IDLE_OPTS...]: tf_idle in NS in the
# background, its output in OUT; waits until connect() returned. Its pid
