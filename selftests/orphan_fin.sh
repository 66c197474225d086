#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The orphaned FIN: the client closes an idle established connection and the
# peer goes silent (everything from the client dropped at the server's
# ingress). The orphan in FIN_WAIT1 retransmits its FIN (a tail loss probe
# first, then RTO backoff from 204 ms) until tcp_model_timeout(
# tcp_orphan_retries, 200 ms) has passed since the first RTO retransmission
# -- 0 means 8 while the RTO is below 120 s ("alive") -- and is then
# destroyed without a RST. FIN gaps and count must fall in the model's
# windows (tcpfaultctl timeline --model fin), and the socket must vanish
# from `ss -tan` inside the model's give-up window.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | tf_send --close      |--------| 10.0.1.2   tf_listen |
#   | tcp_orphan_retries=N |        | :8080                |
#   +----------------------+        +----------------------+
#       rule (after the handshake) in srv: dir in dport 8080 action drop

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_default
	test_orphan_retries_2
	test_orphan_retries_2_egress
"

setup()
{
	tf_pair_setup
}

cleanup()
{
	cleanup_all_ns
}

# orphan_fin DESC RETRIES [WHERE]: WHERE = srv (default: everything from
# the client dropped at the server's ingress) or cli (consumed at the
# client's own egress: loss must look the same from either end).
orphan_fin()
{
	local desc=$1 retries=$2 where=${3:-srv}
	local start lo hi first last gone gonef monpid model=()
	local rule_ns=$srv rule="dir in dport $TF_PORT action drop"

	if [ "$where" = cli ]; then
		rule_ns=$cli
		rule="dir out dport $TF_PORT action drop"
	fi
	tf_reset "$srv" && tf_reset "$cli"
	tf_sysctl_case "$cli" net.ipv4.tcp_orphan_retries "$retries" 0
	retries=$TF_SYSCTL

	if ! tf_send_go "$cli" "$TF_SRV_ADDR" "$TF_PORT" --close; then
		check_err 1 "the client did not connect"; log_test "$desc"
		return
	fi
	model=(--kernel "$TF_RELEASE" "tcp_orphan_retries=$retries" "rto_ms=$TF_SEND_RTO_MS")

	# shellcheck disable=SC2086
	tcpfaultctl -n "$rule_ns" rule add $rule ||
		{ check_err 1 "rule '$rule' refused"; log_test "$desc"; tf_stop "$TF_SEND_PID"; return; }
	gonef=$(mktemp /tmp/tf_gone.XXXXXX)
	ip netns exec "$cli" perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e '
		my $pid = open(my $ss, "-|", "ss", "-HtnE", "dst", $ARGV[0]) or die;
		my $l = <$ss>;
		printf "%.0f\n", clock_gettime(CLOCK_MONOTONIC) * 1e9;
		kill "TERM", $pid;' "$TF_SRV_ADDR" >"$gonef" &
	monpid=$!
	sleep 2	# let perl and ss start and subscribe before the close
	# close() is no failure: exit 0, errno 0
	tf_send_release "close()" 0
	start=$TF_START

	# Give-up window from the first FIN, per the model.
	read -r lo hi < <(tcpfaultctl model fin "${model[@]}" |
		sed -n 's/^give-up after \[\([0-9.]*\), \([0-9.]*\)\] s.*/\1 \2/p')
	echo "# model: orphan destroyed [$lo, $hi] s after the first FIN"
	# ss -E reports the socket's destruction (sock_diag destroy event); perl
	# stamps it with CLOCK_MONOTONIC. Blocking wait: the guest idles.
	wait "$monpid"
	gone=$(cat "$gonef")
	rm -f "$gonef"
	if [ -z "$gone" ]; then
		echo "# no destroy event for the orphan:"
		ip netns exec "$cli" ss -tanoi dst "$TF_SRV_ADDR" | tf_diag
		check_err 1 "no destroy event for the orphan (ss -E)"
	fi
	first=$(ip netns exec "$rule_ns" awk '/ flags F/ { print $2; exit }' /proc/net/tcpfault/events)
	last=$(ip netns exec "$rule_ns" awk '/ flags F/ { t = $2 } END { print t }' /proc/net/tcpfault/events)
	echo "# measured: FIN gaps$(ip netns exec "$rule_ns" awk '/ flags F/ { if (n++) printf " %.3f", ($2 - p) / 1e9; p = $2 }
		END { printf " s, %d FINs", n }' /proc/net/tcpfault/events)"
	if [ -n "$first" ] && [ -n "$start" ]; then
		echo "# measured: socket gone $(awk -v g="$gone" -v f="$first" -v l="$last" \
			'BEGIN { printf "%.3f s after the first FIN (%.3f s after the last; ss -E)", (g - f) / 1e9, (g - l) / 1e9 }')"
		# gone must be inside [lo, hi + poll slack], widened by the
		# host-jitter tolerance (tf_core_lib.sh: the clock)
		if ! awk -v g="$gone" -v f="$first" -v lo="$lo" -v hi="$hi" -v t="$TF_TOLERANCE_MS" \
			'BEGIN { d = (g - f) / 1e9; t /= 1000; exit !(d >= lo - 0.01 - t && d <= hi + 0.05 + t) }'; then
			xfail_on_slow check_err 1 "socket gone $(tf_secs "$first" "$gone") s after the first FIN, want [$lo - 0.01, $hi + 0.05] (tolerance $TF_TOLERANCE_MS ms)"
		fi
	else
		check_err 1 "no FIN event or no start_ns"
	fi
	tf_check_timeline "gaps against the model" "$rule_ns" --model fin "${model[@]}"
	tcpfaultctl -n "$rule_ns" rule flush

	log_test "$desc"
}

test_default()
{
	orphan_fin "orphaned FIN, peer silent, default tcp_orphan_retries (0 = 8): FINs on schedule, orphan destroyed" default
}

test_orphan_retries_2()
{
	orphan_fin "orphaned FIN, peer silent, tcp_orphan_retries=2: FINs on schedule, orphan destroyed" 2
}

test_orphan_retries_2_egress()
{
	orphan_fin "orphaned FIN lost at the client's egress, tcp_orphan_retries=2: same schedule" 2 cli
}

tf_require tf_send ss perl
tf_run_tests
