#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The established-data schedule: an established flow is blackholed (every
# packet from the client dropped), the client writes once and blocks in
# recv(): its retransmissions (a tail loss probe first, at the default
# tcp_early_retrans=3) back off from the RTO (204 ms on a veth) to the
# 120 s cap, and recv() fails with ETIMEDOUT once tcp_model_timeout(
# tcp_retries2, 200 ms) has passed since the first RTO retransmission
# (924.6 s at the default 15). Every gap, the number of packets and the
# final wait must fall in the model's windows (tcpfaultctl timeline --model
# data), at the default tcp_retries2, at 8 (no loss probe) and 5, with
# TCP_USER_TIMEOUT=10000, and with the drop at the client's egress (loss
# must look like loss: the same schedule as at the server's ingress).
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_send     10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | tcp_retries2=N       |        | :8080                |
#   +----------------------+        +----------------------+
#       rule (after the handshake) in srv: dir in dport 8080 action drop
#                              or in cli: dir out dport 8080 action drop
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the default case waits ~930 s of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_default
	test_retries_8_no_tlp
	test_retries_5
	test_egress_retries_5
	test_user_timeout
"
# Guest seconds a case waits, where over tf_core_lib.sh's TF_LONG_S: a
# real clock skips them unless TCPFAULT_LONG=1.
LONG_TESTS="test_default=930"

setup()
{
	tf_pair_setup
}

cleanup()
{
	cleanup_all_ns
}

# Data-packet gaps (s) of the flow in NS's event log, and the last one's ts.
data_gaps()
{
	ip netns exec "$1" cat /proc/net/tcpfault/events |
		awk '$0 ~ / len [1-9]/ && $0 !~ / flags S/ {
			if (n++) printf " %.3f", ($2 - prev) / 1e9; prev = $2 }
		     END { printf " count %d last_ts %s", n, prev }'
}

# data_timeout DESC RULE_NS RULE RETRIES2 EARLY_RETRANS [USER_TIMEOUT_MS]
data_timeout()
{
	local desc=$1 rule_ns=$2 rule=$3 retries=$4 er=$5 ut=${6:-}
	local start end gaps last count model=() opt=()

	tf_reset "$srv" && tf_reset "$cli" || { check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; }
	tf_sysctl_case "$cli" net.ipv4.tcp_retries2 "$retries" 15
	retries=$TF_SYSCTL
	tf_sysctl_case "$cli" net.ipv4.tcp_early_retrans "$er" 3
	er=$TF_SYSCTL
	[ -z "$ut" ] || opt=(--user-timeout "$ut")

	if ! tf_send_go "$cli" "$TF_SRV_ADDR" "$TF_PORT" "${opt[@]}"; then
		check_err 1 "the client did not connect"; log_test "$desc"
		return
	fi
	model=(--kernel "$TF_RELEASE" "tcp_retries2=$retries" "tcp_early_retrans=$er" "rto_ms=$TF_SEND_RTO_MS")
	[ -z "$ut" ] || model+=("user_timeout=$ut")

	# shellcheck disable=SC2086
	tcpfaultctl -n "$rule_ns" rule add $rule || { check_err 1 "rule '$rule' refused"; log_test "$desc"; tf_stop "$TF_SEND_PID"; return; }
	tf_send_release "recv()" ETIMEDOUT
	start=$TF_START end=$TF_END

	gaps=$(data_gaps "$rule_ns")
	last=${gaps##*last_ts }
	count=${gaps##*count }
	count=${count%% *}
	gaps=${gaps% count*}
	echo "# measured: $count data packets, gaps$gaps s"
	if [ -n "$end" ] && [ -n "$last" ]; then
		echo "# measured: ETIMEDOUT $(tf_secs "$last" "$end") s after the last retransmission, $(tf_secs "$start" "$end") s after send()"
	fi
	tf_check_give_up "recv() did not end" "$rule_ns" data "$end" "${model[@]}"
	tcpfaultctl -n "$rule_ns" rule flush

	log_test "$desc"
}

SRV_DROP="dir in dport $TF_PORT action drop"
CLI_DROP="dir out dport $TF_PORT action drop"

test_default()
{
	data_timeout "blackhole at srv ingress, default tcp_retries2 (924.6 s) and tcp_early_retrans: ETIMEDOUT on schedule" \
		"$srv" "$SRV_DROP" default default
}

test_retries_8_no_tlp()
{
	data_timeout "blackhole at srv ingress, tcp_retries2=8, tcp_early_retrans=0 (no loss probe): ETIMEDOUT on schedule" \
		"$srv" "$SRV_DROP" 8 0
}

test_retries_5()
{
	data_timeout "blackhole at srv ingress, tcp_retries2=5: ETIMEDOUT on schedule" \
		"$srv" "$SRV_DROP" 5 3
}

# Loss must look like loss: the same schedule with the drop at the sender.
test_egress_retries_5()
{
	data_timeout "blackhole at cli egress, tcp_retries2=5: ETIMEDOUT on schedule" \
		"$cli" "$CLI_DROP" 5 3
}

test_user_timeout()
{
	data_timeout "blackhole at srv ingress, TCP_USER_TIMEOUT=10000: ETIMEDOUT on schedule" \
		"$srv" "$SRV_DROP" 15 3 10000
}

tf_require tf_send ss
tf_run_tests
