#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Privilege and isolation, beyond lifecycle.sh's test_unprivileged: an
# unprivileged user's own user namespace manages the rules of the network
# namespace it owns and nobody else's (not the init netns's, not a root
# netns's, not a sibling user namespace's: by path, by /proc/PID/net, by
# setns); its events are its own; and rules never act across namespaces.
#
#   na (root netns)                      nb (root netns)
#   +---------------------+              +---------------------+
#   | 10.0.3.1  tf_listen | veth a0--b0  | 10.0.3.2  tf_listen |
#   |  :8080 (echo)       |--------------|  :8080 (echo)       |
#   +---------------------+              +---------------------+
#   nc: a third netns with the same address and listener (10.0.3.2 on a
#   veth to nd, 10.0.3.1), so the same flow exists in two places.
#   U1, U2: user namespaces of uid 65534, each owning a netns (unshare -Urn).

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_userns_own
	test_userns_one_call
	test_userns_not_others
	test_setns_refused
	test_no_crossing
	test_kernel_log
"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
TMP=
HOLDERS=()
U1_PID=
U2_PID=
A_PID=

setup()
{
	setup_ns na nb nc nd || return 1
	tf_veth "$na" 10.0.3.1 "$nb" 10.0.3.2 || return 1
	ip link add tf0 netns "$nc" type veth peer name tf1 netns "$nd" || return 1
	ip -n "$nc" addr add 10.0.3.2/24 dev tf0 && ip -n "$nd" addr add 10.0.3.1/24 dev tf1 &&
	ip -n "$nc" link set tf0 up && ip -n "$nd" link set tf1 up || return 1
	TMP=$(mktemp -d /tmp/tf_priv.XXXXXX) || return 1
	chmod 0777 "$TMP"
	# U1 and U2, for every case.
	userns_holder "$TMP/u1" && userns_holder "$TMP/u2" || return 1
	U1_PID=$(<"$TMP/u1")
	U2_PID=$(<"$TMP/u2")
	tf_dmesg_mark
	TF_DMESG_START=$TF_DMESG_LINES
}

cleanup()
{
	tf_stop "${HOLDERS[@]}"
	cleanup_all_ns
	[ -z "$TMP" ] || rm -rf "$TMP"
}

# userns_holder FILE: a process of uid 65534 in a new user namespace and
# a network namespace made inside it, which stays; its pid in FILE (inside
# it is uid 0). The network namespace is made once the user namespace has
# its uid map, as container runtimes do (test_userns_one_call: both at once).
userns_holder()
{
	"${NOBODY[@]}" unshare -Ur unshare -n sh -c 'ip link set lo up; echo $$ >'"$1"'; exec sleep 1d' \
		>/dev/null 2>&1 &
	HOLDERS+=($!)
	slowwait 10 test -s "$1"
}

# as_userns PID CMD...: CMD as root of PID's user namespace, in PID's
# network namespace (nsenter -U: the process's own user namespace).
as_userns()
{
	local pid=$1

	shift
	"${NOBODY[@]}" nsenter --preserve-credentials -U -n -t "$pid" "$@"
}

test_userns_own()
{
	local out

	out=$(as_userns "$U1_PID" sh -c '
		echo "add id 1 dport 9 stage syn action drop" >/proc/net/tcpfault/rules &&
		cat /proc/net/tcpfault/rules && echo clear >/proc/net/tcpfault/events &&
		cat /proc/net/tcpfault/events && echo events-ok' 2>&1)
	echo "$out" | tf_diag
	tf_check_grep "U1 writes and reads back its rule" '^add id 1 dport 9 stage syn action drop' "$out"
	tf_check_grep "U1 clears and reads its events" '^events-ok' "$out"
	# Its rule acts on its own loopback.
	out=$(as_userns "$U1_PID" tf_connect --timeout 2 127.0.0.1 9 2>&1)
	echo "# its own SYN to port 9: $out"
	# the SYN was dropped
	tf_check_eq "U1's own SYN to port 9: errno" "$(tf_field "$out" errno)" EINTR
	out=$(as_userns "$U1_PID" cat /proc/net/tcpfault/events)
	tf_check_grep "U1's events" 'verdict drop' "$out"
	log_test "an unprivileged user's userns root manages its own netns (rules, events)"
}

# unshare -Urn: the network namespace is made in the same call as the user
# namespace, before its uid map; its root still owns and writes the files.
test_userns_one_call()
{
	local out

	out=$("${NOBODY[@]}" unshare -Urn sh -c '
		stat -c "owner %u:%g mode %a" /proc/net/tcpfault/rules &&
		echo "add id 1 dport 9 stage syn action drop" >/proc/net/tcpfault/rules &&
		cat /proc/net/tcpfault/rules /proc/net/tcpfault/events && echo events-ok' 2>&1)
	echo "$out" | tf_diag
	tf_check_grep "owner and mode of its rules file" '^owner 0:0 mode 600$' "$out"
	tf_check_grep "it writes and reads back its rule" '^add id 1 dport 9 stage syn action drop' "$out"
	tf_check_grep "it reads its events" '^events-ok' "$out"
	log_test "unshare -Urn in one call: its root owns and writes its netns's files"
}

# refused_write DESC PATH CMD...: CMD writes a rule to PATH and must fail.
refused_write()
{
	local desc=$1 path=$2 out

	shift 2
	out=$("$@" sh -c "echo 'add dport 80 action drop' | dd of=$path status=none" 2>&1) && {
		echo "# $desc: accepted"
		return 1
	}
	echo "# $desc: ${out##*: }"
}

test_userns_not_others()
{
	local init_before a_before u2_before out

	nsenter --net="/run/netns/$na" sleep 1d >/dev/null 2>&1 &
	A_PID=$!
	HOLDERS+=("$A_PID")
	slowwait 10 tf_pid_in_netns "$A_PID" "$na"
	check_err $? "the holder of netns a not in it after 10 s"
	tcpfaultctl -n "$na" rule add id 3 dport 3 action log
	init_before=$(cat /proc/net/tcpfault/rules)
	a_before=$(cat "/proc/$A_PID/net/tcpfault/rules")
	u2_before=$(as_userns "$U2_PID" cat /proc/net/tcpfault/rules)

	# From inside U1 (root there, uid 65534 outside).
	refused_write "U1 -> init netns via /proc/1/net" /proc/1/net/tcpfault/rules \
		as_userns "$U1_PID"
	check_err $? "U1 wrote the init netns's rules via /proc/1/net"
	refused_write "U1 -> root netns a via /proc/PID/net" "/proc/$A_PID/net/tcpfault/rules" \
		as_userns "$U1_PID"
	check_err $? "U1 wrote root netns a's rules via /proc/PID/net"
	refused_write "U1 -> sibling U2's netns via /proc/PID/net" "/proc/$U2_PID/net/tcpfault/rules" \
		as_userns "$U1_PID"
	check_err $? "U1 wrote sibling U2's rules via /proc/PID/net"
	# U2's events and rules belong to U2's root, uid 65534 outside: another
	# user cannot read them. (uid 65534 itself can, from anywhere: it
	# owns them.)
	out=$(setpriv --reuid=65533 --regid=65533 --clear-groups \
		cat "/proc/$U2_PID/net/tcpfault/events" 2>&1)
	check_fail $? "uid 65533 reads U2's events"
	echo "# uid 65533 reads U2's events: ${out##*: }"
	out=$(setpriv --reuid=65533 --regid=65533 --clear-groups \
		cat "/proc/$U2_PID/net/tcpfault/rules" 2>&1)
	check_fail $? "uid 65533 reads U2's rules"
	# Stats are 0444: readable by anyone.
	as_userns "$U1_PID" cat /proc/1/net/tcpfault/stats >/dev/null
	check_err $? "U1 cannot read the init netns's stats (0444)"
	# Root of the init user namespace without CAP_NET_ADMIN, on U2's netns.
	refused_write "uid 0 without CAP_NET_ADMIN -> U2's netns" "/proc/$U2_PID/net/tcpfault/rules" \
		setpriv --inh-caps=-net_admin --bounding-set=-net_admin
	check_err $? "uid 0 without CAP_NET_ADMIN wrote U2's rules"
	tf_check_eq "the init netns's table" "$(cat /proc/net/tcpfault/rules)" "$init_before"
	tf_check_eq "netns a's table" "$(cat "/proc/$A_PID/net/tcpfault/rules")" "$a_before"
	tf_check_eq "U2's table" "$(as_userns "$U2_PID" cat /proc/net/tcpfault/rules)" "$u2_before"
	log_test "a userns root cannot write the init netns's, a root netns's or a sibling's rules"
	# The owner of the init user namespace can (root with CAP_NET_ADMIN).
	echo 'add id 4 dport 4 action log' >"/proc/$U2_PID/net/tcpfault/rules" ||
		echo "# init root could not write U2's rules"
	as_userns "$U2_PID" sh -c 'echo flush >/proc/net/tcpfault/rules'
}

test_setns_refused()
{
	local out

	out=$(as_userns "$U1_PID" nsenter --net="/run/netns/$na" cat /proc/net/tcpfault/rules 2>&1)
	check_fail $? "U1 entered netns a"
	echo "# U1: setns to a: ${out##*: }"
	out=$(as_userns "$U1_PID" nsenter -n -t "$U2_PID" sh -c \
		"echo 'add dport 80 action drop' >/proc/net/tcpfault/rules" 2>&1)
	check_fail $? "U1 entered U2's netns and wrote its rules"
	echo "# U1: setns to U2's netns: ${out##*: }"
	out=$(as_userns "$U1_PID" nsenter --net=/proc/1/ns/net cat /proc/net/tcpfault/rules 2>&1)
	check_fail $? "U1 entered the init netns"
	echo "# U1: setns to the init netns: ${out##*: }"
	tf_check_eq "U2's rules" "$(as_userns "$U2_PID" cat /proc/net/tcpfault/rules)" ""
	log_test "a userns root cannot setns into another netns to reach its rules"
}

# The same flow (10.0.3.1 -> 10.0.3.2:8080) in a/b and in d/c: a drop
# in b stops only b's; a log in c sees only c's; U1's rules nobody's.
test_no_crossing()
{
	local out pid_b pid_c

	tf_check_cmd "echo server in b" tf_listen_in "$nb" 10.0.3.2 "$TF_PORT" --echo
	pid_b=$TF_LISTEN_PID
	tf_check_cmd "echo server in c" tf_listen_in "$nc" 10.0.3.2 "$TF_PORT" --echo
	pid_c=$TF_LISTEN_PID
	HOLDERS+=("$pid_b" "$pid_c")
	tf_reset "$nb"; tf_reset "$nc"; tf_reset "$na"; tf_reset "$nd"
	# U1 drops everything on its side: nobody else must notice.
	as_userns "$U1_PID" sh -c 'echo "add action drop" >/proc/net/tcpfault/rules' ||
		check_err 1 "U1 could not add its drop-all rule"
	tf_check_cmd "rule in b: syn drop" tcpfaultctl -n "$nb" rule add dport "$TF_PORT" stage syn action drop
	tf_check_cmd "rule in c: log" tcpfaultctl -n "$nc" rule add dport "$TF_PORT" action log

	out=$(ip netns exec "$na" tf_connect --timeout 3 --send x 10.0.3.2 "$TF_PORT")
	echo "# a -> b: $out"
	tf_check_eq "a -> b (b drops the SYN): errno" "$(tf_field "$out" errno)" EINTR
	out=$(ip netns exec "$nd" tf_connect --timeout 3 --send x 10.0.3.2 "$TF_PORT")
	echo "# d -> c: $out"
	tf_check_eq "d -> c (c logs): errno" "$(tf_field "$out" errno)" 0
	# Each namespace's events are its own rule's only.
	echo "# events: b drop $(tf_count_events "$nb" 'verdict drop') log $(tf_count_events "$nb" 'verdict log')," \
		"c log $(tf_count_events "$nc" 'verdict log') drop $(tf_count_events "$nc" 'verdict drop')," \
		"a $(tf_count_events "$na"), d $(tf_count_events "$nd"); matched a $(tf_stat "$na" matched), d $(tf_stat "$nd" matched)"
	tf_check_ge "b: drop events" "$(tf_count_events "$nb" 'verdict drop')" 1
	tf_check_eq "b: log events" "$(tf_count_events "$nb" 'verdict log')" 0
	tf_check_ge "c: log events" "$(tf_count_events "$nc" 'verdict log')" 3
	tf_check_eq "c: drop events" "$(tf_count_events "$nc" 'verdict drop')" 0
	tf_check_eq "a: events" "$(tf_count_events "$na")" 0
	tf_check_eq "d: events" "$(tf_count_events "$nd")" 0
	tf_check_eq "a: matched" "$(tf_stat "$na" matched)" 0
	tf_check_eq "d: matched" "$(tf_stat "$nd" matched)" 0
	[ "$(sed -n 's/^matched //p' /proc/net/tcpfault/stats)" = 0 ] ||
		echo "# (init netns matched: other suites' rules)"
	log_test "rules never act across namespaces (same flow in two places, a drop-all in a userns)"
	tcpfaultctl -n "$nb" rule flush; tcpfaultctl -n "$nc" rule flush
}

test_kernel_log()
{
	TF_DMESG_LINES=$TF_DMESG_START
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log since the start" tf_dmesg_clean
	log_test "no WARNING/BUG/Oops/leak in the kernel log"
}

tf_require setpriv unshare nsenter
if ! "${NOBODY[@]}" unshare -Urn true 2>/dev/null; then
	ktap_skip_all "unprivileged user namespaces are disabled"
	exit "$KSFT_SKIP"
fi
tf_run_tests
