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
# Guest seconds a case waits, where over tf_core_lib.sh's TF_LONG_S: a
# real clock skips them unless TCPFAULT_LONG=1.
LONG_TESTS="test_lb_idle_reset=2300"

FAMILIES="4 6 lo"
SRV4=10.0.2.1
SRV6=fd00:2::1

setup()
{
	setup_ns cli lb srv || return 1
	tf_lb_setup "$cli" "$lb" "$srv" 1 || return 1
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
	slowwait 20 tf_ss_count_is "$srv" 0 state established state close-wait "( sport = :$TF_PORT )"
}

# reset: the client's request never arrives; the client alone is reset.
test_reset()
{
	local f out rsts

	for f in $FAMILIES; do
		reset_all
		# The request is reset; the FIN right behind it is lost, so
		# that the server never hears of the client again.
		tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage data action reset &&
		tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage fin action drop &&
		tcpfaultctl -n "$(cli_ns "$f")" rule add dir in sport "$TF_PORT" stage rst action log
		check_err $? "$f: rules: data reset, fin drop, rst log refused"
		out=$(exchange "$f" hello)
		rsts=$(tf_count_events "$(cli_ns "$f")" ' flags R ')
		echo "# $f: $(tr '\n' ' ' <<<"$out"); server live sockets $(established "$srv"); RSTs reaching the client $rsts"
		tf_check_grep "$f: the client's error" "Connection reset by peer" "$out"
		# The server never saw the request, nor a RST: still there.
		tf_check_eq "$f: server live sockets" "$(established "$srv")" 1
		tf_check_eq "$f: RSTs reaching the client" "$rsts" 1
		tf_reset "$srv"
		tcpfaultctl -n "$srv" kill sport "$TF_PORT" >/dev/null
		srv_idle
	done
	log_test "reset: the sender gets a RST it accepts (ECONNRESET), the receiver nothing (IPv4, IPv6, ::1)"
}

# reset-both: both ends are reset, and no RST answers a RST.
test_reset_both()
{
	local f out

	for f in $FAMILIES; do
		reset_all
		tf_check_cmd "$f: rule: data reset-both refused" tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage data action reset-both
		out=$(exchange "$f" hello)
		tf_check_cmd "$f: server sockets still live after 20 s" srv_idle
		echo "# $f: $(tr '\n' ' ' <<<"$out"); server live sockets $(established "$srv");" \
		     "rule acted $(tcpfaultctl -n "$srv" rule list | sed -n 's/.*acted //p')"
		tf_check_grep "$f: the client's error" "Connection reset by peer" "$out"
		tf_check_eq "$f: server live sockets" "$(established "$srv")" 0
		# Acted on the data only: the RSTs themselves are passed.
		tf_check_eq "$f: the rule's acted counter" "$(tcpfaultctl -n "$srv" rule list | sed -n 's/.*acted //p')" 1
	done
	reset_all
	log_test "reset-both: both applications see the connection reset (IPv4, IPv6, ::1)"
}

# A connection through the lb: an idle one is reset at its next packet
# after 900 s; one that talks every 95 s lives on.
test_lb_idle_reset()
{
	local f quiet talk out_q out_t

	for f in 4 6; do
		reset_all
		tf_check_cmd "$f: rule: fwd idle 900000 reset-both refused" tcpfaultctl -n "$lb" rule add dir fwd port "$TF_PORT" idle 900000 action reset-both
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
		tf_check_grep "$f: the quiet flow's first exchange" "got a" "$out_q"
		tf_check_grep "$f: the quiet flow after 1000 s (reset)" "read failed" "$out_q"
		tf_check_grep "$f: the talking flow" "talked 12 times" "$out_t"
		# One reset, for the quiet flow's first packet after 1000 s.
		tf_check_eq "$f: reset-both events at the balancer" "$(tf_count_events "$lb" 'verdict reset-both')" 1
		tf_check_cmd "$f: server sockets still live after 20 s" srv_idle
	done
	reset_all
	log_test "lb idle 900 s (dir fwd, reset-both): the quiet flow is reset on both ends, the talking one lives (IPv4, IPv6)"
}

# delay 300 on the echo server's answers: they arrive 300 ms late, in order.
test_delay()
{
	local f out held arrive d order c

	for f in $FAMILIES; do
		reset_all
		c=$(cli_ns "$f")
		tf_check_cmd "$f: rule: delay 300 refused" tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage data action delay 300
		tf_check_cmd "$f: rule: client data log refused" tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action log
		# shellcheck disable=SC2016
		out=$(tf_nsx "$c" bash -c 'exec 3<>/dev/tcp/$0/$1 || exit 2; for i in 1 2 3 4 5; do echo "m$i" >&3; done; for i in 1 2 3 4 5; do read -r -t 10 l <&3 && printf "%s " "$l"; done' \
		      "$(srv_addr "$f")" "$TF_PORT" 2>&1)
		held=$(tf_nsx "$srv" cat /proc/net/tcpfault/events | awk '$22 == "delay" { print $2 }')
		arrive=$(tf_nsx "$c" cat /proc/net/tcpfault/events | awk '$22 == "log" { print $2 }')
		d=$(paste <(echo "$held") <(echo "$arrive") |
		    awk '{ d = ($2 - $1) / 1e6; printf " %.1f", d; if (d < 300 || d > 320) bad++ } END { if (bad || !NR) exit 1 }')
		check_err $? "$f: answers' delays (ms):$d, want each in 300..320"
		order=$(tf_nsx "$c" cat /proc/net/tcpfault/events | awk '$22 == "log" { print $16 }' | sort -n -c 2>&1 && echo "in order")
		echo "# $f: received: $out; delays (ms):$d; $order"
		tf_check_eq "$f: answers read" "$out" "m1 m2 m3 m4 m5 "
		tf_check_eq "$f: answers' order" "$order" "in order"
		tf_check_eq "$f: packets still held (delay_held)" "$(tf_stat "$srv" delay_held)" 0
	done
	reset_all
	log_test "delay 300: every held answer arrives 300 ms late, in order (IPv4, IPv6, ::1)"
}

# held_by NS: wait until the delay action holds a packet in NS.
held_by()
{
	slowwait 10 tf_stat_ge "$1" delay_held 1
}

# A flush lets held packets go at once; a namespace deleted, or the
# module removed, with packets held frees them: the kernel log stays clean.
test_delay_release_and_free()
{
	local out t0 t1 held ko client

	reset_all
	tf_dmesg_mark
	tf_check_cmd "rule: delay 600000 refused" tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage data action delay 600000
	tf_nsx "$cli" tf_connect --timeout 30 --send held "$SRV4" "$TF_PORT" >"$TF_TMP/held" 2>&1 &
	tf_check_cmd "nothing held in 10 s" held_by "$srv"
	held=$(tf_stat "$srv" delay_held)
	sleep 1
	# Times without exec (tf_mono_ns): an exec of awk after the wait let
	# the clock leap to the next timer, 9 s on once (6.12).
	t0=$(tf_mono_ns)
	tf_check_cmd "flush with packets held" tcpfaultctl -n "$srv" rule flush
	wait $!
	t1=$(tf_mono_ns)
	out=$(cat "$TF_TMP/held")
	echo "# held $held, flushed: the client got \"$(sed -n 2p <<<"$out")\" $(( (t1 - t0) / 1000000 )) ms after the flush; delay_held $(tf_stat "$srv" delay_held)"
	tf_check_grep "the client's echo after the flush" '^held' "$(sed -n 2p <<<"$out")"
	tf_check_lt "ms from the flush to the echo" $(( (t1 - t0) / 1000000 )) 5000
	tf_check_eq "packets held after the flush" "$(tf_stat "$srv" delay_held)" 0

	# Held packets in a namespace that goes away.
	tf_check_cmd "the namespaces to delete" setup_ns tmpc tmps
	tf_check_cmd "the veth between them" tf_veth "$tmpc" 10.0.9.1 "$tmps" 10.0.9.2
	tf_check_cmd "their echo server" tf_listen_in "$tmps" 10.0.9.2 "$TF_PORT" --echo
	tf_check_cmd "their rule: delay 600000 refused" tcpfaultctl -n "$tmps" rule add dir out sport "$TF_PORT" stage data action delay 600000
	# The client waits for its echo: cleanup_ns kills it.
	nsenter --net="/run/netns/$tmpc" tf_connect --send x 10.0.9.2 "$TF_PORT" >/dev/null 2>&1 &
	tf_check_cmd "nothing held in the namespace to delete in 10 s" held_by "$tmps"
	held=$(tf_stat "$tmps" delay_held)
	tf_check_cmd "deleting namespaces with packets held" cleanup_ns "$tmpc" "$tmps"
	echo "# namespace deleted with $held packets held"

	# And at rmmod.
	tf_check_cmd "rule before rmmod: delay 600000 refused" tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage data action delay 600000
	nsenter --net="/run/netns/$cli" tf_connect --send x "$SRV4" "$TF_PORT" >/dev/null 2>&1 &
	client=$!
	tf_check_cmd "nothing held before rmmod in 10 s" held_by "$srv"
	held=$(tf_stat "$srv" delay_held)
	ko=$(tf_module_path)
	if rmmod tcpfault; then
		tf_check_cmd "insmod after the rmmod" insmod "$ko"
	else
		check_err 1 "rmmod with packets held failed"
	fi
	kill "$client" 2>/dev/null
	wait "$client" 2>/dev/null
	echo "# rmmod with $held packets held"
	sleep 1
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log" tf_dmesg_clean
	log_test "delay: a flush releases held packets at once; namespace deletion and rmmod free them, log clean"
}

# flags +R on the server's answer at the client's input: a reset.
test_flags()
{
	local f out c

	for f in $FAMILIES; do
		reset_all
		c=$(cli_ns "$f")
		tf_check_cmd "$f: rule: flags +R refused" tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action flags +R
		out=$(exchange "$f" hello)
		echo "# $f: $(tr '\n' ' ' <<<"$out"); $(tf_nsx "$c" cat /proc/net/tcpfault/events | awk '{ printf "%s %s ", $14, $NF }')"
		tf_check_grep "$f: the client's error" "Connection reset by peer" "$out"
		tf_check_ge "$f: flags events" "$(tf_count_events "$c" 'verdict flags')" 1
		# The server retransmits its answer, which the rule would turn
		# into RSTs nobody answers: without it the client's stack
		# answers with a RST, and the server's socket goes.
		reset_all
		srv_idle
	done
	log_test "flags +R on an answer: the receiving application sees a reset (IPv4, IPv6, ::1)"
}

# corrupt: the application reads changed bytes; TCP saw a valid checksum.
test_corrupt()
{
	local f out csum0 csum1 c

	for f in $FAMILIES; do
		reset_all
		c=$(cli_ns "$f")
		csum0=$(tf_nsx "$c" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }')
		tf_check_cmd "$f: rule: corrupt refused" tcpfaultctl -n "$c" rule add dir in sport "$TF_PORT" stage data action corrupt
		out=$(exchange "$f" hello | sed -n 2p | od -An -c | tr -s ' ')
		csum1=$(tf_nsx "$c" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }')
		echo "# $f: sent \"hello\", received:$out; TcpInCsumErrors +$((csum1 - csum0))"
		# The first byte inverted: 'h' (0150) became 0227.
		tf_check_eq "$f: bytes received (od)" "$out" " 227 e l l o"
		tf_check_eq "$f: TcpInCsumErrors" "$csum1" "$csum0"
		srv_idle
	done
	reset_all
	log_test "corrupt: the application receives changed bytes, no checksum error (IPv4, IPv6, ::1)"
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
	local f every a b c seed

	for f in $FAMILIES; do
		every=$(picked "$f" every 5)
		a=$(picked "$f" prob 30 seed 42)
		b=$(picked "$f" prob 30 seed 42)
		c=$(picked "$f" prob 30 seed 7)
		echo "# $f every 5: $(wc -w <<<"$every") picked; prob 30 seed 42: $(wc -w <<<"$a") picked, again: $(wc -w <<<"$b"), seed 7: $(wc -w <<<"$c")"
		# Answers are 3 bytes apart at most ("40\n"): every 5th of 40.
		tf_check_eq "$f: every 5: packets picked" "$(wc -w <<<"$every")" 8
		tf_check_ne "$f: prob 30 seed 42: packets picked" "$a" ""
		tf_check_eq "$f: prob 30 seed 42 twice: the second picks" "$b" "$a"
		tf_check_ne "$f: prob 30 seed 7: packets picked (those of seed 42)" "$c" "$a"
		tf_check_ge "$f: prob 30 of 40: packets picked" "$(wc -w <<<"$a")" 4
		tf_check_le "$f: prob 30 of 40: packets picked" "$(wc -w <<<"$a")" 20
	done
	# Without a seed the kernel picks one, and the listing shows it.
	reset_all
	tf_check_cmd "rule: prob 50 without a seed refused" tcpfaultctl -n "$cli" rule add dir in sport "$TF_PORT" stage data action log prob 50
	seed=$(tcpfaultctl -n "$cli" rule list | sed -n 's/.* seed \([0-9]*\).*/\1/p')
	echo "# prob 50 without a seed: listed as seed $seed"
	tf_check_ne "prob 50 without a seed: listed seed" "$seed" ""
	reset_all
	log_test "every 5 picks every fifth packet; prob 30 with one seed picks the same packets twice, another seed others (IPv4, IPv6, ::1)"
}

tf_require ss nstat
TF_TMP=$(mktemp -d)
tf_run_tests
