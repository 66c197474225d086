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
	tf_stop "${HOLDS[@]}"
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

# check_saw NAME TEXT: a check that tf_hold NAME printed TEXT; when it did
# not, the message has what it printed.
check_saw()
{
	saw "$1" "$2" ||
		check_err 1 "tf_hold $1: no line '$2' in 10 s, it printed '$(tf_oneline "$(cat "$TMPD/$1")")'"
}

# check_untouched NAME: a check that tf_hold NAME's connection is
# untouched (quiet) and the echo server still answers it (alive).
check_untouched()
{
	quiet "$1" || check_err 1 "tf_hold $1 (untouched) printed '$(tf_oneline "$(cat "$TMPD/$1")")'"
	alive "$1" || check_err 1 "tf_hold $1 (untouched): no echo after SIGUSR1 in 10 s"
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
	local out

	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_check_cmd "tf_hold b connects" hold b 10.0.1.2 8081
	kill_in "$srv" sport 8080
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw a "recv -1 errno ECONNRESET"
	echo "# a: $(cat "$TMPD/a")"
	sockets "$srv" listening | grep -q ':8080 '
	check_err $? "the listener of 8080 is gone"
	out=$(tf_nsx "$cli" tf_connect --timeout 5 10.0.1.2 8080 2>&1)
	echo "# reconnect: $out"
	tf_check_eq "a new connection to the listener: errno" "$(tf_field "$out" errno)" 0
	check_untouched b
	[ "$RET" = 0 ] || diag_sockets "$srv"
	stop_holds
	log_test "$desc"
}

test_rst_local()
{
	local desc="how rst at the client: the client itself reads ECONNABORTED, the server's socket is reset"

	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_check_cmd "no established socket with port ${SPORT[a]} in srv within 10 s" slowwait 10 has "$srv" established "${SPORT[a]}"
	kill_in "$cli" dport 8080
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw a "recv -1 errno ECONNABORTED"
	echo "# a: $(cat "$TMPD/a")"
	tf_check_cmd "a socket with port ${SPORT[a]} still in srv after 10 s" slowwait 10 gone "$srv" "${SPORT[a]}"
	[ "$RET" = 0 ] || diag_sockets "$srv"
	stop_holds
	log_test "$desc"
}

test_fin_server()
{
	local desc="how fin at the server: clients read EOF and sit in CLOSE-WAIT (Recv-Q unread+FIN), a late write is reset, IPv4 and IPv6"
	local cw

	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_check_cmd "tf_hold v6 connects" hold v6 fd00::2 8080
	tf_check_cmd "tf_hold unread connects" hold unread 10.0.1.2 8080 --send 100 --no-read
	tf_check_cmd "tf_hold late connects" hold late 10.0.1.2 8080 --write-after
	tf_check_cmd "tf_hold other connects" hold other 10.0.1.2 8081
	# The echo of the 100 bytes has arrived, unread.
	slowwait 10 tf_ss_match "$cli" "^ESTAB +100 .*:${SPORT[unread]} "
	check_err $? "tf_hold unread: no 100 unread bytes in its Recv-Q in 10 s"
	kill_in "$srv" sport 8080 how fin
	tf_check_eq "sockets killed" "$KILLED" 4
	check_saw a "recv 0 errno 0"
	check_saw v6 "recv 0 errno 0"
	check_saw late "write 1 errno 0"
	# The server's socket answers the late byte with a RST: gone here.
	tf_check_cmd "a socket with port ${SPORT[late]} still in cli after 10 s" slowwait 10 gone "$cli" "${SPORT[late]}"
	sleep 2
	cw=$(sockets "$cli" close-wait)
	echo "$cw" | tf_diag
	tf_check_eq "CLOSE-WAIT sockets left" "$(grep -c . <<<"$cw")" 3
	tf_check_grep "unread socket in CLOSE-WAIT with 100 bytes + FIN unread" "^101 .*:${SPORT[unread]} " "$cw"
	tf_check_grep "IPv6 socket in CLOSE-WAIT" "^0 .*\[fd00::1\]:${SPORT[v6]} " "$cw"
	check_untouched other
	[ "$RET" = 0 ] || diag_sockets "$srv"
	stop_holds
	log_test "$desc"
}

test_fin_unread()
{
	local desc="how fin with unread data: a RST as exit() sends; without: FIN, the local side reads EOF"
	local rsts

	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_check_cmd "tf_hold unread connects" hold unread 10.0.1.2 8080 --send 100 --no-read
	slowwait 10 tf_ss_match "$cli" "^ESTAB +100 .*:${SPORT[unread]} "
	check_err $? "tf_hold unread: no 100 unread bytes in its Recv-Q in 10 s"
	rsts=$(out_rsts "$cli")
	kill_in "$cli" dport 8080 how fin
	tf_check_eq "sockets killed" "$KILLED" 2
	check_saw a "recv 0 errno 0"
	# Aborted: gone at once on both sides, after one RST.
	tf_check_cmd "a socket with port ${SPORT[unread]} still in cli after 10 s" slowwait 10 gone "$cli" "${SPORT[unread]}"
	tf_check_cmd "a socket with port ${SPORT[unread]} still in srv after 10 s" slowwait 10 gone "$srv" "${SPORT[unread]}"
	rsts=$(($(out_rsts "$cli") - rsts))
	echo "# RSTs sent: $rsts"
	tf_check_eq "RSTs sent by the server" "$rsts" 1
	[ "$RET" = 0 ] || { diag_sockets "$cli"; diag_sockets "$srv"; }
	stop_holds
	log_test "$desc"
}

test_match()
{
	local desc="matches: local/peer address and port as the socket sees them, family (v4-mapped = IPv4), 0 killed"
	local out

	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_check_cmd "tf_hold b connects" hold b 10.0.1.4 8080
	tf_check_cmd "tf_hold c connects" hold c fd00::2 8080
	tf_check_cmd "tf_hold d connects" hold d 10.0.1.2 8081
	# The server's peers' ports are ephemeral: nothing has dport 8080 there.
	kill_in "$srv" dport 8080
	tf_check_eq "sockets killed" "$KILLED" 0
	kill_in "$srv" saddr 10.0.1.4
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw b "recv -1 errno ECONNRESET"
	kill_in "$srv" family ipv6 port 8080
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw c "recv -1 errno ECONNRESET"
	kill_in "$srv" daddr 10.0.1.1/32 dport "${SPORT[d]}"
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw d "recv -1 errno ECONNRESET"
	kill_in "$srv" family ipv6 daddr fd00::/64
	tf_check_eq "sockets killed" "$KILLED" 0
	check_untouched a
	kill_in "$srv" family ipv4 sport 8080-8081
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw a "recv -1 errno ECONNRESET"
	out=$(tf_nsx "$cli" tf_connect --timeout 5 fd00::2 8080 2>&1)
	tf_check_eq "a new connection to the listener: errno" "$(tf_field "$out" errno)" 0
	stop_holds
	log_test "$desc"
}

test_request_sockets()
{
	local desc="request sockets (SYN-RECV) are left alone"
	local out

	tf_reset "$cli"
	# The request lives for minutes (the virtual clock leaps when idle).
	tf_sysctl "$srv" net.ipv4.tcp_synack_retries 12
	tf_check_cmd "rule: client ack3 drop refused" tcpfaultctl -n "$cli" rule add dir out dport 8082 stage ack3 action drop
	# The client is connected; the server waits for the lost third ACK.
	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8082
	slowwait 10 has "$srv" syn-recv 8082 || check_err 1 "no SYN-RECV"
	kill_in "$srv" sport 8082
	tf_check_eq "sockets killed" "$KILLED" 0
	has "$srv" syn-recv 8082 || check_err 1 "SYN-RECV gone"
	kill_in "$cli" dport 8082
	tf_check_eq "sockets killed" "$KILLED" 1
	check_saw a "recv -1 errno ECONNABORTED"
	echo "# a: $(cat "$TMPD/a")"
	[ "$RET" = 0 ] || { diag_sockets "$cli"; diag_sockets "$srv"; }
	stop_holds
	tf_reset "$cli"
	log_test "$desc"
}

test_mixed_write()
{
	local desc="kill and add in one write: refused (EINVAL), nothing killed, no rule added"

	tf_reset "$srv"
	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_nsx "$srv" sh -c 'printf "kill sport 8080\nadd dport 1 action drop\n" >/proc/net/tcpfault/rules' 2>/dev/null
	check_fail $? "a write of kill with add was accepted"
	tf_stat "$srv" error | tf_diag
	tf_check_grep "stats error line" 'line 2: "kill" cannot share a write' "$(tf_stat "$srv" error)"
	tf_nsx "$srv" sh -c 'printf "flush\nkill sport 8080\n" >/proc/net/tcpfault/rules' 2>/dev/null
	check_fail $? "a write of flush with kill was accepted"
	tf_check_eq "rules after the refused writes" "$(tf_stat "$srv" rules)" 0
	check_untouched a
	stop_holds
	log_test "$desc"
}

# iperf3 streams over IPv4 and IPv6, killed from either side, rst and fin
# in turn, while new connections come in.
test_traffic()
{
	local desc="kills under iperf3 traffic, both sides, rst and fin: kernel log clean"
	local round ns how pid total=0

	if ! command -v iperf3 >/dev/null; then
		ktap_test_skip "$desc (no iperf3)"
		return
	fi
	for round in 1 2 3 4; do
		bg "$srv" /dev/null iperf3 -s -p 5201
		tf_check_cmd "no listening socket with port 5201 in srv within 30 s" slowwait 30 has "$srv" listening 5201
		bg "$cli" /dev/null iperf3 -c 10.0.1.2 -p 5201 -t 20 -P 4
		pid=$BG_PID
		# The control connection and the 4 streams, on both sides.
		tf_check_cmd "fewer than 5 iperf3 streams in cli after 30 s" slowwait 30 streams "$cli" 5
		tf_check_cmd "fewer than 5 iperf3 streams in srv after 30 s" slowwait 30 streams "$srv" 5
		tf_check_cmd "tf_hold a connects" hold a fd00::2 8080
		ns=$srv how=rst
		[ $((round % 2)) = 0 ] && ns=$cli
		[ $round -gt 2 ] && how=fin
		if [ "$ns" = "$srv" ]; then
			kill_in "$ns" sport 5201 how $how
		else
			kill_in "$ns" dport 5201 how $how
		fi
		# Fewer when iperf3 tears the rest down itself first.
		tf_check_ge "round $round: sockets killed" "$KILLED" 1
		total=$((total + ${KILLED/x/0}))
		kill_in "$ns" port 8080 how $how
		# The client gives up on its own.
		slowwait 60 tf_pid_gone "$pid"
		check_err $? "round $round: process $pid still there after 60 s"
		stop_holds
	done
	stop_holds
	echo "# $total iperf3 sockets killed in 4 rounds"
	[ "$RET" = 0 ] || echo "# failed before the kernel log check"
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log" tf_dmesg_clean
	log_test "$desc"
}

test_rmmod()
{
	local desc="rmmod with killed sockets still held (CLOSE-WAIT, FIN-WAIT-2): clean"
	local ko

	ko=$(tf_module_path)
	tf_check_cmd "tf_hold a connects" hold a 10.0.1.2 8080
	tf_check_cmd "tf_hold b connects" hold b fd00::2 8080
	kill_in "$srv" port 8080 how fin
	tf_check_eq "sockets killed" "$KILLED" 2
	tf_check_cmd "no close-wait socket with port 8080 in cli within 10 s" slowwait 10 has "$cli" close-wait 8080
	tf_check_cmd "rmmod with killed sockets in CLOSE-WAIT" rmmod tcpfault
	sockets "$cli" close-wait | tf_diag
	[ -d /sys/module/tcpfault ] || insmod "$ko"
	check_err $? "insmod $ko after the rmmod"
	stop_holds
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log" tf_dmesg_clean
	log_test "$desc"
}

tf_require tf_hold nstat
tf_run_tests
