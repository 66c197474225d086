#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpfault:tcpfault_event tracepoint carries what the event log does:
# one trace line per event, same rule, flow, direction, addresses, flags,
# sequence numbers, verdict and window, and the namespace; every action by
# its name, also as decoded by trace-cmd from the format alone
# (TRACE_DEFINE_ENUM); and scalar sport, dport, family and netns to filter
# on.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_connect  10.0.1.1 |--------| 10.0.1.2   tf_listen |
#   +----------------------+        +----------------------+
#                rule in srv: dir in dport 8080 stage syn action drop count 1

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_trace_matches_events
	test_trace_names_actions
	test_trace_filter_scalars
"

TRACEFS=/sys/kernel/tracing
EVENT=$TRACEFS/events/tcpfault/tcpfault_event

setup()
{
	setup_ns cli srv || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" 10.0.1.2 || return 1
	tf_listen_in "$srv" 10.0.1.2 "$TF_PORT"
}

cleanup()
{
	[ -w "$EVENT/enable" ] && echo 0 > "$EVENT/enable"
	[ -w "$EVENT/filter" ] && echo 0 > "$EVENT/filter"
	cleanup_all_ns
	[ -z "${TF_TMP:-}" ] || rm -rf "$TF_TMP"
}

# The events file's line, rewritten the way the tracepoint prints it, with
# the namespace's inode number last.
events_as_trace()
{
	local netns

	netns=$(ip netns exec "$srv" stat -L -c %i /proc/self/ns/net)
	ip netns exec "$srv" cat /proc/net/tcpfault/events |
		awk -v netns="$netns" '{ printf "ts=%s rule=%s dir=%s flow=%s src=%s dst=%s flags=%s seq=%s ack=%s len=%s verdict=%s win=%s netns=%s\n",
			$2, $4, $6, $8, $10, $12, $14, $16, $18, $20, $22, $24, netns }'
}

# The inode of srv's network namespace, as the tracepoint's netns.
srv_netns()
{
	stat -L -c %i "/run/netns/$srv"
}

test_trace_matches_events()
{
	local out want got

	echo > "$TRACEFS/trace"
	echo 1 > "$EVENT/enable"
	tcpfaultctl -n "$srv" rule add dir in dport "$TF_PORT" stage syn action drop count 1
	out=$(ip netns exec "$cli" tf_connect --timeout 60 10.0.1.2 "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	echo 0 > "$EVENT/enable"

	want=$(events_as_trace)
	got=$(sed -n 's/.*tcpfault_event: //p' "$TRACEFS/trace")
	echo "# events: $want"
	echo "# trace:  $got"
	tf_check_eq "connect() past one dropped SYN: errno" "$(tf_field "$out" errno)" 0
	tf_check_ne "events" "$want" ""
	tf_check_eq "events" "$(echo "$want" | wc -l)" 1
	tf_check_eq "the tracepoint's line" "$got" "$want"
	log_test "tracepoint line equals the event (one dropped SYN)"
}

# One event of each action that changes the packet: reset, delay and
# flags, each named in the trace line and in trace-cmd's report.
test_trace_names_actions()
{
	local out trace report v

	tf_reset "$srv"
	echo > "$TRACEFS/trace"
	echo 1 > "$EVENT/enable"
	tcpfaultctl -n "$srv" rule add id 1 dir in dport $((TF_PORT + 3)) stage data count 1 action delay 10 &&
	tcpfaultctl -n "$srv" rule add id 2 dir out sport $((TF_PORT + 3)) stage data count 1 action flags +C &&
	tcpfaultctl -n "$srv" rule add id 3 dir in dport $((TF_PORT + 2)) stage syn action reset
	check_err $? "rule add (delay, flags, reset)"
	tf_listen_in "$srv" 10.0.1.2 $((TF_PORT + 3)) --echo
	check_err $? "the echo server on port $((TF_PORT + 3))"
	out=$(ip netns exec "$cli" tf_connect --timeout 30 --send hi 10.0.1.2 $((TF_PORT + 3)) 2>&1)
	echo "$out" | tf_diag
	tf_check_eq "the delayed and flagged exchange: errno" "$(tf_field "$(grep start_ns <<<"$out")" errno)" 0
	out=$(ip netns exec "$cli" tf_connect --timeout 30 10.0.1.2 $((TF_PORT + 2)) 2>&1)
	echo "$out" | tf_diag
	tf_check_eq "the reset SYN: errno" "$(tf_field "$(grep start_ns <<<"$out")" errno)" ECONNREFUSED
	slowwait 30 tf_events_ge "$srv" 3
	check_err $? "events: saw $(tf_count_events "$srv"), want 3"
	ip netns exec "$srv" grep delay_ /proc/net/tcpfault/stats | tr '\n' ' ' | tf_diag
	echo 0 > "$EVENT/enable"
	trace=$(sed -n 's/.*tcpfault_event: //p' "$TRACEFS/trace")
	echo "$trace" | tf_diag
	if command -v trace-cmd >/dev/null; then
		trace-cmd extract -o "$TF_TMP/trace.dat" >/dev/null 2>&1
		check_err $? "trace-cmd extract"
		report=$(trace-cmd report -i "$TF_TMP/trace.dat" 2>&1 | grep tcpfault_event)
		echo "$report" | sed 's/^ *//' | tf_diag
	else
		echo "# trace-cmd not found: its report is not checked (apt-get install trace-cmd)"
		report=$trace
	fi
	for v in delay flags reset; do
		tf_check_grep "tracefs: the $v event" "verdict=$v " "$trace"
		tf_check_grep "trace-cmd report: the $v event" "verdict=$v " "$report"
	done
	# Nothing left undecoded: no bare verdict numbers.
	tf_check_nogrep "a verdict as a bare number" -E 'verdict=(0x)?[0-9]' "$trace$report"
	# The event shows the flags as they were; decoded from the format.
	tf_check_grep "trace-cmd report: the flags event's letters" "flags=PA .*verdict=flags " "$report"
	tf_reset "$srv"
	log_test "reset, delay and flags events carry their names, in tracefs and in trace-cmd report"
}

# A filter on the scalar fields keeps only the packets it names.
test_trace_filter_scalars()
{
	local trace n

	tf_reset "$srv"
	echo > "$TRACEFS/trace"
	echo "dport == $TF_PORT && family == 2 && netns == $(srv_netns)" > "$EVENT/filter"
	check_err $? "the filter on dport, family and netns"
	echo 1 > "$EVENT/enable"
	tcpfaultctl -n "$srv" rule add dir in stage syn action log
	check_err $? "rule add"
	tf_listen_in "$srv" 10.0.1.2 $((TF_PORT + 1))
	check_err $? "the listener on port $((TF_PORT + 1))"
	ip netns exec "$cli" tf_connect --timeout 30 10.0.1.2 "$TF_PORT" >/dev/null 2>&1
	check_err $? "connect to port $TF_PORT"
	ip netns exec "$cli" tf_connect --timeout 30 10.0.1.2 $((TF_PORT + 1)) >/dev/null 2>&1
	check_err $? "connect to port $((TF_PORT + 1))"
	echo 0 > "$EVENT/enable"
	echo 0 > "$EVENT/filter"
	trace=$(sed -n 's/.*tcpfault_event: //p' "$TRACEFS/trace")
	n=$(grep -c . <<<"$trace")
	echo "$trace" | tf_diag
	echo "# events logged $(tf_count_events "$srv"), traced through the filter $n"
	tf_check_eq "events logged (two SYNs)" "$(tf_count_events "$srv")" 2
	tf_check_eq "events traced through the filter" "$n" 1
	tf_check_grep "the traced event" ":$TF_PORT " "$trace"
	tf_reset "$srv"
	log_test "filter on dport, family and netns: only the SYN to port $TF_PORT is traced"
}

tf_require
TF_TMP=$(mktemp -d)
if [ ! -d "$TRACEFS/events" ]; then
	mount -t tracefs nodev "$TRACEFS" 2>/dev/null
fi
if [ ! -w "$EVENT/enable" ]; then
	ktap_skip_all "no tracefs or no tcpfault:tcpfault_event at $EVENT"
	exit "$KSFT_SKIP"
fi
tf_run_tests
