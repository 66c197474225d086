#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The passive SYN-ACK schedule: the client's handshake never completes, so
# the server's request socket retransmits its SYN-ACK per
# tcp_synack_retries (default 5: after 1, 2, 4, 8, 16 s), waits one more
# timer (32 s) and is dropped. Every gap and the drop must fall in the
# model's window (tcpfaultctl timeline --model synack, and `ss` in the
# server's namespace for the request socket), on the running kernel.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   +----------------------+        | :8080, :8081 syncnt 3|
#                                   +----------------------+
#   cli: dir out dport P stage syn action drop skip 1  (SYN retransmissions)
#        dir in  sport P stage synack action drop       (SYN-ACK lost)
#   srv: dir out sport P stage synack action log        (the timestamps)
#
# Cases: default retries; tcp_synack_retries=2; TCP_SYNCNT=3 on the
# listener; the SYN-ACK dropped at the server's own egress instead (loss must
# look like loss: with NF_DROP the failed retransmission would kill the
# request after two SYN-ACKs); and a retransmitted SYN that the server
# answers at once, restarting its timer without consuming a retry.
#
# Meant for a guest with a virtual clock (scripts/run-in-vm --clock
# virtual): the default cases wait ~64 s of guest time each.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_default
	test_retries_2
	test_listener_syncnt_3
	test_egress_default
	test_syn_restarts_timer
"

CLI_ADDR=10.0.1.1
SRV_ADDR=10.0.1.2
SYNCNT_PORT=8081
CONNECTS=()

setup()
{
	setup_ns cli srv || return 1
	tf_veth "$cli" "$CLI_ADDR" "$srv" "$SRV_ADDR" || return 1
	tf_listen_in "$srv" "$SRV_ADDR" "$TF_PORT" || return 1
	tf_listen_in "$srv" "$SRV_ADDR" "$SYNCNT_PORT" --syncnt 3 || return 1
	# Load what the polls run into the page cache now: while the guest
	# waits on its 9p root the virtual clock leaps ahead (to the next
	# timer), which would blur the measured drop of a request socket.
	tf_nsx "$srv" bash -c 'ss -Htan state syn-recv | wc -l; sleep 0.01; nstat -az TcpExtTCPTimeouts' >/dev/null
}

cleanup()
{
	tf_stop "${CONNECTS[@]}"
	cleanup_all_ns
}

# tf_nsx NS CMD...: CMD in NS's network namespace only (lighter than ip netns
# exec under TCG: no mount namespace, no sysfs remount; /proc/net follows).
# stop_client PID: end the background connect() (PID is the shell around
# it: the client itself is killed through the namespace's process list) and
# wait until its SYN-SENT socket is gone, so no SYN of it can reach a later
# case's fresh rules, whose per-flow "skip" counts start again at zero.
stop_client()
{
	ip netns pids "$cli" | xargs -r kill 2>/dev/null
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	slowwait 10 tf_ss_count_is "$cli" 0 state syn-sent ||
		echo "# client socket still in SYN-SENT"
}

tcp_timeouts()
{
	tf_nsx "$1" nstat -az TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" { print $2 }'
}

# SYN-ACK events of NS as "ts" lines, oldest first.
synack_ts()
{
	tf_nsx "$1" cat /proc/net/tcpfault/events | awk '/ flags SA / { print $2 }'
}

# model_field NAME [MODEL_ARGS...]: giveup lo/hi (ns) from the model text.
model_giveup()
{
	tcpfaultctl model synack --kernel "$TF_RELEASE" "$@" |
		sed -n 's/^request socket dropped after \[\([0-9.]*\), \([0-9.]*\)\].*/\1 \2/p' |
		awk '{ printf "%d %d", $1 * 1e9, $2 * 1e9 }'
}

# wait_reqsk_gone NS PORT T0 LO HI: poll the server's SYN-RECV sockets for
# local port PORT until none is left; the drop must fall in [T0 + LO,
# T0 + HI] (ns). Sleeps until shortly before the window (idle guest time is
# free under the virtual clock), polls inside it. Prints a diagnostic.
wait_reqsk_gone()
{
	local ns=$1 port=$2 t0=$3 lo=$4 hi=$5 out seen gone

	# /proc/uptime is CLOCK_BOOTTIME, = CLOCK_MONOTONIC (a guest never
	# suspends), truncated to 10 ms. One shell in the namespace, started
	# before the sleep: each poll is
	# then only ss (bash reads /proc/uptime itself).
	# shellcheck disable=SC2016
	out=$(tf_nsx "$ns" bash -c '
		now() { local u; read -r u _ </proc/uptime; echo $(( ${u%.*} * 1000000000 + 10#${u#*.} * 10000000 )); }
		n=$(now)
		[ "$2" -le "$n" ] || sleep "$(( ($2 - n) / 1000000000 )).$(printf %09d $(( ($2 - n) % 1000000000 )))"
		seen=0
		while :; do
			b=$(now)
			n=$(ss -Htan state syn-recv "( sport = :$1 )" | wc -l)
			e=$(now)
			if [ "$n" -eq 0 ]; then echo "$seen $e"; exit 0; fi
			seen=$b
			[ "$e" -lt "$3" ] || { echo "$seen -1"; exit 1; }
			sleep 0.2
		done' - "$port" $((t0 + lo - 300000000)) $((t0 + hi + 10000000000)))
	seen=${out% *}
	gone=${out#* }
	# not polled alive (the sleep overshot): alive at its last SYN-ACK
	[ "$seen" -gt 0 ] || seen=$(synack_ts "$ns" | tail -n1)
	echo "# request socket: alive at $(awk -v a="$seen" -v t="$t0" 'BEGIN { printf "%.3f", (a - t) / 1e9 }') s," \
	     "gone by $(awk -v a="$gone" -v t="$t0" 'BEGIN { printf "%.3f", (a - t) / 1e9 }') s" \
	     "after the first SYN-ACK; model: dropped in" \
	     "[$(awk -v l="$lo" -v h="$hi" 'BEGIN { printf "%.3f, %.3f", l / 1e9, h / 1e9 }')] s"
	[ "$gone" -gt 0 ] && [ $((seen - t0)) -le "$hi" ] && [ $((gone + 10000000 - t0)) -ge "$lo" ]
}

# free_running DESC PORT WHERE [MODEL_ARGS...]: one connect() whose SYN
# retransmissions and SYN-ACKs are all lost; WHERE = "cli" (SYN-ACK dropped
# at the client's ingress, logged at the server's egress) or "srv" (dropped
# at the server's egress). The server's SYN-ACKs and the request's drop must
# follow the model.
free_running()
{
	local desc=$1 port=$2 where=$3 pid first last n want lo hi to0 to1 gaps sa

	shift 3
	if ! tf_reset "$cli" || ! tf_reset "$srv"; then check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; fi
	tcpfaultctl -n "$cli" rule add dir out dport "$port" stage syn action drop skip 1
	if [ "$where" = cli ]; then
		tcpfaultctl -n "$cli" rule add dir in sport "$port" stage synack action drop
		tcpfaultctl -n "$srv" rule add dir out sport "$port" stage synack action log
	else
		tcpfaultctl -n "$srv" rule add dir out sport "$port" stage synack action drop
	fi
	to0=$(tcp_timeouts "$srv")
	tf_nsx "$cli" tf_connect --timeout 900 "$SRV_ADDR" "$port" >/dev/null 2>&1 &
	pid=$!
	CONNECTS+=("$pid")
	if ! slowwait 60 tf_nsx "$srv" grep -q ' flags SA ' /proc/net/tcpfault/events; then
		check_err 1 "no SYN-ACK event in 60 s"
		stop_client "$pid"
		log_test "$desc"
		return
	fi
	# No more SYNs from the client: its retransmissions are dropped
	# (skip 1) and now its socket goes (closing in SYN-SENT sends nothing).
	# That also leaves no far-off client timers for the virtual clock to
	# leap to while the guest waits on 9p, which would blur the drop's time.
	stop_client "$pid"
	first=$(synack_ts "$srv" | head -n1)
	read -r lo hi <<<"$(model_giveup "$@")"
	tf_check_cmd "request socket dropped in the model's window" wait_reqsk_gone "$srv" "$port" "$first" "$lo" "$hi"
	to1=$(tcp_timeouts "$srv")

	want=$(tcpfaultctl model synack --kernel "$TF_RELEASE" "$@" | sed -n 's/.*SYN-ACKs \([0-9]*\)$/\1/p')
	sa=$(synack_ts "$srv")
	n=$(wc -l <<<"$sa")
	last=$(tail -n1 <<<"$sa")
	gaps=$(awk '{ if (NR > 1) printf " %.3f", ($1 - p) / 1e9; p = $1 }' <<<"$sa")
	echo "# measured ($where): SYN-ACK gaps$gaps s; $n SYN-ACKs (model $want);" \
	     "TCPTimeouts +$((to1 - to0)) (model $want: one per retransmission and the drop)"
	tf_check_eq "SYN-ACKs (tcpfaultctl model synack)" "$n" "$want"
	tf_check_eq "TCPTimeouts rise (one per retransmission and the drop)" $((to1 - to0)) "$want"
	tf_check_timeline "gaps against the model" "$srv" --model synack --kernel "$TF_RELEASE" "$@"
	tf_check_ne "the last SYN-ACK event" "$last" ""
	tf_reset "$cli"
	tf_reset "$srv"
	log_test "$desc"
}

test_default()
{
	local r

	r=$(tf_nsx "$srv" sysctl -n net.ipv4.tcp_synack_retries)
	[ "$r" = 5 ] || echo "# tcp_synack_retries default is $r, not 5"
	free_running "SYN-ACK lost at cli ingress, default tcp_synack_retries: 6 SYN-ACKs, request dropped on schedule" \
		"$TF_PORT" cli "tcp_synack_retries=$r"
}

test_retries_2()
{
	tf_sysctl "$srv" net.ipv4.tcp_synack_retries 2
	free_running "SYN-ACK lost, tcp_synack_retries=2: 3 SYN-ACKs, request dropped on schedule" \
		"$TF_PORT" cli tcp_synack_retries=2
	tf_sysctl "$srv" net.ipv4.tcp_synack_retries 5
}

test_listener_syncnt_3()
{
	free_running "SYN-ACK lost, TCP_SYNCNT=3 on the listener (tcp_synack_retries=5): 4 SYN-ACKs, dropped on schedule" \
		"$SYNCNT_PORT" cli tcp_synack_retries=5 syncnt=3
}

# Loss must look like loss: consumed at the server's egress, the SYN-ACK's
# retransmission "succeeds" and the request lives its full schedule.
test_egress_default()
{
	free_running "SYN-ACK dropped at srv egress, default tcp_synack_retries: same schedule as at cli ingress" \
		"$TF_PORT" srv tcp_synack_retries=5
}

# A retransmitted SYN is answered at once and restarts the timer for the
# current backoff (num_timeout unchanged). The client's first SYN is lost, so
# its retransmissions (tcp_syn_retries=3, exponential: after 1, 2, 4 s) fall
# between the server's timer SYN-ACKs:
#   server: SYN 0: SA (answer); timer SA 1; SYN 2: SA (answer), timer
#   restarted for 2 s: SA 4 (not 3); timer 4 s; SYN 6: SA (answer), timer
#   restarted for 4 s: SA 10 (not 8).
test_syn_restarts_timer()
{
	local desc="retransmitted SYN: answered at once, the timer restarts (SYN-ACK timer gaps per num_timeout)"
	local out windows res

	if ! tf_reset "$cli" || ! tf_reset "$srv"; then check_err 1 "tcpfaultctl rule flush or events --clear failed"; log_test "$desc"; return; fi
	tf_sysctl "$cli" net.ipv4.tcp_syn_retries 3
	if [ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ]; then
		tf_sysctl "$cli" net.ipv4.tcp_syn_linear_timeouts 0
	fi
	tcpfaultctl -n "$cli" rule add dir out dport "$TF_PORT" stage syn action drop count 1
	tcpfaultctl -n "$cli" rule add dir in sport "$TF_PORT" stage synack action drop
	tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage syn action log
	tcpfaultctl -n "$srv" rule add dir out sport "$TF_PORT" stage synack action log
	out=$(tf_nsx "$cli" tf_connect --timeout 900 "$SRV_ADDR" "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	[ "$(tf_field "$out" errno)" = ETIMEDOUT ] || check_err 1 "connect(): expected ETIMEDOUT"

	windows=$(tcpfaultctl model synack --kernel "$TF_RELEASE" |
		  awk '$1 ~ /^[0-9]+$/ && NF >= 6 { gsub(/[\[\],]/, "", $4); gsub(/[\[\],]/, "", $5); printf "%s %s ", $4, $5 }')
	# Events in time order: an SA within 10 ms of a SYN is its answer; any
	# other SA is the timer's, its gap from the previous SA within
	# step[num_timeout] of the model, and num_timeout grows by one.
	res=$(tf_nsx "$srv" cat /proc/net/tcpfault/events | awk -v w="$windows" '
		BEGIN { nw = split(w, W, " "); k = 0; bad = 0; answers = 0; timers = 0; line = "" }
		!t0 { t0 = $2 }
		/ flags S / { syn = $2; nsyn++; line = line sprintf(" SYN@%.3f", ($2 - t0) / 1e9); next }
		/ flags SA / {
			if (syn && $2 - syn < 10000000) {
				answers++
				line = line sprintf(" SA@%.3f(answer +%.1fms)", ($2 - t0) / 1e9, ($2 - syn) / 1e6)
			} else {
				g = ($2 - prev) / 1e9; lo = W[2 * k + 1]; hi = W[2 * k + 2]
				ok = (g >= lo && g <= hi)
				if (!ok) bad++
				line = line sprintf(" SA@%.3f(timer, gap %.3f in [%s, %s] %s)", ($2 - t0) / 1e9, g, lo, hi, ok ? "ok" : "FAIL")
				k++; timers++
			}
			syn = 0; prev = $2
		}
		END { printf "%d %d %d %d%s", nsyn, answers, timers, bad, line }')
	read -r nsyn answers timers bad rest <<<"$res"
	echo "# measured:$rest" | fold -w 200 | sed '2,$s/^/# /'
	echo "# $nsyn SYNs reached srv, $answers answered at once, $timers timer SYN-ACKs, $bad outside their window"
	# SYNs at 0, 2, 6 s (client's 1, 3, 7) all answered; timer SAs at 1, 4, 10 (+ 18 if late)
	tf_check_ge "SYNs that reached srv" "$nsyn" 3
	tf_check_eq "SYNs answered at once" "$answers" "$nsyn"
	tf_check_ge "timer SYN-ACKs" "$timers" 3
	tf_check_eq "timer SYN-ACKs outside their window" "$bad" 0
	tf_sysctl "$cli" net.ipv4.tcp_syn_retries 6
	if [ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ]; then
		tf_sysctl "$cli" net.ipv4.tcp_syn_linear_timeouts 4
	fi
	tf_reset "$cli"
	tf_reset "$srv"
	log_test "$desc"
}

tf_require
tf_run_tests
