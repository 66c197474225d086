#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The incidents (Documentation/scenarios.rst) with a real MariaDB server and its real
# client (Debian's mariadbd and mariadb): each fault is set with its preset
# (tcpfaultctl scenario NAME 3306), the client fails the way the write-up
# says (its own error text), the module's events and the kernel's counters
# and socket states show why, and the same client works again once
# `tcpfaultctl scenario clear` has taken the preset away.
#
#   db (one namespace, loopback)
#   +-----------------------------------------------------------+
#   | mariadb --connect-timeout=5 -h127.0.0.1 ---> mariadbd :3306 |
#   +-----------------------------------------------------------+
#     rules in db; both ends share the namespace, so a rule sees each
#     segment at the sender's egress (dir out) first: a drop there is the
#     wire losing it, and the receiver never sees it
#
# Meant for a guest with a virtual clock: the ack3 case waits for the
# server's SYN-ACK schedule to run out (~63 s of guest time).

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_silent_listen
	test_syn_blackhole
	test_cookie_ack3_loss
	test_ack3_loss
	test_blackhole_established
"

PORT=$TF_MARIADB_PORT

setup()
{
	setup_ns db || return 1
	tf_mariadb_start "$db" || return 1
	# Have every tool read in once (cache=loose keeps it): the first exec
	# of each waits on 9p for long.
	tcpext SyncookiesSent >/dev/null
	timeout 5 true
}

cleanup()
{
	tf_mariadb_stop
	cleanup_all_ns
}

# fault PRESET [ARGS...]: `tcpfaultctl scenario PRESET 3306 ARGS...` in db,
# from an empty table; what it installed as diagnostics. False, with the
# reason in NOT_SUPPORTED, when this module refuses a keyword it does not
# have yet: the case is then skipped, not failed.
fault()
{
	local preset=$1 out

	shift
	tf_reset "$db" >/dev/null
	NOT_SUPPORTED=
	if ! out=$(tcpfaultctl -n "$db" scenario "$preset" "$PORT" "$@" 2>&1); then
		if grep -q 'not supported yet' <<<"$out"; then
			NOT_SUPPORTED=$out
			return 1
		fi
		echo "$out" | tf_diag
		ktap_exit_fail_msg "scenario $preset $PORT $* failed"
	fi
	echo "$out" | sed 's/^/# scenario '"$preset"': /'
}

# skip_unsupported NAME: the KTAP skip line for a refused keyword.
skip_unsupported()
{
	ktap_test_skip "$1: ${NOT_SUPPORTED#tcpfaultctl: }"
}

# While the client waits, a case looks with builtins only (tf_nap,
# tf_mariadb_sockets, tf_mono_ns): see tf_app_lib.sh, tf_core_lib.sh.

# wait_state STATE: until a socket of port 3306 is in STATE (up to 10 s).
wait_state()
{
	local i

	for ((i = 0; i < 100; i++)); do
		[[ $(tf_mariadb_sockets) == *"$1 "* ]] && return 0
		tf_nap 0.1
	done
	return 1
}

# client_timed ARGS...: run the client; its output in OUT, status in RC,
# END_NS when it ended (CLOCK_MONOTONIC, to compare with the events).
client_timed()
{
	OUT=$(tf_mariadb_client "$@" 2>&1)
	RC=$?
	END_NS=$(tf_mono_ns)
	echo "# mariadb $*: status $RC: $OUT"
}

# client_bg ARGS...: the client in the background (CLIENT_PID);
# client_wait: its output in OUT, status in RC.
client_bg()
{
	CLIENT_LOG=$(mktemp /tmp/tf_mariadb_client.XXXXXX)
	tf_mariadb_client "$@" >"$CLIENT_LOG" 2>&1 &
	CLIENT_PID=$!
}

client_wait()
{
	wait "$CLIENT_PID"
	RC=$?
	OUT=$(<"$CLIENT_LOG")
	rm -f "$CLIENT_LOG"
	echo "# mariadb: status $RC: $OUT"
}

# tcpext NAME: a TcpExt counter of db (/proc/net/netstat).
tcpext()
{
	tf_nsx "$db" awk -v k="$1" '/^TcpExt:/ { if (!n) { split($0, h); n = 1 }
		else for (i = 2; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/netstat
}

# check_works_again: a check that once the preset is cleared the same
# client gets its answer.
check_works_again()
{
	tf_check_cmd "scenario clear" tcpfaultctl -n "$db" scenario clear >/dev/null &&
		tf_check_eq "after scenario clear: SELECT 1" "$(tf_mariadb_client -e 'SELECT 1' 2>&1)" 1
}

# check_client_error ERROR: a check that the client failed with ERROR.
check_client_error()
{
	tf_check_ne "the client's status" "$RC" 0
	tf_check_grep "the client's error" "$1" "$OUT"
}

# Seed 003, "TCP up but no greeting": the server accepts, but its greeting
# never arrives. The client (server-speaks-first protocol) waits for it
# until its connect timeout; the server's stack retransmits it on the RTO
# schedule.
test_silent_listen()
{
	local ev

	fault silent-listen
	client_timed -e 'SELECT 1'
	ev=$(tf_nsx "$db" cat /proc/net/tcpfault/events)
	tcpfaultctl -n "$db" timeline | tf_diag
	check_client_error "ERROR 2013 .*reading initial communication packet"
	# The greeting: one segment from the server, lost again and again
	# (the same sequence number: retransmissions, not new data).
	tf_check_ge "greeting transmissions dropped" "$(grep -c "src 127.0.0.1:$PORT .*flags PA .*verdict drop" <<<"$ev")" 3
	tf_check_eq "sequence numbers of the dropped segments (retransmissions: one)" \
		"$(grep "src 127.0.0.1:$PORT .*verdict drop" <<<"$ev" | awk '{ print $16 }' | sort -u | wc -l)" 1
	check_works_again
	log_test "silent listen: ERROR 2013 reading initial communication packet, the greeting retransmitted; works after scenario clear"
}

# Seed 003, "SYN blackhole": every SYN to the server is lost; the client's
# --connect-timeout (5 s) ends the wait long before the kernel's 127 s.
test_syn_blackhole()
{
	local syns nsyn ms last

	fault syn-blackhole
	client_timed -e 'SELECT 1'
	syns=$(tf_nsx "$db" cat /proc/net/tcpfault/events |
	       grep "dst 127.0.0.1:$PORT flags S .*verdict drop")
	nsyn=$(grep -c . <<<"$syns")
	# From connect() (the first SYN) to the client's exit, and to the last
	# SYN its socket sent.
	ms=$(( (END_NS - $(tf_field "$syns" ts)) / 1000000 ))
	last=$(( ($(tf_field "$(tail -n 1 <<<"$syns")" ts) - $(tf_field "$syns" ts)) / 1000000 ))
	echo "# SYNs dropped: $nsyn, the last $last ms after the first; the client exited $ms ms after the first"
	check_client_error "ERROR 2002 .*Can't connect to server on '127.0.0.1' (110)"
	# The 5 s connect timeout, not the kernel's give-up (127-135 s): the
	# socket is gone before the SYN due at 7 s (6.1: 0, 1, 3, 7 s; 6.12:
	# 0 .. 5, 7 s), the last one sent by 5 s and its timer's slack. The
	# exit is later by what paging the client's error path in over 9p
	# lets the virtual clock leap to (seen: 5.6 s on 6.1, 11.9 s at HZ
	# 1000), so it only has to come well before the kernel's give-up.
	tf_check_ge "ms from the first SYN to the client's exit" "$ms" 5000
	tf_check_lt "ms from the first SYN to the client's exit" "$ms" 60000
	tf_check_lt "ms from the first SYN to the last" "$last" 5600
	tf_check_ge "SYNs dropped" "$nsyn" 3
	check_works_again
	log_test "SYN blackhole: ERROR 2002 (110) at the 5 s connect timeout, SYNs retransmitted; works after scenario clear"
}

# Seed 002: SYN cookies in use (tcp_syncookies=2: always), the third ACK
# that the server would validate as a cookie is lost. The client is
# ESTABLISHED and waits for the greeting; the server has no socket for it at
# all (with cookies no request socket exists), so it never accepts, never
# retransmits, never speaks. (When the client gives up, its FIN carries the
# same ACK: the cookie checks out, the server accepts a connection that is
# already closing.)
test_cookie_ack3_loss()
{
	local sent0 sent st

	tf_sysctl "$db" net.ipv4.tcp_syncookies 2
	if ! fault cookie-ack3-loss; then
		tf_sysctl "$db" net.ipv4.tcp_syncookies 1
		skip_unsupported "cookie ack3 loss"
		return
	fi
	sent0=$(tcpext SyncookiesSent)
	client_bg -e 'SELECT 1'
	# 2 s into the client's 5 s wait the server still has nothing for it.
	wait_state ESTAB && tf_nap 2
	st=$(tf_mariadb_sockets)
	client_wait
	sent=$(tcpext SyncookiesSent)
	echo "$st" | sed 's/^/# 2 s in (state local-port peer-port): /'
	echo "# SyncookiesSent $sent0 -> $sent"
	tf_nsx "$db" cat /proc/net/tcpfault/events | tf_diag
	check_client_error "ERROR 2013 .*reading initial communication packet"
	tf_check_gt "SyncookiesSent (before: $sent0)" "$sent" "$sent0"
	# The client is connected; on the server's port only the listener.
	tf_check_grep "2 s in: the client ESTAB" -E "^ESTAB [0-9]+ $PORT$" "$st"
	grep -qE "^ESTAB [0-9]+ $PORT$" <<<"$st" &&
		tf_check_nogrep "2 s in: a server socket of the connection" -E "^[^ ]+ $PORT [1-9]" "$st"
	tf_check_eq "third ACKs dropped" "$(tf_count_events "$db" "dir in .*dst 127.0.0.1:$PORT flags A .*verdict drop")" 1
	tf_sysctl "$db" net.ipv4.tcp_syncookies 1
	check_works_again
	log_test "cookie ack3 loss: ERROR 2013, SyncookiesSent rises, the server never accepts; works after scenario clear"
}

# Seed 001, third-ACK loss without cookies: the client is ESTABLISHED and
# waits for the greeting, the server holds a request socket (SYN-RECV),
# retransmits its SYN-ACK on the model's schedule (the client's answers are
# third ACKs again, lost again), and after tcp_synack_retries (5: ~63 s)
# forgets the connection while the client still waits.
test_ack3_loss()
{
	local rtx0 rtx st1 st2 alive

	tf_sysctl "$db" net.ipv4.tcp_syncookies 0
	if ! fault ack3-loss; then
		tf_sysctl "$db" net.ipv4.tcp_syncookies 1
		skip_unsupported "ack3 loss"
		return
	fi
	# The SYN-ACKs too, for their schedule.
	tcpfaultctl -n "$db" rule add dir out sport "$PORT" stage synack action log >/dev/null
	rtx0=$(tcpext TCPSynRetrans)
	client_bg --connect-timeout=100 -e 'SELECT 1'
	wait_state SYN-RECV
	st1=$(tf_mariadb_sockets)
	# The SYN-ACK schedule at tcp_synack_retries=5 ends 63 s after the
	# first one (1+2+4+8+16+32); under the virtual clock this is free.
	tf_nap 70
	st2=$(tf_mariadb_sockets)
	kill -0 "$CLIENT_PID" 2>/dev/null && alive=1
	kill "$CLIENT_PID" 2>/dev/null
	client_wait
	rtx=$(tcpext TCPSynRetrans)
	echo "$st1" | sed 's/^/# while waiting (state local-port peer-port): /'
	echo "$st2" | sed 's/^/# 70 s later: /'
	echo "# TCPSynRetrans $rtx0 -> $rtx; client still waiting after 70 s: ${alive:-no}"
	tf_check_grep "while waiting: the server SYN-RECV" -E "^SYN-RECV $PORT [0-9]+$" "$st1"
	grep -qE "^SYN-RECV $PORT [0-9]+$" <<<"$st1" &&
		tf_check_grep "while waiting: the client ESTAB" -E "^ESTAB [0-9]+ $PORT$" "$st1"
	tf_check_nogrep "70 s later: the server still SYN-RECV" "^SYN-RECV" "$st2"
	grep -q "^SYN-RECV" <<<"$st2" ||
		tf_check_grep "70 s later: the client ESTAB" -E "^ESTAB [0-9]+ $PORT$" "$st2"
	tf_check_eq "client still waiting after 70 s" "${alive:-}" 1
	tf_check_eq "TCPSynRetrans rise" $((rtx - rtx0)) 5
	tf_check_timeline "SYN-ACK schedule against the model" "$db" --model synack --kernel "$TF_RELEASE"
	tf_sysctl "$db" net.ipv4.tcp_syncookies 1
	check_works_again
	log_test "ack3 loss: server SYN-RECV while the client is ESTAB, SYN-ACKs on the model's schedule, then the server forgets; works after scenario clear"
}

# Seed 003, "established blackhole" (a failover): the client logged in, then
# everything on the connection is lost. A query in flight never returns;
# the client blocks in read() (the 924.6 s ETIMEDOUT at tcp_retries2=15 is
# data_schedule.sh's). Bounded here with timeout(1). Normally the answer
# is what is lost, 3 s after the query; should the client's clock leap
# (9p) between its login and its query, the query is: in flight all the
# same, and retransmitted all the same.
test_blackhole_established()
{
	local st rtx

	if ! fault blackhole after 2000; then
		skip_unsupported "established blackhole"
		return
	fi
	OUT=$(tf_mariadb_client --timeout 20 -e 'SELECT SLEEP(3)' 2>&1)
	st=$?
	# The most transmissions of one payload segment (source, sequence).
	rtx=$(tf_nsx "$db" cat /proc/net/tcpfault/events |
	      awk '$22 == "drop" && $20 > 0 { n[$10 " " $16]++ }
		   END { for (k in n) if (n[k] > m) { m = n[k]; w = k }; print m + 0, w }')
	echo "# SELECT SLEEP(3): status $st, output \"$OUT\"; segment sent most: ${rtx#* } (${rtx%% *} times)"
	tcpfaultctl -n "$db" timeline | tf_diag
	tf_check_eq "SELECT SLEEP(3): status (124: killed by timeout 20)" "$st" 124
	tf_check_eq "SELECT SLEEP(3): output" "$OUT" ""
	tf_check_ge "transmissions of the segment sent most" "${rtx%% *}" 3
	check_works_again
	log_test "established blackhole: SELECT SLEEP(3) after login never returns, its answer retransmitted; works after scenario clear"
}

tf_require
missing=$(tf_mariadb_missing)
if [ -n "$missing" ]; then
	ktap_skip_all "$missing"
	exit "$KSFT_SKIP"
fi
tf_run_tests
