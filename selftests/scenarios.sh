#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The presets of `tcpfaultctl scenario`, end to end: each one installed
# with the tool, between real sockets, and the effect its incident (told
# in Documentation/scenarios.rst, "The incidents") describes checked from the applications' side and against the
# model. The matches themselves are handshake.sh's and stages.sh's.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   | tf_idle     fd00::1  |        | fd00::2   :8080-8086 |
#   +----------------------+        +----------------------+
#
# Cases (the preset, where it is installed):
# - syn-blackhole 8080 (cli): connect() fails with ETIMEDOUT at the
#   model's time, every SYN lost on the model's schedule.
# - synack-loss 8081 (srv): connect() fails with ETIMEDOUT; every SYN-ACK
#   the server sent was lost.
# - ack3-loss 8082 (cli, no "cookie no"): the client is ESTABLISHED, the
#   server in SYN-RECV, each of its 5 SYN-ACK retransmissions answered by a
#   lost ACK, then the server forgets; the client never learns.
# - cookie-ack3-loss 8083 (srv): a warning when srv's tcp_syncookies is 0
#   (read in srv: cli's is 1); with 2, one SYN-ACK (a cookie), the third
#   ACK lost, nothing accepted, the client ESTABLISHED.
# - silent-listen 8084 (srv, echo server): the client's request arrives,
#   no reply byte ever reaches the client; the server's stack retransmits
#   the reply on the model's schedule until tcp_retries2 (924.6 s) and
#   forgets the connection; the client is still waiting.
# - blackhole 8085 after 1000 (cli): an echo exchange in the first second
#   works; later data is lost and TCP_USER_TIMEOUT ends it (ETIMEDOUT).
# - IPv6: syn-blackhole 8086 (cli) with TCP_SYNCNT 2.
# - lb-idle-reset 8080 900, in a load balancer between a client and a
#   server of their own (lbc - lb - lbs, below), IPv4 and IPv6 at once: a
#   connection silent for 1045 s is reset on both ends at its next packet
#   (the client reads ECONNRESET, the server's socket is gone); one that
#   talks every 95 s lives on.
# - server-restart 8087 (srv, fin and rst), IPv4 and IPv6 clients that
#   never close (tf_hold): fin, they read EOF and sit in CLOSE-WAIT; rst,
#   they read ECONNRESET; the count of severed connections is printed.
# - scenario clear: removes the presets only (a rule added by hand stays),
#   and connections work again.
#
#   lbc                    lb                           lbs
#   +------------+  veth  +--------------------+  veth  +-------------------+
#   | 10.0.3.1   |--------| 10.0.3.2  10.0.4.2 |--------| 10.0.4.1          |
#   | fd00:3::1  |        | fd00:3::2 fd00:4::2|        | fd00:4::1         |
#   | tf_idle,   |        | forwarding,        |        | tf_listen --echo  |
#   | tf_hold    |        | lb-idle-reset 8080 |        | :8080 (v4, v6)    |
#   +------------+        +--------------------+        +-------------------+
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): about 2700 s of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_syn_blackhole
	test_synack_loss
	test_ack3_loss
	test_cookie_ack3_loss
	test_silent_listen
	test_blackhole_after
	test_syn_blackhole_ipv6
	test_lb_idle_reset
	test_server_restart
	test_clear
"
# Guest seconds a case waits, where over tf_core_lib.sh's TF_LONG_S: a
# real clock skips them unless TCPFAULT_LONG=1.
LONG_TESTS="test_silent_listen=1870 test_lb_idle_reset=1150"

CLI_ADDR=10.0.1.1
SRV_ADDR=10.0.1.2
CLI_ADDR6=fd00::1
SRV_ADDR6=fd00::2
TMPD=
PIDS=()

# listen ADDR PORT [TF_LISTEN_OPTS...]: tf_listen in srv, in the background;
# it creates $TMPD/listen.PORT once listening.
listen()
{
	local addr=$1 port=$2

	shift 2
	nsenter --net="/run/netns/$srv" tf_listen --ready "$TMPD/listen.$port" "$@" \
		"$addr" "$port" >/dev/null &
	PIDS+=($!)
}

# listening PORT...: whether every listen PORT is ready.
listening()
{
	local port

	for port in "$@"; do
		[ -e "$TMPD/listen.$port" ] || return 1
	done
}

setup()
{
	local port

	setup_ns cli srv || return 1
	tf_veth "$cli" "$CLI_ADDR" "$srv" "$SRV_ADDR" "$CLI_ADDR6" "$SRV_ADDR6" || return 1
	TMPD=$(mktemp -d) || return 1
	listen "$SRV_ADDR" 8080
	# Dual stack: the presets' cases run over IPv4 and IPv6.
	for port in 8081 8082 8083; do
		listen :: "$port"
	done
	listen :: 8084 --echo
	listen :: 8085 --echo
	listen "$SRV_ADDR6" 8086
	listen :: 8087 --echo
	# All at once, and guest seconds to spare: under the virtual clock the
	# guest clock runs on while a loaded host serves the 9p root.
	if ! slowwait 300 listening 8080 8081 8082 8083 8084 8085 8086 8087; then
		echo "# listeners ready: $(cd "$TMPD" && echo listen.*)"
		return 1
	fi
	# What the checks run, into the page cache now: under the virtual
	# clock the guest clock leaps while a binary is read over 9p.
	tf_nsx "$srv" bash -c 'ss -Htan state syn-recv | wc -l; nstat -az TcpExtSyncookiesSent' >/dev/null
	tcpfaultctl scenario list >/dev/null
}

cleanup()
{
	tf_stop "${PIDS[@]}"
	[ -z "$TMPD" ] || rm -rf "$TMPD"
	cleanup_all_ns
}

# preset NS WANT NAME PORT [ARGS...]: `tcpfaultctl -n NS scenario NAME PORT
# ARGS`; its output (the rule lines) must be WANT.
preset()
{
	local ns=$1 want=$2 out

	shift 2
	out=$(tcpfaultctl -n "$ns" scenario "$@" 2>"$TMPD/preset.err")
	echo "# tcpfaultctl -n ${ns%%-*} scenario $*: $out"
	tf_diag <"$TMPD/preset.err"
	[ "$out" = "$want" ]
}

# clear_presets NS N: `scenario clear` in NS says it removed N rules.
clear_presets()
{
	local out

	out=$(tcpfaultctl -n "$1" scenario clear)
	[ "$out" = "removed $2 preset rule$([ "$2" = 1 ] || echo s)" ] && return 0
	echo "# scenario clear: $out (want $2)"
	return 1
}

# idle NAME NS ADDR PORT [TF_IDLE_OPTS...]: tf_idle in the background,
# output in $TMPD/NAME; its pid is remembered for the cleanup. A client
# the case stops itself (stop_idle) and checks alive gets no --timeout:
# its alarm can be the only timer pending while the guest waits on its 9p
# root, and the virtual clock leaps to it (seen on a loaded host: the
# clients of ack3-loss, --timeout 600, and silent-listen, 1500, gone by
# their checks at 66.5 s and 950 s; nothing else ends those connections).
idle()
{
	local out=$TMPD/$1

	shift
	tf_idle_in "$1" "$out" "${@:2}"
	local st=$?
	PIDS+=("$TF_IDLE_PID")
	return $st
}

# srv_sockets_gone PORT: srv has no connection of local port PORT left.
srv_sockets_gone()
{
	[ "$(tf_nsx "$srv" ss -Htn "( sport = :$1 )" | wc -l)" = 0 ]
}

stop_idle()
{
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# connect_times_out NS ADDR PORT [TF_CONNECT_OPTS...]: a connect() that
# must fail with ETIMEDOUT; its end_ns in END.
connect_times_out()
{
	local ns=$1 addr=$2 port=$3 out

	shift 3
	out=$(tf_nsx "$ns" tf_connect --timeout 900 "$@" "$addr" "$port" 2>&1)
	echo "# tf_connect $addr $port: $out" | head -n 1
	END=$(tf_field "$out" end_ns)
	[ "$(tf_field "$out" errno)" = ETIMEDOUT ]
}

# syn_blackhole DESC ADDR PORT [SYNCNT]: the preset on the client; its
# connect() (TCP_SYNCNT as given) times out on the model's schedule.
syn_blackhole()
{
	local desc=$1 addr=$2 port=$3 opt=() model=()

	[ -z "${4:-}" ] || { opt=(--syncnt "$4"); model=("syncnt=$4"); }
	tf_reset "$cli"
	tf_check_cmd "the preset's rules" preset "$cli" "rule add id 1000000000 dport $port stage syn action drop" \
		syn-blackhole "$port"
	tf_check_cmd "connect() ends in ETIMEDOUT" connect_times_out "$cli" "$addr" "$port" "${opt[@]}"
	tf_check_timeline "gaps against the model" "$cli" --model syn --end "${END:-0}" --kernel "$TF_RELEASE" "${model[@]}"
	tf_check_cmd "scenario clear: rules removed" clear_presets "$cli" 1
	log_test "$desc"
}

test_syn_blackhole()
{
	syn_blackhole "syn-blackhole: connect() fails with ETIMEDOUT at the model's time" \
		"$SRV_ADDR" 8080
}

# each_family CASE DESC: CASE against the server's IPv4 and IPv6 address;
# one test point for both.
each_family()
{
	local addr

	for addr in "$SRV_ADDR" "$SRV_ADDR6"; do
		echo "# over $addr"
		"$1" "$addr"
	done
	log_test "$2 (IPv4, IPv6)"
}

test_synack_loss()
{
	each_family synack_loss_case "synack-loss: connect() fails with ETIMEDOUT, every SYN-ACK of the server lost"
}

# synack_loss_case ADDR: the case against one of the server's addresses.
synack_loss_case()
{
	local addr=$1 port=8081 n_sa n_pass

	tf_reset "$srv"
	tf_check_cmd "the preset's rules" preset "$srv" "rule add id 1000000000 sport $port stage synack action drop" \
		synack-loss $port
	tf_check_cmd "connect() ends in ETIMEDOUT" connect_times_out "$cli" "$addr" $port
	n_sa=$(tf_events "$srv" 'f["flags"] == "SA" && f["verdict"] == "drop"' | wc -l)
	n_pass=$(tf_events "$srv" 'f["verdict"] != "drop"' | wc -l)
	# Each request socket sends 1 + tcp_synack_retries (5) SYN-ACKs, and
	# answers each retransmitted SYN with one more.
	echo "# SYN-ACKs lost at the server: $n_sa (at least 6), other events $n_pass"
	tf_check_ge "SYN-ACKs lost at the server" "$n_sa" 6
	tf_check_eq "events other than lost SYN-ACKs" "$n_pass" 0
	tf_check_eq "server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0
	tf_check_cmd "scenario clear: rules removed" clear_presets "$srv" 1
}

# Installed on the client: without "cookie no" the rule also works there.
test_ack3_loss()
{
	each_family ack3_loss_case "ack3-loss: client ESTABLISHED, server SYN-RECV answered 6 times in vain, then forgotten"
}

# ack3_loss_case ADDR: the case against one of the server's addresses.
ack3_loss_case()
{
	local addr=$1 port=8082 first n pid

	tf_reset "$cli"
	tf_check_cmd "the preset's rules" preset "$cli" "rule add id 1000000000 dport $port stage ack3 action drop" \
		ack3-loss $port
	tf_check_cmd "the idle client connects" idle ack3 "$cli" "$addr" $port
	pid=$TF_IDLE_PID
	echo "# after connect(): client ESTABLISHED $(tf_sockets "$cli" established $port)," \
	     "server SYN-RECV $(tf_sockets "$srv" syn-recv $port)"
	tf_check_eq "client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	# (SYN-RECV is only a diagnostic here: should the guest clock leap on
	# a 9p wait, the request may already be gone.)
	tf_check_eq "server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0
	first=$(tf_events "$cli" 1 | head -n 1 | cut -d' ' -f1)
	# SYN-ACKs at 1, 2, 4, 8, 16 s, the request dropped in [63.020,
	# 65.884] s after the first (tcpfaultctl model synack).
	tf_sleep_until "${first:-0}" 66.5
	n=$(tf_events "$cli" 'f["flags"] == "A" && f["verdict"] == "drop"' | wc -l)
	echo "# 66.5 s later: ACKs lost $n (the first and one per retransmitted SYN-ACK: 6);" \
	     "server SYN-RECV $(tf_sockets "$srv" syn-recv $port) ESTABLISHED $(tf_sockets "$srv" established $port);" \
	     "client ESTABLISHED $(tf_sockets "$cli" established $port)"
	tf_check_eq "66.5 s later: ACKs lost" "$n" 6
	tf_check_eq "server sockets SYN-RECV" "$(tf_sockets "$srv" syn-recv $port)" 0
	tf_check_eq "server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0
	tf_check_eq "client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	stop_idle "$pid"
	tf_check_cmd "scenario clear: rules removed" clear_presets "$cli" 1
}

test_cookie_ack3_loss()
{
	each_family cookie_ack3_loss_case "cookie-ack3-loss: warns at tcp_syncookies=0; at 2 one SYN-ACK, SyncookiesSent +1, nothing accepted"
}

# cookie_ack3_loss_case ADDR: the case against one of the server's addresses.
cookie_ack3_loss_case()
{
	local addr=$1 port=8083 want sent0 sent1 first n_sa n_drop pid

	want="rule add id 1000000000 dir in dport $port stage ack3 cookie yes action drop"
	tf_reset "$srv"
	# The sysctl is srv's: cli (where tcpfaultctl is not asked) keeps 1.
	tf_sysctl "$srv" net.ipv4.tcp_syncookies 0
	tf_check_cmd "the preset's rules" preset "$srv" "$want" cookie-ack3-loss $port
	tf_check_grep "tcp_syncookies=0: the preset's warning" 'warning: net.ipv4.tcp_syncookies is 0' "$(<"$TMPD/preset.err")"
	tf_check_cmd "scenario clear: rules removed" clear_presets "$srv" 1

	tf_sysctl "$srv" net.ipv4.tcp_syncookies 2
	tf_check_cmd "the preset's rules" preset "$srv" "$want" cookie-ack3-loss $port
	tf_check_eq "tcp_syncookies=2: the preset's warnings" "$(<"$TMPD/preset.err")" ""
	tf_check_cmd "rule: synack log" tcpfaultctl -n "$srv" rule add dir out sport $port stage synack action log
	sent0=$(tf_nstat "$srv" TcpExtSyncookiesSent)
	tf_check_cmd "the idle client connects" idle cookie "$cli" "$addr" $port
	pid=$TF_IDLE_PID
	first=$(tf_events "$srv" 'f["flags"] == "SA"' | head -n 1 | cut -d' ' -f1)
	tf_sleep_until "${first:-0}" 10
	sent1=$(tf_nstat "$srv" TcpExtSyncookiesSent)
	n_sa=$(tf_events "$srv" 'f["flags"] == "SA"' | wc -l)
	n_drop=$(tf_events "$srv" 'f["flags"] == "A" && f["verdict"] == "drop"' | wc -l)
	echo "# 10 s after the SYN-ACK: SYN-ACKs $n_sa, SyncookiesSent +$((sent1 - sent0)), ACKs lost $n_drop;" \
	     "server SYN-RECV $(tf_sockets "$srv" syn-recv $port) ESTABLISHED $(tf_sockets "$srv" established $port);" \
	     "client ESTABLISHED $(tf_sockets "$cli" established $port)"
	tf_check_eq "10 s after the SYN-ACK: SYN-ACKs" "$n_sa" 1
	tf_check_eq "TcpExtSyncookiesSent rise" $((sent1 - sent0)) 1
	tf_check_eq "ACKs lost" "$n_drop" 1
	tf_check_eq "server sockets SYN-RECV" "$(tf_sockets "$srv" syn-recv $port)" 0
	tf_check_eq "server sockets ESTABLISHED" "$(tf_sockets "$srv" established $port)" 0
	tf_check_eq "client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	stop_idle "$pid"
	tf_sysctl "$srv" net.ipv4.tcp_syncookies 1
	tf_check_cmd "scenario clear: rules removed" clear_presets "$srv" 1
}

# The client sends a request and waits in recv(); the echo server's reply
# is what the preset loses, retransmission after retransmission.
test_silent_listen()
{
	each_family silent_listen_case "silent-listen: no reply byte reaches the client; the server retransmits on the model's schedule"
}

# silent_listen_case ADDR: the case against one of the server's addresses.
silent_listen_case()
{
	local addr=$1 port=8084 pid rto first received cached

	tf_reset "$srv"
	# A fresh peer: srv caches per client address the RTT of every
	# connection that ended well (tcp_metrics), and tcp_init_metrics()
	# seeds a new one's RTO at 3 x that RTT, past TCP_RTO_MAX if need be.
	# cookie-ack3-loss leaves one of about a minute: the client's FIN at
	# its end passes as the cookie's ACK, and the socket made of it takes
	# its RTT from the SYN-ACK's echoed timestamp, across the whole case.
	# Measured: RTO 165 s here instead of the default 204 ms.
	cached=$(ip -n "$srv" tcp_metrics show | tr '\n' ';')
	[ -z "$cached" ] || echo "# srv's tcp_metrics, flushed: $cached"
	ip -n "$srv" tcp_metrics flush all
	tf_check_cmd "the preset's rules" preset "$srv" "rule add id 1000000000 sport $port stage data action drop" \
		silent-listen $port
	rm -f "$TMPD/go.silent"
	mkfifo "$TMPD/go.silent"
	tf_check_cmd "the idle client connects" idle silent "$cli" "$addr" $port --send 100 --go "$TMPD/go.silent"
	pid=$TF_IDLE_PID
	# The server's RTO from the handshake, before it sends anything.
	rto=$(tf_nsx "$srv" ss -tin "( sport = :$port )" | sed -n 's/.* rto:\([0-9.]*\).*/\1/p' | head -n 1)
	rto=${rto%.*}
	echo "# server RTO after the handshake: ${rto:-?} ms"
	echo go >"$TMPD/go.silent"
	slowwait 10 tf_events_ge "$srv" 1
	check_err $? "no event in the server in 10 s (its data not lost?)"
	first=$(tf_events "$srv" 1 | head -n 1 | cut -d' ' -f1)
	# tcp_retries2=15: the server gives up at the first timer after 924.6 s
	# from its first RTO retransmission (later with a large handshake RTT:
	# the virtual clock may leap while the guest waits for its 9p root).
	tf_sleep_until "${first:-0}" 930
	tf_poll 30 10 srv_sockets_gone "$port"
	received=$(tf_nsx "$cli" ss -tinH "( dport = :$port )" | grep -o 'bytes_received:[0-9]*')
	echo "# $(awk -v t="${first:-0}" '{ printf "%.0f", $1 - t / 1e9 }' /proc/uptime) s later: client ESTABLISHED $(tf_sockets "$cli" established $port)" \
	     "${received:-bytes_received:0}, server sockets $(tf_nsx "$srv" ss -Htn "( sport = :$port )" | wc -l)"
	tf_check_eq "client sockets ESTABLISHED" "$(tf_sockets "$cli" established $port)" 1
	tf_check_eq "bytes the client received" "$received" ""
	tf_check_eq "server sockets of the connection (gave up)" "$(tf_nsx "$srv" ss -Htn "( sport = :$port )" | wc -l)" 0
	# Without ss's rto the model's own default (HZ's rto_min + srtt) stands
	# in, and the case fails: the first gap is then a guess.
	[ -n "$rto" ]
	check_err $? "ss -tin showed no rto for the server's socket"
	tf_check_timeline "gaps against the model" "$srv" --model data --kernel "$TF_RELEASE" ${rto:+"rto_ms=$rto"}
	[ "$RET" = "$ksft_pass" ] || sed 's/^/# client: /' "$TMPD/silent"
	stop_idle "$pid"
	tf_check_cmd "scenario clear: rules removed" clear_presets "$srv" 1
}

test_blackhole_after()
{
	each_family blackhole_after_case "blackhole after 1000: an exchange in the first second works, then data is lost until TCP_USER_TIMEOUT"
}

# blackhole_after_case ADDR: the case against one of the server's addresses.
blackhole_after_case()
{
	local addr=$1 port=8085 out pid

	tf_reset "$cli"
	tf_check_cmd "the preset's rules" preset "$cli" "rule add id 1000000000 port $port after 1000 action drop" \
		blackhole $port after 1000
	out=$(tf_nsx "$cli" tf_connect --timeout 5 --send hello "$addr" $port 2>&1)
	echo "# within 1 s: $(tr '\n' ' ' <<<"$out")"
	tf_check_eq "within 1 s: the echo" "$(tail -n 1 <<<"$out")" hello
	tf_check_eq "within 1 s: events" "$(tf_events "$cli" 1 | wc -l)" 0
	rm -f "$TMPD/go.bh"
	mkfifo "$TMPD/go.bh"
	tf_check_cmd "the idle client connects" idle bh "$cli" "$addr" $port --user-timeout 10000 --send 100 --go "$TMPD/go.bh" --timeout 600
	pid=$TF_IDLE_PID
	sleep 1.5
	echo go >"$TMPD/go.bh"
	wait "$pid"
	out=$(cat "$TMPD/bh")
	echo "# after 1.5 s: $out; lost: $(tf_events "$cli" 'f["verdict"] == "drop"' | wc -l)"
	tf_check_grep "after 1.5 s: the client ends by TCP_USER_TIMEOUT" "errno ETIMEDOUT" "$out"
	tf_check_ge "after 1.5 s: packets lost" "$(tf_events "$cli" 'f["verdict"] == "drop"' | wc -l)" 3
	tf_check_cmd "scenario clear: rules removed" clear_presets "$cli" 1
}

test_syn_blackhole_ipv6()
{
	syn_blackhole "IPv6: syn-blackhole, connect() with TCP_SYNCNT 2 fails at the model's time" \
		"$SRV_ADDR6" 8086 2
}

# setup_lb: the load balancer's topology (lbc - lb - lbs), an echo server
# on lbs :8080, IPv4 and IPv6.
setup_lb()
{
	setup_ns lbc lb lbs || return 1
	tf_lb_setup "$lbc" "$lb" "$lbs" 3 || return 1
	tf_listen_in "$lbs" 10.0.4.1 8080 --echo || return 1
	PIDS+=("$TF_LISTEN_PID")
	tf_listen_in "$lbs" fd00:4::1 8080 --echo || return 1
	PIDS+=("$TF_LISTEN_PID")
}

# hold NAME NS ADDR PORT: tf_hold (never closes) in NS, output in
# $TMPD/NAME, once connected; its pid in HOLD.
hold()
{
	local out=$TMPD/$1

	nsenter --net="/run/netns/$2" tf_hold --ready "$out.ready" "$3" "$4" >"$out" 2>&1 &
	HOLD=$!
	PIDS+=("$HOLD")
	slowwait 60 test -e "$out.ready"
}

# talkers_answered N: each talking client (lbt4, lbt6) has printed N
# answers.
talkers_answered()
{
	local f

	for f in 4 6; do
		[ "$(grep -c '^data 4$' "$TMPD/lbt$f")" -ge "$1" ] || return 1
	done
}

# In the balancer: per family a quiet client (tf_idle: connected, then
# silent until told to send) and a talking one (tf_hold, pinged every 95 s
# through the echo server). The quiet ones send after 11 x 95 = 1045 s.
test_lb_idle_reset()
{
	local desc="lb-idle-reset 900 (on the balancer): a flow silent 1045 s is reset on both ends, one talking every 95 s lives (IPv4, IPv6)"
	local f addr i talkers=() quiet=() out

	if ! setup_lb; then
		check_err 1 "the balancer's topology (setup_lb) failed"
		log_test "$desc"
		return
	fi
	tf_check_cmd "the preset's rules" preset "$lb" "rule add id 1000000000 port 8080 idle 900000 action reset-both" \
		lb-idle-reset 8080 900
	for f in 4 6; do
		if [ $f = 4 ]; then addr=10.0.4.1; else addr=fd00:4::1; fi
		mkfifo "$TMPD/go.lb$f"
		tf_check_cmd "the idle client connects" idle "lbq$f" "$lbc" "$addr" 8080 --send 1 --go "$TMPD/go.lb$f" --timeout 1500
		quiet+=("$TF_IDLE_PID")
		tf_check_cmd "tf_hold connects in 60 s" hold "lbt$f" "$lbc" "$addr" 8080
		talkers+=("$HOLD")
	done
	for i in $(seq 12); do
		sleep 95
		kill -USR1 "${talkers[@]}"
		[ "$i" != 11 ] || { echo go >"$TMPD/go.lb4"; echo go >"$TMPD/go.lb6"; }
	done
	wait "${quiet[@]}"
	slowwait 10 talkers_answered 12
	for f in 4 6; do
		out=$(cat "$TMPD/lbq$f")
		echo "# IPv$f: quiet client: $out; talking client: $(grep -c '^data 4$' "$TMPD/lbt$f") answers$(grep '^recv' "$TMPD/lbt$f" | sed 's/^/, /')"
		tf_check_grep "IPv$f: the quiet client" "errno ECONNRESET" "$out"
		tf_check_eq "IPv$f: the talking client's answers" "$(grep -c '^data 4$' "$TMPD/lbt$f")" 12
		tf_check_eq "IPv$f: the talking client's errors" "$(grep '^recv' "$TMPD/lbt$f")" ""
	done
	echo "# lb: $(tf_count_events "$lb" 'verdict reset-both') reset-both; server sockets: $(tf_sockets "$lbs" established 8080) established (the talkers)"
	tf_check_eq "reset-both events at the balancer" "$(tf_count_events "$lb" 'verdict reset-both')" 2
	tf_check_eq "server sockets ESTABLISHED (the talkers)" "$(tf_sockets "$lbs" established 8080)" 2
	stop_idle "${talkers[0]}"
	stop_idle "${talkers[1]}"
	tf_check_cmd "scenario clear: rules removed" clear_presets "$lb" 1
	log_test "$desc"
}

# server-restart on srv: clients that never close, IPv4 and IPv6.
test_server_restart()
{
	local desc="server-restart 8087: fin, clients read EOF and sit in CLOSE-WAIT; rst, they read ECONNRESET (IPv4, IPv6)"
	local how want out pids

	for how in fin rst; do
		pids=()
		tf_check_cmd "tf_hold connects in 60 s" hold "sr4$how" "$cli" "$SRV_ADDR" 8087
		pids+=("$HOLD")
		tf_check_cmd "tf_hold connects in 60 s" hold "sr6$how" "$cli" "$SRV_ADDR6" 8087
		pids+=("$HOLD")
		out=$(tcpfaultctl -n "$srv" scenario server-restart 8087 $([ $how = rst ] && echo rst))
		echo "# tcpfaultctl -n srv scenario server-restart 8087 $how: $(tr '\n' ' ' <<<"$out")"
		tf_check_eq "$how: the preset's output" "$out" "kill sport 8087 how $how
killed 2"
		if [ $how = fin ]; then want="recv 0 errno 0"; else want="recv -1 errno ECONNRESET"; fi
		tf_check_cmd "$how: a client printed '$want' in 10 s" slowwait 10 grep -q "^$want" "$TMPD/sr4$how" "$TMPD/sr6$how"
		tf_check_grep "$how: the IPv4 client" "^$want" "$(<"$TMPD/sr4$how")"
		tf_check_grep "$how: the IPv6 client" "^$want" "$(<"$TMPD/sr6$how")"
		echo "# IPv4 client: $(grep '^recv' "$TMPD/sr4$how"); IPv6 client: $(grep '^recv' "$TMPD/sr6$how");" \
		     "client CLOSE-WAIT sockets: $(tf_sockets "$cli" close-wait 8087)"
		if [ $how = fin ]; then
			tf_check_eq "fin: client sockets CLOSE-WAIT" "$(tf_sockets "$cli" close-wait 8087)" 2
		else
			tf_check_eq "rst: client sockets CLOSE-WAIT" "$(tf_sockets "$cli" close-wait 8087)" 0
		fi
		stop_idle "${pids[0]}"
		stop_idle "${pids[1]}"
	done
	# An act, not a rule: nothing for clear to take away.
	tf_check_cmd "scenario clear: rules removed" clear_presets "$srv" 0
	log_test "$desc"
}

# Presets stacked after a rule added by hand; clear takes the presets only.
test_clear()
{
	local desc="scenario clear: the presets go, a rule added by hand stays, connections work again"
	local out

	tf_reset "$cli"
	tf_check_cmd "a rule of the user's own" tcpfaultctl -n "$cli" rule add dport 9 action log
	tf_check_cmd "the preset's rules" preset "$cli" "rule add id 1000000000 dport 8080 stage syn action drop" syn-blackhole 8080
	tf_check_cmd "the preset's rules" preset "$cli" "rule add id 1000000001 port 8085 after 0 action drop" blackhole 8085
	out=$(tf_nsx "$cli" tf_connect --timeout 5 --syncnt 1 "$SRV_ADDR" 8080 2>&1)
	echo "# with the presets: $(head -n 1 <<<"$out")"
	tf_check_eq "8080 under syn-blackhole: errno" "$(tf_field "$out" errno)" ETIMEDOUT
	tf_check_cmd "scenario clear: rules removed" clear_presets "$cli" 2
	out=$(tcpfaultctl -n "$cli" rule list)
	echo "# left: $out"
	tf_check_eq "after clear: the user's rule" "$(cut -d' ' -f1-5 <<<"$out")" "add id 1 dport 9"
	out=$(tf_nsx "$cli" tf_connect --timeout 5 "$SRV_ADDR" 8080 2>&1)
	echo "# 8080: $out"
	tf_check_eq "8080 after clear: errno" "$(tf_field "$out" errno)" 0
	out=$(tf_nsx "$cli" tf_connect --timeout 5 --send hello "$SRV_ADDR" 8085 2>&1)
	echo "# 8085: $(tr '\n' ' ' <<<"$out")"
	tf_check_eq "8085 after clear: the echo" "$(tail -n 1 <<<"$out")" hello
	tf_check_cmd "scenario clear: rules removed" clear_presets "$cli" 0
	tf_reset "$cli"
	log_test "$desc"
}

tf_require tf_idle
tf_run_tests
