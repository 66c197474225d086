#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tcpfault:tcpfault_event tracepoint carries what the event log does:
# one trace line per event, same rule, flow, direction, addresses, flags,
# sequence numbers and verdict.
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
	cleanup_all_ns
}

# The events file's line, rewritten the way the tracepoint prints it.
events_as_trace()
{
	ip netns exec "$srv" cat /proc/net/tcpfault/events |
		awk '{ printf "ts=%s rule=%s dir=%s flow=%s src=%s dst=%s flags=%s seq=%s ack=%s len=%s verdict=%s\n",
			$2, $4, $6, $8, $10, $12, $14, $16, $18, $20, $22 }'
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

tf_require
if [ ! -d "$TRACEFS/events" ]; then
	mount -t tracefs nodev "$TRACEFS" 2>/dev/null
fi
if [ ! -w "$EVENT/enable" ]; then
	ktap_skip_all "no tracefs or no tcpfault:tcpfault_event at $EVENT"
	exit "$KSFT_SKIP"
fi
tf_run_tests
