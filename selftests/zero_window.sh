#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Zero-window probes: the receiver's ACKs are rewritten to a zero window at
# the sender's ingress (action window 0), so the sender's data waits and its
# persist timer probes the window: the first probe tcp_probe0_base() =
# max(icsk_rto, 200 ms) after the write, then backing off (doubling) up to
# TCP_RTO_MAX (120 s). While the probes are answered the connection lives on;
# with the probes lost it dies with ETIMEDOUT at the expiry after the
# tcp_retries2-th probe. Every gap, the number of probes and the give-up must
# fall in the model's windows (tcpfaultctl timeline --model probe), with
# tcp_retries2 5 and the default 15, the loss at either end.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_idle     10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | writes 1000 + 1000 B |        | :8080                |
#   +----------------------+        +----------------------+
#     rules (after the handshake) in cli: dir in sport 8080 stage ack action window 0
#                                         dir out dport 8080 stage probe action log|drop
#                           or in srv:    dir in dport 8080 stage probe action drop
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the default case waits ~930 s of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_answered
	test_retries_5
	test_egress_retries_5
	test_default_retries
"
# Guest seconds a case waits, where over tf_core_lib.sh's TF_LONG_S: a
# real clock skips them unless TCPFAULT_LONG=1.
LONG_TESTS="test_answered=600 test_default_retries=930"

WINDOW0="dir in sport $TF_PORT stage ack action window 0"

setup()
{
	tf_pair_setup
}

cleanup()
{
	cleanup_all_ns
}

# zw_case DESC RULE_NS DIR "CLI RULES" "SRV RULES" "MODEL ARGS" EXPECT TIMEOUT: cli
# connects, the rules go in once it is established, it writes 1000 bytes
# (acknowledged with a zero window), then 1000 more (held back: the probe
# timer starts) and blocks in recv(). EXPECT: the errno (ETIMEDOUT, or EINTR
# when the probes are answered and TIMEOUT s of guest time end it). The
# probes are read from RULE_NS's events in direction DIR.
zw_case()
{
	local desc=$1 rule_ns=$2 dir=$3 crules=$4 srules=$5 margs=$6 expect=$7 timeout=$8
	local errno start end rto r
	local -a model endarg=()

	tf_reset "$cli" && tf_reset "$srv" || { check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; }
	if ! tf_idle_go "$cli" "$TF_SRV_ADDR" "$TF_PORT" --send 1000 --send 1000 --timeout "$timeout"; then
		check_err 1 "the client did not connect"; log_test "$desc"
		return
	fi
	IFS=';' read -ra rl <<<"$crules"
	for r in "${rl[@]}"; do
		# shellcheck disable=SC2086
		tf_check_cmd "client rule '$r'" tcpfaultctl -n "$cli" rule add $r
	done
	IFS=';' read -ra rl <<<"$srules"
	for r in "${rl[@]}"; do
		# shellcheck disable=SC2086
		[ -z "$r" ] || tcpfaultctl -n "$srv" rule add $r
		check_err $? "server rule '$r' refused"
	done
	tf_idle_release "recv()" "$expect"
	errno=$TF_ERRNO start=$TF_START end=$TF_END rto=$TF_RTO_MS
	if [ "$(tf_count_events "$cli" 'verdict window')" -lt 1 ]; then
		check_err 1 "no ACK had its window rewritten"
	fi
	if [ -n "$start" ] && [ -n "$end" ] && [ -n "$rto" ]; then
		echo "# measured (icsk_rto $rto ms): probe gaps from the held-back write$(tf_probe_gaps "$rule_ns" "$start" "$dir") s;" \
			"$errno $(tf_secs "$start" "$end") s after it"
		# shellcheck disable=SC2206
		model=(--kernel "$TF_RELEASE" rto_ms="$rto" $margs)
		[ "$expect" = ETIMEDOUT ] && endarg=(--end "$end")
		echo "# tcpfaultctl -n $rule_ns timeline --model probe --start $start ${endarg[*]} ${model[*]}"
		ip netns exec "$rule_ns" cat /proc/net/tcpfault/events |
			awk -v d="$dir" '$6 == d && $14 == "A" && $20 == 0' >"/tmp/tf_zw_events.$$"
		tf_check_timeline "gaps against the model" - --from-file "/tmp/tf_zw_events.$$" \
			--model probe --start "$start" "${endarg[@]}" "${model[@]}"
		rm -f "/tmp/tf_zw_events.$$"
	else
		check_err 1 "no start_ns, end_ns or rto_ms from tf_idle"
	fi
	tcpfaultctl -n "$cli" rule flush
	tcpfaultctl -n "$srv" rule flush
	log_test "$desc"
}

# Answered: probes at 0.2 0.4 ... 104 s, then 120 s; 13 probes by 600 s.
test_answered()
{
	tf_sysctl "$cli" net.ipv4.tcp_retries2 15
	zw_case "zero window, probes answered: backoff to TCP_RTO_MAX, the connection lives" \
		"$cli" out "$WINDOW0;dir out dport $TF_PORT stage probe action log" "" \
		"tcp_retries2=15 answered=1 steps=14" EINTR 600
}

test_retries_5()
{
	tf_sysctl "$cli" net.ipv4.tcp_retries2 5
	zw_case "zero window, probes dropped at srv ingress, tcp_retries2=5: ETIMEDOUT on schedule" \
		"$srv" in "$WINDOW0" "dir in dport $TF_PORT stage probe action drop" \
		"tcp_retries2=5" ETIMEDOUT 3000
}

test_egress_retries_5()
{
	tf_sysctl "$cli" net.ipv4.tcp_retries2 5
	zw_case "zero window, probes dropped at cli egress, tcp_retries2=5: ETIMEDOUT on schedule" \
		"$cli" out "$WINDOW0;dir out dport $TF_PORT stage probe action drop" "" \
		"tcp_retries2=5" ETIMEDOUT 3000
}

test_default_retries()
{
	local r2

	tf_sysctl "$cli" net.ipv4.tcp_retries2 15
	r2=$(ip netns exec "$cli" sysctl -n net.ipv4.tcp_retries2)
	zw_case "zero window, probes dropped at srv ingress, default tcp_retries2=$r2: ETIMEDOUT on schedule" \
		"$srv" in "$WINDOW0" "dir in dport $TF_PORT stage probe action drop" \
		"tcp_retries2=$r2" ETIMEDOUT 3000
}

tf_require tf_idle
tf_run_tests
