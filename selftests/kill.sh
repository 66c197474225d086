#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "kill": existing connections severed the way a restarting server (how
# fin) or ss -K (how rst) severs them, while the applications keep running.
#
#   cli                                      srv
#   +---------------------------+  veth  +-------------------------------+
#   | tf_hold ... (never close) |--------| 10.0.1.2, 10.0.1.4            |
#   | 10.0.1.1, fd00::1         |        | fd00::2   tf_listen --echo :: |
#   |                           |        |           :8080 :8081 :8082   |
#   +---------------------------+        +-------------------------------+
#
# Cases:
# - how rst at the server: the client reads ECONNRESET, the listener stays
#   and accepts at once, a connection to another port keeps working.
# - how rst at the client: the client itself reads ECONNABORTED, the
#   server's socket is reset.
# - how fin at the server: the clients read EOF and, never closing, sit in
#   CLOSE-WAIT (Recv-Q = unread bytes + the FIN); one that writes anyway is
#   answered with a RST; IPv4 and IPv6.
# - how fin with unread data: a RST instead, as exit() would send.
# - matches: local/peer address and port (the socket's own view), family
#   (v4-mapped sockets count as IPv4); a kill of nothing reports 0.
# - request sockets (SYN-RECV) are left alone.
# - kill and add in one write: refused, nothing done.
# - kills under iperf3 traffic, both ways: the kernel log stays clean;
#   rmmod with killed sockets still held by their processes.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_rst_server
	test_rst_local
	test_fin_server
	test_fin_unread
	test_match
	test_request_sockets
	test_mixed_write
	test_traffic
	test_rmmod
"

HOLDS=()
TMPD=

setup()
{
	local port

	setup_ns cli srv || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" 10.0.1.2 fd00::1 fd00::2 || return 1
	ip -n "$srv" addr add 10.0.1.4/24 dev tf1 || return 1
	for port in 8080 8081 8082; do
		tf_listen_in "$srv" :: $port --echo || return 1
	done
	TMPD=$(mktemp -d) || return 1
	tf_dmesg_mark
}

cleanup()
{
	stop_holds
	[ -z "$TMPD" ] || rm -rf "$TMPD"
	cleanup_all_ns
}

# bg NS OUT CMD...: CMD in NS in the background, its own pid (nsenter
# execs it) in BG_PID and HOLDS, output to OUT.
bg()
{
	local ns=$1 out=$2

	shift 2
	nsenter --net="/run/netns/$ns" "$@" >"$out" 2>&1 &
	BG_PID=$!
	HOLDS+=("$BG_PID")
}

# hold NAME ADDR PORT [TF_HOLD_OPTS...]: a tf_hold client in cli, output in
# $TMPD/NAME, its port in SPORT[NAME], its pid in PID[NAME].
declare -A SPORT PID
hold()
{
	local name=$1 addr=$2 port=$3

	shift 3
	rm -f "$TMPD/$name" "$TMPD/$name.ready"
	bg "$cli" "$TMPD/$name" tf_hold --ready "$TMPD/$name.ready" "$@" "$addr" "$port"
	PID[$name]=$BG_PID
	if ! slowwait 30 test -s "$TMPD/$name.ready"; then
		echo "# tf_hold $name did not connect: $(cat "$TMPD/$name")"
		return 1
	fi
	SPORT[$name]=$(sed -n 's/^sport //p' "$TMPD/$name.ready")
}

stop_holds()
{
	local pid

	for pid in "${HOLDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	HOLDS=()
}

# saw NAME TEXT: tf_hold NAME printed the line TEXT (waits for it).
saw()
{
	slowwait 10 grep -qx "$2" "$TMPD/$1"
}

# quiet NAME: tf_hold NAME has printed nothing: its connection is untouched.
quiet()
{
	[ ! -s "$TMPD/$1" ]
}

# alive NAME: the echo server still answers NAME.
alive()
{
	kill -USR1 "${PID[$1]}" && saw "$1" "data 4"
}

# kill_in NS ARGS...: tcpfaultctl kill in NS; the count in KILLED.
kill_in()
{
	local ns=$1 out

	shift
	out=$(tcpfaultctl -n "$ns" kill "$@") || { echo "# kill $* failed"; KILLED=x; return 1; }
	KILLED=$(sed -n 's/^killed //p' <<<"$out")
	echo "# $ns: kill $*: killed $KILLED"
}

# sockets NS STATE: the "ss -tan" lines of NS in STATE (ss state names).
sockets()
{
	tf_nsx "$1" ss -Htan state "$2"
}

# has NS STATE PORT: a socket in STATE with PORT at either end.
has()
{
	sockets "$1" "$2" | grep -q -E ":$3( |\$)"
}

# gone NS PORT: no socket in NS has PORT at either end.
gone()
{
	! tf_nsx "$1" ss -Htan | grep -q -E ":$2( |\$)"
}

# out_rsts NS: RSTs NS has sent so far.
out_rsts()
{
	tf_nsx "$1" nstat -az TcpOutRsts | awk '$1 == "TcpOutRsts" { print $2 }'
}

# streams NS N: at least N established connections to port 5201 in NS.
streams()
{
	[ "$(sockets "$1" established | grep -c -E ':5201( |$)')" -ge "$2" ]
}

diag_sockets()
{
	echo "# $1:"
	tf_nsx "$1" ss -tan | tf_diag
}

test_rst_server()
{
	local desc="how rst at the server: client ECONNRESET, listener accepts at once, other port untouched"
	local ok=1 out

	hold a 10.0.1.2 8080 || ok=0
	hold b 10.0.1.2 8081 || ok=0
	kill_in "$srv" sport 8080
	[ "$KILLED" = 1 ] || ok=0
	saw a "recv -1 errno ECONNRESET" || ok=0
	echo "# a: $(cat "$TMPD/a")"
	sockets "$srv" listening | grep -q ':8080 ' || ok=0
	out=$(tf_nsx "$cli" tf_connect --timeout 5 10.0.1.2 8080 2>&1)
	echo "# reconnect: $out"
	[ "$(tf_field "$out" errno)" = 0 ] || ok=0
	quiet b && alive b || ok=0
	[ $ok = 1 ] || diag_sockets "$srv"
	stop_holds
	tf_result $ok "$desc"
}

test_rst_local()
{
	local desc="how rst at the client: the client itself reads ECONNABORTED, the server's socket is reset"
	local ok=1

	hold a 10.0.1.2 8080 || ok=0
	slowwait 10 has "$srv" established "${SPORT[a]}" || ok=0
	kill_in "$cli" dport 8080
	[ "$KILLED" = 1 ] || ok=0
	saw a "recv -1 errno ECONNABORTED" || ok=0
	echo "# a: $(cat "$TMPD/a")"
	slowwait 10 gone "$srv" "${SPORT[a]}" || ok=0
	[ $ok = 1 ] || diag_sockets "$srv"
	stop_holds
	tf_result $ok "$desc"
}

test_fin_server()
{
	local desc="how fin at the server: clients read EOF and sit in CLOSE-WAIT (Recv-Q unread+FIN), a late write is reset, IPv4 and IPv6"
	local ok=1 cw

	hold a 10.0.1.2 8080 || ok=0
	hold v6 fd00::2 8080 || ok=0
	hold unread 10.0.1.2 8080 --send 100 --no-read || ok=0
	hold late 10.0.1.2 8080 --write-after || ok=0
	hold other 10.0.1.2 8081 || ok=0
	# The echo of the 100 bytes has arrived, unread.
	slowwait 10 sh -c "ip netns exec $cli ss -Htan | grep -q '^ESTAB *100 .*:${SPORT[unread]} '" || ok=0
	kill_in "$srv" sport 8080 how fin
	[ "$KILLED" = 4 ] || ok=0
	saw a "recv 0 errno 0" && saw v6 "recv 0 errno 0" || ok=0
	saw late "write 1 errno 0" || ok=0
	# The server's socket answers the late byte with a RST: gone here.
	slowwait 10 gone "$cli" "${SPORT[late]}" || ok=0
	sleep 2
	cw=$(sockets "$cli" close-wait)
	echo "$cw" | tf_diag
	[ "$(grep -c . <<<"$cw")" = 3 ] || ok=0
	grep -q "^101 .*:${SPORT[unread]} " <<<"$cw" || ok=0
	grep -q "^0 .*\[fd00::1\]:${SPORT[v6]} " <<<"$cw" || ok=0
	quiet other && alive other || ok=0
	[ $ok = 1 ] || diag_sockets "$srv"
	stop_holds
	tf_result $ok "$desc"
}

test_fin_unread()
{
	local desc="how fin with unread data: a RST as exit() sends; without: FIN, the local side reads EOF"
	local ok=1 rsts

	hold a 10.0.1.2 8080 || ok=0
	hold unread 10.0.1.2 8080 --send 100 --no-read || ok=0
	slowwait 10 sh -c "ip netns exec $cli ss -Htan | grep -q '^ESTAB *100 .*:${SPORT[unread]} '" || ok=0
	rsts=$(out_rsts "$cli")
	kill_in "$cli" dport 8080 how fin
	[ "$KILLED" = 2 ] || ok=0
	saw a "recv 0 errno 0" || ok=0
	# Aborted: gone at once on both sides, after one RST.
	slowwait 10 gone "$cli" "${SPORT[unread]}" || ok=0
	slowwait 10 gone "$srv" "${SPORT[unread]}" || ok=0
	rsts=$(($(out_rsts "$cli") - rsts))
	echo "# RSTs sent: $rsts"
	[ "$rsts" = 1 ] || ok=0
	[ $ok = 1 ] || { diag_sockets "$cli"; diag_sockets "$srv"; }
	stop_holds
	tf_result $ok "$desc"
}

test_match()
{
	local desc="matches: local/peer address and port as the socket sees them, family (v4-mapped = IPv4), 0 killed"
	local ok=1 out

	hold a 10.0.1.2 8080 || ok=0
	hold b 10.0.1.4 8080 || ok=0
	hold c fd00::2 8080 || ok=0
	hold d 10.0.1.2 8081 || ok=0
	# The server's peers' ports are ephemeral: nothing has dport 8080 there.
	kill_in "$srv" dport 8080
	[ "$KILLED" = 0 ] || ok=0
	kill_in "$srv" saddr 10.0.1.4
	[ "$KILLED" = 1 ] && saw b "recv -1 errno ECONNRESET" || ok=0
	kill_in "$srv" family ipv6 port 8080
	[ "$KILLED" = 1 ] && saw c "recv -1 errno ECONNRESET" || ok=0
	kill_in "$srv" daddr 10.0.1.1/32 dport "${SPORT[d]}"
	[ "$KILLED" = 1 ] && saw d "recv -1 errno ECONNRESET" || ok=0
	kill_in "$srv" family ipv6 daddr fd00::/64
	[ "$KILLED" = 0 ] || ok=0
	quiet a && alive a || ok=0
	kill_in "$srv" family ipv4 sport 8080-8081
	[ "$KILLED" = 1 ] && saw a "recv -1 errno ECONNRESET" || ok=0
	out=$(tf_nsx "$cli" tf_connect --timeout 5 fd00::2 8080 2>&1)
	[ "$(tf_field "$out" errno)" = 0 ] || ok=0
	stop_holds
	tf_result $ok "$desc"
}

test_request_sockets()
{
	local desc="request sockets (SYN-RECV) are left alone"
	local ok=1 out

	tf_reset "$cli"
	# The request lives for minutes (the virtual clock leaps when idle).
	tf_sysctl "$srv" net.ipv4.tcp_synack_retries 12
	tcpfaultctl -n "$cli" rule add dir out dport 8082 stage ack3 action drop || ok=0
	# The client is connected; the server waits for the lost third ACK.
	hold a 10.0.1.2 8082 || ok=0
	slowwait 10 has "$srv" syn-recv 8082 || { echo "# no SYN-RECV"; ok=0; }
	kill_in "$srv" sport 8082
	[ "$KILLED" = 0 ] || ok=0
	has "$srv" syn-recv 8082 || { echo "# SYN-RECV gone"; ok=0; }
	kill_in "$cli" dport 8082
	[ "$KILLED" = 1 ] && saw a "recv -1 errno ECONNABORTED" || ok=0
	echo "# a: $(cat "$TMPD/a")"
	[ $ok = 1 ] || { diag_sockets "$cli"; diag_sockets "$srv"; }
	stop_holds
	tf_reset "$cli"
	tf_result $ok "$desc"
}

test_mixed_write()
{
	local desc="kill and add in one write: refused (EINVAL), nothing killed, no rule added"
	local ok=1

	tf_reset "$srv"
	hold a 10.0.1.2 8080 || ok=0
	! tf_nsx "$srv" sh -c 'printf "kill sport 8080\nadd dport 1 action drop\n" >/proc/net/tcpfault/rules' 2>/dev/null || ok=0
	tf_stat "$srv" error | tf_diag
	tf_stat "$srv" error | grep -q 'line 2: "kill" cannot share a write' || ok=0
	! tf_nsx "$srv" sh -c 'printf "flush\nkill sport 8080\n" >/proc/net/tcpfault/rules' 2>/dev/null || ok=0
	[ "$(tf_stat "$srv" rules)" = 0 ] || ok=0
	quiet a && alive a || ok=0
	stop_holds
	tf_result $ok "$desc"
}

# iperf3 streams over IPv4 and IPv6, killed from either side, rst and fin
# in turn, while new connections come in.
test_traffic()
{
	local desc="kills under iperf3 traffic, both sides, rst and fin: kernel log clean"
	local ok=1 round ns how pid total=0

	if ! command -v iperf3 >/dev/null; then
		ktap_test_skip "$desc (no iperf3)"
		return
	fi
	for round in 1 2 3 4; do
		bg "$srv" /dev/null iperf3 -s -p 5201
		slowwait 30 has "$srv" listening 5201 || ok=0
		bg "$cli" /dev/null iperf3 -c 10.0.1.2 -p 5201 -t 20 -P 4
		pid=$BG_PID
		# The control connection and the 4 streams, on both sides.
		slowwait 30 streams "$cli" 5 || ok=0
		slowwait 30 streams "$srv" 5 || ok=0
		hold a fd00::2 8080 || ok=0
		ns=$srv how=rst
		[ $((round % 2)) = 0 ] && ns=$cli
		[ $round -gt 2 ] && how=fin
		if [ "$ns" = "$srv" ]; then
			kill_in "$ns" sport 5201 how $how
		else
			kill_in "$ns" dport 5201 how $how
		fi
		# Fewer when iperf3 tears the rest down itself first.
		[ "$KILLED" -ge 1 ] 2>/dev/null || ok=0
		total=$((total + ${KILLED/x/0}))
		kill_in "$ns" port 8080 how $how
		# The client gives up on its own.
		slowwait 60 sh -c "! kill -0 $pid 2>/dev/null" || ok=0
		stop_holds
	done
	stop_holds
	echo "# $total iperf3 sockets killed in 4 rounds"
	[ $ok = 1 ] || echo "# failed before the kernel log check"
	tf_dmesg_clean || ok=0
	tf_result $ok "$desc"
}

test_rmmod()
{
	local desc="rmmod with killed sockets still held (CLOSE-WAIT, FIN-WAIT-2): clean"
	local ok=1 ko

	ko=$(tf_module_path)
	hold a 10.0.1.2 8080 || ok=0
	hold b fd00::2 8080 || ok=0
	kill_in "$srv" port 8080 how fin
	[ "$KILLED" = 2 ] || ok=0
	slowwait 10 has "$cli" close-wait 8080 || ok=0
	rmmod tcpfault || ok=0
	sockets "$cli" close-wait | tf_diag
	[ -d /sys/module/tcpfault ] || insmod "$ko" || ok=0
	stop_holds
	tf_dmesg_clean || ok=0
	tf_result $ok "$desc"
}

tf_require tf_hold nstat
tf_run_tests
