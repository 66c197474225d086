#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A packet the delay action holds keeps what it depends on, as nf_queue's
# do: its route, the devices it came in and goes out by, its socket.  When
# one of those devices goes, the packets that hold it are dropped; when
# the route, the address or the socket goes, the packet still leaves
# safely; flush and time release it; deleting the namespace frees it.
# Every packet the action took is counted once: action_delay = delay_held
# + delay_sent + delay_dropped + delay_overflow.  Run it on the debug
# kernel too (make check-debug): KASAN and lockdep watch each case.
#
#   +--------------+ tf0  tf1 +--------------+ tf2  tf3 +--------------+
#   | cli 10.0.1.1 |----------| lb  (router) |----------| 10.0.2.1 srv |
#   |  fd00:1::1   |          |              |          | fd00:2::1    |
#   +--------------+          +--------------+          +--------------+

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_in_device_gone
	test_out_device_gone
	test_fwd_device_gone
	test_out_route_address_socket
	test_in_flush
	test_in_netns_deleted
"

HOLD=100000	# ms: longer than any case, so only the case releases it

setup()
{
	TF_TMP=$(mktemp -d)
	tf_dmesg_mark
}

cleanup()
{
	cleanup_all_ns
	[ -z "${TF_TMP:-}" ] || rm -rf "$TF_TMP"
}

# topo: fresh cli, lb, srv and the echo server (each case breaks its own).
topo()
{
	setup_ns cli lb srv || return 1
	tf_lb_setup "$cli" "$lb" "$srv" 1 &&
	tf_listen_in "$srv" 10.0.2.1 "$TF_PORT" --echo
}

# send_bg OUT [CLOSE]: in the background, a client that sends "x" and
# waits for its echo (or, with CLOSE, closes at once); pid in SEND_PID.
send_bg()
{
	# shellcheck disable=SC2016
	local script='exec 3<>/dev/tcp/10.0.2.1/$0 || exit 2; echo x >&3
		[ "$1" = close ] && exit 0
		if read -r -t 300 l <&3; then echo "got $l"; else echo "no echo"; fi'

	tf_nsx "$cli" bash -c "$script" "$TF_PORT" "${2:-}" >"$1" 2>&1 &
	SEND_PID=$!
}

# held_is NS N: NS holds N packets (N > 0: at least N, as the
# retransmissions of a held segment are held too).
held_is()
{
	local held

	held=$(tf_stat "$1" delay_held)
	if [ "$2" = 0 ]; then
		[ "$held" = 0 ]
	else
		[ "$held" -ge "$2" ]
	fi
}

# check_counted NS: every packet the action took is held, sent, dropped or
# passed (overflow), once.
check_counted()
{
	local ns=$1 acted held sent dropped over

	acted=$(tf_stat "$ns" action_delay)
	held=$(tf_stat "$ns" delay_held)
	sent=$(tf_stat "$ns" delay_sent)
	dropped=$(tf_stat "$ns" delay_dropped)
	over=$(tf_stat "$ns" delay_overflow)
	echo "# $ns: action_delay $acted = held $held + sent $sent + dropped $dropped + overflow $over"
	tf_check_ge "$ns: action_delay" "$acted" 1
	tf_check_eq "$ns: action_delay = held + sent + dropped + overflow" "$acted" "$((held + sent + dropped + over))"
}

# check_clean: nothing in the kernel log since the last check (KASAN,
# lockdep, a device that cannot be freed).
check_clean()
{
	local bad

	bad=$(dmesg | tail -n +"$((TF_DMESG_LINES + 1))" | grep -E 'unregister_netdevice|waiting for' || true)
	tf_check_eq "kernel log: a device waited for" "$(tf_oneline "$bad")" ""
	tf_dmesg_clean
	check_err $? "kernel log: a report (printed above)"
	tf_dmesg_mark
}

# device_gone_case NS DIR DEV: in a fresh topology, a packet held at DIR in
# the namespace NS names (srv, cli or lb) - the data, and its
# retransmissions - whose device DEV (the one it came in or goes out by)
# is deleted: dropped, counted, and the device freed.
device_gone_case()
{
	local dir=$2 dev=$3 ns

	topo
	check_err $? "the namespaces and the echo server"
	ns=${!1}
	tcpfaultctl -n "$ns" rule add dir "$dir" dport "$TF_PORT" stage data action delay $HOLD
	check_err $? "rule add"
	send_bg "$TF_TMP/$dir"
	slowwait 30 held_is "$ns" 1
	check_err $? "$1 holds no packet"
	ip -n "$ns" link del "$dev"
	check_err $? "ip link del $dev"
	slowwait 30 held_is "$ns" 0
	check_err $? "$1 still holds $(tf_stat "$ns" delay_held)"
	tf_check_ge "delay_dropped" "$(tf_stat "$ns" delay_dropped)" 1
	check_counted "$ns"
	kill "$SEND_PID" 2>/dev/null
	wait "$SEND_PID" 2>/dev/null
	tf_nap 15	# unregister_netdevice would say it waits after 10 s
	check_clean
	cleanup_all_ns
}

test_in_device_gone()
{
	device_gone_case srv in tf3
	log_test "dir in: a held packet whose input device is deleted is dropped, and the device freed"
}

test_out_device_gone()
{
	device_gone_case cli out tf0
	log_test "dir out: a held packet whose output device is deleted is dropped, and the device freed"
}

# At the router: the device the packet goes out by.
test_fwd_device_gone()
{
	device_gone_case lb fwd tf2
	log_test "dir fwd: a held packet whose output device is deleted is dropped, and the device freed"
}

# Held at cli's output for 2 s while its socket is closed and its route
# and address change: it leaves on time, safely.
test_out_route_address_socket()
{
	topo
	check_err $? "the namespaces and the echo server"
	tcpfaultctl -n "$cli" rule add dir out dport "$TF_PORT" stage data action delay 2000
	check_err $? "rule add"
	send_bg "$TF_TMP/out" close
	slowwait 30 held_is "$cli" 1
	check_err $? "cli holds no packet"
	wait "$SEND_PID"
	ip -n "$cli" route del default &&
	ip -n "$cli" route add default via 10.0.1.2 &&
	ip -n "$cli" addr add 10.0.1.9/24 dev tf0 &&
	ip -n "$cli" addr del 10.0.1.1/24 dev tf0
	check_err $? "the route and the address changed"
	slowwait 30 held_is "$cli" 0
	check_err $? "cli still holds $(tf_stat "$cli" delay_held)"
	tf_check_ge "delay_sent" "$(tf_stat "$cli" delay_sent)" 1
	check_counted "$cli"
	check_clean
	cleanup_all_ns
	log_test "dir out: a held packet leaves on time after its socket closed and its route and address changed"
}

# Held at srv's input; the rule is flushed: it leaves at once, echoed.
test_in_flush()
{
	local out

	topo
	check_err $? "the namespaces and the echo server"
	tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage data action delay $HOLD
	check_err $? "rule add"
	send_bg "$TF_TMP/flush"
	slowwait 30 held_is "$srv" 1
	check_err $? "srv holds no packet"
	tcpfaultctl -n "$srv" rule flush
	check_err $? "rule flush"
	wait "$SEND_PID"
	out=$(cat "$TF_TMP/flush")
	echo "# client: $out"
	tf_check_eq "the client's echo" "$out" "got x"
	tf_check_ge "delay_sent" "$(tf_stat "$srv" delay_sent)" 1
	check_counted "$srv"
	check_clean
	cleanup_all_ns
	log_test "flush: a held packet leaves at once and is answered"
}

# Held at srv's input; the namespace is deleted: freed, nothing waits.
test_in_netns_deleted()
{
	topo
	check_err $? "the namespaces and the echo server"
	tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage data action delay $HOLD
	check_err $? "rule add"
	send_bg "$TF_TMP/netns"
	slowwait 30 held_is "$srv" 1
	check_err $? "srv holds no packet"
	# Its processes go first, or the namespace would live on.
	cleanup_ns "$srv"
	check_err $? "deleting srv's namespace"
	kill "$SEND_PID" 2>/dev/null
	wait "$SEND_PID" 2>/dev/null
	tf_nap 15
	check_clean
	cleanup_all_ns
	log_test "namespace deleted with a held packet: freed, no device left waiting"
}

tf_require
tf_run_tests
