#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real events drawn: tcpfaultctl events --pcap lists in tcpdump the packets
# the kernel's events name, with the same flags, seq, ack, window and
# length, in order, and timeline --svg has an arrow per event with its
# verdict's marks and renders to PNG; over IPv4 and IPv6.
#
#   cli                                          srv
#   +-----------------------------+  veth  +-----------------------------+
#   | tf_connect --send  10.0.1.1 |--------| 10.0.1.2   tf_listen --echo |
#   |                   fd00:1::1 |        | fd00:1::2                   |
#   +-----------------------------+        +-----------------------------+
#     rules in srv: the first SYN dropped, everything else logged

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_pictures_ipv4
	test_pictures_ipv6
"

setup()
{
	setup_ns cli srv || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" 10.0.1.2 fd00:1::1 fd00:1::2 || return 1
	tf_listen_in "$srv" 10.0.1.2 "$TF_PORT" --echo &&
	tf_listen_in "$srv" fd00:1::2 "$TF_PORT" --echo &&
	PICS=$(mktemp -d)
}

cleanup()
{
	rm -rf "$PICS"
	cleanup_all_ns
}

# pictures FAMILY ADDR: one echoed exchange with its first SYN lost, drawn
pictures()
{
	local family=$1 addr=$2 out ev=$PICS/$1.events n

	tcpfaultctl -n "$srv" rule flush
	tcpfaultctl -n "$srv" events --clear
	tcpfaultctl -n "$srv" rule add family "$family" dir in dport "$TF_PORT" stage syn action drop count 1 &&
	tcpfaultctl -n "$srv" rule add family "$family" dir in dport "$TF_PORT" action log &&
	tcpfaultctl -n "$srv" rule add family "$family" dir out sport "$TF_PORT" action log
	check_err $? "$family: rule add"
	out=$(ip netns exec "$cli" tf_connect --timeout 30 --send hello "$addr" "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	slowwait 10 tf_events_ge "$srv" 1 ' F'
	check_err $? "$family: no FIN logged in 10 s"

	tcpfaultctl -n "$srv" events --pcap "$PICS/$family.pcap" >"$ev"
	check_err $? "$family: events --pcap"
	tcpfaultctl -n "$srv" timeline --svg "$PICS/$family.svg" >/dev/null
	check_err $? "$family: timeline --svg"
	n=$(wc -l <"$ev")
	echo "# $family: $n events, $(grep -c 'verdict drop' "$ev") dropped," \
	     "$(grep -c ' len [1-9]' "$ev") with payload; tcpdump:"
	tcpdump -S -nr "$PICS/$family.pcap" 2>/dev/null | sed 's/^/#   /'
	tf_check_eq "$family: connect errno" "$(tf_field "$out" errno)" 0
	tf_check_grep "$family: a dropped packet" 'verdict drop' "$(cat "$ev")"
	tf_check_grep "$family: a packet with payload" ' len [1-9]' "$(cat "$ev")"
	tf_check_cmd "$family: the pcap against the events" python3 ./tf_pictures.py pcap "$ev" "$PICS/$family.pcap"
	tf_check_cmd "$family: the SVG against the events" python3 ./tf_pictures.py svg "$ev" "$PICS/$family.svg"
	rsvg-convert "$PICS/$family.svg" -o "$PICS/$family.png" 2>/dev/null && [ -s "$PICS/$family.png" ]
	check_err $? "$family: rsvg-convert to PNG"
	log_test "$family: pcap and SVG of $n real events match them"
}

test_pictures_ipv4()
{
	pictures ipv4 10.0.1.2
}

test_pictures_ipv6()
{
	pictures ipv6 fd00:1::2
}

tf_require tcpdump rsvg-convert python3
tf_run_tests
