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
	test_bad_input
	test_events_clear
	test_event_ring
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
	setup_ns cli srv ns1 ns2 ns3 || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" "$SRV_ADDR" || return 1
	tf_listen_in "$srv" "$SRV_ADDR" "$TF_PORT" --echo
}

cleanup()
{
	traffic_stop
	cleanup_all_ns
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
	local i ok=1

	unload || ok=0
	traffic_start
	for ((i = 1; i <= LOOPS; i++)); do
		if ! load; then
			echo "# insmod failed at iteration $i"
			ok=0
			break
		fi
		# Every other time, rules are in place (and acting) when it goes.
		if ((i % 2)); then
			tcpfaultctl -n "$srv" rule add dport "$TF_PORT" action log >/dev/null &&
			tcpfaultctl -n "$cli" rule add dir out dport "$TF_PORT" stage fin action log \
				>/dev/null &&
			tcpfaultctl rule add dport 9 action drop >/dev/null || ok=0
		fi
		if ! rmmod tcpfault; then
			echo "# rmmod failed at iteration $i"
			ok=0
			break
		fi
	done
	traffic_stop
	load || ok=0
	echo "# $((i - 1)) insmod/rmmod cycles, under traffic, rules in place every other time"
	tf_check "insmod/rmmod $LOOPS times under traffic" test "$ok" = 1
}

# hooks_of NS: tcpfault's netfilter hooks in NS, "FAMILY HOOK" per line.
hooks_of()
{
	ip netns exec "$1" nft list hooks | awk '
		$1 == "family" { family = $2 }
		$1 == "hook" { hook = $2 }
		/ tf_hook / { print family, hook }' | sort | paste -sd ' ' -
}

# expect_hooks NS WHEN WANT: NS has exactly the hooks WANT (hooks_of form).
expect_hooks()
{
	local got

	got=$(hooks_of "$1")
	echo "# $2: ${got:-no hooks}"
	[ "$got" = "$3" ] || { echo "# expected: ${3:-no hooks}"; return 1; }
}

# A namespace without rules has no hook of ours; one with rules has them
# only in the directions its rules can match.
test_hooks_follow_rules()
{
	local ok=1 all

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
	expect_hooks "$ns3" "no rules" "" || ok=0
	tcpfaultctl -n "$ns3" rule add id 1 dir in dport 9 stage syn action drop || ok=0
	expect_hooks "$ns3" "a dir in rule" "ip input ip6 input" || ok=0
	tcpfaultctl -n "$ns3" rule add id 2 sport 9 action log || ok=0
	expect_hooks "$ns3" "and one without dir" "$all" || ok=0
	tcpfaultctl -n "$ns3" rule del 2 || ok=0
	expect_hooks "$ns3" "rule 2 deleted" "ip input ip6 input" || ok=0
	tcpfaultctl -n "$ns3" rule add id 3 dir out idle 1000 action log || ok=0
	expect_hooks "$ns3" "a timed rule (it follows its flows at every hook)" "$all" || ok=0
	tcpfaultctl -n "$ns3" rule flush || ok=0
	expect_hooks "$ns3" "flushed" "" || ok=0
	tf_check "hooks only where rules are, as nft list hooks shows" test "$ok" = 1
}

test_rules_separate()
{
	local ns n ok=1 want got

	n=1
	for ns in "$ns1" "$ns2" "$ns3"; do
		tcpfaultctl -n "$ns" rule add id "$n" dport "100$n" stage syn action drop &&
		tcpfaultctl -n "$ns" rule add id "$((n + 10))" family ipv6 sport "200$n" action log ||
			ok=0
		n=$((n + 1))
	done
	n=1
	for ns in "$ns1" "$ns2" "$ns3"; do
		got=$(rules_of "$ns" | sed 's/ *#.*//')
		want="add id $n dport 100$n stage syn action drop
add id $((n + 10)) family ipv6 sport 200$n action log"
		if [ "$got" != "$want" ]; then
			echo "# ns$n reads back:"
			echo "$got" | tf_diag
			ok=0
		fi
		n=$((n + 1))
	done
	if [ -n "$(rules_of "$srv")$(cat $RULES)" ]; then
		echo "# rules leaked into another namespace"
		ok=0
	fi
	tf_check "rules in three namespaces stay separate" test "$ok" = 1
}

test_netns_delete()
{
	local ok=1 out

	tf_dmesg_mark
	# Rules that act, flows and events in both namespaces, then delete them
	# under the module.
	tcpfaultctl -n "$srv" rule add dport "$TF_PORT" action log &&
	tcpfaultctl -n "$cli" rule add dport "$TF_PORT" action log || ok=0
	out=$(ip netns exec "$cli" tf_connect --timeout 5 --send hello "$SRV_ADDR" "$TF_PORT")
	[ "$(tf_field "$out" errno)" = 0 ] || ok=0
	[ "$(tf_count_events "$srv")" -gt 0 ] || { echo "# no events in srv"; ok=0; }
	cleanup_ns "$ns1" "$ns2" || ok=0
	# Let the netns cleanup work run.
	slowwait 10 sh -c "! ip netns list | grep -q '^$ns1'" || ok=0
	sleep 1
	tf_dmesg_clean || ok=0
	tf_check "deleting namespaces that hold rules, flows and events: clean kernel log" \
		test "$ok" = 1
}

test_rmmod_with_rules()
{
	local ok=1

	tf_dmesg_mark
	tcpfaultctl rule add dport 7 action drop || ok=0
	[ -n "$(rules_of "$srv")" ] && [ -n "$(rules_of "$ns3")" ] || ok=0
	traffic_start
	sleep 1
	rmmod tcpfault || { echo "# rmmod failed"; ok=0; }
	traffic_stop
	load || ok=0
	# A fresh module starts with empty tables everywhere.
	if [ -n "$(rules_of "$srv")$(rules_of "$ns3")$(cat $RULES)" ]; then
		echo "# rules survived the reload"
		ok=0
	fi
	tf_dmesg_clean || ok=0
	tf_check "rmmod with rules in three namespaces under traffic: clean kernel log" \
		test "$ok" = 1
}

test_unprivileged()
{
	local out ok=1 before

	tcpfaultctl rule add id 5 dport 5 action drop
	before=$(cat $RULES)

	# Another user: the files' modes keep it out.
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "echo 'add dport 80 action drop' > $RULES" 2>&1) && ok=0
	echo "# nobody writes rules: ${out:-succeeded}"
	echo "$out" | grep -q 'Permission denied' || ok=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/tcpfault/events 2>&1) &&
		ok=0
	echo "# nobody reads events: ${out:-succeeded}"
	echo "$out" | grep -q 'Permission denied' || ok=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/net/tcpfault/stats 2>&1) ||
		{ echo "# nobody cannot read stats (0444): $out"; ok=0; }

	# Root without CAP_NET_ADMIN: the module refuses (dd shows the errno).
	out=$(echo 'add dport 80 action drop' | setpriv --inh-caps=-net_admin \
		--bounding-set=-net_admin dd of=$RULES status=none 2>&1) && ok=0
	echo "# uid 0 without CAP_NET_ADMIN writes rules: ${out:-succeeded}"
	echo "$out" | grep -q 'Operation not permitted' || ok=0
	out=$(echo clear | setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
		dd of=/proc/net/tcpfault/events status=none 2>&1) && ok=0
	echo "# uid 0 without CAP_NET_ADMIN clears events: ${out:-succeeded}"

	# Root of a user namespace has no say over the init netns.
	if unshare -U -r true 2>/dev/null; then
		out=$(echo 'add dport 80 action drop' | unshare -U -r dd of=$RULES status=none 2>&1) &&
			ok=0
		echo "# user-namespace root writes the init netns's rules: ${out:-succeeded}"
		echo "$out" | grep -q 'Operation not permitted' || ok=0
	fi
	[ "$(cat $RULES)" = "$before" ] || { echo "# the rule table changed"; ok=0; }
	tcpfaultctl rule flush
	tf_check "an unprivileged user cannot write rules or read events" test "$ok" = 1

	# ... but does over a netns its user namespace owns.
	if unshare -U -r true 2>/dev/null; then
		out=$(unshare -U -r -n sh -c "echo 'add dport 80 action drop' > $RULES && cat $RULES" 2>&1)
		echo "# user-namespace root, own netns: $out"
		tf_check "user-namespace root can write its own netns's rules" \
			grep -q '^add .*dport 80 action drop' <<<"$out"
	else
		ktap_test_skip "user-namespace root can write its own netns's rules (no user namespaces)"
	fi
}

test_bad_input()
{
	local ns=$ns3 before out ok=1 stats

	tcpfaultctl -n "$ns" rule flush
	tcpfaultctl -n "$ns" rule add id 1 dport 1 action drop
	before=$(rules_of "$ns")

	out=$(write_rules "$ns" $'add id 2 dport 2 action drop\nadd id 3 dprot 3 action drop\nadd id 4 dport 4 action log\n') &&
		{ echo "# a write with a bad line succeeded"; ok=0; }
	stats=$(ip netns exec "$ns" cat /proc/net/tcpfault/stats)
	echo "# bad line 2: $out; stats: $(grep '^error' <<<"$stats")"
	grep -q '^error line 2: .*"dprot"' <<<"$stats" || ok=0
	[ "$(rules_of "$ns")" = "$before" ] || { echo "# the table changed"; ok=0; }
	tf_check "one bad line among good ones: write refused, table unchanged, stats names it" \
		test "$ok" = 1

	ok=1
	out=$(write_rules "$ns" $'add id 5 dport 5 stage ack3 dir out cookie yes action drop\n') && ok=0
	stats=$(ip netns exec "$ns" cat /proc/net/tcpfault/stats)
	echo "# cookie at dir out: $out; stats: $(grep '^error' <<<"$stats")"
	grep -q '^error line 1: "cookie" is told on the server.s input' <<<"$stats" || ok=0
	out=$(tcpfaultctl -n "$ns" rule add dport 5 stage ack3 dir out cookie yes action drop 2>&1) && ok=0
	echo "# tcpfaultctl: $out"
	grep -q '"cookie" is told on the server.s input' <<<"$out" || ok=0
	[ "$(rules_of "$ns")" = "$before" ] || ok=0
	tf_check "a keyword in the wrong place (cookie at dir out) is refused with its reason" test "$ok" = 1

	ok=1
	out=$(write_rules "$ns" $'del 99\n') && ok=0
	echo "# del 99: $out"
	grep -q 'No such file' <<<"$out" || ok=0
	out=$(write_rules "$ns" $'add id 1 dport 9 action drop\n') && ok=0
	echo "# add id 1 again: $out"
	grep -q 'File exists' <<<"$out" || ok=0
	out=$(write_rules "$ns" "add dport 1 action drop # $(printf 'x%.0s' $(seq 600))") && ok=0
	echo "# 600-byte line: $out"
	grep -q "Argument list too long" <<<"$out" || ok=0
	[ "$(rules_of "$ns")" = "$before" ] || ok=0
	# And a good write after the bad ones clears the error.
	write_rules "$ns" $'# comment\n\nadd id 2 dport 2 action log # trailing\n' || ok=0
	ip netns exec "$ns" grep -q '^error' /proc/net/tcpfault/stats && ok=0
	[ "$(rules_of "$ns" | wc -l)" = 2 ] || ok=0
	tf_check "del unknown id, duplicate id, long line refused; good write accepted" \
		test "$ok" = 1
	tcpfaultctl -n "$ns" rule flush
}

test_events_clear()
{
	local ok=1 out

	tcpfaultctl -n "$srv" events --clear
	tcpfaultctl -n "$srv" rule add dport "$TF_PORT" action log
	out=$(ip netns exec "$cli" tf_connect --timeout 5 --send x "$SRV_ADDR" "$TF_PORT")
	[ "$(tf_field "$out" errno)" = 0 ] || ok=0
	[ "$(tf_count_events "$srv")" -gt 0 ] || { echo "# no events"; ok=0; }
	ip netns exec "$srv" sh -c 'echo clear > /proc/net/tcpfault/events' || ok=0
	[ "$(tf_count_events "$srv")" = 0 ] || { echo "# events left after clear"; ok=0; }
	[ "$(tf_stat "$srv" events_held)" = 0 ] || ok=0
	tcpfaultctl -n "$srv" rule flush
	tf_check "echo clear > events empties the log" test "$ok" = 1
}

test_event_ring()
{
	local ok=1 i n lost

	unload
	load event_ring=16 || { ktap_test_fail "insmod event_ring=16"; return; }
	tcpfaultctl -n "$srv" rule add port "$TF_PORT" action log
	for ((i = 0; i < 5; i++)); do
		connect_once
	done
	n=$(tf_count_events "$srv")
	lost=$(tf_stat "$srv" events_lost)
	echo "# event_ring=16: $n events held, events_lost $lost, events $(tf_stat "$srv" events)"
	[ "$n" -le 16 ] && [ "$n" -gt 0 ] && [ "${lost:-0}" -gt 0 ] || ok=0
	tf_check "a full event ring counts events_lost" test "$ok" = 1

	follow_behind
	unload
	load || echo "# insmod without event_ring failed"
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

# With event_ring=16: a follower stopped while 5 connections' events go by
# is told how many it missed, and every event is either printed or counted.
follow_behind()
{
	local ok=1 pid i base

	tcpfaultctl -n "$srv" events --clear
	base=$(tf_stat "$srv" events)
	tcpfaultctl -n "$srv" events --follow >"$FOLLOW_OUT" 2>"$FOLLOW_ERR" &
	pid=$!
	connect_once
	slowwait 100 test -s "$FOLLOW_OUT" || ok=0
	kill -STOP "$pid"
	for ((i = 0; i < 5; i++)); do
		connect_once
	done
	kill -CONT "$pid"
	connect_once
	slowwait 100 follow_accounted $(($(tf_stat "$srv" events) - base)) || ok=0
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "# follower: printed $(wc -l <"$FOLLOW_OUT") events, told of $(follow_missed)" \
	     "lost; $(($(tf_stat "$srv" events) - base)) since the clear"
	sed 's/^/# /' "$FOLLOW_ERR"
	[ "$(follow_missed)" -gt 0 ] || ok=0
	rm -f "$FOLLOW_OUT" "$FOLLOW_ERR"
	tf_check "events --follow, fallen behind, is told what it missed" test "$ok" = 1
}

test_kernel_log()
{
	TF_DMESG_LINES=$TF_DMESG_START
	tf_check "no WARNING/BUG/Oops/leak in the kernel log" tf_dmesg_clean
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
trap cleanup EXIT
[ "$WAS_LOADED" = 1 ] || load || { ktap_skip_all "insmod $KO failed"; exit "$KSFT_SKIP"; }
if ! setup; then
	ktap_skip_all "cannot set up the namespaces"
	exit "$KSFT_SKIP"
fi
tf_dmesg_mark
TF_DMESG_START=$TF_DMESG_LINES
ktap_set_plan 14
echo "# kernel $TF_RELEASE, module $KO"
for t in $ALL_TESTS; do
	$t
done
ktap_finished
