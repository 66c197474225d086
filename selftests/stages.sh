#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Match keywords on real traffic: each stage names exactly the segments it
# should, dir in/out see the two sides, addresses and prefixes match over
# IPv4 and IPv6, and port ranges and "port" match either end.
#
#   cli                                          srv
#   +-----------------------------+  veth  +-----------------------------+
#   | tf_connect --send  10.0.1.1 |--------| 10.0.1.2   tf_listen --http |
#   |                  fd00:1::1  |        | fd00:1::2            :8080  |
#   +-----------------------------+        +-----------------------------+
#          log rules in srv, one per (dir, stage); one HTTP exchange

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_stages
	test_ipv6_prefix
	test_port_range_either_end
	test_payload
"

STAGES="syn synack ack3 ack data fin rst probe any"

setup()
{
	setup_ns cli srv || return 1
	tf_veth "$cli" 10.0.1.1 "$srv" 10.0.1.2 fd00:1::1 fd00:1::2 || return 1
	tf_listen_in "$srv" :: "$TF_PORT" --http
}

cleanup()
{
	cleanup_all_ns
}

# stage_index STAGE: STAGE's place in $STAGES, from 1 (its rule id, dir in).
stage_index()
{
	local i=0 st

	for st in $STAGES; do
		i=$((i + 1))
		[ "$st" = "$1" ] && { echo "$i"; return; }
	done
}

# acted NS ID: how often rule ID acted.
acted()
{
	tcpfaultctl -n "$1" rule list | awk -v id="$2" '$3 == id { print $NF }'
}

test_stages()
{
	local addr

	for addr in 10.0.1.2 fd00:1::2; do
		stages_case "$addr"
	done
	log_test "each stage matches exactly its segments, both directions (IPv4, IPv6)"
}

# stages_case ADDR: one HTTP exchange with the server at ADDR.
stages_case()
{
	local addr=$1 out id=0 dir st n seen0 events any
	local -a stage_list=($STAGES)
	declare -A count pure

	tf_reset "$srv"
	for dir in in out; do
		for st in $STAGES; do
			id=$((id + 1))
			tcpfaultctl -n "$srv" rule add id "$id" dir "$dir" port "$TF_PORT" \
				stage "$st" action log
			check_err $? "rule dir $dir stage $st refused"
		done
	done
	# "seen" counts on from the case before: its growth is this exchange.
	seen0=$(tf_stat "$srv" seen)
	out=$(ip netns exec "$cli" tf_connect --timeout 60 --send "GET / HTTP/1.0" \
		"$addr" "$TF_PORT" 2>&1)
	echo "$out" | head -3 | tf_diag
	# The server closes after its answer; wait for the client's FIN too.
	slowwait 30 tf_events_ge "$srv" 1 ' dir in .*flags F'
	id=0
	for dir in in out; do
		for st in $STAGES; do
			id=$((id + 1))
			count[$dir.$st]=$(acted "$srv" "$id")
		done
	done
	for dir in in out; do
		n=""
		for st in $STAGES; do
			n="$n $st=${count[$dir.$st]}"
		done
		echo "# $addr dir $dir:$n"
	done
	events=$(ip netns exec "$srv" cat /proc/net/tcpfault/events)
	echo "$events" | tf_diag
	# The pure ACKs (flags A, no payload) each way, as the "any" rules
	# logged them (ids 9 and 18); the handshake's third is ack3, not ack.
	for dir in in out; do
		any=$(stage_index any)
		[ "$dir" = in ] || any=$((any + ${#stage_list[@]}))
		pure[$dir]=$(echo "$events" | awk -v id="$any" \
			'$3 == "rule" && $4 == id && / flags A / && / len 0 / { n++ } END { print n + 0 }')
	done

	# One handshake, one request, one answer, one close each way.
	tf_check_eq "$addr: dir in, stage syn: segments matched" "${count[in.syn]}" 1
	tf_check_eq "$addr: dir out, stage syn: segments matched" "${count[out.syn]}" 0
	tf_check_eq "$addr: dir out, stage synack: segments matched" "${count[out.synack]}" 1
	tf_check_eq "$addr: dir in, stage synack: segments matched" "${count[in.synack]}" 0
	tf_check_eq "$addr: dir in, stage data: segments matched" "${count[in.data]}" 1
	tf_check_ge "$addr: dir out, stage data: segments matched" "${count[out.data]}" 1
	tf_check_eq "$addr: dir in, stage fin: segments matched" "${count[in.fin]}" 1
	tf_check_eq "$addr: dir out, stage fin: segments matched" "${count[out.fin]}" 1
	tf_check_eq "$addr: dir in, stage ack3: segments matched" "${count[in.ack3]}" 1
	tf_check_eq "$addr: dir out, stage ack3: segments matched" "${count[out.ack3]}" 0
	# Stage ack is every pure ACK but the handshake's.  How many the client
	# sends is its scheduling's: the ACK of the server's answer may be a
	# segment of its own or ride on its FIN (PREEMPT_RT: in ack=0).  The
	# server's ACK of the client's FIN is always one of its own (it closed
	# first, nothing is left to send): out ack >= 1.
	tf_check_eq "$addr: dir in, stage ack: segments matched = pure ACKs after the handshake" \
		"${count[in.ack]}" $(( ${pure[in]} - ${count[in.ack3]} ))
	tf_check_eq "$addr: dir out, stage ack: segments matched = pure ACKs" "${count[out.ack]}" "${pure[out]}"
	tf_check_ge "$addr: dir out, stage ack: segments matched (the ACK of the client's FIN)" "${count[out.ack]}" 1
	tf_check_eq "$addr: dir in, stage rst: segments matched" "${count[in.rst]}" 0
	tf_check_eq "$addr: dir out, stage rst: segments matched" "${count[out.rst]}" 0
	tf_check_eq "$addr: dir in, stage probe: segments matched" "${count[in.probe]}" 0
	tf_check_eq "$addr: dir out, stage probe: segments matched" "${count[out.probe]}" 0
	# Every segment is at least one stage, and "any" saw each once.
	for dir in in out; do
		n=$(( ${count[$dir.syn]} + ${count[$dir.synack]} + ${count[$dir.ack3]} + ${count[$dir.ack]} +
		      ${count[$dir.data]} + ${count[$dir.fin]} + ${count[$dir.rst]} ))
		tf_check_ge "$addr: dir $dir: segments matched by the other stages (at least those of any)" "$n" "${count[$dir.any]}"
	done
	tf_check_eq "$addr: packets seen (the growth of seen) vs matched by any" $(( $(tf_stat "$srv" seen) - seen0 )) $(( ${count[in.any]} + ${count[out.any]} ))
}

test_ipv6_prefix()
{
	local out ev

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add family ipv6 saddr fd00:1::/64 dir in \
		dport "$TF_PORT" stage syn action drop count 1
	tcpfaultctl -n "$srv" rule add saddr fd00:2::/64 action drop
	out=$(ip netns exec "$cli" tf_connect --timeout 60 fd00:1::2 "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	ev=$(ip netns exec "$srv" cat /proc/net/tcpfault/events)
	echo "$ev" | tf_diag
	tf_check_eq "connect() through the prefix rule: errno" "$(tf_field "$out" errno)" 0
	tf_check_eq "SYNs from fd00:1::1 dropped" "$(echo "$ev" | grep -c 'src \[fd00:1::1\]:[0-9]* dst \[fd00:1::2\]:8080 flags S .*verdict drop')" 1
	tf_check_eq "rule 2 (fd00:2::/64) acted" "$(acted "$srv" 2)" 0
	log_test "IPv6: prefix rule drops one SYN, the retransmission connects"
}

test_port_range_either_end()
{
	local out

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add id 1 dir out port 8000-8100 stage synack action log
	tcpfaultctl -n "$srv" rule add id 2 dir out sport 1-1000 action log
	tcpfaultctl -n "$srv" rule add id 3 dir in dport 8080 stage syn action log
	tcpfaultctl -n "$srv" rule add id 4 dir in sport 8080 action log
	out=$(ip netns exec "$cli" tf_connect --timeout 60 10.0.1.2 "$TF_PORT" 2>&1)
	echo "$out" | tf_diag
	tcpfaultctl -n "$srv" rule list | tf_diag
	tf_check_eq "rule 1 (dir out port 8000-8100 stage synack) acted" "$(acted "$srv" 1)" 1
	tf_check_eq "rule 2 (dir out sport 1-1000) acted" "$(acted "$srv" 2)" 0
	tf_check_eq "rule 3 (dir in dport 8080 stage syn) acted" "$(acted "$srv" 3)" 1
	tf_check_eq "rule 4 (dir in sport 8080) acted" "$(acted "$srv" 4)" 0
	log_test "port ranges and single ports match the right end"
}

# payload / payload-hex match a substring of the TCP payload: the request
# carrying it is lost once (count 1), its retransmission gets through.
test_payload()
{
	local addr

	for addr in 10.0.1.2 fd00:1::2; do
		payload_case "$addr"
	done
	log_test "payload, payload-hex: the request with the string is lost once, then answered (IPv4, IPv6)"
}

# payload_case ADDR: the request to the server at ADDR.
payload_case()
{
	local addr=$1 out

	tf_reset "$srv"
	tcpfaultctl -n "$srv" rule add id 1 dir in dport "$TF_PORT" payload secret action log
	tcpfaultctl -n "$srv" rule add id 2 dir in dport "$TF_PORT" payload-hex 474554 action log
	tcpfaultctl -n "$srv" rule add id 3 dir in dport "$TF_PORT" payload nomatch action log
	tcpfaultctl -n "$srv" rule add id 4 dir in dport "$TF_PORT" payload secret action drop count 1
	out=$(ip netns exec "$cli" tf_connect --timeout 60 --send "GET /secret HTTP/1.0" \
		"$addr" "$TF_PORT" 2>&1)
	echo "$out" | head -2 | tf_diag
	tcpfaultctl -n "$srv" rule list | tf_diag
	ip netns exec "$srv" cat /proc/net/tcpfault/events | grep 'verdict drop' | tf_diag
	tf_check_eq "$addr: the request: errno" "$(tf_field "$out" errno)" 0
	tf_check_grep "$addr: the answer" '200 OK' "$out"
	tf_check_eq "$addr: rule 1 (payload secret) acted" "$(acted "$srv" 1)" 2
	tf_check_eq "$addr: rule 2 (payload-hex 474554) acted" "$(acted "$srv" 2)" 2
	tf_check_eq "$addr: rule 3 (payload nomatch) acted" "$(acted "$srv" 3)" 0
	tf_check_eq "$addr: rule 4 (payload secret drop count 1) acted" "$(acted "$srv" 4)" 1
	tf_check_eq "$addr: 20-byte requests dropped" "$(tf_count_events "$srv" 'len 20 verdict drop')" 1
}

tf_require
tf_run_tests
