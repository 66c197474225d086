#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile input to /proc/net/tcpfault/rules: malformed commands of every
# kind, writes over the limits, NUL bytes, commands split across write()
# calls, concurrent writers, thousands of random lines. Each refused write
# gives its reason (read back from the file that was written, "# error line
# N: ...", and stats' "error line N: ..."), leaves the table as it was,
# and tcpfaultctl (which checks with the same parser before writing) names
# the same word; the kernel log stays clean.
#
#   +-------------------------------+
#   | hst: no traffic, one table    |  rules written with dd (one write()
#   | /proc/net/tcpfault/{rules,    |  each), bash's printf on an open fd,
#   |   stats}                      |  and tcpfaultctl rule add / restore
#   +-------------------------------+
#
# TCPFAULT_HOSTILE_SEED: the random generator's seed (printed; default 1);
# TCPFAULT_HOSTILE_LINES: how many random lines (default 3000).

cd "$(dirname "$0")" || exit 1
source ./tcpfault_lib.sh

ALL_TESTS="
	test_malformed
	test_limits
	test_split_writes
	test_concurrent_writers
	test_own_error
	test_random_lines
	test_replay
	test_kernel_log
"

SEED=${TCPFAULT_HOSTILE_SEED:-1}
NLINES=${TCPFAULT_HOSTILE_LINES:-2000}
TMP=
# hst's control files, through a process that lives in it: read and
# written from here with shell builtins (an exec costs much under TCG).
NSD=
NS_PID=

setup()
{
	setup_ns hst || return 1
	TMP=$(mktemp -d /tmp/tf_hostile.XXXXXX) || return 1
	nsenter --net="/run/netns/$hst" sleep 1d &
	NS_PID=$!
	NSD=/proc/$NS_PID/net/tcpfault
	slowwait 10 same_ns "/proc/$NS_PID/ns/net" "/run/netns/$hst" || return 1
	tf_dmesg_mark
	TF_DMESG_START=$TF_DMESG_LINES
}

same_ns()
{
	[ "$(stat -L -c %i "$1")" = "$(stat -L -c %i "$2")" ]
}

cleanup()
{
	[ -z "$NS_PID" ] || { kill "$NS_PID"; wait "$NS_PID"; } 2>/dev/null
	cleanup_all_ns
	[ -z "$TMP" ] || rm -rf "$TMP"
}

rules_now()
{
	echo "$(<"$NSD/rules")"
}

stats_error()
{
	local k v

	while read -r k v; do
		[ "$k" = error ] && echo "$v"
	done <"$NSD/stats"
}

# The table the malformed writes must leave alone.
baseline()
{
	tcpfaultctl -n "$hst" rule restore --flush - <<-EOF
		add id 1 dport 3306 stage syn action drop count 2
		add id 7 family ipv6 saddr fd00::/8 action log
		add id 9 dir fwd port 1000-2000 stage data action delay 5 prob 12.5 seed 3
	EOF
}

# refused DESCRIPTION WORD FILE: FILE's bytes in one write() to the rules
# file are refused, stats names WORD, the table is unchanged, and
# `tcpfaultctl rule restore FILE` refuses it naming WORD too.
refused()
{
	local desc=$1 word=$2 file=$3 before out err cli nfail=$TF_NFAIL

	before=$(rules_now)
	out=$(dd if="$file" of="$NSD/rules" bs=1M status=none 2>&1)
	check_fail $? "$desc: the write was accepted"
	err=$(stats_error)
	[[ $err == *"$word"* ]]
	check_err $? "$desc: stats error '${err:-(none)}' does not name '$word'"
	tf_check_eq "$desc: the table after the write" "$(rules_now)" "$before"
	cli=$(tcpfaultctl -n "$hst" rule restore "$file" 2>&1)
	check_fail $? "$desc: tcpfaultctl rule restore accepted it"
	[[ $cli == *"$word"* ]]
	check_err $? "$desc: tcpfaultctl said '$cli', not naming '$word'"
	tf_check_eq "$desc: the table after tcpfaultctl" "$(rules_now)" "$before"
	if [ "$TF_NFAIL" != "$nfail" ]; then
		echo "# $desc: write: ${out#dd: }; stats: error ${err:-(none)}; tcpfaultctl: $cli; want \"$word\""
	fi
}

# Malformed one-line commands: "WORD<TAB>COMMAND" (WORD: what the reason
# must name).
MALFORMED='65536	add dport 65536 action drop
99999999999999999999	add sport 99999999999999999999 action drop
4294967296	add skip 4294967296 action drop
2147483648	add id 2147483648 action drop
0	add id 0 action drop
90-80	add dport 90-80 action drop
1-	add port 1- action drop
-1	add after -1 action log
10.0.0.1/24	add saddr 10.0.0.1/24 action drop
10.0.0.0/33	add daddr 10.0.0.0/33 action drop
fd00::/129	add saddr fd00::/129 action drop
10.0.0.0/-1	add saddr 10.0.0.0/-1 action drop
10.0.0.0/	add saddr 10.0.0.0/ action drop
256.0.0.1	add saddr 256.0.0.1 action drop
fd00::1::2	add daddr fd00::1::2 action drop
fd00::g	add daddr fd00::g action drop
01.2.3.4	add saddr 01.2.3.4 action drop
::ffff:10.0.0.01	add daddr ::ffff:10.0.0.01 action drop
00001::	add saddr 00001::/16 action drop
different families	add saddr 10.0.0.0/8 daddr ::1 action drop
"dport"	add dport 80 dport 81 action drop
"action"	add action drop action log
"prob"	add prob 5 prob 6 action drop
frobnicate	add dport 80 frobnicate 1 action drop
frobnicate	frobnicate dport 80
"action"	add dport 80
missing value for "action"	add dport 80 action
missing value for "dport"	add dport
explode	add action explode
600001	add action delay 600001
0	add action delay 0
65536	add action window 65536
+X	add action flags +X
100.01	add prob 100.01 action drop
1.234	add prob 1.234 action drop
seed	add seed 5 action drop
0g	add payload-hex 0g action log
exclude each other	add payload GET payload-hex 47 action log
"cookie"	add cookie yes action drop
"after"	add stage ack3 after 5 action drop
"how"	add how fin action drop
"stage"	kill sport 1 stage syn
needs a port	kill how fin
"0"	del 0
2147483648	del 2147483648
"6"	del 5 6
"now"	flush now
ADD	ADD dport 80 action drop'

test_malformed()
{
	local word line n=0 cli title="malformed commands refused with their word, by the module and by tcpfaultctl; table unchanged"

	if ! baseline; then
		check_err 1 "the baseline table was refused"
		log_test "$title"
		return
	fi
	while IFS=$'\t' read -r word line; do
		n=$((n + 1))
		printf '%s\n' "$line" >"$TMP/line"
		refused "$line" "$word" "$TMP/line"
		# tcpfaultctl rule add WORDS...: the same word, nothing written.
		if [[ $line == "add "* ]]; then
			# shellcheck disable=SC2086 # the command's words
			cli=$(tcpfaultctl -n "$hst" rule ${line} 2>&1)
			check_fail $? "tcpfaultctl rule $line: accepted"
			[[ $cli == *"$word"* ]] ||
				check_err 1 "tcpfaultctl rule $line: '$cli' does not name '$word'"
		fi
	done <<<"$MALFORMED"
	echo "# $n malformed commands, $TF_NFAIL failed checks"
	log_test "$n $title"
}

test_limits()
{
	local i before out

	# A line of 512 bytes (the limit is 511), and 65 words (the limit 64).
	{ printf 'add dport 1 action drop #'; printf 'x%.0s' $(seq 487); echo; } >"$TMP/long"
	refused "a 512-byte line" "511" "$TMP/long"
	{ printf 'add'; for ((i = 0; i < 32; i++)); do printf ' dir in'; done; echo; } >"$TMP/words"
	refused "65 words" "64 words" "$TMP/words"
	# NUL bytes: anywhere in the write.
	printf 'add id 20 dport 20 action drop\n\0add id 21 dport 21 action drop\n' >"$TMP/nul"
	before=$(rules_now)
	out=$(dd if="$TMP/nul" of="$NSD/rules" bs=1M status=none 2>&1)
	check_fail $? "a write with a NUL byte was accepted"
	[[ $(stats_error) == *"NUL byte"* ]] || check_err 1 "NUL: $out, stats error '$(stats_error)', want 'NUL byte'"
	tf_check_eq "the table after the NUL write" "$(rules_now)" "$before"
	out=$(tcpfaultctl -n "$hst" rule restore "$TMP/nul" 2>&1)
	check_fail $? "tcpfaultctl restored a file with a NUL byte"
	[[ $out == *"not a text file"* ]] || check_err 1 "tcpfaultctl, NUL: '$out', want 'not a text file'"
	# 65536 bytes is one write's limit: exactly that is taken, one more not.
	awk 'BEGIN { for (i = 0; i < 1024; i++) printf "#%062d\n", i }' >"$TMP/64k"
	tf_check_eq "bytes of the 64 KiB file" "$(stat -c %s "$TMP/64k")" 65536
	dd if="$TMP/64k" of="$NSD/rules" bs=1M status=none ||
		check_err 1 "a write of 65536 bytes was refused: $(stats_error)"
	{ cat "$TMP/64k"; echo; } >"$TMP/64k1"
	refused "a write of 65537 bytes" "65536" "$TMP/64k1"
	# Good lines all the way, too many bytes: nothing of it is taken.
	awk 'BEGIN { for (i = 1; i <= 2900; i++) printf "add id %d dport %d action log\n", 100 + i, i }' \
		>"$TMP/big"
	refused "2900 good lines, 77 KiB" "65536" "$TMP/big"
	echo "# limits: $TF_NFAIL failed checks"
	log_test "over-long line, too many words, NUL byte, write over 64 KiB refused with a reason; 64 KiB taken"
}

# Each write() is parsed on its own as whole lines: there is no carrying of
# a partial line to the next write. A command split across two writes is
# two commands, each judged alone: an incomplete half is refused, a half
# that happens to be a whole command is applied as written.
test_split_writes()
{
	local out before

	before=$(rules_now)
	out=$(
		exec 3>"$NSD/rules"
		printf "add id 30 dport 30 act" >&3 2>/dev/null && echo "first half taken"
		stats_error
		printf "ion drop\n" >&3 2>/dev/null && echo "second half taken"
		stats_error
		printf "add id 31 dport 31 action delay 1" >&3 && echo "whole first half taken"
		printf "0\n" >&3 2>/dev/null && echo "trailing 0 taken"
		stats_error
		exec 3>&-)
	echo "$out" | tf_diag
	tf_check_grep "the first half alone (stats error)" '^line 1: unknown keyword "act"' "$out"
	tf_check_grep "the second half alone (stats error)" '^line 1: unknown command "ion"' "$out"
	tf_check_grep "a half that is a whole command" '^whole first half taken' "$out"
	tf_check_grep "its trailing 0 alone (stats error)" '^line 1: unknown command "0"' "$out"
	tf_check_nogrep "halves taken but the whole one" 'taken' "$(grep -v '^whole' <<<"$out")"
	[ "$(rules_now | sed 's/ *#.*//' | grep 'id 3[01] ')" = "add id 31 dport 31 action delay 1" ] ||
		rules_now | tf_diag
	tf_check_eq "rules 30 and 31 in the table" "$(rules_now | sed 's/ *#.*//' | grep 'id 3[01] ')" "add id 31 dport 31 action delay 1"
	printf 'del 31\n' >"$NSD/rules"
	check_err $? "del 31 refused"
	tf_check_eq "the table after del 31" "$(rules_now)" "$before"
	log_test "a command split across two write()s: each write is whole lines, halves judged alone"
}

# WRITERS processes on the same table at once, each on its own block of
# ids: add, add again (EEXIST), del, del again (ENOENT), and every 10th
# round a rule kept; and a write of a good and a bad line, refused whole.
# Each write's status is what it must be (a refusal: its errno), and the
# table is exactly the kept rules. (One printf '%s' is one write(); a
# format with newlines would be one write per line.)
WRITERS=4
ROUNDS=100

writer()
{
	local w=$1 r id bad=0 kept=0 two

	exec 3>"$NSD/rules"
	for ((r = 1; r <= ROUNDS; r++)); do
		id=$((w * 100000 + r))
		printf 'add id %d dport %d action log\n' "$id" "$r" >&3 || bad=$((bad + 1))
		printf 'add id %d dport 1 action drop\n' "$id" >&3 2>"$TMP/err$w" && bad=$((bad + 1))
		[[ $(<"$TMP/err$w") == *"File exists"* ]] || bad=$((bad + 1))
		if ((r % 10)); then
			printf 'del %d\n' "$id" >&3 || bad=$((bad + 1))
			printf 'del %d\n' "$id" >&3 2>"$TMP/err$w" && bad=$((bad + 1))
			[[ $(<"$TMP/err$w") == *"No such file"* ]] || bad=$((bad + 1))
		else
			kept=$((kept + 1))
		fi
		printf -v two 'add id %d dport 2 action log\nadd dport x action log\n' $((id + 50000))
		printf '%s' "$two" >&3 2>"$TMP/err$w" && bad=$((bad + 1))
		[[ $(<"$TMP/err$w") == *"Invalid argument"* ]] || bad=$((bad + 1))
	done
	exec 3>&-
	echo "writer $w bad $bad kept $kept"
}

test_concurrent_writers()
{
	local w pids=() out want got n

	printf 'flush\n' >"$NSD/rules"
	for ((w = 1; w <= WRITERS; w++)); do
		writer "$w" >"$TMP/writer$w" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ((w = 1; w <= WRITERS; w++)); do
		out=$(<"$TMP/writer$w")
		echo "# $(tail -n 1 <<<"$out")"
		tf_check_grep "writer $w's last line" "^writer $w bad 0 kept $((ROUNDS / 10))\$" "$out"
	done
	want=$(for ((w = 1; w <= WRITERS; w++)); do
		for ((n = 10; n <= ROUNDS; n += 10)); do
			echo "add id $((w * 100000 + n)) dport $n action log"
		done
	done)
	got=$(rules_now | sed 's/ *#.*//')
	[ "$got" = "$want" ] || {
		check_err 1 "the table is not the kept rules (diff below)"
		diff <(echo "$want") <(echo "$got") | head | tf_diag
	}
	n=$(sed -n 's/^rules //p' "$NSD/stats")
	tf_check_eq "stats: rules" "$n" $((WRITERS * ROUNDS / 10))
	printf 'flush\n' >"$NSD/rules"
	log_test "$WRITERS concurrent writers, $((WRITERS * ROUNDS * 5)) writes: each status as due, the table exactly the kept rules"
}

# Two writers, each refused for its own reason: each reads its own back
# from the file it wrote ("# error line 1: ..." first), not the other's;
# stats has the namespace's last. And tcpfaultctl, refused by the kernel
# for a reason its own parser cannot see, names the kernel's.
test_own_error()
{
	local l3 l4 cli

	printf 'flush\nadd id 5 dport 5 action log\n' >"$NSD/rules"
	exec 3<>"$NSD/rules" 4<>"$NSD/rules"
	printf 'add id 5 dport 6 action drop\n' >&3 2>/dev/null
	check_fail $? "a second rule id 5 was accepted"
	printf 'del 77\n' >&4 2>/dev/null
	check_fail $? "del of a missing rule was accepted"
	read -r l3 <&3
	read -r l4 <&4
	exec 3<&- 4<&-
	tf_check_eq "the first writer's own reason" "$l3" "# error line 1: a rule with this id exists"
	tf_check_eq "the second writer's own reason" "$l4" "# error line 1: no rule with this id"
	tf_check_eq "stats: the namespace's last" "$(stats_error)" "line 1: no rule with this id"
	cli=$(tcpfaultctl -n "$hst" rule add id 5 dport 7 action drop 2>&1)
	check_fail $? "tcpfaultctl rule add id 5 was accepted"
	tf_check_eq "tcpfaultctl's message" "$cli" \
		"tcpfaultctl: kernel rejected the write: line 1: a rule with this id exists"
	tf_check_grep "a plain read after: the table, and nothing else" \
		'^add id 5 dport 5 action log # hits 0 acted 0$' "$(rules_now)"
	printf 'flush\n' >"$NSD/rules"
	log_test "refused writes: each writer reads its own reason from its file; tcpfaultctl reports the kernel's"
}

# Random lines from the language's words and near misses, one write each
# (and in batches): whatever the kernel accepts, tcpfaultctl's check
# accepts too and vice versa (every 25th line: an exec each), each refusal
# has a reason, and the kernel log stays clean. Generated by awk with a
# fixed seed.
gen_random()
{
	awk -v seed="$1" -v n="$2" 'BEGIN {
		srand(seed)
		nv = split("add add add add add del flush kill add", verbs, " ")
		nk = split("id family dir sport dport port saddr daddr stage action skip count payload payload-hex cookie after idle every prob seed how bogus", kws, " ")
		nx = split("0 1 7 80 65535 65536 -1 1-2 2-1 1- 4294967295 4294967296 2147483647 2147483648 " \
			"99999999999999999999 10.0.0.0/8 10.0.0.1/8 10.0.0.1 1.2.3.4/33 256.1.1.1 01.2.3.4 " \
			"fd00::/8 fd00::1/129 ::ffff:1.2.3.4 ::1 1::2::3 ipv4 ipv6 in out fwd syn synack ack3 ack " \
			"data probe fin rst any yes no drop log reset reset-both delay window flags corrupt " \
			"+S -A +SFRPAUEC +X 0.01 12.5 100 100.01 .5 5. rst fin GET 0a00 0g # #x x \\t", vals, " ")
		for (i = 0; i < n; i++) {
			line = verbs[int(rand() * nv) + 1]
			m = int(rand() * 8)
			for (j = 0; j < m; j++) {
				if (rand() < 0.6)
					line = line " " kws[int(rand() * nk) + 1]
				line = line " " vals[int(rand() * nx) + 1]
			}
			if (rand() < 0.4)
				line = line " action " vals[int(rand() * nx) + 1]
			if (rand() < 0.1)
				line = "flush"
			print line
		}
	}'
}

test_random_lines()
{
	local out taken refused noreason differ line err k v sampled=0

	echo "# seed $SEED, $NLINES lines (TCPFAULT_HOSTILE_SEED, TCPFAULT_HOSTILE_LINES)"
	gen_random "$SEED" "$NLINES" >"$TMP/random"
	# The kernel's verdict on each line, one write() each, and the reason.
	# (No command substitution in this loop: a fork each costs much.)
	exec 3>"$NSD/rules"
	while IFS= read -r line; do
		if printf '%s\n' "$line" >&3 2>/dev/null; then
			echo ok
			continue
		fi
		err=NONE
		while read -r k v; do
			[ "$k" = error ] && err=$v
		done <"$NSD/stats"
		echo "no $err"
	done <"$TMP/random" >"$TMP/kernel"
	exec 3>&-
	taken=$(grep -c '^ok' "$TMP/kernel")
	refused=$(grep -c '^no' "$TMP/kernel")
	noreason=$(grep -c '^no NONE' "$TMP/kernel")
	echo "# kernel: $taken taken, $refused refused, $noreason without a reason"
	# Only what a parser can judge: a refusal for a duplicate id or a
	# missing rule is the table's.
	paste -d '\t' "$TMP/kernel" "$TMP/random" |
		grep -v -e 'a rule with this id exists' -e 'no rule with this id' \
		        -e 'rule table full' | awk 'NR % 25 == 1' >"$TMP/judged"
	# tcpfaultctl's parser on the same lines: restore checks every line
	# before it writes (exit 2: refused by the check).
	differ=0
	while IFS=$'\t' read -r verdict line; do
		sampled=$((sampled + 1))
		printf '%s\n' "$line" >"$TMP/one"
		out=$(tcpfaultctl -n "$hst" rule restore "$TMP/one" 2>&1)
		if [ $? -eq 2 ]; then
			[ "${verdict%% *}" = no ] && continue
		else
			[ "$verdict" = ok ] && continue
		fi
		differ=$((differ + 1))
		[ "$differ" -le 5 ] && echo "# differ: \"$line\": kernel $verdict; tcpfaultctl ${out:-ok}"
	done <"$TMP/judged"
	echo "# kernel and tcpfaultctl differ on $differ of $sampled lines"
	tf_check_eq "refusals without a reason" "$noreason" 0
	tf_check_eq "lines the kernel and tcpfaultctl judge differently" "$differ" 0
	# And in batches of 20 lines a write: all or nothing.
	split -l 20 "$TMP/random" "$TMP/batch."
	for out in "$TMP"/batch.*; do
		printf '%s' "$(<"$out")" >"$NSD/rules" 2>/dev/null
	done
	printf 'flush\n' >"$NSD/rules"
	log_test "$NLINES random lines (seed $SEED): a reason for every refusal, module and tcpfaultctl agree"
}

# What "rules" lists replays: flush and restore gives the same listing.
test_replay()
{
	local before after

	tf_check_cmd "the baseline table" baseline
	printf '%s\n' "add payload-hex 00ff23 action log" \
		"add saddr ::ffff:10.1.0.0/112 action delay 9 prob 0.5" \
		"add stage ack3 cookie yes dir in dport 3306 action reset-both skip 4294967295 every 3" \
		>"$NSD/rules"
	check_err $? "the three rules to replay refused"
	before=$(rules_now | sed 's/ *#.*//')
	rules_now >"$TMP/saved"
	tf_check_cmd "restore --flush of the listing" tcpfaultctl -n "$hst" rule restore --flush "$TMP/saved"
	after=$(rules_now | sed 's/ *#.*//')
	[ "$before" = "$after" ] || {
		check_err 1 "the restored table differs (diff below)"
		diff <(echo "$before") <(echo "$after") | tf_diag
	}
	echo "$after" | tf_diag
	printf 'flush\n' >"$NSD/rules"
	log_test "the listing (with its counters) restores to the same table"
}

test_kernel_log()
{
	TF_DMESG_LINES=$TF_DMESG_START
	tf_check_cmd "WARNING/BUG/Oops/leak in the kernel log since the start" tf_dmesg_clean
	log_test "no WARNING/BUG/Oops/leak in the kernel log"
}

tf_require dd awk split
tf_run_tests
