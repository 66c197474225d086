#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's life cycle and its control files: load/unload under traffic
# with rules present, hooks only where rules are, per-netns rule tables,
# netns deletion and rmmod with rules in place, privileges, bad input, the
# event ring.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   +----------------------+        | :8080 (echo)         |
#                                   +----------------------+
#   ns1, ns2, ns3: empty namespaces, one rule table each.
#
# Reloads the module (it must not be in use by anything else); leaves it
# loaded as it found it.

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_load_unload
	test_hooks_follow_rules
	test_rules_separate
	test_netns_delete
	test_rmmod_with_rules
	test_unprivileged
	test_userns_own_netns
	test_bad_line
	test_bad_keyword_place
	test_bad_ids
	test_events_clear
	test_event_ring
	test_follow_behind
	test_kernel_log
"

LOOPS=${TCPFAULT_LIFECYCLE_LOOPS:-50}
SRV_ADDR=10.0.1.2
RULES=/proc/net/tcpfault/rules
KO=
WAS_LOADED=0
TRAFFIC_PID=

setup()
{
	echo "# module $KO"
	[ "$WAS_LOADED" = 1 ] || load || return 1
	setup_ns cli srv ns1 ns2 ns3 || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" "$SRV_ADDR" || return 1
	tf_listen_in "$srv" "$SRV_ADDR" "$TF_PORT" --echo || return 1
	tf_dmesg_mark
	TF_DMESG_START=$TF_DMESG_LINES
}

cleanup()
{
	traffic_stop
	cleanup_all_ns
	# test_event_ring's module, if test_follow_behind did not run after it.
	if [ "$(cat /sys/module/tcpfault/parameters/event_ring 2>/dev/null)" = 16 ]; then
		unload
		load
	fi
	if [ "$WAS_LOADED" = 1 ] && [ ! -d /sys/module/tcpfault ]; then
		insmod "$KO"
	elif [ "$WAS_LOADED" = 0 ] && [ -d /sys/module/tcpfault ]; then
		rmmod tcpfault
	fi
	rm -f "$KO_LOAD"
}

load()
{
	insmod "$KO_LOAD" "$@"
}

unload()
{
	[ ! -d /sys/module/tcpfault ] || rmmod tcpfault
}

# A little traffic: short connections from cli to srv, one every 20 ms
# (idle time is free under the virtual clock; the vCPU is not).
traffic_start()
{
	ip netns exec "$cli" sh -c "while :; do
		tf_connect --timeout 5 --send x $SRV_ADDR $TF_PORT >/dev/null 2>&1
		sleep 0.02
	done" &
	TRAFFIC_PID=$!
}

traffic_stop()
{
	if [ -n "$TRAFFIC_PID" ]; then
		kill "$TRAFFIC_PID" 2>/dev/null
		wait "$TRAFFIC_PID" 2>/dev/null
		TRAFFIC_PID=
	fi
}

# write NS TEXT: TEXT to NS's rules file in one write(2); prints the error.
write_rules()
{
	printf '%s' "$2" | ip netns exec "$1" dd of=$RULES bs=65536 status=none 2>&1
	return "${PIPESTATUS[1]}"
}

rules_of()
{
	ip netns exec "$1" cat $RULES
}

test_load_unload()
{
	local i

	tf_check_cmd "rmmod before the loop" unload
	traffic_start
	for ((i = 1; i <= LOOPS; i++)); do
		if ! load; then
			check_err 1 "insmod failed at iteration $i"
			break
		fi
		# Every other time, rules are in place (and acting) when it goes.
		if ((i % 2)); then
			tcpfaultctl -n "$srv" rule add dport "$TF_PORT" action log >/dev/null &&
			tcpfaultctl -n "$cli" rule add dir out dport "$TF_PORT" stage fin action log \
				>/dev/null &&
			tcpfaultctl rule add dport 9 action drop >/dev/null
			check_err $? "iteration $i: rules in srv, cli, init refused"
		fi
		if ! rmmod tcpfault; then
			check_err 1 "rmmod failed at iteration $i"
			break
		fi
	done
	traffic_stop
	tf_check_cmd "insmod after the loop" load
	echo "# $((i - 1)) insmod/rmmod cycles, under traffic, rules in place every other time"
	log_test "insmod/rmmod $LOOPS times under traffic"
}

# hooks_of NS: tcpfault's netfilter hooks in NS, "FAMILY HOOK" per line.
hooks_of()
{
	ip netns exec "$1" nft list hooks | awk '
		$1 == "family" { family = $2 }
		$1 == "hook" { hook = $2 }
		/ tf_hook / { print family, hook }' | sort | paste -sd ' ' -
}

# check_hooks NS WHEN WANT: a check that NS has exactly the hooks WANT
# (hooks_of form).
check_hooks()
{
	local got

	got=$(hooks_of "$1")
	echo "# $2: ${got:-no hooks}"
	tf_check_eq "$2: hooks" "$got" "$3"
}

# A namespace without rules has no hook of ours; one with rules has them
# only in the directions its rules can match.
test_hooks_follow_rules()
{
	local all

	if ! command -v nft >/dev/null; then
		ktap_test_skip "hooks only where rules are (nft not found)"
		return
	fi
	# Debian's 6.1 is built without it: there nft lists no hooks at all.
	if ! modprobe -q nfnetlink_hook; then
		ktap_test_skip "hooks only where rules are (nft list hooks needs nfnetlink_hook, CONFIG_NETFILTER_NETLINK_HOOK)"
		return
	fi
	all="ip forward ip input ip output ip6 forward ip6 input ip6 output"
	check_hooks "$ns3" "no rules" ""
	tf_check_cmd "rule 1 (dir in)" tcpfaultctl -n "$ns3" rule add id 1 dir in dport 9 stage syn action drop
	check_hooks "$ns3" "a dir in rule" "ip input ip6 input"
	tf_check_cmd "rule 2 (no dir)" tcpfaultctl -n "$ns3" rule add id 2 sport 9 action log
	check_hooks "$ns3" "and one without dir" "$all"
	tf_check_cmd "del 2" tcpfaultctl -n "$ns3" rule del 2
	check_hooks "$ns3" "rule 2 deleted" "ip input ip6 input"
	tf_check_cmd "rule 3 (dir out idle)" tcpfaultctl -n "$ns3" rule add id 3 dir out idle 1000 action log
	check_hooks "$ns3" "a timed rule (it follows its flows at every hook)" "$all"
	tf_check_cmd "flush" tcpfaultctl -n "$ns3" rule flush
	check_hooks "$ns3" "flushed" ""
	log_test "hooks only where rules are, as nft list hooks shows"
}

test_rules_separate()
{
	local ns n want got

	n=1
	for ns in "$ns1" "$ns2" "$ns3"; do
		tcpfaultctl -n "$ns" rule add id "$n" dport "100$n" stage syn action drop &&
		tcpfaultctl -n "$ns" rule add id "$((n + 10))" family ipv6 sport "200$n" action log
		check_err $? "ns$n: its two rules refused"
		n=$((n + 1))
	done
	n=1
	for ns in "$ns1" "$ns2" "$ns3"; do
		got=$(rules_of "$ns" | sed 's/ *#.*//')
		want="add id $n dport 100$n stage syn action drop
add id $((n + 10)) family ipv6 sport 200$n action log"
		tf_check_eq "ns$n: rules read back" "$got" "$want"
		n=$((n + 1))
	done
	tf_check_eq "rules in srv and the init netns (leaked)" "$(rules_of "$srv")$(cat $RULES)" ""
	log_test "rules in three namespaces stay separate"
}

test_netns_delete()
{
	local out

	tf_dmesg_mark
	# Rules that act, flows and events in both namespaces, then delete them
	# under the module.
	tcpfaultctl -n "$srv" rule add dport "$TF_PORT" action log &&
	tcpfaultctl -n "$cli" rule add dport "$TF_PORT" action log
	check_err $? "rules: log in srv and cli refused"
	out=$(ip netns exec "$cli" tf_connect --timeout 5 --send hello "$SRV_ADDR" "$TF_PORT")
	tf_check_eq "a connection through the rules: errno" "$(tf_field "$out" errno)" 0
	tf_check_gt "events in srv" "$(tf_count_events "$srv")" 0
	tf_check_cmd "deleting the namespaces" cleanup_ns "$ns1" "$ns2"
	# Let the netns cleanup work run.
	slowwait 10 tf_netns_gone "$ns1"
	check_err $? "$ns1 still listed 10 s after its deletion"
	sleep 1
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log" tf_dmesg_clean
	log_test "deleting namespaces that hold rules, flows and events: clean kernel log"
}

test_rmmod_with_rules()
{
	tf_dmesg_mark
	tf_check_cmd "a rule in the init netns" tcpfaultctl rule add dport 7 action drop
	tf_check_ne "rules in srv" "$(rules_of "$srv")" ""
	tf_check_ne "rules in ns3" "$(rules_of "$ns3")" ""
	traffic_start
	sleep 1
	rmmod tcpfault || check_err 1 "rmmod failed"
	traffic_stop
	tf_check_cmd "insmod after the rmmod" load
	# A fresh module starts with empty tables everywhere.
	tf_check_eq "rules after the reload (srv, ns3, init)" "$(rules_of "$srv")$(rules_of "$ns3")$(cat $RULES)" ""
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log" tf_dmesg_clean
	log_test "rmmod with rules in three namespaces under traffic: clean kernel log"
}

test_unprivileged()
{
	local out before

	tcpfaultctl rule add id 5 dport 5 action drop
	before=$(cat $RULES)

	# Another user: the files' modes keep it out.
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "echo 'add dport 80 action drop' > $RULES" 2>&1)
	check_fail $? "nobody wrote the rules"
	echo "# nobody writes rules: ${out:-succeeded}"
	tf_check_grep "nobody writes rules: the error" 'Permission denied' "$out"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/tcpfault/events 2>&1)
	check_fail $? "nobody read the events"
	echo "# nobody reads events: ${out:-succeeded}"
	tf_check_grep "nobody reads events: the error" 'Permission denied' "$out"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/tcpfault/stats 2>&1) ||
		check_err 1 "nobody cannot read stats (0444): $out"

	# Root without CAP_NET_ADMIN: the module refuses (dd shows the errno).
	out=$(echo 'add dport 80 action drop' | setpriv --inh-caps=-net_admin \
		--bounding-set=-net_admin dd of=$RULES status=none 2>&1)
	check_fail $? "uid 0 without CAP_NET_ADMIN wrote the rules"
	echo "# uid 0 without CAP_NET_ADMIN writes rules: ${out:-succeeded}"
	tf_check_grep "uid 0 without CAP_NET_ADMIN writes rules: the error" 'Operation not permitted' "$out"
	out=$(echo clear | setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
		dd of=/proc/net/tcpfault/events status=none 2>&1)
	check_fail $? "uid 0 without CAP_NET_ADMIN cleared the events"
	echo "# uid 0 without CAP_NET_ADMIN clears events: ${out:-succeeded}"

	# Root of a user namespace has no say over the init netns.
	if unshare -U -r true 2>/dev/null; then
		out=$(echo 'add dport 80 action drop' | unshare -U -r dd of=$RULES status=none 2>&1)
		check_fail $? "user-namespace root wrote the init netns's rules"
		echo "# user-namespace root writes the init netns's rules: ${out:-succeeded}"
		tf_check_grep "user-namespace root writes the init netns's rules: the error" 'Operation not permitted' "$out"
	fi
	[ "$(cat $RULES)" = "$before" ] || check_err 1 "the rule table changed"
	tcpfaultctl rule flush
	log_test "an unprivileged user cannot write rules or read events"
}

# ... but does over a netns its user namespace owns.
test_userns_own_netns()
{
	local out

	if unshare -U -r true 2>/dev/null; then
		out=$(unshare -U -r -n sh -c "echo 'add dport 80 action drop' > $RULES && cat $RULES" 2>&1)
		echo "# user-namespace root, own netns: $out"
		tf_check_grep "its netns's rules read back" '^add .*dport 80 action drop' "$out"
		log_test "user-namespace root can write its own netns's rules"
	else
		ktap_test_skip "user-namespace root can write its own netns's rules (no user namespaces)"
	fi
}

# bad_input_table: ns3 holds one rule, id 1; its listing in BEFORE.
bad_input_table()
{
	tcpfaultctl -n "$ns3" rule flush
	tcpfaultctl -n "$ns3" rule add id 1 dport 1 action drop
	BEFORE=$(rules_of "$ns3")
}

test_bad_line()
{
	local ns=$ns3 out stats

	bad_input_table
	out=$(write_rules "$ns" $'add id 2 dport 2 action drop\nadd id 3 dprot 3 action drop\nadd id 4 dport 4 action log\n')
	check_fail $? "a write with a bad line succeeded"
	stats=$(ip netns exec "$ns" cat /proc/net/tcpfault/stats)
	echo "# bad line 2: $out; stats: $(grep '^error' <<<"$stats")"
	tf_check_grep "stats names the bad word" '^error line 2: .*"dprot"' "$stats"
	tf_check_eq "the table after the refused write" "$(rules_of "$ns")" "$BEFORE"
	log_test "one bad line among good ones: write refused, table unchanged, stats names it"
}

test_bad_keyword_place()
{
	local ns=$ns3 out stats

	bad_input_table
	out=$(write_rules "$ns" $'add id 5 dport 5 stage ack3 dir out cookie yes action drop\n')
	check_fail $? "cookie at dir out: the write succeeded"
	stats=$(ip netns exec "$ns" cat /proc/net/tcpfault/stats)
	echo "# cookie at dir out: $out; stats: $(grep '^error' <<<"$stats")"
	tf_check_grep "stats gives the reason" '^error line 1: "cookie" is told on the server.s input' "$stats"
	out=$(tcpfaultctl -n "$ns" rule add dport 5 stage ack3 dir out cookie yes action drop 2>&1)
	check_fail $? "cookie at dir out: tcpfaultctl succeeded"
	echo "# tcpfaultctl: $out"
	tf_check_grep "tcpfaultctl gives the reason" '"cookie" is told on the server.s input' "$out"
	tf_check_eq "the table after the refused writes" "$(rules_of "$ns")" "$BEFORE"
	log_test "a keyword in the wrong place (cookie at dir out) is refused with its reason"
}

test_bad_ids()
{
	local ns=$ns3 out

	bad_input_table
	out=$(write_rules "$ns" $'del 99\n')
	check_fail $? "del 99 succeeded"
	echo "# del 99: $out"
	tf_check_grep "del 99: the error" 'No such file' "$out"
	out=$(write_rules "$ns" $'add id 1 dport 9 action drop\n')
	check_fail $? "add id 1 again succeeded"
	echo "# add id 1 again: $out"
	tf_check_grep "add id 1 again: the error" 'File exists' "$out"
	out=$(write_rules "$ns" "add dport 1 action drop # $(printf 'x%.0s' $(seq 600))")
	check_fail $? "a 600-byte line was accepted"
	echo "# 600-byte line: $out"
	tf_check_grep "600-byte line: the error" "Argument list too long" "$out"
	tf_check_eq "the table after the refused writes" "$(rules_of "$ns")" "$BEFORE"
	# And a good write after the bad ones clears the error.
	tf_check_cmd "a good write after them" write_rules "$ns" $'# comment\n\nadd id 2 dport 2 action log # trailing\n'
	ip netns exec "$ns" grep -q '^error' /proc/net/tcpfault/stats
	check_fail $? "stats still has an error line after the good write"
	tf_check_eq "rules after the good write" "$(rules_of "$ns" | wc -l)" 2
	log_test "del unknown id, duplicate id, long line refused; good write accepted"
	tcpfaultctl -n "$ns" rule flush
}

test_events_clear()
{
	local out

	tcpfaultctl -n "$srv" events --clear
	tcpfaultctl -n "$srv" rule add dport "$TF_PORT" action log
	out=$(ip netns exec "$cli" tf_connect --timeout 5 --send x "$SRV_ADDR" "$TF_PORT")
	tf_check_eq "a connection through the rule: errno" "$(tf_field "$out" errno)" 0
	tf_check_gt "events before the clear" "$(tf_count_events "$srv")" 0
	tf_check_cmd "echo clear > events" ip netns exec "$srv" sh -c 'echo clear > /proc/net/tcpfault/events'
	tf_check_eq "events left after clear" "$(tf_count_events "$srv")" 0
	tf_check_eq "events_held after clear" "$(tf_stat "$srv" events_held)" 0
	tcpfaultctl -n "$srv" rule flush
	log_test "echo clear > events empties the log"
}

test_event_ring()
{
	local i n lost

	unload
	if ! load event_ring=16; then
		check_err 1 "insmod event_ring=16 failed"
		log_test "a full event ring counts events_lost"
		return
	fi
	tcpfaultctl -n "$srv" rule add port "$TF_PORT" action log
	for ((i = 0; i < 5; i++)); do
		connect_once
	done
	n=$(tf_count_events "$srv")
	lost=$(tf_stat "$srv" events_lost)
	echo "# event_ring=16: $n events held, events_lost $lost, events $(tf_stat "$srv" events)"
	tf_check_le "events held by a 16-event ring" "$n" 16
	tf_check_gt "events held by a 16-event ring" "$n" 0
	tf_check_gt "events_lost" "${lost:-0}" 0
	log_test "a full event ring counts events_lost"
}

FOLLOW_OUT=/tmp/follow.out
FOLLOW_ERR=/tmp/follow.err

connect_once()
{
	ip netns exec "$cli" tf_connect --timeout 5 --send x "$SRV_ADDR" "$TF_PORT" >/dev/null
}

# The events a follower was told it missed.
follow_missed()
{
	sed -n 's/^tcpfaultctl: \([0-9]*\) events lost.*/\1/p' "$FOLLOW_ERR" |
		awk '{ n += $1 } END { print n + 0 }'
}

# follow_accounted N: the follower printed or was told of N events.
follow_accounted()
{
	[ $(($(wc -l <"$FOLLOW_OUT") + $(follow_missed))) -eq "$1" ]
}

# With event_ring=16 (test_event_ring's module, or loaded here): a
# follower stopped while 5 connections' events go by is told how many it
# missed, and every event is either printed or counted. Then the module
# without event_ring again.
test_follow_behind()
{
	local pid i base

	if [ "$(cat /sys/module/tcpfault/parameters/event_ring 2>/dev/null)" != 16 ]; then
		unload
		load event_ring=16 || check_err 1 "insmod event_ring=16 failed"
		tcpfaultctl -n "$srv" rule add port "$TF_PORT" action log
	fi
	tcpfaultctl -n "$srv" events --clear
	base=$(tf_stat "$srv" events)
	tcpfaultctl -n "$srv" events --follow >"$FOLLOW_OUT" 2>"$FOLLOW_ERR" &
	pid=$!
	connect_once
	slowwait 100 test -s "$FOLLOW_OUT"
	check_err $? "the follower printed nothing in 100 s"
	kill -STOP "$pid"
	for ((i = 0; i < 5; i++)); do
		connect_once
	done
	kill -CONT "$pid"
	connect_once
	slowwait 100 follow_accounted $(($(tf_stat "$srv" events) - base))
	check_err $? "in 100 s the follower printed $(wc -l <"$FOLLOW_OUT") and was told of $(follow_missed) lost, of $(($(tf_stat "$srv" events) - base)) events"
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "# follower: printed $(wc -l <"$FOLLOW_OUT") events, told of $(follow_missed)" \
	     "lost; $(($(tf_stat "$srv" events) - base)) since the clear"
	sed 's/^/# /' "$FOLLOW_ERR"
	tf_check_gt "events the follower was told it missed" "$(follow_missed)" 0
	rm -f "$FOLLOW_OUT" "$FOLLOW_ERR"
	log_test "events --follow, fallen behind, is told what it missed"
	unload
	load || echo "# insmod without event_ring failed"
}

test_kernel_log()
{
	TF_DMESG_LINES=$TF_DMESG_START
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log since the start" tf_dmesg_clean
	log_test "no WARNING/BUG/Oops/leak in the kernel log"
}

tf_require noload
KO=$(tf_module_path)
if [ -z "$KO" ]; then
	ktap_skip_all "tcpfault.ko for $TF_RELEASE not found (make module KVER=$TF_RELEASE)"
	exit "$KSFT_SKIP"
fi
for tool in setpriv dd; do
	if ! command -v $tool >/dev/null; then
		ktap_skip_all "$tool not found"
		exit "$KSFT_SKIP"
	fi
done
[ -d /sys/module/tcpfault ] && WAS_LOADED=1
# Loading the debug info 50 times over 9p is what makes the loop slow.
KO_LOAD=$(mktemp /tmp/tcpfault.XXXXXX.ko)
strip --strip-debug -o "$KO_LOAD" "$KO" 2>/dev/null || cp "$KO" "$KO_LOAD"
tf_run_tests
