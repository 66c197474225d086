#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "idle" and "after" on connections that were open before the rule: a
# load balancer's idle timeout set on a running pool forgets each
# connection SECONDS after its last packet, and for a flow the rule has
# not seen yet that silence counts from the rule's creation; "after"
# counts a flow's age from the rule's creation when it was established
# before it.
#
#   +--------------+      +--------------+      +----------------------+
#   | cli 10.0.1.1 |------| lb  (router) |------| 10.0.2.1  srv        |
#   |  fd00:1::1   |      |              |      | fd00:2::1  tf_listen |
#   +--------------+      +--------------+      +----------------------+
#
# Meant for a guest with a virtual clock: the idle cases wait 1000 s of
# guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_idle_existing_middlebox
	test_idle_existing_end
	test_after_existing
"
# Guest seconds a case waits, where over tf_core_lib.sh's TF_LONG_S: a
# real clock skips them unless TCPFAULT_LONG=1 (1000 s of silence, IPv4
# and IPv6).
LONG_TESTS="test_idle_existing_middlebox=2010 test_idle_existing_end=2010"

FAMILIES="4 6"

setup()
{
	setup_ns cli lb srv || return 1
	tf_lb_setup "$cli" "$lb" "$srv" 1 || return 1
	tf_listen_in "$srv" 10.0.2.1 "$TF_PORT" --echo &&
	tf_listen_in "$srv" fd00:2::1 "$TF_PORT" --echo || return 1
	TF_TMP=$(mktemp -d)
}

cleanup()
{
	cleanup_all_ns
	[ -z "${TF_TMP:-}" ] || rm -rf "$TF_TMP"
}

srv_addr()
{
	if [ "$1" = 4 ]; then echo 10.0.2.1; else echo fd00:2::1; fi
}

# live NS: the namespace's established (or close-wait) sockets of TF_PORT.
live()
{
	tf_nsx "$1" ss -Htan state established state close-wait \
		"( sport = :$TF_PORT or dport = :$TF_PORT )" | wc -l
}

none_live()
{
	[ "$(live "$1")" = 0 ]
}

# The clients below wait with bash builtins only (nap): under the virtual
# clock the guest clock leaps, while the guest waits on its 9p root (an
# exec), to the next timer however far; a leap must not fall between the
# rule's creation and the packets timed from it.
# shellcheck disable=SC2016
NAP='nap() { [ -n "${nap_fd:-}" ] || exec {nap_fd}<> <(:); read -r -t "$1" -u "$nap_fd"; }'

# quiet_client FAMILY OUT WAIT: in the background, a client that connects,
# has "a" echoed, writes OUT.ready, waits for a line on the FIFO OUT.go,
# stays silent WAIT seconds, then sends "b" and reports whether an answer
# came.  Its pid is in QUIET_PID.
quiet_client()
{
	# shellcheck disable=SC2016
	local script="$NAP"'
		exec 3<>/dev/tcp/$0/$1 || exit 2; echo a >&3; read -r l <&3; echo "got $l"; : >"$2.ready"
		read -r _ <"$2.go"; nap "$3"; echo b >&3 2>/dev/null
		if read -r -t 10 l <&3; then echo "got $l"; else echo "read failed"; fi'

	mkfifo "$2.go"
	tf_nsx "$cli" bash -c "$script" "$(srv_addr "$1")" "$TF_PORT" "$2" "$3" >"$2" 2>&1 &
	QUIET_PID=$!
	slowwait 60 test -e "$2.ready"
}

# idle_case NS: connections open before "scenario lb-idle-reset" in NS
# (idle 900 s), silent 1000 s: reset on both ends at the next packet.
idle_case()
{
	local ns=$1 f out n

	for f in $FAMILIES; do
		tf_reset "$ns"
		quiet_client "$f" "$TF_TMP/quiet$ns$f" 1000
		check_err $? "IPv$f: the client did not connect"
		n=$(live "$srv")
		tcpfaultctl -n "$ns" scenario lb-idle-reset "$TF_PORT" 900 >/dev/null
		check_err $? "IPv$f: scenario lb-idle-reset"
		echo go >"$TF_TMP/quiet$ns$f.go"
		wait "$QUIET_PID"
		out=$(tr '\n' ' ' <"$TF_TMP/quiet$ns$f")
		echo "# IPv$f: server sockets before $n; client: $out; server sockets left $(live "$srv");" \
		     "events: $(tf_nsx "$ns" cat /proc/net/tcpfault/events | awk '{ print $6 "/" $14 "/" $22 }' | tr '\n' ' ')"
		tf_check_eq "IPv$f: server sockets before the preset" "$n" 1
		tf_check_grep "IPv$f: the client's first exchange" "got a" "$out"
		tf_check_grep "IPv$f: the client's read after 1000 s" "read failed" "$out"
		tf_check_eq "IPv$f: reset-both events" "$(tf_count_events "$ns" 'verdict reset-both')" 1
		slowwait 20 none_live "$srv"
		check_err $? "IPv$f: the server's socket is still there: $(live "$srv") live"
		tcpfaultctl -n "$ns" scenario clear >/dev/null
	done
}

test_idle_existing_middlebox()
{
	idle_case "$lb"
	log_test "lb-idle-reset at the middlebox on open connections: idle 1000 s from the preset, reset on both ends (IPv4, IPv6)"
}

test_idle_existing_end()
{
	idle_case "$cli"
	log_test "lb-idle-reset at the client's end on open connections: idle 1000 s from the preset, reset on both ends (IPv4, IPv6)"
}

# blackhole after 2000 on open connections: a packet 1.5 s after the
# preset passes, one 2.5 s after it is lost (counted from the rule's
# creation, not from the first packet it saw).
test_after_existing()
{
	local f out
	# shellcheck disable=SC2016
	local script="$NAP"'
		exec 3<>/dev/tcp/$0/$1 || exit 2; echo a >&3; read -r l <&3; echo "got $l"; : >"$2.ready"
		read -r _ <"$2.go"; nap 1.5; echo b >&3; if read -r -t 0.5 l <&3; then echo "got $l"; else echo "b lost"; fi
		nap 1; echo c >&3; if read -r -t 5 l <&3; then echo "got $l"; else echo "c lost"; fi'

	for f in $FAMILIES; do
		tf_reset "$lb"
		mkfifo "$TF_TMP/after$f.go"
		tf_nsx "$cli" bash -c "$script" "$(srv_addr "$f")" "$TF_PORT" "$TF_TMP/after$f" >"$TF_TMP/after$f" 2>&1 &
		QUIET_PID=$!
		slowwait 60 test -e "$TF_TMP/after$f.ready"
		check_err $? "IPv$f: the client did not connect"
		tcpfaultctl -n "$lb" scenario blackhole "$TF_PORT" after 2000 >/dev/null
		check_err $? "IPv$f: scenario blackhole after 2000"
		echo go >"$TF_TMP/after$f.go"
		wait "$QUIET_PID"
		out=$(tr '\n' ' ' <"$TF_TMP/after$f")
		echo "# IPv$f: client: $out; drops $(tf_count_events "$lb" 'verdict drop')"
		tf_check_grep "IPv$f: b, 1.5 s after the preset" "got b" "$out"
		tf_check_grep "IPv$f: c, 2.5 s after the preset" "c lost" "$out"
		tf_check_ge "IPv$f: drops" "$(tf_count_events "$lb" 'verdict drop')" 1
		tcpfaultctl -n "$lb" scenario clear >/dev/null
		tcpfaultctl -n "$srv" kill sport "$TF_PORT" >/dev/null
		tcpfaultctl -n "$cli" kill dport "$TF_PORT" >/dev/null
	done
	log_test "blackhole after 2000 on an open connection: counted from the preset (1.5 s passes, 2.5 s is lost; IPv4, IPv6)"
}

tf_require
tf_run_tests
