#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The active SYN schedule: with every SYN to a real listener dropped,
# connect() must fail with ETIMEDOUT, and each retransmission gap and the
# final wait must fall in the model's window ([model, model + timer wheel
# granularity + 1 jiffy], tcpfaultctl timeline --model syn), at the default
# tcp_syn_retries and at non-default ones, on the running kernel.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | tcp_syn_retries=N    |        | :8080                |
#   +----------------------+        +----------------------+
#                      rule in srv: dir in dport 8080 stage syn action drop
#   cli2                                  srv2 (no rules)
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.2.1 |--------| 10.0.2.2   tf_listen |
#   +----------------------+        +----------------------+
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the default case waits ~130 s of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_no_rule
	test_count_2
	test_other_netns
	test_default_retries
	test_retries_3
	test_retries_2
	test_syncnt_2
	test_egress_retries_2
"

SRV_ADDR=10.0.1.2
SRV2_ADDR=10.0.2.2
SYN_DROP="dir in dport $TF_PORT stage syn action drop"

setup()
{
	setup_ns cli srv cli2 srv2 || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" "$SRV_ADDR" || return 1
	tf_veth "$cli2" 10.0.2.1 "$srv2" "$SRV2_ADDR" || return 1
	tf_listen_in "$srv" "$SRV_ADDR" "$TF_PORT" || return 1
	tf_listen_in "$srv2" "$SRV2_ADDR" "$TF_PORT" || return 1
}

cleanup()
{
	cleanup_all_ns
}

# SYN gaps of the (single) flow in NS's event log, in seconds.
syn_gaps()
{
	ip netns exec "$1" cat /proc/net/tcpfault/events |
		awk '$0 ~ / flags S / { if (n++) printf " %.3f", ($2 - prev) / 1e9; prev = $2 }
		     END { if (n) printf " last_ts %s", prev }'
}

# syn_timeout DESC RULE_NS RULE RETRIES [SYNCNT]: drop every SYN with RULE
# in RULE_NS, connect from cli with tcp_syn_retries=RETRIES (and TCP_SYNCNT);
# connect() must give up with ETIMEDOUT on the model's schedule.
syn_timeout()
{
	local desc=$1 rule_ns=$2 rule=$3 retries=$4 syncnt=${5:-}
	local out end start gaps last model=() copt=()

	tf_reset "$rule_ns" || { check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; }
	# shellcheck disable=SC2086
	tcpfaultctl -n "$rule_ns" rule add $rule || { check_err 1 "rule '$rule' refused"; log_test "$desc"; return; }
	tf_sysctl_case "$cli" net.ipv4.tcp_syn_retries "$retries" 6
	retries=$TF_SYSCTL
	model=(--kernel "$TF_RELEASE" "tcp_syn_retries=$retries")
	if [ -n "$syncnt" ]; then
		copt=(--syncnt "$syncnt")
		model+=("syncnt=$syncnt")
	fi

	out=$(ip netns exec "$cli" tf_connect "${copt[@]}" --timeout 900 "$SRV_ADDR" "$TF_PORT" 2>&1)
	tf_timed_result "connect()" "$out" $? ETIMEDOUT
	start=$TF_START end=$TF_END

	gaps=$(syn_gaps "$rule_ns")
	last=${gaps##*last_ts }
	gaps=${gaps% last_ts*}
	if [ -n "$end" ] && [ -n "$last" ] && [ "$last" != "$gaps" ]; then
		echo "# measured: SYN gaps$gaps s; ETIMEDOUT $(tf_secs "$last" "$end") s after the last SYN, $(tf_secs "$start" "$end") s after connect()"
	fi
	tf_check_give_up "connect() did not end" "$rule_ns" syn "$end" "${model[@]}"
	tcpfaultctl -n "$rule_ns" rule flush

	log_test "$desc"
}

test_no_rule()
{
	local out

	tf_reset "$srv"
	out=$(ip netns exec "$cli" tf_connect --timeout 60 "$SRV_ADDR" "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	tf_check_eq "connect() without rules: errno" "$(tf_field "$out" errno)" 0
	log_test "no rule: connect() succeeds"
}

test_count_2()
{
	local out rc drops elapsed min

	tf_reset "$srv"
	tf_sysctl "$cli" net.ipv4.tcp_syn_retries 6
	# shellcheck disable=SC2086
	tcpfaultctl -n "$srv" rule add $SYN_DROP count 2
	out=$(ip netns exec "$cli" tf_connect --timeout 60 "$SRV_ADDR" "$TF_PORT" 2>&1)
	rc=$?
	echo "$out" | tf_diag
	ip netns exec "$srv" cat /proc/net/tcpfault/events | tf_diag
	tcpfaultctl -n "$srv" rule list | tf_diag
	drops=$(tf_count_events "$srv" 'flags S .* verdict drop')
	elapsed=$(tf_field "$out" elapsed_ms)
	# Two timeouts of 1 s (both kernels start at 1 s): at least 2 s.
	min=2000
	tf_check_eq "tf_connect's exit status" "$rc" 0
	tf_check_eq "SYN drop events" "$drops" 2
	tf_check_eq "action_drop" "$(tf_stat "$srv" action_drop)" 2
	tf_check_ge "ms to connect" "${elapsed:-0}" "$min"
	log_test "count 2: two SYNs dropped, the third connects (${elapsed:-?} ms)"
	tcpfaultctl -n "$srv" rule flush
}

test_other_netns()
{
	local out seen

	tf_reset "$srv"
	tf_reset "$srv2"
	# shellcheck disable=SC2086
	tcpfaultctl -n "$srv" rule add $SYN_DROP
	seen=$(tf_stat "$srv" seen)
	out=$(ip netns exec "$cli2" tf_connect --timeout 60 "$SRV2_ADDR" "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	tf_check_eq "cli2 -> srv2: errno" "$(tf_field "$out" errno)" 0
	tf_check_eq "events in srv2" "$(tf_count_events "$srv2")" 0
	tf_check_eq "events in srv" "$(tf_count_events "$srv")" 0
	tf_check_eq "packets srv has seen (before: $seen)" "$(tf_stat "$srv" seen)" "$seen"
	tf_check_eq "rules in srv2" "$(ip netns exec "$srv2" cat /proc/net/tcpfault/rules)" ""
	if [ "$RET" != 0 ]; then
		tcpfaultctl -n "$srv" stats | tf_diag
		tcpfaultctl -n "$srv2" events | tf_diag
	fi
	log_test "a rule in srv does not touch cli2 -> srv2"
	tcpfaultctl -n "$srv" rule flush
}

test_default_retries()
{
	syn_timeout "SYN dropped at srv ingress, default tcp_syn_retries: ETIMEDOUT on schedule" \
		"$srv" "$SYN_DROP" default
}

test_retries_3()
{
	syn_timeout "SYN dropped at srv ingress, tcp_syn_retries=3: ETIMEDOUT on schedule" \
		"$srv" "$SYN_DROP" 3
}

test_retries_2()
{
	syn_timeout "SYN dropped at srv ingress, tcp_syn_retries=2: ETIMEDOUT on schedule" \
		"$srv" "$SYN_DROP" 2
}

test_syncnt_2()
{
	syn_timeout "SYN dropped at srv ingress, TCP_SYNCNT=2 (tcp_syn_retries=6): ETIMEDOUT on schedule" \
		"$srv" "$SYN_DROP" 6 2
}

# Loss must look like loss: dropping at the sender's egress gives the same
# schedule as dropping at the receiver's ingress.
test_egress_retries_2()
{
	syn_timeout "SYN dropped at cli egress, tcp_syn_retries=2: ETIMEDOUT on schedule" \
		"$cli" "dir out dport $TF_PORT stage syn action drop" 2
}

tf_require
tf_run_tests
