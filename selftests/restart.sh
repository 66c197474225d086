#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Seed 000 end to end: a MariaDB server "restarts" under a client's load
# (tcpfaultctl scenario server-restart 3306 fin: every server socket of
# port 3306 severed as by the server process's exit), with the client's
# local ports narrowed to 12 (ip_local_port_range 60000 60011).
#
#   db (one namespace, loopback, as in the write-up: 127.0.0.1)
#   +-----------------------------------------------------------------+
#   | sysbench / tf_reconnect  -- 127.0.0.1, ::1 -->  mariadbd :3306   |
#   | ports 60000-60011                                kill sport 3306 |
#   +-----------------------------------------------------------------+
#
# Cases:
# - Debian's sysbench 1.0.20, oltp_read_only --threads=1
#   --mysql-ignore-errors=all: it does not reconnect after its connection
#   is killed, it dies of SIGSEGV (exit 139) in libmariadb.so.3 (skipped
#   without sysbench: scripts/install-deps installs it).
# - tf_reconnect, a client that reconnects the way the write-up's sysbench
#   build did (a new connection every 1 ms, greeting never read, nothing
#   closed), IPv4 and IPv6: the kill severs its one session; within
#   milliseconds the 12 ports are held by ESTABLISHED sockets with the
#   greeting unread and connect() fails with EADDRNOTAVAIL; the server
#   restarts once more and each of them sits in CLOSE-WAIT with greeting +
#   FIN in its Recv-Q; a new connect() still fails with EADDRNOTAVAIL.
#   (MariaDB itself resets a silent handshake at connect_timeout, with a
#   RST where the write-up's MySQL 8.3 sent an error and a FIN: raised to
#   an hour here.)
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): a few seconds of guest time; sysbench's are CPU-bound, hence
# tiny (one table of 100 rows, one thread).

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_reconnect_ipv4
	test_reconnect_ipv6
	test_sysbench
"

PORT=$TF_MARIADB_PORT
TMPD=

setup()
{
	setup_ns db || return 1
	tf_mariadb_start "$db" ::1 || return 1
	TMPD=$(mktemp -d) || return 1
	# Past anything this suite waits: MariaDB resets a silent handshake at
	# connect_timeout (10 s by default).
	tf_mariadb_client -e 'SET GLOBAL connect_timeout = 3600' || return 1
	# After that client's connection: its TIME-WAIT must not hold one of
	# the 12 ports.
	# Start even, end odd (an even count): connect() scans the range
	# in two passes of one parity each from a random offset, over an even
	# count of ports (__inet_hash_connect: remaining &= ~1), so only such a
	# range is scanned whole on every call.  60000 60010 (both even, which
	# the kernel warns about) left one port out of some calls' scan: 10 of
	# 11 held, then a new connect() reached the 11th.
	tf_sysctl "$db" net.ipv4.ip_local_port_range "60000 60011" || return 1
	# Every tool read in once (cache=loose keeps it): under the virtual
	# clock a first exec waits on 9p for long, and the clock leaps.
	tf_closewait_recvq "$db" "$PORT" >/dev/null
	tcpfaultctl -n "$db" stats >/dev/null
	tf_nsx "$db" tf_reconnect --help >/dev/null
}

cleanup()
{
	[ -z "${TF_RECONNECT_PID:-}" ] || kill "$TF_RECONNECT_PID" 2>/dev/null
	[ -z "${SB_PID:-}" ] || kill "$SB_PID" 2>/dev/null
	tf_mariadb_stop
	cleanup_all_ns
	[ -z "$TMPD" ] || rm -rf "$TMPD"
}


# restart: the preset in db; its output as diagnostics, in RESTART.
restart()
{
	RESTART=$(tcpfaultctl -n "$db" scenario server-restart "$PORT" fin 2>&1)
	echo "# tcpfaultctl -n db scenario server-restart $PORT fin: $(tr '\n' ' ' <<<"$RESTART")"
}

# killed: N of the last restart's "killed N" (0 if it said otherwise).
killed()
{
	local n

	n=$(tail -n 1 <<<"$RESTART")
	n=${n#killed }
	[[ "$n" =~ ^[0-9]+$ ]] && echo "$n" || echo 0
}

# client_recvq STATE: "COUNT x RECV-Q" of db's client sockets of port 3306
# in STATE (ss state name).
client_recvq()
{
	tf_nsx "$db" ss -Htan state "$1" "( dport = :$PORT )" | awk '{ print $1 }' |
		sort -n | uniq -c | awk '{ printf "%s%d x %d", (NR > 1 ? ", " : ""), $1, $2 }'
}

# log_has FILE TEXT N: whether FILE comes to hold TEXT within N naps of
# 0.1 s, looked at without exec (tf_nap).
log_has()
{
	local i

	for ((i = 0; i < $3; i++)); do
		[[ "$(<"$1")" == *"$2"* ]] && return 0
		tf_nap 0.1
	done
	return 1
}

# closewait_full N: N CLOSE-WAIT sockets to 3306, each with unread bytes.
closewait_full()
{
	[ "$(tf_closewait_recvq "$db" "$PORT" | awk '$1 > 0' | wc -l)" = "$1" ]
}

# The session is severed (the server restarts); the client reconnects
# every 1 ms, as the write-up's sysbench did, reading and closing nothing:
# the 12 ports are gone within milliseconds, each socket ESTABLISHED with
# the greeting unread. MariaDB would reset them at its connect_timeout (a
# RST, unlike the write-up's MySQL 8.3: an error packet and a FIN), so
# connect_timeout is raised in setup() and the server restarts once more
# (the upgrade's second restart): each socket gets its FIN and sits in
# CLOSE-WAIT with greeting + FIN unread for as long as the client lives.
reconnect_case()
{
	local f=$1 addr=$2 out=$TMPD/reconnect.$1 held est cw gave conn inrange k1 k2

	echo "# IPv$f: tf_reconnect --interval 1 $addr $PORT (a COM_PING every 10 ms)"
	if ! tf_reconnect_in "$db" "$out" "$addr" --interval 1 --attempts 1000; then
		check_err 1 "tf_reconnect's session did not start"
		log_test "IPv$f: server-restart fin: connect() fails with EADDRNOTAVAIL, the held sockets sit in CLOSE-WAIT with Recv-Q"
		return
	fi
	restart
	# The session, and maybe more: the kill walks the established hash
	# bucket by bucket (as ss -K does), and the session's FIN wakes the
	# client at once; a reconnection made during the walk, in a bucket
	# not walked yet, is severed too. Checked below: every socket once.
	k1=$(killed)
	tf_check_ge "IPv$f: sockets the first server-restart severed (the session at least)" "$k1" 1
	tf_check_cmd "IPv$f: tf_reconnect gave up in 120 s" slowwait 120 grep -q '^gave up' "$out"
	held=$(grep -c '^attempt .* sport' "$out")
	est=$(client_recvq established)
	grep -v '^attempt' "$out" | tf_diag
	grep '^attempt' "$out" | tr '\n' ';' | sed 's/^/# /; s/;$//'
	echo
	echo "# client sockets ESTABLISHED by Recv-Q: $est"
	gave=$(grep '^gave up' "$out")
	tf_check_grep "IPv$f: how tf_reconnect gave up" 'errno EADDRNOTAVAIL$' "$gave"
	# EADDRNOTAVAIL only once every port of the range is held: by the
	# session (unless its last ping met the closed socket: a RST) and one
	# socket per attempt, all 12 (the range is scanned whole: setup()).
	inrange=$(tf_nsx "$db" ss -Htan "( sport >= :60000 and sport <= :60011 )" | wc -l)
	echo "# ports of the range held: $inrange"
	tf_check_ge "IPv$f: sockets held by the attempts" "$held" 11
	tf_check_eq "IPv$f: ports of the range held" "$inrange" 12
	restart
	k2=$(killed)
	echo "# severed: $k1 by the first restart (the session and $((k1 - 1)) reconnections), $k2 by the second; $held reconnections"
	tf_check_eq "IPv$f: reconnections severed by the two restarts, each once" "$((k1 - 1 + k2))" "$held"
	tf_check_cmd "IPv$f: the held sockets not in CLOSE-WAIT with Recv-Q in 30 s" slowwait 30 closewait_full "$held"
	cw=$(client_recvq close-wait)
	echo "# client sockets CLOSE-WAIT by Recv-Q: $cw"
	conn=$(tf_nsx "$db" tf_connect --timeout 5 "$addr" "$PORT" 2>/dev/null)
	echo "# a new connect(): $conn"
	tf_check_eq "IPv$f: a new connect(): errno" "$(tf_field "$conn" errno)" EADDRNOTAVAIL
	tf_check_cmd "IPv$f: the held sockets still in CLOSE-WAIT with Recv-Q" closewait_full "$held"
	kill "$TF_RECONNECT_PID"
	wait "$TF_RECONNECT_PID" 2>/dev/null
	TF_RECONNECT_PID=
	# Closed with unread data: RSTs, nothing left on the 12 ports.
	slowwait 30 tf_ss_count_is "$db" 0 "( dport = :$PORT )"
	check_err $? "IPv$f: client sockets of port $PORT left 30 s after tf_reconnect ended"
	echo "# IPv$f: EADDRNOTAVAIL $(sed 's/.* +\([0-9]*\) .*/\1/' <<<"$gave") ms after the loss; then $held sockets in CLOSE-WAIT ($cw)"
	log_test "IPv$f: server-restart fin: connect() fails with EADDRNOTAVAIL, the held sockets sit in CLOSE-WAIT with Recv-Q"
}

test_reconnect_ipv4()
{
	reconnect_case 4 127.0.0.1
}

test_reconnect_ipv6()
{
	reconnect_case 6 ::1
}

# Debian's sysbench 1.0.20 under --mysql-ignore-errors=all: measured, not
# assumed. It crashes in libmariadb.so.3 instead of reconnecting.
test_sysbench()
{
	local desc="sysbench 1.0.20 --mysql-ignore-errors=all: no reconnect, SIGSEGV (exit 139) after server-restart"
	local log=$TMPD/sysbench st mark

	if ! command -v sysbench >/dev/null; then
		ktap_test_skip "sysbench not installed (scripts/install-deps installs it)"
		return
	fi
	# sysbench's own "prepare" costs guest seconds of CPU: its table, by SQL.
	if ! tf_sysbench_table >"$log.prepare" 2>&1; then
		tf_diag <"$log.prepare"
		check_err 1 "no sbtest table (tf_sysbench_table failed)"
		log_test "$desc"
		return
	fi
	mark=$(dmesg | wc -l)
	tf_sysbench "$db" 127.0.0.1 --threads=1 --time=10 --report-interval=1 \
		--mysql-ignore-errors=all run >"$log" 2>&1 &
	SB_PID=$!
	# Under load: its first report (1 s of queries). Waited for with
	# builtins: while sysbench loads over 9p the virtual clock leaps.
	tf_check_cmd "sysbench's first report" log_has "$log" "[ 1s ]" 6000
	restart
	tf_check_eq "server-restart under sysbench" "$(tail -n 1 <<<"$RESTART")" "killed 1"
	wait "$SB_PID"
	st=$?
	SB_PID=
	grep -v '^$' "$log" | tail -n 6 | tf_diag
	echo "# sysbench exit status $st; kernel: $(dmesg | tail -n +"$((mark + 1))" | grep -o 'sysbench.*segfault.* in [^ []*' | head -n 1)"
	tf_check_eq "sysbench's exit status (139: SIGSEGV)" "$st" 139
	log_test "$desc"
}

tf_require tf_reconnect
if [ -n "$(tf_mariadb_missing)" ]; then
	ktap_skip_all "$(tf_mariadb_missing)"
	exit "$KSFT_SKIP"
fi
tf_run_tests
