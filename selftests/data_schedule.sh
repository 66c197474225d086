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

SRV_ADDR=10.0.1.2

setup()
{
	setup_ns cli srv || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" "$SRV_ADDR" || return 1
	tf_listen_in "$srv" "$SRV_ADDR" "$TF_PORT" || return 1
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
	local go outf pid out rc errno start end gaps last count rto model=() opt=()

	tf_reset "$srv" && tf_reset "$cli" || { check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; }
	if [ "$retries" = default ]; then
		retries=$(ip netns exec "$cli" sysctl -n net.ipv4.tcp_retries2)
		[ "$retries" = 15 ] || check_err 1 "tcp_retries2 default is $retries, not 15"
	else
		tf_sysctl "$cli" net.ipv4.tcp_retries2 "$retries"
	fi
	if [ "$er" = default ]; then
		er=$(ip netns exec "$cli" sysctl -n net.ipv4.tcp_early_retrans)
		[ "$er" = 3 ] || check_err 1 "tcp_early_retrans default is $er, not 3"
	else
		tf_sysctl "$cli" net.ipv4.tcp_early_retrans "$er"
	fi
	[ -z "$ut" ] || opt=(--user-timeout "$ut")

	go=$(mktemp -u /tmp/tf_go.XXXXXX)
	outf=$(mktemp /tmp/tf_send.XXXXXX)
	ip netns exec "$cli" tf_send "${opt[@]}" --go "$go" "$SRV_ADDR" "$TF_PORT" >"$outf" 2>&1 &
	pid=$!
	if ! slowwait 60 grep -q '^connected' "$outf"; then
		cat "$outf" | tf_diag
		kill "$pid" 2>/dev/null
		check_err 1 "the client did not connect in 60 s"; log_test "$desc"
		return
	fi
	# The RTO the kernel computed from the handshake (srtt + 200 ms).
	rto=$(ip netns exec "$cli" ss -tin dst "$SRV_ADDR" | sed -n 's/.* rto:\([0-9.]*\).*/\1/p' | head -1)
	rto=${rto%.*}
	echo "# RTO after the handshake: ${rto:-?} ms (model default 204)"
	[ -n "$rto" ] || rto=204
	model=(--kernel "$TF_RELEASE" "tcp_retries2=$retries" "tcp_early_retrans=$er" "rto_ms=$rto")
	[ -z "$ut" ] || model+=("user_timeout=$ut")

	# shellcheck disable=SC2086
	tcpfaultctl -n "$rule_ns" rule add $rule || { check_err 1 "rule '$rule' refused"; log_test "$desc"; kill "$pid"; return; }
	touch "$go"
	wait "$pid"
	rc=$?
	rm -f "$go"
	out=$(grep start_ns "$outf")
	grep -v '^connected' "$outf" | tf_diag
	rm -f "$outf"
	errno=$(tf_field "$out" errno)
	start=$(tf_field "$out" start_ns)
	end=$(tf_field "$out" end_ns)
	if [ "$rc" -ne 1 ] || [ "$errno" != ETIMEDOUT ]; then
		check_err 1 "recv(): errno ${errno:-?} (exit $rc), expected ETIMEDOUT"
	fi

	gaps=$(data_gaps "$rule_ns")
	last=${gaps##*last_ts }
	count=${gaps##*count }
	count=${count%% *}
	gaps=${gaps% count*}
	echo "# measured: $count data packets, gaps$gaps s"
	if [ -n "$end" ] && [ -n "$last" ]; then
		echo "# measured: ETIMEDOUT $(awk -v e="$end" -v l="$last" -v s="$start" \
			'BEGIN { printf "%.3f s after the last retransmission, %.3f s after send()", (e - l) / 1e9, (e - s) / 1e9 }')"
	fi
	if [ -n "$end" ]; then
		tf_check_timeline "gaps against the model" "$rule_ns" --model data --end "$end" "${model[@]}"
	else
		check_err 1 "no end_ns: recv() did not end"
	fi
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
