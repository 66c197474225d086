# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Topologies of the suites (tcpfault_lib.sh sources it): namespaces joined
# by veth pairs, per-namespace sysctls, the helpers that serve and hold
# connections in them (tf_listen, tf_idle), the two-namespace pair of the
# timer suites and the load balancer of the scenarios.

# tf_veth NS_A ADDR_A NS_B ADDR_B [ADDR6_A ADDR6_B]: a veth pair between two
# namespaces, tf0 in NS_A and tf1 in NS_B, addresses ADDR/24 (and ADDR6/64,
# usable at once: no duplicate address detection), both ends up.
tf_veth()
{
	local a=$1 aaddr=$2 b=$3 baddr=$4

	ip link add tf0 netns "$a" type veth peer name tf1 netns "$b" || return 1
	ip -n "$a" addr add "$aaddr/24" dev tf0 &&
	ip -n "$b" addr add "$baddr/24" dev tf1 || return 1
	if [ $# -ge 6 ]; then
		ip -n "$a" addr add "$5/64" dev tf0 nodad &&
		ip -n "$b" addr add "$6/64" dev tf1 nodad || return 1
	fi
	ip -n "$a" link set tf0 up &&
	ip -n "$b" link set tf1 up
}

# tf_listen_in NS ADDR PORT [OPTS...]: start tf_listen in NS in the
# background and wait until it listens. Its pid is in TF_LISTEN_PID.
tf_listen_in()
{
	local ns=$1 addr=$2 port=$3 ready

	shift 3
	ready=$(mktemp -u /tmp/tf_listen.XXXXXX)
	ip netns exec "$ns" tf_listen --ready "$ready" "$@" "$addr" "$port" >/dev/null &
	# shellcheck disable=SC2034 # for the suites
	TF_LISTEN_PID=$!
	if ! slowwait 60 test -e "$ready"; then
		echo "# tf_listen $addr $port in $ns did not start"
		return 1
	fi
	rm -f "$ready"
}

# tf_sysctl NS NAME VALUE: set a per-netns sysctl (net.ipv4.tcp_*) in NS.
tf_sysctl()
{
	ip netns exec "$1" sysctl -qw "$2=$3"
}

# tf_sysctl_case NS NAME VALUE DEFAULT: a case's sysctl: VALUE "default"
# checks that NAME is at the kernel's DEFAULT in NS, anything else sets
# it. The value in effect in TF_SYSCTL.
tf_sysctl_case()
{
	local ns=$1 name=$2 val=$3 def=$4

	if [ "$val" = default ]; then
		TF_SYSCTL=$(ip netns exec "$ns" sysctl -n "$name")
		tf_check_eq "$name default" "$TF_SYSCTL" "$def"
	else
		tf_sysctl "$ns" "$name" "$val"
		TF_SYSCTL=$val
	fi
}

# tf_pair_setup [TF_LISTEN_OPTS...]: the timer suites' topology:
# namespaces cli and srv (setup_ns: $cli, $srv), one veth pair, cli
# TF_CLI_ADDR, srv TF_SRV_ADDR, and tf_listen on TF_SRV_ADDR port TF_PORT
# in srv.
#
#   cli                                   srv
#   +----------------------+  veth  +----------------------+
#   | 10.0.1.1         tf0 |--------| tf1  10.0.1.2:8080   |
#   +----------------------+        +----------------------+
# shellcheck disable=SC2034 # used by the suites
TF_CLI_ADDR=10.0.1.1
TF_SRV_ADDR=10.0.1.2

# shellcheck disable=SC2154 # setup_ns sets cli and srv
tf_pair_setup()
{
	setup_ns cli srv || return 1
	tf_veth "$cli" "$TF_CLI_ADDR" "$srv" "$TF_SRV_ADDR" || return 1
	tf_listen_in "$srv" "$TF_SRV_ADDR" "$TF_PORT" "$@"
}

# is in TF_IDLE_PID.
tf_idle_in()
{
	local ns=$1 out=$2 addr=$3 port=$4

	shift 4
	# Not through tf_nsx (a function: its pid would be a subshell's).
	nsenter --net="/run/netns/$ns" tf_idle --ready "$out.ready" "$@" "$addr" "$port" >"$out" 2>&1 &
	# shellcheck disable=SC2034 # for the suites
	TF_IDLE_PID=$!
	slowwait 120 test -e "$out.ready" && return 0
	tf_diag <"$out"
	return 1
}

# tf_send_go NS ADDR PORT [TF_SEND_OPTS...]: tf_send from NS to ADDR
# PORT, in the background: connected, it waits for its go (tf_send_release)
# so that a case adds its rules to an established connection. Its pid is
# in TF_SEND_PID, its output file TF_SEND_OUT, the RTO the kernel computed
# from the handshake (srtt + 200 ms; 204 if ss does not say) in
# TF_SEND_RTO_MS. False (the client stopped) if it did not connect.
tf_send_go()
{
	local ns=$1 addr=$2 port=$3 rto

	shift 3
	TF_SEND_OUT=$(mktemp /tmp/tf_send.XXXXXX) || return 1
	ip netns exec "$ns" tf_send "$@" --go "$TF_SEND_OUT.go" "$addr" "$port" >"$TF_SEND_OUT" 2>&1 &
	TF_SEND_PID=$!
	if ! slowwait 60 grep -q '^connected' "$TF_SEND_OUT"; then
		tf_diag <"$TF_SEND_OUT"
		tf_stop "$TF_SEND_PID"
		rm -f "$TF_SEND_OUT"
		return 1
	fi
	rto=$(ip netns exec "$ns" ss -tin dst "$addr" | sed -n 's/.* rto:\([0-9.]*\).*/\1/p' | head -1)
	rto=${rto%.*}
	echo "# RTO after the handshake: ${rto:-?} ms (model default 204)"
	# shellcheck disable=SC2034 # for the suites
	TF_SEND_RTO_MS=${rto:-204}
}

# tf_send_release WHAT WANT: tf_send_go's client goes on (sends, or
# closes), and its result once it ended (tf_timed_result WHAT ... WANT:
# TF_START, TF_END, TF_ERRNO).
tf_send_release()
{
	local rc

	touch "$TF_SEND_OUT.go"
	wait "$TF_SEND_PID"
	rc=$?
	tf_timed_result "$1" "$(grep -v '^connected' "$TF_SEND_OUT")" "$rc" "$2"
	rm -f "$TF_SEND_OUT" "$TF_SEND_OUT.go"
}

# tf_idle_go NS ADDR PORT [TF_IDLE_OPTS...]: tf_idle_in with --go: the
# client connects and then waits, so that a case adds its rules to an
# established connection, until tf_idle_release. Its output file is
# TF_IDLE_OUT. False (the client stopped, its files removed) if it did not
# connect.
tf_idle_go()
{
	local ns=$1

	shift
	TF_IDLE_OUT=$(mktemp /tmp/tf_idle.XXXXXX) || return 1
	mkfifo "$TF_IDLE_OUT.go" || return 1
	tf_idle_in "$ns" "$TF_IDLE_OUT" "$@" --go "$TF_IDLE_OUT.go" && return 0
	tf_stop "$TF_IDLE_PID"
	rm -f "$TF_IDLE_OUT" "$TF_IDLE_OUT".*
	return 1
}

# tf_idle_release WHAT WANT: let tf_idle_go's client start (arm its
# timers), wait until it ends, and take its result (tf_timed_result WHAT
# ... WANT: TF_START, TF_END, TF_ERRNO, TF_RTO_MS).
tf_idle_release()
{
	local rc

	echo go >"$TF_IDLE_OUT.go"
	wait "$TF_IDLE_PID"
	rc=$?
	tf_timed_result "$1" "$(<"$TF_IDLE_OUT")" "$rc" "$2"
	rm -f "$TF_IDLE_OUT" "$TF_IDLE_OUT".*
}

# --- Load balancer topology (scenarios.sh, existing_flows.sh, actions.sh)
# tf_lb_setup CLI LB SRV N: CLI - LB - SRV over two veth pairs (CLI tf0 -
# tf1 LB tf2 - tf3 SRV), LB forwarding IPv4 and IPv6; CLI 10.0.N.1 and
# fd00:N::1, LB 10.0.N.2 fd00:N::2 and 10.0.M.2 fd00:M::2, SRV 10.0.M.1
# and fd00:M::1 (M = N + 1), default routes through LB.
tf_lb_setup()
{
	local c=$1 l=$2 s=$3 n=$4 m=$(($4 + 1))

	ip link add tf0 netns "$c" type veth peer name tf1 netns "$l" &&
	ip link add tf2 netns "$l" type veth peer name tf3 netns "$s" || return 1
	ip -n "$c" addr add "10.0.$n.1/24" dev tf0 &&
	ip -n "$c" addr add "fd00:$n::1/64" dev tf0 nodad &&
	ip -n "$l" addr add "10.0.$n.2/24" dev tf1 &&
	ip -n "$l" addr add "fd00:$n::2/64" dev tf1 nodad &&
	ip -n "$l" addr add "10.0.$m.2/24" dev tf2 &&
	ip -n "$l" addr add "fd00:$m::2/64" dev tf2 nodad &&
	ip -n "$s" addr add "10.0.$m.1/24" dev tf3 &&
	ip -n "$s" addr add "fd00:$m::1/64" dev tf3 nodad || return 1
	ip -n "$c" link set tf0 up && ip -n "$l" link set tf1 up &&
	ip -n "$l" link set tf2 up && ip -n "$s" link set tf3 up || return 1
	ip -n "$c" route add default via "10.0.$n.2" &&
	ip -n "$c" -6 route add default via "fd00:$n::2" &&
	ip -n "$s" route add default via "10.0.$m.2" &&
	ip -n "$s" -6 route add default via "fd00:$m::2" || return 1
	tf_sysctl "$l" net.ipv4.ip_forward 1 &&
	tf_sysctl "$l" net.ipv6.conf.all.forwarding 1
}
# --- end of Load balancer topology
