#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A rule without "dir" acts on each packet once per namespace, where it
# first meets it.  On loopback (client, server and rule in one namespace)
# every packet passes LOCAL_OUT and then LOCAL_IN: such a rule meets it
# where it is sent, and skip, every, count and the event log count it
# once.  "dir in" rules still see it on its way in.
#
#   lo1: tf_connect -> 127.0.0.1 / ::1 port 8080 -> tf_listen --echo

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_skip
	test_every
	test_count
	test_log_once
	test_dir_in_still_sees
	test_preset_once
"

ADDRS="127.0.0.1 ::1"

setup()
{
	setup_ns lo1 || return 1
	ip -n "$lo1" link set lo up || return 1
	tf_listen_in "$lo1" 127.0.0.1 "$TF_PORT" --echo &&
	tf_listen_in "$lo1" ::1 "$TF_PORT" --echo
}

cleanup()
{
	cleanup_all_ns
}

# conn ADDR [TF_CONNECT_OPTS...]: a connection to the echo server, "hi"
# sent; tf_connect's line.
conn()
{
	local addr=$1

	shift
	tf_nsx "$lo1" tf_connect "$@" --send hi "$addr" "$TF_PORT" 2>&1 | grep start_ns
}

# rule_counter NAME: the rule's hits or acted, from the listing.
rule_counter()
{
	tcpfaultctl -n "$lo1" rule list | tf_first_field "$1"
}

tf_first_field()
{
	local line

	read -r line || return 1
	tf_field "$line" "$1"
}

# check_connected_at_once ADDR LINE: connected, with no SYN retransmitted
# (< 1 s).
check_connected_at_once()
{
	tf_check_eq "$1: connect errno" "$(tf_field "$2" errno)" 0
	tf_check_lt "$1: connect time (ms, no SYN retransmitted)" "$(tf_field "$2" elapsed_ms)" 1000
}

# first_syn_passes LIMIT WHY: a SYN-dropping rule with LIMIT (e.g. "skip
# 1") meets the first SYN once, lets it pass (WHY), and it connects.
first_syn_passes()
{
	local limit=$1 why=$2 a out

	for a in $ADDRS; do
		tf_reset "$lo1"
		# shellcheck disable=SC2086 # LIMIT is two words
		tcpfaultctl -n "$lo1" rule add dport "$TF_PORT" stage syn $limit action drop
		check_err $? "$a: rule add"
		out=$(conn "$a" --timeout 10)
		echo "# $a: $out; hits $(rule_counter hits) acted $(rule_counter acted)"
		check_connected_at_once "$a" "$out"
		tf_check_eq "$a: rule hits (one SYN)" "$(rule_counter hits)" 1
		tf_check_eq "$a: rule acted ($why)" "$(rule_counter acted)" 0
	done
	tf_reset "$lo1"
}

# skip 1 on SYNs: the first SYN is the skipped one, and it connects.
test_skip()
{
	first_syn_passes "skip 1" "the SYN skipped"
	log_test "skip 1, no dir: the first SYN is skipped once and connects (127.0.0.1, ::1)"
}

# every 2 on SYNs: the first SYN is match 1 of 2, and it connects.
test_every()
{
	first_syn_passes "every 2" "match 1 of every 2"
	log_test "every 2, no dir: one match per SYN, the first passes (127.0.0.1, ::1)"
}

# count 1 on the echo's data: one segment changed, seen once.
test_count()
{
	local a out

	for a in $ADDRS; do
		tf_reset "$lo1"
		tcpfaultctl -n "$lo1" rule add sport "$TF_PORT" stage data count 1 action log
		check_err $? "$a: rule add"
		out=$(conn "$a" --timeout 10)
		echo "# $a: $out; hits $(rule_counter hits) acted $(rule_counter acted) events $(tf_count_events "$lo1")"
		tf_check_eq "$a: connect errno" "$(tf_field "$out" errno)" 0
		tf_check_eq "$a: rule hits (the echo's one segment)" "$(rule_counter hits)" 1
		tf_check_eq "$a: rule acted" "$(rule_counter acted)" 1
		tf_check_eq "$a: events at out" "$(tf_count_events "$lo1" ' dir out ')" 1
	done
	tf_reset "$lo1"
	log_test "count 1, no dir: the one data segment of the echo is matched and logged once (127.0.0.1, ::1)"
}

# dups NS: events that repeat the one before them of the same packet
# (addresses, flags, seq, ack, len) within 1 ms: a second hook pass, not
# a retransmission.
dups()
{
	tf_nsx "$1" cat /proc/net/tcpfault/events |
		awk '{ k = $10 " " $12 " " $14 " " $16 " " $18 " " $20
		       if ((k in last) && $2 - last[k] < 1000000) n++; last[k] = $2 }
		     END { print n + 0 }'
}

# A log rule on every packet: each packet once, at out.
test_log_once()
{
	local a out n

	for a in $ADDRS; do
		tf_reset "$lo1"
		tcpfaultctl -n "$lo1" rule add port "$TF_PORT" action log
		check_err $? "$a: rule add"
		out=$(conn "$a" --timeout 10)
		n=$(tf_count_events "$lo1")
		echo "# $a: $out; events $n, at in $(tf_count_events "$lo1" ' dir in '), repeated $(dups "$lo1")"
		tf_nsx "$lo1" cat /proc/net/tcpfault/events | tf_diag
		tf_check_eq "$a: connect errno" "$(tf_field "$out" errno)" 0
		# SYN, SYN-ACK, ACK, data both ways, and the close.
		tf_check_ge "$a: events" "$n" 6
		tf_check_eq "$a: events at in" "$(tf_count_events "$lo1" ' dir in ')" 0
		tf_check_eq "$a: events repeating a packet within 1 ms" "$(dups "$lo1")" 0
		tf_check_eq "$a: rule acted (= events)" "$(rule_counter acted)" "$n"
	done
	tf_reset "$lo1"
	log_test "log, no dir: every loopback packet logged once, where it is sent (127.0.0.1, ::1)"
}

# "dir in" rules see the loopback packet on its way in, beside a rule
# without dir that saw it on its way out.
test_dir_in_still_sees()
{
	local a out

	for a in $ADDRS; do
		tf_reset "$lo1"
		tcpfaultctl -n "$lo1" rule add id 1 dport "$TF_PORT" stage syn action log &&
		tcpfaultctl -n "$lo1" rule add id 2 dir in dport "$TF_PORT" stage syn action log
		check_err $? "$a: rule add"
		out=$(conn "$a" --timeout 10)
		echo "# $a: $out; events at out $(tf_count_events "$lo1" ' rule 1 dir out '), at in $(tf_count_events "$lo1" ' rule 2 dir in ')"
		tf_check_eq "$a: connect errno" "$(tf_field "$out" errno)" 0
		tf_check_eq "$a: rule 1 (no dir) events at out" "$(tf_count_events "$lo1" ' rule 1 dir out ')" 1
		tf_check_eq "$a: rule 2 (dir in) events at in" "$(tf_count_events "$lo1" ' rule 2 dir in ')" 1
		tf_check_eq "$a: events" "$(tf_count_events "$lo1")" 2
	done
	tf_reset "$lo1"
	log_test "dir in on loopback: the SYN is seen once by each rule, at its own hook (127.0.0.1, ::1)"
}

# A preset (no dir) on loopback: synack-loss drops each SYN-ACK once.
test_preset_once()
{
	local a out n

	for a in $ADDRS; do
		tf_reset "$lo1"
		tcpfaultctl -n "$lo1" scenario synack-loss "$TF_PORT" >/dev/null
		check_err $? "$a: scenario synack-loss"
		out=$(conn "$a" --timeout 5)
		n=$(tf_count_events "$lo1" ' flags SA ')
		echo "# $a: $out; SYN-ACKs dropped $n, at in $(tf_count_events "$lo1" ' dir in ')"
		tf_check_eq "$a: connect errno (5 s alarm)" "$(tf_field "$out" errno)" EINTR
		# Retransmitted SYN-ACKs can follow each other closely (a
		# retransmitted SYN is answered at once): no test of repeats.
		tf_check_ge "$a: SYN-ACKs dropped" "$n" 2
		tf_check_eq "$a: events at in" "$(tf_count_events "$lo1" ' dir in ')" 0
		tcpfaultctl -n "$lo1" scenario clear >/dev/null
	done
	tf_reset "$lo1"
	log_test "scenario synack-loss on loopback: each SYN-ACK dropped once, where it is sent (127.0.0.1, ::1)"
}

tf_require
tf_run_tests
