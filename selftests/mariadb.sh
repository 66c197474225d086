#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The incidents of the write-ups with a real MariaDB server and its real
# client (Debian's mariadbd and mariadb): each fault is set, the client
# fails the way the write-up says (its own error text), the module's events
# and the kernel's counters and socket states show why, and the same client
# works again once the rules are gone.
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
	# Have every tool the cases time read in once (cache=loose keeps it):
	# a first exec waits on 9p, and meanwhile the virtual clock leaps over
	# pending timers, e.g. past the client's 5 s timeout.
	states >/dev/null
	tcpext SyncookiesSent >/dev/null
	server_status Threads_connected >/dev/null
	timeout 5 true
}

cleanup()
{
	tf_mariadb_stop
	cleanup_all_ns
}

# fault RULE...: `tcpfaultctl rule add RULE...` in db, after a reset.
# False, with the reason in NOT_SUPPORTED, when this module refuses a
# keyword it does not have yet: the case is then skipped, not failed.
fault()
{
	local err

	tf_reset "$db" >/dev/null
	NOT_SUPPORTED=
	if ! err=$(tcpfaultctl -n "$db" rule add "$@" 2>&1); then
		if grep -q 'not supported yet' <<<"$err"; then
			NOT_SUPPORTED=$err
			return 1
		fi
		echo "$err" | tf_diag
		ktap_exit_fail_msg "rule add $* failed"
	fi
}

# skip_unsupported NAME: the KTAP skip line for a refused keyword.
skip_unsupported()
{
	ktap_test_skip "$1: ${NOT_SUPPORTED#tcpfaultctl: }"
}

# client_timed ARGS...: run the client; its output in OUT, status in RC,
# guest time it took in ELAPSED_MS (the shell's own clock: nothing to load
# over 9p, the binaries were read in when the server started).
client_timed()
{
	local t0=$EPOCHREALTIME t1

	OUT=$(tf_mariadb_client "$@" 2>&1)
	RC=$?
	t1=$EPOCHREALTIME
	ELAPSED_MS=$(( (${t1/./} - ${t0/./}) / 1000 ))
	echo "# mariadb $*: status $RC after $ELAPSED_MS ms: $OUT"
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
	OUT=$(cat "$CLIENT_LOG")
	rm -f "$CLIENT_LOG"
	echo "# mariadb: status $RC: $OUT"
}

# tcpext NAME: a TcpExt counter of db (/proc/net/netstat).
tcpext()
{
	tf_nsx "$db" awk -v k="$1" '/^TcpExt:/ { if (!n) { split($0, h); n = 1 }
		else for (i = 2; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/netstat
}

# server_status NAME: a global status variable of mariadbd (asked over its
# Unix socket, which no rule touches; that connection counts itself).
server_status()
{
	mariadb --no-defaults -S "$TF_MARIADB_DIR/sock" -uroot -N -B \
		-e "SHOW GLOBAL STATUS LIKE '$1'" | awk '{ print $2 }'
}

# works_again: after a flush the same client gets its answer.
works_again()
{
	tf_reset "$db" >/dev/null
	[ "$(tf_mariadb_client -e 'SELECT 1' 2>&1)" = 1 ]
}

# states: "STATE LOCAL PEER" per TCP socket of port 3306 in db (but those
# in TIME-WAIT, left by the cases before).
states()
{
	tf_nsx "$db" ss -tanH "( sport = :$PORT or dport = :$PORT )" |
		grep -v '^TIME-WAIT' |
		awk '{ print $1, $4, $5 }'
}

# has_state STATE: a socket of port 3306 in db is in STATE.
has_state()
{
	states | grep -q "^$1 "
}

# Seed 003, "TCP up but no greeting": the server accepts, but its greeting
# never arrives. The client (server-speaks-first protocol) waits for it
# until its connect timeout; the server's stack retransmits it on the RTO
# schedule.
test_silent_listen()
{
	local ev ok=1

	fault sport "$PORT" stage data action drop
	client_timed -e 'SELECT 1'
	ev=$(tf_nsx "$db" cat /proc/net/tcpfault/events)
	tcpfaultctl -n "$db" timeline | tf_diag
	[ "$RC" -ne 0 ] && grep -q "ERROR 2013 .*reading initial communication packet" <<<"$OUT" || ok=0
	# The greeting: one segment from the server, lost again and again
	# (the same sequence number: retransmissions, not new data).
	[ "$(grep -c "src 127.0.0.1:$PORT .*flags PA .*verdict drop" <<<"$ev")" -ge 3 ] || ok=0
	[ "$(grep "src 127.0.0.1:$PORT .*verdict drop" <<<"$ev" |
	     awk '{ print $16 }' | sort -u | wc -l)" = 1 ] || ok=0
	works_again || ok=0
	tf_check "silent listen: ERROR 2013 reading initial communication packet, the greeting retransmitted; works after flush" \
		test "$ok" = 1
}

# Seed 003, "SYN blackhole": every SYN to the server is lost; the client's
# --connect-timeout (5 s) ends the wait long before the kernel's 127 s.
test_syn_blackhole()
{
	local nsyn ok=1

	fault dport "$PORT" stage syn action drop
	client_timed -e 'SELECT 1'
	nsyn=$(tf_count_events "$db" "dst 127.0.0.1:$PORT flags S .*verdict drop")
	echo "# SYNs dropped: $nsyn"
	[ "$RC" -ne 0 ] && grep -q "ERROR 2002 .*Can't connect to server on '127.0.0.1' (110)" <<<"$OUT" || ok=0
	[ "$ELAPSED_MS" -ge 5000 ] && [ "$ELAPSED_MS" -lt 6500 ] || ok=0
	[ "$nsyn" -ge 3 ] || ok=0
	works_again || ok=0
	tf_check "SYN blackhole: ERROR 2002 (110) at the 5 s connect timeout, SYNs retransmitted; works after flush" \
		test "$ok" = 1
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
	local sent0 sent st threads ok=1

	if ! fault dport "$PORT" stage ack3 cookie yes action drop; then
		skip_unsupported "cookie ack3 loss"
		return
	fi
	tf_sysctl "$db" net.ipv4.tcp_syncookies 2
	sent0=$(tcpext SyncookiesSent)
	client_bg -e 'SELECT 1'
	slowwait 5 has_state ESTAB
	# A while later (the client's wait is 5 s), the server still has nothing.
	sleep 2
	st=$(states)
	threads=$(server_status Threads_connected)
	sent=$(tcpext SyncookiesSent)
	client_wait
	echo "$st" | sed 's/^/# 2 s in: /'
	echo "# SyncookiesSent $sent0 -> $sent; clients the server has: $((threads - 1))"
	tf_nsx "$db" cat /proc/net/tcpfault/events | tf_diag
	[ "$RC" -ne 0 ] && grep -q "ERROR 2013 .*reading initial communication packet" <<<"$OUT" || ok=0
	[ "$sent" -gt "$sent0" ] || ok=0
	# Only the asking connection itself, over the Unix socket.
	[ "$threads" = 1 ] || ok=0
	grep -q "^ESTAB .* 127.0.0.1:$PORT$" <<<"$st" &&
		! grep -q "127.0.0.1:$PORT .*127.0.0.1" <<<"$st" || ok=0
	[ "$(tf_count_events "$db" "dir in .*dst 127.0.0.1:$PORT flags A .*verdict drop")" = 1 ] || ok=0
	tf_sysctl "$db" net.ipv4.tcp_syncookies 1
	works_again || ok=0
	tf_check "cookie ack3 loss: ERROR 2013, SyncookiesSent rises, the server never accepts; works after flush" \
		test "$ok" = 1
}

# Seed 001, third-ACK loss without cookies: the client is ESTABLISHED and
# waits for the greeting, the server holds a request socket (SYN-RECV),
# retransmits its SYN-ACK on the model's schedule (the client's answers are
# third ACKs again, lost again), and after tcp_synack_retries (5: ~63 s)
# forgets the connection while the client still waits.
test_ack3_loss()
{
	local rtx0 rtx st1 st2 ok=1

	if ! fault dport "$PORT" stage ack3 action drop; then
		skip_unsupported "ack3 loss"
		return
	fi
	tcpfaultctl -n "$db" rule add dir out sport "$PORT" stage synack action log
	tf_sysctl "$db" net.ipv4.tcp_syncookies 0
	rtx0=$(tcpext TCPSynRetrans)
	client_bg --connect-timeout=100 -e 'SELECT 1'
	slowwait 5 has_state SYN-RECV
	st1=$(states)
	# The SYN-ACK schedule at tcp_synack_retries=5 ends 63 s after the
	# first one (1+2+4+8+16+32); under the virtual clock this is free.
	sleep 70
	st2=$(states)
	rtx=$(tcpext TCPSynRetrans)
	echo "$st1" | sed 's/^/# while waiting: /'
	echo "$st2" | sed 's/^/# 70 s later: /'
	echo "# TCPSynRetrans $rtx0 -> $rtx"
	grep -q "^SYN-RECV 127.0.0.1:$PORT " <<<"$st1" &&
		grep -q "^ESTAB .* 127.0.0.1:$PORT$" <<<"$st1" || ok=0
	! grep -q "^SYN-RECV" <<<"$st2" && grep -q "^ESTAB .* 127.0.0.1:$PORT$" <<<"$st2" || ok=0
	[ $((rtx - rtx0)) = 5 ] || ok=0
	tf_timeline "$db" --model synack --kernel "$TF_RELEASE" || ok=0
	kill -0 "$CLIENT_PID" 2>/dev/null || ok=0	# the client still waits
	kill "$CLIENT_PID" 2>/dev/null
	client_wait
	tf_sysctl "$db" net.ipv4.tcp_syncookies 1
	works_again || ok=0
	tf_check "ack3 loss: server SYN-RECV while the client is ESTAB, SYN-ACKs on the model's schedule, then the server forgets; works after flush" \
		test "$ok" = 1
}

# Seed 003, "established blackhole" (a failover): the client logged in, then
# everything on the connection is lost. A query in flight never returns;
# the client blocks in read() (the 924.6 s ETIMEDOUT at tcp_retries2=15 is
# data_schedule.sh's). Bounded here with timeout(1).
test_blackhole_established()
{
	local st ndata ok=1

	if ! fault port "$PORT" after 2000 action drop; then
		skip_unsupported "established blackhole"
		return
	fi
	OUT=$(tf_mariadb_client --timeout 20 -e 'SELECT SLEEP(3)' 2>&1)
	st=$?
	ndata=$(tf_count_events "$db" "src 127.0.0.1:$PORT .*flags PA .*verdict drop")
	echo "# SELECT SLEEP(3): status $st, output \"$OUT\"; answers dropped: $ndata"
	tcpfaultctl -n "$db" timeline | tf_diag
	[ "$st" = 124 ] && [ -z "$OUT" ] || ok=0
	[ "$ndata" -ge 3 ] || ok=0
	works_again || ok=0
	tf_check "established blackhole: SELECT SLEEP(3) after login never returns, its answer retransmitted; works after flush" \
		test "$ok" = 1
}

tf_require
missing=$(tf_mariadb_missing)
if [ -n "$missing" ]; then
	ktap_skip_all "$missing"
	exit "$KSFT_SKIP"
fi
trap cleanup EXIT
if ! setup; then
	ktap_skip_all "cannot start mariadbd in a namespace"
	exit "$KSFT_SKIP"
fi
ktap_set_plan "$(wc -w <<<"$ALL_TESTS")"
for t in $ALL_TESTS; do
	$t
done
ktap_finished
