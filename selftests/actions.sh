#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The actions that change traffic instead of losing it, and the limits
# that pick packets: reset and reset-both (each end's application sees
# ECONNRESET, never a RST for a RST), a load balancer's idle timeout in a
# middlebox namespace (idle + reset-both at dir fwd), delay (held, in
# order, released by a flush, freed with the namespace and at rmmod),
# flags, corrupt (the application receives changed bytes, no checksum
# error), every N, prob P with seed S (the same seed picks the same
# packets). Each over IPv4 and IPv6 between the namespaces, and over ::1
# inside srv (client, server and rules in one namespace).
#
#   cli                       lb                          srv
#   +--------------+  veth  +-------------------+  veth  +------------------+
#   | 10.0.1.1     |--------| 10.0.1.2 10.0.2.2 |--------| 10.0.2.1         |
#   | fd00:1::1    |        | fd00:1::2 fd00:2::2|       | fd00:2::1        |
#   +--------------+        | forwarding        |        | tf_listen --echo |
#                           +-------------------+        | :8080 (v4, v6)   |
#                                                        +------------------+
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the idle case waits 900 s and more of guest time.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_reset
	test_reset_both
	test_lb_idle_reset
	test_delay
	test_delay_release_and_free
	test_flags
	test_corrupt
	test_every_prob_seed
"

FAMILIES="4 6 lo"
SRV4=10.0.2.1
SRV6=fd00:2::1

setup()
{
	setup_ns cli lb srv || return 1
	ip link add tf0 netns "$cli" type veth peer name tf1 netns "$lb" &&
	ip link add tf2 netns "$lb" type veth peer name tf3 netns "$srv" || return 1
	ip -n "$cli" addr add 10.0.1.1/24 dev tf0 &&
	ip -n "$cli" addr add fd00:1::1/64 dev tf0 nodad &&
	ip -n "$lb" addr add 10.0.1.2/24 dev tf1 &&
	ip -n "$lb" addr add fd00:1::2/64 dev tf1 nodad &&
	ip -n "$lb" addr add 10.0.2.2/24 dev tf2 &&
	ip -n "$lb" addr add fd00:2::2/64 dev tf2 nodad &&
	ip -n "$srv" addr add 10.0.2.1/24 dev tf3 &&
	ip -n "$srv" addr add fd00:2::1/64 dev tf3 nodad || return 1
	ip -n "$cli" link set tf0 up && ip -n "$lb" link set tf1 up &&
	ip -n "$lb" link set tf2 up && ip -n "$srv" link set tf3 up || return 1
	ip -n "$cli" route add default via 10.0.1.2 &&
	ip -n "$cli" -6 route add default via fd00:1::2 &&
	ip -n "$srv" route add default via 10.0.2.2 &&
	ip -n "$srv" -6 route add default via fd00:2::2 || return 1
	tf_sysctl "$lb" net.ipv4.ip_forward 1 &&
	tf_sysctl "$lb" net.ipv6.conf.all.forwarding 1 || return 1
	tf_listen_in "$srv" "$SRV4" "$TF_PORT" --echo &&
	tf_listen_in "$srv" "$SRV6" "$TF_PORT" --echo &&
	tf_listen_in "$srv" ::1 "$TF_PORT" --echo || return 1
	# Into the page cache now (the virtual clock leaps over 9p waits).
	tf_nsx "$cli" tf_connect --send warm "$SRV4" "$TF_PORT" >/dev/null
	tf_nsx "$srv" nstat -az TcpInCsumErrors >/dev/null
}

cleanup()
{
	cleanup_all_ns
	rm -rf "$TF_TMP"
}

# The server's address for FAMILY (4, 6, or lo: ::1), and the namespace
# its clients (and the rules on their side) are in.
srv_addr()
{
	case $1 in
	4) echo "$SRV4" ;;
	6) echo "$SRV6" ;;
	lo) echo ::1 ;;
	esac
}

cli_ns()
{
	if [ "$1" = lo ]; then echo "$srv"; else echo "$cli"; fi
}

# exchange FAMILY TEXT: tf_connect --send TEXT to the echo server; its
# output (stdout and stderr).
exchange()
{
	tf_nsx "$(cli_ns "$1")" tf_connect --timeout 30 --send "$2" "$(srv_addr "$1")" "$TF_PORT" 2>&1
}

# established NS: the namespace's TCP sockets of port TF_PORT in
# ESTABLISHED or CLOSE-WAIT (a live server side).
established()
{
	tf_nsx "$1" ss -Htan state established state close-wait "( sport = :$TF_PORT or dport = :$TF_PORT )" | wc -l
}

reset_all()
{
	tf_reset "$cli" && tf_reset "$lb" && tf_reset "$srv"
}

# Wait until the echo server has no live connection left.
srv_idle()
{
	slowwait 20 sh -c "[ \$(nsenter --net=/run/netns/$srv ss -Htan state established state close-wait '( sport = :$TF_PORT )' | wc -l) = 0 ]"
}

# reset: the client's request never arrives; the client alone is reset.
test_reset()
{
	local f out ok=1 rsts

	for f in $FAMILIES; do
		reset_all
		# The request is reset; the FIN right behind it is lost, so
		# that the server never hears of the client again.
		tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage data action reset &&
		tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage fin action drop &&
		tcpfaultctl -n "$(cli_ns "$f")" rule add dir in sport "$TF_PORT" stage rst action log || ok=0
		out=$(exchange "$f" hello)
		rsts=$(tf_count_events "$(cli_ns "$f")" ' flags R ')
		echo "# $f: $(tr '\n' ' ' <<<"$out"); server live sockets $(established "$srv"); RSTs reaching the client $rsts"
		grep -q "Connection reset by peer" <<<"$out" || ok=0
		# The server never saw the request, nor a RST: still there.
		[ "$(established "$srv")" = 1 ] || ok=0
		[ "$rsts" = 1 ] || ok=0
		tf_reset "$srv"
		tcpfaultctl -n "$srv" kill sport "$TF_PORT" >/dev/null
		srv_idle
	done
	tf_result $ok "reset: the sender gets a RST it accepts (ECONNRESET), the receiver nothing (IPv4, IPv6, ::1)"
}

# reset-both: both ends are reset, and no RST answers a RST.
test_reset_both()
{
	local f out ok=1

	for f in $FAMILIES; do
		reset_all
		tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage data action reset-both || ok=0
		out=$(exchange "$f" hello)
		srv_idle || ok=0
		echo "# $f: $(tr '\n' ' ' <<<"$out"); server live sockets $(established "$srv");" \
		     "rule acted $(tcpfaultctl -n "$srv" rule list | sed -n 's/.*acted //p')"
		grep -q "Connection reset by peer" <<<"$out" || ok=0
		[ "$(established "$srv")" = 0 ] || ok=0
		# Acted on the data only: the RSTs themselves are passed.
		[ "$(tcpfaultctl -n "$srv" rule list | sed -n 's/.*acted //p')" = 1 ] || ok=0
	done
	reset_all
	tf_result $ok "reset-both: both applications see the connection reset (IPv4, IPv6, ::1)"
}

# A connection through the lb: an idle one is reset at its next packet
# after 900 s; one that talks every 95 s lives on.
test_lb_idle_reset()
{
	local f quiet talk ok=1 out_q out_t

	for f in 4 6; do
		reset_all
		tcpfaultctl -n "$lb" rule add dir fwd port "$TF_PORT" idle 900000 action reset-both || ok=0
		# shellcheck disable=SC2016
		quiet='exec 3<>/dev/tcp/$0/$1 || exit 2; echo a >&3; read -r l <&3; echo "got $l";
		       sleep 1000; echo b >&3 2>/dev/null; if read -r -t 10 l <&3; then echo "got $l"; else echo "read failed"; fi'
		# shellcheck disable=SC2016
		talk='exec 3<>/dev/tcp/$0/$1 || exit 2; for i in $(seq 12); do echo "t$i" >&3; read -r -t 10 l <&3 || { echo "lost at $i"; exit 1; }; sleep 95; done; echo "talked 12 times"'
		tf_nsx "$cli" bash -c "$quiet" "$(srv_addr "$f")" "$TF_PORT" >"$TF_TMP/quiet" 2>&1 &
		quiet=$!
		tf_nsx "$cli" bash -c "$talk" "$(srv_addr "$f")" "$TF_PORT" >"$TF_TMP/talk" 2>&1 &
		talk=$!
		wait "$quiet" "$talk"
		out_q=$(tr '\n' ' ' <"$TF_TMP/quiet")
		out_t=$(tr '\n' ' ' <"$TF_TMP/talk")
		echo "# $f: quiet client: $out_q; talking client: $out_t"
		echo "# lb events: $(tf_nsx "$lb" cat /proc/net/tcpfault/events | awk '{ print $14 "/" $20 "/" $22 }' | tr '\n' ' ')"
		grep -q "got a" <<<"$out_q" && grep -q "read failed" <<<"$out_q" || ok=0
		grep -q "talked 12 times" <<<"$out_t" || ok=0
		# One reset, for the quiet flow's first packet after 1000 s.
		[ "$(tf_count_events "$lb" 'verdict reset-both')" = 1 ] || ok=0
		srv_idle || ok=0
	done
	reset_all
	tf_result $ok "lb idle 900 s (dir fwd, reset-both): the quiet flow is reset on both ends, the talking one lives (IPv4, IPv6)"
}

# delay 300 on the echo server's answers: they arrive 300 ms late, in order.
test_delay()
{
	local f ok=1 out held arrive d order c

	for f in $FAMILIES; do
		reset_all
		c=$(cli_ns "$f")
		tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage data action delay 300 || ok=0
		tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action log || ok=0
		# shellcheck disable=SC2016
		out=$(tf_nsx "$c" bash -c 'exec 3<>/dev/tcp/$0/$1 || exit 2; for i in 1 2 3 4 5; do echo "m$i" >&3; done; for i in 1 2 3 4 5; do read -r -t 10 l <&3 && printf "%s " "$l"; done' \
		      "$(srv_addr "$f")" "$TF_PORT" 2>&1)
		held=$(tf_nsx "$srv" cat /proc/net/tcpfault/events | awk '$22 == "delay" { print $2 }')
		arrive=$(tf_nsx "$c" cat /proc/net/tcpfault/events | awk '$22 == "log" { print $2 }')
		d=$(paste <(echo "$held") <(echo "$arrive") |
		    awk '{ d = ($2 - $1) / 1e6; printf " %.1f", d; if (d < 300 || d > 320) bad++ } END { if (bad || !NR) exit 1 }') || ok=0
		order=$(tf_nsx "$c" cat /proc/net/tcpfault/events | awk '$22 == "log" { print $16 }' | sort -n -c 2>&1 && echo "in order")
		echo "# $f: received: $out; delays (ms):$d; $order"
		[ "$out" = "m1 m2 m3 m4 m5 " ] || ok=0
		[ "$order" = "in order" ] || ok=0
		[ "$(tf_stat "$srv" delay_held)" = 0 ] || ok=0
	done
	reset_all
	tf_result $ok "delay 300: every held answer arrives 300 ms late, in order (IPv4, IPv6, ::1)"
}

# held_by NS: wait until the delay action holds a packet in NS.
held_by()
{
	slowwait 10 sh -c "[ \"\$(nsenter --net=/run/netns/$1 sed -n 's/^delay_held //p' /proc/net/tcpfault/stats)\" -ge 1 ]"
}

# A flush lets held packets go at once; a namespace deleted, or the
# module removed, with packets held frees them: the kernel log stays clean.
test_delay_release_and_free()
{
	local ok=1 out t0 t1 held ko client

	reset_all
	tf_dmesg_mark
	tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage data action delay 600000 || ok=0
	tf_nsx "$cli" tf_connect --timeout 30 --send held "$SRV4" "$TF_PORT" >"$TF_TMP/held" 2>&1 &
	held_by "$srv" || ok=0
	held=$(tf_stat "$srv" delay_held)
	sleep 1
	t0=$(awk '{ printf "%d", $1 * 1e9 }' /proc/uptime)
	tcpfaultctl -n "$srv" rule flush || ok=0
	wait $!
	t1=$(awk '{ printf "%d", $1 * 1e9 }' /proc/uptime)
	out=$(cat "$TF_TMP/held")
	echo "# held $held, flushed: the client got \"$(sed -n 2p <<<"$out")\" $(( (t1 - t0) / 1000000 )) ms after the flush; delay_held $(tf_stat "$srv" delay_held)"
	grep -q '^held' <<<"$(sed -n 2p <<<"$out")" || ok=0
	[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || ok=0
	[ "$(tf_stat "$srv" delay_held)" = 0 ] || ok=0

	# Held packets in a namespace that goes away.
	setup_ns tmpc tmps || ok=0
	tf_veth "$tmpc" 10.0.9.1 "$tmps" 10.0.9.2 || ok=0
	tf_listen_in "$tmps" 10.0.9.2 "$TF_PORT" --echo || ok=0
	tcpfaultctl -n "$tmps" rule add dir out sport "$TF_PORT" stage data action delay 600000 || ok=0
	# The client waits for its echo: cleanup_ns kills it.
	nsenter --net="/run/netns/$tmpc" tf_connect --send x 10.0.9.2 "$TF_PORT" >/dev/null 2>&1 &
	held_by "$tmps" || ok=0
	held=$(tf_stat "$tmps" delay_held)
	cleanup_ns "$tmpc" "$tmps" || ok=0
	echo "# namespace deleted with $held packets held"

	# And at rmmod.
	tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage data action delay 600000 || ok=0
	nsenter --net="/run/netns/$cli" tf_connect --send x "$SRV4" "$TF_PORT" >/dev/null 2>&1 &
	client=$!
	held_by "$srv" || ok=0
	held=$(tf_stat "$srv" delay_held)
	ko=$(tf_module_path)
	if rmmod tcpfault; then
		insmod "$ko" || ok=0
	else
		echo "# rmmod failed"
		ok=0
	fi
	kill "$client" 2>/dev/null
	wait "$client" 2>/dev/null
	echo "# rmmod with $held packets held"
	sleep 1
	tf_dmesg_clean || ok=0
	tf_result $ok "delay: a flush releases held packets at once; namespace deletion and rmmod free them, log clean"
}

# flags +R on the server's answer at the client's input: a reset.
test_flags()
{
	local f out ok=1 c

	for f in $FAMILIES; do
		reset_all
		c=$(cli_ns "$f")
		tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action flags +R || ok=0
		out=$(exchange "$f" hello)
		echo "# $f: $(tr '\n' ' ' <<<"$out"); $(tf_nsx "$c" cat /proc/net/tcpfault/events | awk '{ printf "%s %s ", $14, $NF }')"
		grep -q "Connection reset by peer" <<<"$out" || ok=0
		[ "$(tf_count_events "$c" 'verdict flags')" -ge 1 ] || ok=0
		# The server retransmits its answer, which the rule would turn
		# into RSTs nobody answers: without it the client's stack
		# answers with a RST, and the server's socket goes.
		reset_all
		srv_idle
	done
	tf_result $ok "flags +R on an answer: the receiving application sees a reset (IPv4, IPv6, ::1)"
}

# corrupt: the application reads changed bytes; TCP saw a valid checksum.
test_corrupt()
{
	local f out ok=1 csum0 csum1 c

	for f in $FAMILIES; do
		reset_all
		c=$(cli_ns "$f")
		csum0=$(tf_nsx "$c" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }')
		tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action corrupt || ok=0
		out=$(exchange "$f" hello | sed -n 2p | od -An -c | tr -s ' ')
		csum1=$(tf_nsx "$c" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }')
		echo "# $f: sent \"hello\", received:$out; TcpInCsumErrors +$((csum1 - csum0))"
		# The first byte inverted: 'h' (0150) became 0227.
		[ "$out" = " 227 e l l o" ] || ok=0
		[ "$csum1" = "$csum0" ] || ok=0
		srv_idle
	done
	reset_all
	tf_result $ok "corrupt: the application receives changed bytes, no checksum error (IPv4, IPv6, ::1)"
}

# lines F SEED_ARGS: 40 request/answer lines over one connection, the
# answers logged by "every"/"prob" rule ARGS; the numbers of the lines
# picked.
picked()
{
	local f=$1 c

	shift
	reset_all
	c=$(cli_ns "$f")
	tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action log "$@" || return 1
	# shellcheck disable=SC2016
	tf_nsx "$c" bash -c 'exec 3<>/dev/tcp/$0/$1 || exit 2; for i in $(seq 40); do echo "$i" >&3; read -r l <&3; done' \
		"$(srv_addr "$f")" "$TF_PORT" || return 1
	tf_nsx "$c" cat /proc/net/tcpfault/events | awk '{ print $16 }' | sort -n |
		awk 'NR == 1 { s = $1 } { printf "%d ", ($1 - s) }'
	echo
}

test_every_prob_seed()
{
	local f ok=1 every a b c seed

	for f in $FAMILIES; do
		every=$(picked "$f" every 5)
		a=$(picked "$f" prob 30 seed 42)
		b=$(picked "$f" prob 30 seed 42)
		c=$(picked "$f" prob 30 seed 7)
		echo "# $f every 5: $(wc -w <<<"$every") picked; prob 30 seed 42: $(wc -w <<<"$a") picked, again: $(wc -w <<<"$b"), seed 7: $(wc -w <<<"$c")"
		# Answers are 3 bytes apart at most ("40\n"): every 5th of 40.
		[ "$(wc -w <<<"$every")" = 8 ] || ok=0
		[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ] || ok=0
		[ "$(wc -w <<<"$a")" -ge 4 ] && [ "$(wc -w <<<"$a")" -le 20 ] || ok=0
	done
	# Without a seed the kernel picks one, and the listing shows it.
	reset_all
	tcpfaultctl -n "$cli" rule add dir in sport "$TF_PORT" stage data action log prob 50 || ok=0
	seed=$(tcpfaultctl -n "$cli" rule list | sed -n 's/.* seed \([0-9]*\).*/\1/p')
	echo "# prob 50 without a seed: listed as seed $seed"
	[ -n "$seed" ] || ok=0
	reset_all
	tf_result $ok "every 5 picks every fifth packet; prob 30 with one seed picks the same packets twice, another seed others (IPv4, IPv6, ::1)"
}

tf_require ss nstat
TF_TMP=$(mktemp -d)
tf_run_tests
