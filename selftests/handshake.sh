#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The handshake's last ACK (stage ack3), told apart the way TCP tells it,
# with and without SYN cookies, and "after" (only once a flow has been
# established that long): the matches behind the ack3-loss,
# cookie-ack3-loss and blackhole scenarios.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_idle     10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | tf_connect  fd00::1  |        | fd00::2    :8080-8086|
#   +----------------------+        +----------------------+
#
# Cases:
# - ack3 lost at the server's input (cookie no: a request socket waits for
#   it): the client is ESTABLISHED, the server stays in SYN-RECV, answers
#   each of its SYN-ACK retransmissions (1, 2, 4, 8, 16 s) with another
#   ack3, also lost, then forgets the connection; the client never learns.
# - ack3 lost at the client's output: the same, seen from the client.
# - cookie yes: with tcp_syncookies=2 there is no request socket, one
#   SYN-ACK only, the third ACK vanishes and nothing is ever accepted; with
#   tcp_syncookies=1 and no SYN flood the rule never matches.
# - "stage ack" does not match the handshake's ACK, "stage ack3" only it.
# - "after 2000": the handshake and the first two seconds pass, then every
#   packet of the flow is lost, both ways; the client's TCP_USER_TIMEOUT
#   ends it.
# - IPv6: ack3 at the server's input over fd00::/64.
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the first case waits ~66 s of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_ack3_server_input
	test_ack3_client_output
	test_cookie_yes
	test_ack_is_not_ack3
	test_after
	test_after_dup_synack
	test_ack3_ipv6
"

CLI_ADDR=10.0.1.1
SRV_ADDR=10.0.1.2
CLI_ADDR6=fd00::1
SRV_ADDR6=fd00::2
CLIENTS=()
TMPD=

setup()
{
	local port

	setup_ns cli srv || return 1
	tf_veth "$cli" "$CLI_ADDR" "$srv" "$SRV_ADDR" "$CLI_ADDR6" "$SRV_ADDR6" || return 1
	# Dual stack: IPv4 and IPv6 clients, and ::1 from inside srv.
	for port in 8080 8081 8082 8083 8085 8086; do
		tf_listen_in "$srv" :: "$port" || return 1
	done
	tf_listen_in "$srv" :: 8084 --echo || return 1
	TMPD=$(mktemp -d) || return 1
	# What the checks run, into the page cache now (see synack_schedule.sh:
	# the virtual clock leaps while the guest waits on its 9p root).
	tf_nsx "$srv" bash -c 'ss -Htan state syn-recv | wc -l; nstat -az TcpExtSyncookiesSent' >/dev/null
}

cleanup()
{
	tf_stop "${CLIENTS[@]}"
	[ -z "$TMPD" ] || rm -rf "$TMPD"
	cleanup_all_ns
}

# start_client ADDR PORT [TF_IDLE_OPTS...]: an idle client in cli that
# stays connected (it only reads); waits until connect() returned.
start_client()
{
	local addr=$1 port=$2

	shift 2
	tf_idle_in "$cli" "$TMPD/idle.$port" "$addr" "$port" --timeout 600 "$@" || return 1
	CLIENTS+=("$TF_IDLE_PID")
}

# stop_clients: ends every client and waits until its socket is gone.
stop_clients()
{
	tf_stop "${CLIENTS[@]}"
	CLIENTS=()
}

# The server's ack3 drops and SYN-ACKs: one ack3 per SYN-ACK, the SYN-ACKs
# on the model's schedule, the request socket gone after the last timer,
# and the client ESTABLISHED throughout.
test_ack3_server_input()
{
	local desc="ack3 lost at the server's input: SYN-RECV, 6 SYN-ACKs, forgotten; client ESTABLISHED"
	local port=8080 sa ack3 first n_sa n_ack3 bad

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add dir in dport $port stage ack3 cookie no action drop &&
	tcpfaultctl -n "$srv" rule add dir out sport $port stage synack action log
	check_err $? "rules: ack3 drop, synack log refused"
	tf_check_cmd "client connects" start_client "$SRV_ADDR" $port
	echo "# after connect(): client ESTABLISHED $(tf_sockets "$cli" established $port)," \
	     "server SYN-RECV $(tf_sockets "$srv" syn-recv $port), ESTABLISHED $(tf_sockets "$srv" established $port)"
	tf_check_eq "after connect(): client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	tf_check_eq "after connect(): server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0

	first=$(tf_events "$srv" 'f["flags"] == "SA"' | head -n1 | cut -d' ' -f1)
	# The model: SYN-ACKs at 1, 2, 4, 8, 16 s, the request dropped in
	# [63.020, 65.884] s after the first (tcpfaultctl model synack).
	tf_sleep_until "${first:-0}" 66.5
	sa=$(tf_events "$srv" 'f["flags"] == "SA"')
	ack3=$(tf_events "$srv" 'f["flags"] == "A" && f["verdict"] == "drop"')
	n_sa=$(wc -l <<<"$sa")
	n_ack3=$(grep -c . <<<"$ack3")
	# Each ack3 acknowledges the SYN-ACK: ack = its seq + 1.
	bad=$(awk -v want="$(($(cut -d' ' -f3 <<<"${sa%%$'\n'*}") + 1))" '$4 != want % 4294967296' <<<"$ack3" | wc -l)
	echo "# SYN-ACKs $n_sa (model 6), ack3 dropped $n_ack3 (one per SYN-ACK), $bad not acking the SYN-ACK"
	tf_check_eq "SYN-ACKs sent" "$n_sa" 6
	tf_check_eq "ack3s dropped" "$n_ack3" 6
	tf_check_eq "ack3s not acking the SYN-ACK" "$bad" 0
	tf_check_timeline "SYN-ACK schedule against the model" "$srv" --model synack --kernel "$TF_RELEASE"
	echo "# 66.5 s after the first SYN-ACK: server SYN-RECV $(tf_sockets "$srv" syn-recv $port)," \
	     "ESTABLISHED $(tf_sockets "$srv" established $port); client ESTABLISHED $(tf_sockets "$cli" established $port)"
	tf_check_eq "66.5 s on: server sockets SYN-RECV" "$(tf_sockets "$srv" syn-recv $port)" 0
	tf_check_eq "66.5 s on: server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0
	tf_check_eq "66.5 s on: client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	stop_clients
	tf_reset "$srv"
	log_test "$desc"
}

# The client's own ack3 lost at its egress: the server never completes.
test_ack3_client_output()
{
	local desc="ack3 lost at the client's output: each SYN-ACK answered by a lost ack3, the server never establishes"
	local port=8081 first n n_sa now

	tf_reset "$cli"
	tf_reset "$srv"
	tcpfaultctl -n "$cli" rule add dir out dport $port stage ack3 action drop &&
	tcpfaultctl -n "$srv" rule add dir out sport $port stage synack action log
	check_err $? "rules: client ack3 drop, server synack log refused"
	tf_check_cmd "client connects" start_client "$SRV_ADDR" $port
	first=$(tf_events "$cli" 1 | head -n1 | cut -d' ' -f1)
	# SYN-ACK retransmissions at 1 and 3 s: two more ack3s by 3.5 s, or
	# more if the guest clock leapt meanwhile (9p): count both sides.
	tf_sleep_until "${first:-0}" 3.5
	# One snapshot: what either side logged by now (an exec between the
	# two reads may let the clock leap past more SYN-ACKs); each ack3
	# follows its SYN-ACK within microseconds.
	now=$(tf_mono_ns)
	n_sa=$(tf_events "$srv" 'f["flags"] == "SA" && f["ts"] <= '"$now" | wc -l)
	n=$(tf_events "$cli" 'f["flags"] == "A" && f["len"] == 0 && f["ts"] <= '"$((now + 100000000))" | wc -l)
	echo "# SYN-ACKs sent $n_sa, ack3 dropped at the client $n (one each);" \
	     "server SYN-RECV $(tf_sockets "$srv" syn-recv $port) ESTABLISHED $(tf_sockets "$srv" established $port)," \
	     "client ESTABLISHED $(tf_sockets "$cli" established $port)"
	tf_check_ge "SYN-ACKs sent by 3.5 s" "$n_sa" 3
	tf_check_ge "ack3s dropped at the client (one per SYN-ACK)" "$n" "$n_sa"
	tf_check_le "ack3s dropped at the client (one per SYN-ACK)" "$n" $((n_sa + 1))
	tf_check_eq "server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0
	tf_check_eq "client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	tf_check_eq "client events other than ACKs" "$(tf_events "$cli" 'f["flags"] != "A"' | wc -l)" 0
	stop_clients
	tf_reset "$cli"
	tf_reset "$srv"
	log_test "$desc"
}

# cookie yes: only when TCP would check the ACK as a SYN cookie.
test_cookie_yes()
{
	local desc="cookie yes: with tcp_syncookies=2 one SYN-ACK, the ack3 lost, nothing accepted; not matched without cookies (IPv4, IPv6)"
	local addr

	for addr in "$SRV_ADDR" "$SRV_ADDR6"; do
		cookie_case "$addr"
	done
	log_test "$desc"
}

# cookie_case ADDR: test_cookie_yes against one address of the server.
cookie_case()
{
	local addr=$1 port=8082 sent0 sent1 recv0 recv1 first n_sa s_rcv s_est c_est

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add dir in dport $port stage ack3 cookie yes action drop &&
	tcpfaultctl -n "$srv" rule add dir in dport $port stage ack3 cookie no action log &&
	tcpfaultctl -n "$srv" rule add dir out sport $port stage synack action log
	check_err $? "$addr: rules: ack3 cookie yes drop, cookie no log, synack log refused"

	# Cookies on demand only, and no flood: a request socket, cookie no.
	tf_sysctl "$srv" net.ipv4.tcp_syncookies 1
	tf_check_cmd "$addr, tcp_syncookies=1: client connects" start_client "$addr" $port
	slowwait 10 tf_ss_count_is "$srv" 1 state established "( sport = :$port )"
	check_err $? "$addr, tcp_syncookies=1: the server never had 1 socket ESTABLISHED in 10 s"
	echo "# $addr, tcp_syncookies=1: server ESTABLISHED $(tf_sockets "$srv" established $port);" \
	     "events: $(tf_events "$srv" 1 | awk '{ printf "%s/%s ", $2, $6 }')"
	tf_check_eq "$addr, tcp_syncookies=1: packets dropped (cookie yes)" "$(tf_events "$srv" 'f["verdict"] == "drop"' | wc -l)" 0
	tf_check_eq "$addr, tcp_syncookies=1: ack3s logged (cookie no)" "$(tf_events "$srv" 'f["flags"] == "A" && f["verdict"] == "log"' | wc -l)" 1
	stop_clients
	slowwait 10 tf_ss_count_is "$srv" 0 state established "( sport = :$port )"
	tf_check_cmd "$addr: rules flushed" tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add dir in dport $port stage ack3 cookie yes action drop &&
	tcpfaultctl -n "$srv" rule add dir out sport $port stage synack action log
	check_err $? "$addr: rules: ack3 cookie yes drop, synack log refused"

	# Cookies always: no request socket, the ACK would be a cookie.
	tf_sysctl "$srv" net.ipv4.tcp_syncookies 2
	sent0=$(tf_nstat "$srv" TcpExtSyncookiesSent)
	recv0=$(tf_nstat "$srv" TcpExtSyncookiesRecv)
	tf_check_cmd "$addr, tcp_syncookies=2: client connects" start_client "$addr" $port
	first=$(tf_events "$srv" 'f["flags"] == "SA"' | head -n1 | cut -d' ' -f1)
	tf_sleep_until "${first:-0}" 10
	sent1=$(tf_nstat "$srv" TcpExtSyncookiesSent)
	recv1=$(tf_nstat "$srv" TcpExtSyncookiesRecv)
	n_sa=$(tf_events "$srv" 'f["flags"] == "SA"' | wc -l)
	# The sockets at the 10 s mark, read once: under the virtual clock a
	# later exec can let the guest clock leap to the client's --timeout.
	s_rcv=$(tf_sockets "$srv" syn-recv $port)
	s_est=$(tf_sockets "$srv" established $port)
	c_est=$(tf_sockets "$cli" established $port)
	echo "# $addr, tcp_syncookies=2, 10 s after the SYN-ACK: SYN-ACKs $n_sa, SyncookiesSent +$((sent1 - sent0))," \
	     "SyncookiesRecv +$((recv1 - recv0)), ack3 dropped $(tf_events "$srv" 'f["verdict"] == "drop"' | wc -l);" \
	     "server SYN-RECV $s_rcv ESTABLISHED $s_est; client ESTABLISHED $c_est"
	tf_check_eq "$addr, tcp_syncookies=2: SYN-ACKs sent" "$n_sa" 1
	tf_check_eq "$addr, tcp_syncookies=2: TcpExtSyncookiesSent rise" $((sent1 - sent0)) 1
	tf_check_eq "$addr, tcp_syncookies=2: TcpExtSyncookiesRecv rise" $((recv1 - recv0)) 0
	tf_check_eq "$addr, tcp_syncookies=2: ack3s dropped" "$(tf_events "$srv" 'f["flags"] == "A" && f["verdict"] == "drop"' | wc -l)" 1
	tf_check_eq "$addr, tcp_syncookies=2: server sockets SYN-RECV" "$s_rcv" 0
	tf_check_eq "$addr, tcp_syncookies=2: server sockets ESTABLISHED" "$s_est" 0
	tf_check_eq "$addr, tcp_syncookies=2: client sockets ESTABLISHED" "$c_est" 1
	stop_clients
	tf_sysctl "$srv" net.ipv4.tcp_syncookies 1
	tf_reset "$srv"
}

# A whole exchange: the handshake's ACK is ack3 and only it; the ACKs of
# the data are ack.
test_ack_is_not_ack3()
{
	local desc="stage ack3 matches the handshake's ACK only, stage ack the others"
	local port=8083 n3 n

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add id 1 dir in dport $port stage ack3 action log &&
	tcpfaultctl -n "$srv" rule add id 2 dir in dport $port stage ack action log
	check_err $? "rules: ack3 log, ack log refused"
	tf_check_cmd "client connects and sends" start_client "$SRV_ADDR" $port --send 1000 --send 1000
	slowwait 10 tf_events_ge "$srv" 1 'rule 1 '
	check_err $? "no event of rule 1 (ack3) in 10 s"
	stop_clients
	slowwait 10 tf_ss_count_is "$srv" 0 state established "( sport = :$port )"
	n3=$(tf_events "$srv" 'f["rule"] == 1' | wc -l)
	n=$(tf_events "$srv" 'f["rule"] == 2' | wc -l)
	echo "# ack3: $n3 (want 1), ack: $n (the close's ACK at least)"
	tf_check_eq "ACKs matched by stage ack3" "$n3" 1
	tf_check_ge "ACKs matched by stage ack" "$n" 1
	tf_reset "$srv"
	log_test "$desc"
}

# after 2000: nothing lost during the handshake and the first two seconds.
test_after()
{
	local addr

	for addr in "$SRV_ADDR" "$SRV_ADDR6"; do
		after_case "$addr"
	done
	log_test "after 2000: the handshake and the first 2 s of a flow pass, then its packets are lost (IPv4, IPv6)"
}

# after_case ADDR: test_after against one address of the server.
after_case()
{
	local addr=$1 port=8084 est first out early go

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add id 1 dir in dport $port stage ack3 action log &&
	tcpfaultctl -n "$srv" rule add id 2 port $port after 2000 action drop
	check_err $? "$addr: rules: ack3 log, after 2000 drop refused"
	out=$(tf_nsx "$cli" tf_connect --timeout 5 --send hello "$addr" $port 2>&1)
	echo "# $addr within 2 s: $(tr '\n' ' ' <<<"$out")"
	tf_check_grep "$addr: echo within 2 s" hello "$out"
	tf_check_cmd "$addr: rules flushed" tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add id 1 dir in dport $port stage ack3 action log &&
	tcpfaultctl -n "$srv" rule add id 2 port $port after 2000 action drop
	check_err $? "$addr: rules: ack3 log, after 2000 drop refused"
	mkfifo "$TMPD/go"
	tf_check_cmd "$addr: client connects" start_client "$addr" $port --user-timeout 10000 --send 100 --go "$TMPD/go"
	# The data goes 2.5 s after the handshake's ACK as the server saw it
	# (its event), whenever start_client returned; the client arms no
	# timer before the go, so an exec here cannot let the clock leap.
	est=$(tf_events "$srv" 'f["rule"] == 1' | head -n1 | cut -d' ' -f1)
	tf_nap_until "$est" 2500
	go=$(tf_mono_ns)
	echo go >"$TMPD/go"
	wait "${CLIENTS[-1]}"
	CLIENTS=()
	out=$(cat "$TMPD/idle.$port")
	first=$(tf_events "$srv" 'f["rule"] == 2' | head -n1 | cut -d' ' -f1)
	early=$(tf_events "$srv" 'f["rule"] == 2 && f["flags"] ~ /S/' | wc -l)
	echo "# client: $out"
	echo "# go $(awk -v a="$go" -v b="${est:-0}" 'BEGIN { printf "%.3f", (a - b) / 1e9 }') s after the handshake's ACK"
	echo "# first loss $(awk -v a="${first:-0}" -v b="${est:-0}" 'BEGIN { printf "%.3f", (a - b) / 1e9 }') s" \
	     "after the handshake's ACK; drops $(tf_events "$srv" 'f["rule"] == 2' | wc -l), of the handshake $early"
	tf_check_grep "$addr: the client ends by TCP_USER_TIMEOUT" "errno ETIMEDOUT" "$out"
	tf_check_ne "$addr: handshake ACK event" "$est" ""
	tf_check_ne "$addr: first drop event" "$first" ""
	tf_check_ge "$addr: ns from the handshake's ACK to the first drop" $((first - est)) 2000000000
	tf_check_eq "$addr: handshake packets dropped" "$early" 0
	# The client's data and its retransmissions are what is lost.
	tf_check_ge "$addr: data segments dropped" "$(tf_events "$srv" 'f["rule"] == 2 && f["len"] > 0' | wc -l)" 3
	tf_reset "$srv"
	rm -f "$TMPD/go"
}

# "after" counts from the handshake's ACK, and a duplicate SYN-ACK after it
# (the server's retransmission: its copy of the ACK was lost) does not
# start the flow over: the same ISN is the same connection.
test_after_dup_synack()
{
	local port=8086 sa first out drops

	tf_reset "$srv"
	tf_reset "$cli"
	tcpfaultctl -n "$srv" rule add dir in dport $port stage ack3 count 1 action drop &&
	tcpfaultctl -n "$cli" rule add id 1 dir in sport $port stage synack action log &&
	tcpfaultctl -n "$cli" rule add id 2 port $port after 2000 action drop
	check_err $? "rules: srv ack3 count 1 drop, cli synack log, after 2000 drop refused"
	rm -f "$TMPD/go"
	mkfifo "$TMPD/go"
	tf_check_cmd "client connects" start_client "$SRV_ADDR" $port --user-timeout 10000 --send 100 --go "$TMPD/go"
	# The client is established at the first SYN-ACK; the duplicate comes
	# 1 s later. The data goes 2.5 s after the first.
	slowwait 10 tf_events_ge "$cli" 2
	first=$(tf_events "$cli" 'f["rule"] == 1' | head -n1 | cut -d' ' -f1)
	tf_nap_until "$first" 2500
	echo go >"$TMPD/go"
	wait "${CLIENTS[-1]}"
	CLIENTS=()
	out=$(cat "$TMPD/idle.$port")
	sa=$(tf_events "$cli" 'f["rule"] == 1' | wc -l)
	drops=$(tf_events "$cli" 'f["rule"] == 2 && f["len"] > 0' | wc -l)
	echo "# client: $out; SYN-ACKs seen by the client $sa, data segments dropped $drops"
	tf_check_eq "SYN-ACKs at the client (the first and its retransmission)" "$sa" 2
	tf_check_grep "the client ends by TCP_USER_TIMEOUT" "errno ETIMEDOUT" "$out"
	tf_check_ge "data segments dropped" "$drops" 3
	tf_reset "$cli"
	tf_reset "$srv"
	rm -f "$TMPD/go"
	log_test "after 2000 counts from the handshake: a duplicate SYN-ACK 1 s later does not start the flow over"
}

test_ack3_ipv6()
{
	local desc="IPv6 (veth and ::1): ack3 lost at the server's input, the server never establishes"
	local port=8085 ns via

	for ns in "$cli" "$srv"; do
		via=veth
		[ "$ns" = "$cli" ] || via=::1
		tf_reset "$srv"
		tf_check_cmd "rule: ipv6 ack3 drop refused" tcpfaultctl -n "$srv" rule add family ipv6 dir in dport $port stage ack3 cookie no action drop
		if [ "$ns" = "$cli" ]; then
			tf_check_cmd "veth client connects" start_client "$SRV_ADDR6" $port
		else
			tf_check_cmd "::1 client connects" tf_idle_in "$srv" "$TMPD/idle.lo" ::1 $port --timeout 600
			CLIENTS+=("$TF_IDLE_PID")
		fi
		echo "# client ESTABLISHED $(tf_nsx "$ns" ss -Htan state established "( dport = :$port )" | wc -l)," \
		     "server SYN-RECV $(tf_sockets "$srv" syn-recv $port)," \
		     "ack3 dropped $(tf_events "$srv" 'f["verdict"] == "drop"' | wc -l) ($via)"
		# In srv over ::1, the client's socket is the only ESTABLISHED one.
		tf_check_eq "$via: client sockets ESTABLISHED" "$(tf_nsx "$ns" ss -Htan state established "( dport = :$port )" | wc -l)" 1
		tf_check_eq "$via: server sockets ESTABLISHED" "$(tf_nsx "$srv" ss -Htan state established "( sport = :$port )" | wc -l)" 0
		tf_check_ge "$via: ack3s dropped" "$(tf_events "$srv" 'f["verdict"] == "drop" && f["flags"] == "A"' | wc -l)" 1
		stop_clients
	done
	tf_reset "$srv"
	log_test "$desc"
}

tf_require
tf_run_tests
