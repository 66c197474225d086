#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# connect()'s socket options against a SYN blackhole: TCP_SYNCNT replaces
# tcp_syn_retries for the socket (on >= 6.5 plus tcp_syn_linear_timeouts,
# with the time budget of tcp_model_timeout(SYNCNT)), TCP_USER_TIMEOUT
# replaces that budget, counted from the first SYN (retrans_stamp), and
# clamps the retransmission timer to what is left of it. connect() must
# fail with ETIMEDOUT, every SYN gap and the final wait inside the model's
# window (tcpfaultctl timeline --model syn --end ... syncnt=N
# user_timeout=MS), on the running kernel.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | --syncnt --user-tmo  |        | :8080                |
#   +----------------------+        +----------------------+
#                      rule in srv: dir in dport 8080 stage syn action drop
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): ~45 s of guest time in all.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_syncnt_1
	test_syncnt_3
	test_user_timeout_5000
	test_user_timeout_500
	test_syncnt_1_user_timeout_10000
	test_syncnt_4_user_timeout_6000
"

SYN_DROP="dir in dport $TF_PORT stage syn action drop"

setup()
{
	tf_pair_setup
}

cleanup()
{
	cleanup_all_ns
}

# options DESC [syncnt=N] [user_timeout=MS]: connect() with those options
# (tcp_syn_retries at its default) into the SYN blackhole; ETIMEDOUT on the
# model's schedule.
options()
{
	local desc=$1 out start end gaps last opt copt=() model=()

	shift
	for opt in "$@"; do
		case $opt in
		syncnt=*) copt+=(--syncnt "${opt#*=}") ;;
		user_timeout=*) copt+=(--user-timeout "${opt#*=}") ;;
		esac
	done
	model=(--kernel "$TF_RELEASE" "tcp_syn_retries=$(tf_nsx "$cli" sysctl -n net.ipv4.tcp_syn_retries)" "$@")
	if ! tcpfaultctl -n "$srv" rule flush || ! tcpfaultctl -n "$srv" events --clear; then
		check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"
		return
	fi
	# shellcheck disable=SC2086
	tcpfaultctl -n "$srv" rule add $SYN_DROP

	out=$(tf_nsx "$cli" tf_connect "${copt[@]}" --timeout 900 "$TF_SRV_ADDR" "$TF_PORT" 2>&1)
	tf_timed_result "connect()" "$out" $? ETIMEDOUT
	start=$TF_START end=$TF_END
	gaps=$(tf_nsx "$srv" cat /proc/net/tcpfault/events |
		awk '/ flags S / { if (n++) printf " %.3f", ($2 - prev) / 1e9; else first = $2; prev = $2 }
		     END { if (n) printf " last_ts %s first_ts %s", prev, first }')
	last=$(tf_field "$gaps" last_ts)
	first=$(tf_field "$gaps" first_ts)
	gaps=${gaps% last_ts*}
	if [ -n "$end" ] && [ -n "$last" ]; then
		echo "# measured: SYN gaps$gaps s; ETIMEDOUT $(tf_secs "$last" "$end") s after the last SYN," \
			"$(tf_secs "$first" "$end") s after the first ($(tf_secs "$start" "$end") after connect())"
	fi
	tcpfaultctl model syn "${model[@]}" | tail -n 2 | sed 's/^/# model: /'
	tf_check_give_up "connect() did not end, or no SYN was dropped" "$srv" syn "${last:+$end}" "${model[@]}"
	tcpfaultctl -n "$srv" rule flush
	log_test "$desc"
}

test_syncnt_1()
{
	options "TCP_SYNCNT=1: ETIMEDOUT on schedule" syncnt=1
}

test_syncnt_3()
{
	options "TCP_SYNCNT=3: ETIMEDOUT on schedule" syncnt=3
}

test_user_timeout_5000()
{
	options "TCP_USER_TIMEOUT=5000: ETIMEDOUT 5 s after the first SYN, the last timer clamped" \
		user_timeout=5000
}

# Shorter than the first timer: that one is not clamped (tcp_connect()),
# the next is cut to 1 jiffy, so one retransmission and ETIMEDOUT at ~1 s.
test_user_timeout_500()
{
	options "TCP_USER_TIMEOUT=500: one retransmission, ETIMEDOUT just after the first timer" \
		user_timeout=500
}

# The count still ends it when it comes first.
test_syncnt_1_user_timeout_10000()
{
	options "TCP_SYNCNT=1 with TCP_USER_TIMEOUT=10000: the count ends it first" \
		syncnt=1 user_timeout=10000
}

# The budget ends it before the count.
test_syncnt_4_user_timeout_6000()
{
	options "TCP_SYNCNT=4 with TCP_USER_TIMEOUT=6000: the budget ends it first" \
		syncnt=4 user_timeout=6000
}

tf_require
tf_run_tests
