# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the tcpfault suites: finds kselftest's net/lib.sh and
# ktap_helpers.sh, the helpers and tcpfaultctl; small topology helpers,
# conditions to wait on, checks and cases. Source it from a suite:
# `source ./tcpfault_lib.sh`. A suite names its cases in ALL_TESTS, has
# setup() and cleanup(), and ends in tf_run_tests; a case (test_NAME) makes
# checks (check_err, check_fail, tf_check_*) and ends in log_test TITLE.
# TESTS="test_a test_b" runs only those cases.

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

# tf_veth NS_A ADDR_A NS_B ADDR_B [ADDR6_A ADDR6_B]: a veth pair between two
# namespaces, tf0 in NS_A and tf1 in NS_B, addresses ADDR/24 (and ADDR6/64,
# usable at once: no duplicate address detection), both ends up.
tf_veth()
{
	local a=$1 aaddr=$2 b=$3 baddr=$4

	ip link add tf0 netns "$a" type veth peer name tf1 netns "$b" || return 1
	ip -n "$a" addr add "$aaddr/24" dev tf0 &&
	ip -n "$b" addr add "$baddr/24" dev tf1 || return 1
	if [ $# -ge 6 ]; then
		ip -n "$a" addr add "$5/64" dev tf0 nodad &&
		ip -n "$b" addr add "$6/64" dev tf1 nodad || return 1
	fi
	ip -n "$a" link set tf0 up &&
	ip -n "$b" link set tf1 up
}

# tf_listen_in NS ADDR PORT [OPTS...]: start tf_listen in NS in the
# background and wait until it listens. Its pid is in TF_LISTEN_PID.
tf_listen_in()
{
	local ns=$1 addr=$2 port=$3 ready

	shift 3
	ready=$(mktemp -u /tmp/tf_listen.XXXXXX)
	ip netns exec "$ns" tf_listen --ready "$ready" "$@" "$addr" "$port" >/dev/null &
	# shellcheck disable=SC2034 # for the suites
	TF_LISTEN_PID=$!
	if ! slowwait 60 test -e "$ready"; then
		echo "# tf_listen $addr $port in $ns did not start"
		return 1
	fi
	rm -f "$ready"
}

# tf_sysctl NS NAME VALUE: set a per-netns sysctl (net.ipv4.tcp_*) in NS.
tf_sysctl()
{
	ip netns exec "$1" sysctl -qw "$2=$3"
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

# --- Checks and cases
# As in the kernel's forwarding/lib.sh: a case (a test_* function named in
# ALL_TESTS) makes checks, each of which records the first one that fails
# (RET and retmsg, net/lib.sh's variables; ret_set_ksft_status keeps the
# first message), and ends with log_test TITLE, which prints one KTAP
# test point and, when it failed, that check's reason and what it saw.
# Later failures of the same case are counted, not reported.

TF_NFAIL=0

# check_err ERR MSG: fail unless ERR (a status, usually $?) is 0.
# shellcheck disable=SC2154 # ksft_pass, ksft_fail ... are net/lib.sh's
check_err()
{
	if (($1)); then
		TF_NFAIL=$((TF_NFAIL + 1))
		ret_set_ksft_status "$ksft_fail" "$2"
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
# steps did: TF_SETUP_STEP, the last command setup() itself ran before it
# returned (not counting the return).
tf_setup()
{
	local st

	TF_SETUP_STEP=
	TF_SETUP_CUR=
	set -T
	trap '[ "${FUNCNAME[0]}" = setup ] && [[ $BASH_COMMAND != return* ]] && TF_SETUP_CUR=$BASH_COMMAND' DEBUG
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
	local t tests

	trap cleanup EXIT
	tests=$(tf_selected_tests) || exit "$KSFT_FAIL"
	if [ -z "$tests" ]; then
		ktap_skip_all "no case of this suite in TESTS"
		exit "$KSFT_SKIP"
	fi
	ktap_set_plan "$(wc -w <<<"$tests")"
	echo "# kernel $TF_RELEASE"
	if ! tf_setup; then
		echo "# setup failed at: $TF_SETUP_STEP"
		for t in $tests; do
			ktap_test_fail "$t (setup failed)"
		done
		ktap_finished
	fi
	for t in $tests; do
		RET=$ksft_pass
		retmsg=
		TF_NFAIL=0
		TF_TEST=$t
		$t
	done
	ktap_finished
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
	echo "# timeline: outside the model"
	return 1
}

# tf_check_timeline WHAT NS ARGS...: tf_timeline as a check; the message
# has the first row outside the model.
tf_check_timeline()
{
	local what=$1

	shift
	tf_timeline "$@" && return 0
	check_err 1 "$what: ${TF_TIMELINE_MISS:-tcpfaultctl timeline failed}"
	return 1
}

# --- MariaDB
# A real MariaDB server (Debian's mariadbd) in a namespace, for the suites
# and the demo that replay the incidents with the real client. The data
# directory is fresh on tmpfs for each start; no system tables are
# installed (mariadb-install-db costs seconds of CPU under the virtual
# clock): --skip-grant-tables lets any user in, InnoDB is off (MyISAM is
# enough for SELECT SLEEP()), so mariadbd is ready about 1 s after exec.
# Option files are never read (--no-defaults): the host's /etc/mysql must
# not change what the tests see.

TF_MARIADB_PORT=3306

# tf_mariadb_missing: print why MariaDB cannot run here (nothing if it can).
tf_mariadb_missing()
{
	local tool

	for tool in mariadbd mariadb; do
		if ! command -v "$tool" >/dev/null; then
			echo "$tool not found (apt-get install mariadb-server mariadb-client)"
			return 0
		fi
	done
}

# tf_mariadb_start NS [ADDR...]: start mariadbd in NS listening on
# 127.0.0.1 (and ADDR...) port 3306, and wait until the real client gets an
# answer over TCP (which also has both binaries' pages read in over 9p, so
# later client runs cost no file I/O while the suites time them). Sets
# TF_MARIADB_NS, TF_MARIADB_PID, TF_MARIADB_DIR.
tf_mariadb_start()
{
	local ns=$1 addrs=127.0.0.1 dir

	shift
	for dir in "$@"; do
		addrs=$addrs,$dir
	done
	dir=$(mktemp -d /tmp/tf_mariadb.XXXXXX) || return 1
	# The "mysql" schema directory, empty, quiets the server's lookups of
	# replication state it does not have.
	mkdir -p "$dir/data/mysql"
	TF_MARIADB_NS=$ns
	TF_MARIADB_DIR=$dir
	ip netns exec "$ns" mariadbd --no-defaults --user=root \
		--datadir="$dir/data" --socket="$dir/sock" --pid-file="$dir/pid" \
		--log-error="$dir/error.log" --bind-address="$addrs" \
		--port="$TF_MARIADB_PORT" --skip-grant-tables --skip-name-resolve \
		--innodb=OFF --default-storage-engine=MyISAM \
		--default-tmp-storage-engine=MyISAM --performance-schema=OFF \
		--skip-log-bin </dev/null >/dev/null 2>&1 &
	TF_MARIADB_PID=$!
	# Guest seconds, not wall ones: under the virtual clock the guest
	# clock leaps while the binaries load over 9p.
	if ! slowwait 300 grep -qs 'ready for connections' "$dir/error.log" ||
	   ! tf_mariadb_client -e 'SELECT 1' >/dev/null; then
		echo "# mariadbd did not start in $ns:"
		tail -n 5 "$dir/error.log" 2>/dev/null | tf_diag
		tf_mariadb_stop
		return 1
	fi
}

# tf_mariadb_client [--timeout S] ARGS...: the real client in
# TF_MARIADB_NS, to 127.0.0.1:3306 as root (no password), no option files,
# ARGS appended (a later -h wins). Output is batch-mode, without column
# names. --timeout: killed after S seconds (timeout(1): status 124).
tf_mariadb_client()
{
	local wrap=()

	if [ "${1:-}" = --timeout ]; then
		wrap=(timeout "$2")
		shift 2
	fi
	tf_nsx "$TF_MARIADB_NS" "${wrap[@]}" mariadb --no-defaults \
		--connect-timeout=5 -h127.0.0.1 -P"$TF_MARIADB_PORT" -uroot -N -B "$@"
}

# tf_mariadb_stop: shut mariadbd down (SIGTERM: a normal shutdown; SIGKILL
# if it is not gone in 30 s) and remove its data directory.
tf_mariadb_stop()
{
	[ -n "${TF_MARIADB_PID:-}" ] || return 0
	kill "$TF_MARIADB_PID" 2>/dev/null
	# Until it is reaped, an exited child still answers kill -0: ask its log.
	if ! slowwait 30 grep -qs 'Shutdown complete' "$TF_MARIADB_DIR/error.log"; then
		kill -KILL "$TF_MARIADB_PID" 2>/dev/null
	fi
	wait "$TF_MARIADB_PID" 2>/dev/null
	rm -rf "$TF_MARIADB_DIR"
	TF_MARIADB_PID=
}

# The virtual clock leaps while the guest waits on 9p (any exec or open of
# the host's files, cached or not: cache=loose still asks the host), to the
# next pending timer however far, e.g. past a client's own deadline. What a
# suite looks at while a client waits is read with shell builtins only:

# tf_nap SECONDS: sleep without exec (read -t on a pipe nobody writes).
tf_nap()
{
	[ -n "${TF_NAP_FD:-}" ] || exec {TF_NAP_FD}<> <(:)
	read -r -t "$1" -u "$TF_NAP_FD"
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
# server's /proc/PID/net/tcp, which lists its namespace's sockets (a
# request socket as SYN-RECV).
tf_mariadb_sockets()
{
	local sl laddr raddr st rest lp rp

	while read -r sl laddr raddr st rest; do
		[ "$sl" = sl ] && continue
		lp=$((16#${laddr#*:}))
		rp=$((16#${raddr#*:}))
		[ "$lp" = "$TF_MARIADB_PORT" ] || [ "$rp" = "$TF_MARIADB_PORT" ] || continue
		case $st in
		01) echo "ESTAB $lp $rp" ;;
		03) echo "SYN-RECV $lp $rp" ;;
		0A) echo "LISTEN $lp $rp" ;;
		06) ;;
		*) echo "state-$st $lp $rp" ;;
		esac
	done <"/proc/$TF_MARIADB_PID/net/tcp"
}

# --- Scenarios (scenarios.sh, handshake.sh): sockets, counters and events by name
# Small queries the scenario and handshake suites make of a namespace.

# tf_sockets NS STATE PORT: how many sockets of local or remote port PORT
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
# is in TF_IDLE_PID.
tf_idle_in()
{
	local ns=$1 out=$2 addr=$3 port=$4

	shift 4
	# Not through tf_nsx (a function: its pid would be a subshell's).
	nsenter --net="/run/netns/$ns" tf_idle --ready "$out.ready" "$@" "$addr" "$port" >"$out" 2>&1 &
	# shellcheck disable=SC2034 # for the suites
	TF_IDLE_PID=$!
	slowwait 120 test -e "$out.ready" && return 0
	tf_diag <"$out"
	return 1
}
# --- end of Scenarios

# --- Server restart (Documentation/scenarios.rst: server restart under load)
# The pieces of restart.sh, also for the demo: a MariaDB client that
# reconnects the way that incident's sysbench build did, the CLOSE-WAIT sockets
# it leaves, and Debian's sysbench against tf_mariadb_start's server.

# tf_reconnect_in NS OUT ADDR [TF_RECONNECT_OPTS...]: tf_reconnect to
# MariaDB at ADDR port 3306 from NS, in the background, its output in OUT;
# waits until its session has answered a ping. Its pid is in
# TF_RECONNECT_PID.
tf_reconnect_in()
{
	local ns=$1 out=$2 addr=$3

	shift 3
	# Not through tf_nsx (a function: its pid would be a subshell's).
	nsenter --net="/run/netns/$ns" tf_reconnect --ready "$out.ready" "$@" \
		"$addr" "$TF_MARIADB_PORT" >"$out" 2>&1 &
	# shellcheck disable=SC2034 # for the suites
	TF_RECONNECT_PID=$!
	slowwait 120 test -e "$out.ready" && return 0
	tf_diag <"$out"
	return 1
}

# tf_closewait_recvq NS PORT: the Recv-Q (unread bytes, plus 1 for an
# unread FIN) of each CLOSE-WAIT socket in NS whose peer is port PORT, one
# a line.
tf_closewait_recvq()
{
	tf_nsx "$1" ss -Htan state close-wait "( dport = :$2 )" | awk '{ print $1 }'
}

# tf_sysbench_table: database sbtest with sysbench's table sbtest1 (100
# rows, MyISAM: the server runs without InnoDB) in tf_mariadb_start's
# server, made by SQL in a moment (sysbench's "prepare" costs seconds of
# CPU under the virtual clock).
tf_sysbench_table()
{
	local i rows=

	for i in $(seq 100); do
		rows+="${rows:+,}($i,$((RANDOM % 100)),'c$i','pad$i')"
	done
	tf_mariadb_client -e "CREATE DATABASE IF NOT EXISTS sbtest;
		DROP TABLE IF EXISTS sbtest.sbtest1;
		CREATE TABLE sbtest.sbtest1 (id INTEGER NOT NULL AUTO_INCREMENT,
			k INTEGER DEFAULT '0' NOT NULL, c CHAR(120) DEFAULT '' NOT NULL,
			pad CHAR(60) DEFAULT '' NOT NULL, PRIMARY KEY (id), KEY k_1 (k))
			ENGINE=MyISAM;
		INSERT INTO sbtest.sbtest1 VALUES $rows;"
}

# tf_sysbench NS ADDR ARGS...: Debian's sysbench oltp_read_only in NS
# against tf_mariadb_start's server at ADDR, on tf_sysbench_table's table
# (or one of its own "prepare"), ARGS appended (run, --threads=1 ...).
tf_sysbench()
{
	local ns=$1 addr=$2

	shift 2
	tf_nsx "$ns" sysbench oltp_read_only --db-driver=mysql --mysql-host="$addr" \
		--mysql-port="$TF_MARIADB_PORT" --mysql-user=root --mysql-db=sbtest \
		--mysql-storage-engine=myisam --tables=1 --table-size=100 "$@"
}
# --- end of Server restart

# --- Load balancer topology (scenarios.sh; actions.sh has the same shape)
# tf_lb_setup CLI LB SRV N: CLI - LB - SRV over two veth pairs (CLI tf0 -
# tf1 LB tf2 - tf3 SRV), LB forwarding IPv4 and IPv6; CLI 10.0.N.1 and
# fd00:N::1, LB 10.0.N.2 fd00:N::2 and 10.0.M.2 fd00:M::2, SRV 10.0.M.1
# and fd00:M::1 (M = N + 1), default routes through LB.
tf_lb_setup()
{
	local c=$1 l=$2 s=$3 n=$4 m=$(($4 + 1))

	ip link add tf0 netns "$c" type veth peer name tf1 netns "$l" &&
	ip link add tf2 netns "$l" type veth peer name tf3 netns "$s" || return 1
	ip -n "$c" addr add "10.0.$n.1/24" dev tf0 &&
	ip -n "$c" addr add "fd00:$n::1/64" dev tf0 nodad &&
	ip -n "$l" addr add "10.0.$n.2/24" dev tf1 &&
	ip -n "$l" addr add "fd00:$n::2/64" dev tf1 nodad &&
	ip -n "$l" addr add "10.0.$m.2/24" dev tf2 &&
	ip -n "$l" addr add "fd00:$m::2/64" dev tf2 nodad &&
	ip -n "$s" addr add "10.0.$m.1/24" dev tf3 &&
	ip -n "$s" addr add "fd00:$m::1/64" dev tf3 nodad || return 1
	ip -n "$c" link set tf0 up && ip -n "$l" link set tf1 up &&
	ip -n "$l" link set tf2 up && ip -n "$s" link set tf3 up || return 1
	ip -n "$c" route add default via "10.0.$n.2" &&
	ip -n "$c" -6 route add default via "fd00:$n::2" &&
	ip -n "$s" route add default via "10.0.$m.2" &&
	ip -n "$s" -6 route add default via "fd00:$m::2" || return 1
	tf_sysctl "$l" net.ipv4.ip_forward 1 &&
	tf_sysctl "$l" net.ipv6.conf.all.forwarding 1
}
# --- end of Load balancer topology
