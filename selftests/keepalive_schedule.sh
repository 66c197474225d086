#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The keepalive schedule: an established, idle connection with SO_KEEPALIVE
# whose probes go unanswered must send its first probe keepalive_time after
# the last packet, then one every keepalive_intvl, and fail recv() with
# ETIMEDOUT (and a RST) at the expiry after the keepalive_probes-th probe:
# 7200 + 9 * 75 = 7875 s at the defaults, plus the timer wheel's slack (the
# 7200 s timer sits in the wheel level of 32768 jiffies = 131 s granularity).
# Every gap, the number of probes and the give-up must fall in the model's
# windows (tcpfaultctl timeline --model keepalive), at the defaults, with
# the socket options TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, with the sysctls, with
# TCP_USER_TIMEOUT, and with the loss at either end.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_idle     10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | SO_KEEPALIVE         |        | :8080                |
#   +----------------------+        +----------------------+
#     rules (after the handshake) in srv: dir in dport 8080 stage probe action drop
#      or in cli: dir in sport 8080 action drop + dir out dport 8080 stage probe action log
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the default case waits ~8000 s of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_defaults
	test_options
	test_sysctls
	test_sysctls_egress
	test_user_timeout
"
# Guest seconds a case waits, where over tf_core_lib.sh's TF_LONG_S: a
# real clock skips them unless TCPFAULT_LONG=1.
LONG_TESTS="test_defaults=8000"

setup()
{
	tf_pair_setup
}

cleanup()
{
	cleanup_all_ns
}

# ka_case DESC RULE_NS "RULES" "MODEL ARGS" TF_IDLE_OPTS...: start an idle
# connection from cli, add RULES (";"-separated) in RULE_NS once it is
# established, arm keepalive; recv() must fail with ETIMEDOUT on the model's
# schedule (probes read from RULE_NS's events, direction in or out).
ka_case()
{
	local desc=$1 rule_ns=$2 rules=$3 margs=$4
	local start end dir=in r
	local -a model

	shift 4
	tf_reset "$cli" && tf_reset "$srv" || { check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; }
	if ! tf_idle_go "$cli" "$TF_SRV_ADDR" "$TF_PORT" --keepalive --timeout 30000 "$@"; then
		check_err 1 "the client did not connect"; log_test "$desc"
		return
	fi
	IFS=';' read -ra rl <<<"$rules"
	for r in "${rl[@]}"; do
		# shellcheck disable=SC2086
		tf_check_cmd "rule '$r'" tcpfaultctl -n "$rule_ns" rule add $r
		[[ $r == *"dir out"*"stage probe"* ]] && dir=out
	done
	tf_idle_release "recv()" ETIMEDOUT
	start=$TF_START end=$TF_END
	if [ -n "$start" ] && [ -n "$end" ]; then
		echo "# measured: probe gaps from SO_KEEPALIVE$(tf_probe_gaps "$rule_ns" "$start" "$dir") s;" \
			"ETIMEDOUT $(tf_secs "$start" "$end") s after SO_KEEPALIVE"
		# shellcheck disable=SC2206
		model=(--kernel "$TF_RELEASE" $margs)
		tf_check_timeline "gaps against the model" "$rule_ns" --model keepalive \
			--start "$start" --end "$end" "${model[@]}"
	else
		check_err 1 "no start_ns or end_ns from tf_idle"
	fi
	if [ "$(tf_count_events "$srv" 'flags RA\? ')" -lt 1 ] && [ "$rule_ns" = "$srv" ]; then
		check_err 1 "no RST seen at srv after the give-up"
	fi
	tcpfaultctl -n "$cli" rule flush
	tcpfaultctl -n "$srv" rule flush
	log_test "$desc"
}

PROBE_DROP_SRV="dir in dport $TF_PORT stage probe action drop;dir in dport $TF_PORT stage rst action log"
DROP_ANSWERS_CLI="dir in sport $TF_PORT action drop;dir out dport $TF_PORT stage probe action log"
PROBE_DROP_CLI="dir out dport $TF_PORT stage probe action drop"

# ka_sysctls TIME INTVL PROBES: cli's tcp_keepalive_* sysctls.
ka_sysctls()
{
	tf_sysctl "$cli" net.ipv4.tcp_keepalive_time "$1"
	tf_sysctl "$cli" net.ipv4.tcp_keepalive_intvl "$2"
	tf_sysctl "$cli" net.ipv4.tcp_keepalive_probes "$3"
}

test_defaults()
{
	local t i p

	t=$(ip netns exec "$cli" sysctl -n net.ipv4.tcp_keepalive_time)
	i=$(ip netns exec "$cli" sysctl -n net.ipv4.tcp_keepalive_intvl)
	p=$(ip netns exec "$cli" sysctl -n net.ipv4.tcp_keepalive_probes)
	[ "$t $i $p" = "7200 75 9" ] || echo "# keepalive defaults are $t $i $p, not 7200 75 9"
	ka_case "keepalive defaults 7200/75/9, probes dropped at srv ingress: ETIMEDOUT at 7875 s + slack" \
		"$srv" "$PROBE_DROP_SRV" \
		"tcp_keepalive_time=$t tcp_keepalive_intvl=$i tcp_keepalive_probes=$p"
}

test_options()
{
	ka_case "TCP_KEEPIDLE=60 KEEPINTVL=10 KEEPCNT=3, answers dropped at cli ingress: ETIMEDOUT on schedule" \
		"$cli" "$DROP_ANSWERS_CLI" "keepidle=60 keepintvl=10 keepcnt=3" \
		--keepidle 60 --keepintvl 10 --keepcnt 3
}

test_sysctls()
{
	ka_sysctls 30 5 4
	ka_case "sysctls tcp_keepalive_time=30 intvl=5 probes=4, probes dropped at srv ingress: ETIMEDOUT on schedule" \
		"$srv" "$PROBE_DROP_SRV" \
		"tcp_keepalive_time=30 tcp_keepalive_intvl=5 tcp_keepalive_probes=4"
	ka_sysctls 7200 75 9
}

# Loss looks like loss: the probes consumed at the client's own egress give
# the schedule of the ingress case above.
test_sysctls_egress()
{
	ka_sysctls 30 5 4
	ka_case "sysctls 30/5/4, probes dropped at cli egress: the same schedule as at srv ingress" \
		"$cli" "$PROBE_DROP_CLI" \
		"tcp_keepalive_time=30 tcp_keepalive_intvl=5 tcp_keepalive_probes=4"
}

test_user_timeout()
{
	ka_case "TCP_USER_TIMEOUT=95000 replaces KEEPCNT=3 (60/10): 4 probes, ETIMEDOUT on schedule" \
		"$srv" "$PROBE_DROP_SRV" "keepidle=60 keepintvl=10 keepcnt=3 user_timeout=95000" \
		--keepidle 60 --keepintvl 10 --keepcnt 3 --user-timeout 95000
}

tf_require tf_idle
tf_run_tests
