#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn: for CHURN_SECONDS of guest time, rules are added and deleted
# continuously (hundreds a second) while iperf3 runs through rules that
# match it (log, delay of a few ms, window) and rules that do not;
# namespaces with rules are made and deleted; packets are held by delay
# rules; rmmod is tried mid-way (it succeeds, and the module is loaded
# again, or it fails with EBUSY). Afterwards: iperf3 finished, the counters
# add up (matched >= the actions' sum = events = held + lost, hits >= acted
# per rule), a flush leaves no held packet, the module unloads, the kernel
# log is clean.
#
#   cli                                 srv
#   +---------------------+   veth   +------------------------+
#   | iperf3 -c 10.0.2.2  |----------| 10.0.2.2  iperf3 -s    |
#   | 10.0.2.1            |          | rules churned (5201:   |
#   | rules churned       |          |  log/delay/window;     |
#   +---------------------+          |  other ports: drop)    |
#                                    +------------------------+
#   tmpN: namespaces made with rules and deleted, over and over.
#
# Paced with sleeps, so it costs about the same under --clock virtual
# (idle guest time is free) and --clock real --smp 1.
# TCPFAULT_CHURN_SECONDS: how long (default 60).

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_churn
	test_counters
	test_flush_releases
	test_unload
	test_kernel_log
"

SECS=${TCPFAULT_CHURN_SECONDS:-60}
SRV_ADDR=10.0.2.2
PORT=5201
TMP=
KO=
PIDS=()
IPERF_SRV=
IPERF_CLI=

setup()
{
	KO=$(tf_module_path)
	[ -n "$KO" ] || return 1
	setup_ns cli srv || return 1
	tf_veth "$cli" 10.0.2.1 "$srv" "$SRV_ADDR" || return 1
	TMP=$(mktemp -d /tmp/tf_churn.XXXXXX) || return 1
	tf_dmesg_mark
	TF_DMESG_START=$TF_DMESG_LINES
}

cleanup()
{
	# shellcheck disable=SC2086 # empty when not started
	tf_stop "${PIDS[@]}" $IPERF_CLI $IPERF_SRV
	cleanup_all_ns
	ip netns list 2>/dev/null | awk '/^tf_churn_/ { print $1 }' |
		while read -r n; do ip netns del "$n"; done
	[ -d /sys/module/tcpfault ] || insmod "$KO"
	[ -z "$TMP" ] || rm -rf "$TMP"
}

# now_s: guest seconds (CLOCK_MONOTONIC), without exec.
now_s()
{
	local up

	read -r up _ </proc/uptime
	echo "${up%.*}"
}

# churn_rules NS LOG: until $TMP/stop exists, add and delete rules in NS
# through one open file, reopened when a reload took the old one away:
# ids 1-50 cycle through matching rules (log, delay, window on port 5201)
# and non-matching ones (other ports, other addresses). Counts in LOG.
churn_rules()
{
	local ns=$1 log=$2 i=0 id ok=0 refused=0 reopen=0 line fd

	exec {fd}>"/proc/$3/net/tcpfault/rules" || return 1
	while [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		id=$((i % 50 + 1))
		case $((i % 6)) in
		0) line="add id $id dport $PORT stage data action log" ;;
		1) line="add id $id port $PORT stage data action delay $((i % 3 + 1)) prob 20" ;;
		2) line="add id $id dir in sport $PORT stage ack action window 65535" ;;
		3) line="add id $id dport $((1000 + i % 500)) action drop" ;;
		4) line="add id $id saddr 192.0.2.0/24 action drop" ;;
		5) line="add id $id family ipv6 dport $PORT action reset" ;;
		esac
		# A rule of that id may still be there from the last round.
		if printf '%s\n' "del $id" 1>&"$fd" 2>/dev/null; then :; fi
		if printf '%s\n' "$line" 1>&"$fd" 2>/dev/null; then
			ok=$((ok + 1))
		elif [ ! -e "/proc/$3/net/tcpfault/rules" ] || ! printf '\n' 1>&"$fd" 2>/dev/null; then
			# The module went away under the open file.
			exec {fd}>&-
			slowwait 30 test -e "/proc/$3/net/tcpfault/rules" || break
			exec {fd}>"/proc/$3/net/tcpfault/rules" || break
			reopen=$((reopen + 1))
		else
			refused=$((refused + 1))
		fi
		# Every 20 rounds, a batch of five rules and their removal.
		if ((i % 20 == 0)); then
			printf -v line 'add id %d dport %d action log\n' \
				201 7001 202 7002 203 7003 204 7004 205 7005
			printf '%s' "$line" 1>&"$fd" 2>/dev/null
			printf '%s' $'del 201\ndel 202\ndel 203\ndel 204\ndel 205\n' 1>&"$fd" 2>/dev/null
		fi
		# At most about 200 rounds (400 writes) a second: the guest's
		# one vCPU is shared with iperf3.
		((i % 4)) || tf_nap 0.02
	done
	exec {fd}>&-
	echo "$ns: $i rounds, $ok adds, $refused refused, $reopen reopened" >"$log"
}

# Namespaces with rules, made and deleted while the rest runs.
churn_netns()
{
	local n=0 name

	while [ ! -e "$TMP/stop" ]; do
		n=$((n + 1))
		name=tf_churn_$n
		ip netns add "$name" || break
		ip -n "$name" link set lo up
		printf 'add dport 9 action drop\nadd port 5201 stage data action delay 2\nadd stage syn action log\n' |
			ip netns exec "$name" dd of=/proc/net/tcpfault/rules status=none 2>/dev/null
		ip netns exec "$name" tf_connect --timeout 1 127.0.0.1 9 >/dev/null 2>&1
		ip netns del "$name"
		tf_nap 1
	done
	echo "$n namespaces made and deleted" >"$TMP/netns.log"
}

# A process in each namespace, whose /proc/PID/net the churners use.
ns_holder()
{
	nsenter --net="/run/netns/$1" sleep 1d &
	PIDS+=($!)
	slowwait 10 tf_pid_in_netns "$!" "$1"
}

test_churn()
{
	local start end holder_cli holder_srv rm_out rm_st reloads=0 busy=0 st

	tf_check_cmd "a process in cli (in 10 s)" ns_holder "$cli"
	holder_cli=${PIDS[-1]}
	tf_check_cmd "a process in srv (in 10 s)" ns_holder "$srv"
	holder_srv=${PIDS[-1]}
	ip netns exec "$srv" iperf3 -s -1 -B "$SRV_ADDR" >"$TMP/iperf-srv" 2>&1 &
	IPERF_SRV=$!
	if ! slowwait 30 tf_ss_has "$srv" state listening "( sport = :$PORT )"; then
		check_err 1 "the iperf3 server did not listen in 30 s"
		log_test "$SECS s of rule churn under iperf3, namespaces made and deleted, rmmod mid-way"
		return
	fi

	start=$(now_s)
	# 10 Mbit/s: enough packets through the rules, and a vCPU left for
	# the churn under TCG.
	ip netns exec "$cli" iperf3 -c "$SRV_ADDR" -t "$SECS" -b 10M -i 0 -J \
		>"$TMP/iperf-cli" 2>&1 &
	IPERF_CLI=$!
	churn_rules "$srv" "$TMP/srv.log" "$holder_srv" &
	PIDS+=($!)
	churn_rules "$cli" "$TMP/cli.log" "$holder_cli" &
	PIDS+=($!)
	churn_netns &
	PIDS+=($!)

	# Mid-way, with files open and packets held: rmmod, and load again.
	tf_nap $((SECS / 2))
	rm_out=$(rmmod tcpfault 2>&1)
	rm_st=$?
	if [ "$rm_st" = 0 ]; then
		reloads=1
		insmod "$KO" || check_err 1 "insmod after rmmod failed"
	elif [[ $rm_out == *"in use"* || $rm_out == *"busy"* ]]; then
		busy=1
	else
		check_err 1 "rmmod mid-way: $rm_out"
	fi
	echo "# rmmod mid-way: ${rm_out:-succeeded}; reloaded $reloads"

	wait "$IPERF_CLI"
	st=$?
	IPERF_CLI=
	end=$(now_s)
	touch "$TMP/stop"
	wait "${PIDS[2]}" "${PIDS[3]}" "${PIDS[4]}"
	cat "$TMP/srv.log" "$TMP/cli.log" "$TMP/netns.log" 2>/dev/null | tf_diag
	echo "# iperf3: exit $st, $((end - start)) s, $(awk -F'[:,]' '/"bits_per_second"/ { v = $2 } END { printf "%.1f Mbit/s", v / 1e6 }' "$TMP/iperf-cli")"
	[ "$st" = 0 ] || tail -n 5 "$TMP/iperf-cli" | tf_diag
	tf_check_eq "iperf3's exit status" "$st" 0
	# Hundreds of rule changes a second (a round: a del and an add), in
	# each namespace.
	for f in "$TMP/srv.log" "$TMP/cli.log"; do
		n=$(awk '{ print $2 }' "$f" 2>/dev/null)
		tf_check_ge "rounds of rule changes in $f" "${n:-0}" $((SECS * 50))
	done
	tf_check_eq "rmmod mid-way: reloaded or busy" $((busy + reloads)) 1
	log_test "$SECS s of rule churn under iperf3, namespaces made and deleted, rmmod mid-way"
}

test_counters()
{
	local ns s

	for ns in "$srv" "$cli"; do
		s=$(tf_nsx "$ns" cat /proc/net/tcpfault/stats)
		echo "# $(echo $s)"
		# A packet can match several rules (log passes it on); each
		# action is one event; the ring holds or lost every event.
		awk '{ v[$1] = $2 }
		     END { a = 0; for (k in v) if (k ~ /^action_/) a += v[k]
			   exit !(v["seen"] > 0 && v["matched"] >= a && a > 0 &&
				  v["events"] == a &&
				  v["events_held"] + v["events_lost"] == v["events"]) }' <<<"$s" ||
			check_err 1 "counters do not add up in $ns"
		tf_nsx "$ns" cat /proc/net/tcpfault/rules |
			awk '{ for (i = 1; i < NF; i++) { if ($i == "hits") h = $(i + 1); if ($i == "acted") a = $(i + 1) }
			       if (a > h) bad++ } END { exit bad > 0 }' ||
			check_err 1 "a rule acted more often than it matched in $ns"
	done
	log_test "counters add up: matched >= actions = events = held + lost, hits >= acted"
}

test_flush_releases()
{
	local ns

	for ns in "$srv" "$cli"; do
		tf_check_cmd "$ns: flush" tcpfaultctl -n "$ns" rule flush
		slowwait 5 tf_stat_is "$ns" delay_held 0 ||
			check_err 1 "$ns: delay_held $(tf_stat "$ns" delay_held) after flush"
		tf_check_eq "$ns: rules after the flush" "$(tf_stat "$ns" rules)" 0
	done
	log_test "a flush releases every held packet"
}

test_unload()
{
	# Nothing may hold the module once the namespaces are idle.
	kill "${PIDS[0]}" "${PIDS[1]}" 2>/dev/null
	wait "${PIDS[0]}" "${PIDS[1]}" 2>/dev/null
	tf_check_cmd "rmmod after the churn" rmmod tcpfault
	tf_check_cmd "insmod after it" insmod "$KO"
	log_test "after the churn the module unloads and loads"
}

test_kernel_log()
{
	TF_DMESG_LINES=$TF_DMESG_START
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log since the start" tf_dmesg_clean
	log_test "no WARNING/BUG/Oops/leak in the kernel log"
}

tf_require iperf3 ss nsenter
tf_run_tests
