#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host tests of tcpfaultctl: argument errors (one line naming the word,
# non-zero exit), output formats against canned /proc files, and timeline
# checks against canned events.  Usage: cli_test.sh PATH/TO/tcpfaultctl
set -u

BIN=${1:?usage: cli_test.sh TCPFAULTCTL}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TCPFAULT_PROC_DIR="$DATA/proc"
export LC_ALL=C.UTF-8
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# expect_err WORD CMD...: non-zero exit, exactly one stderr line naming WORD
expect_err() {
	word=$1; shift
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -qF -- "$word" "$TMP/err"; then
		ok "error names '$word': $*"
	else
		not_ok "error names '$word': $* (rc=$rc, stderr: $(cat "$TMP/err"))"
	fi
}

# expect_rc RC CMD...
expect_rc() {
	want=$1; shift
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq "$want" ]; then ok "exit $want: $*"; else not_ok "exit $want: $* (got $rc: $(cat "$TMP/err"))"; fi
}

have_python() { command -v python3 >/dev/null 2>&1; }

expect_json() {
	if ! have_python; then ok "# SKIP json: no python3"; return; fi
	"$BIN" -j "$@" >"$TMP/out" 2>"$TMP/err"
	if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" 2>/dev/null; then
		ok "valid JSON: -j $*"
	else
		not_ok "valid JSON: -j $* ($(head -c 300 "$TMP/out"))"
	fi
}

# --- usage and argument errors
expect_rc 0 -h
grep -q 'tcpfaultctl rule add' "$TMP/out" && ok "usage shows grammar" || not_ok "usage shows grammar"
expect_err '"bogus"' bogus
expect_err '"-x"' -x rule list
expect_err '"dprot"' rule add dprot 80 action drop
expect_err '"70000"' rule add dport 70000 action drop
expect_err '"dport"' rule add dport 70000 action drop
expect_err '"cookie"' rule add dport 80 cookie yes action drop
expect_err '"frobnicate"' rule add dport 80 action frobnicate
expect_err '"a#b"' rule add dport 80 action drop a#b
expect_err '"abc"' rule del abc
expect_err '"del"' rule del
expect_err '"now"' rule flush now
expect_err '"lst"' rule lst
expect_err '"--bogus"' events --bogus
expect_err '"extra"' stats extra
expect_err '"tcp_syn_retrys"' model syn tcp_syn_retrys=2
expect_err '"0"' model syn --kernel 6.1 tcp_syn_retries=0
expect_err '"banana"' model syn --kernel banana
expect_err '"tcp_syn_linear_timeouts"' model syn --kernel 6.1 tcp_syn_linear_timeouts=4
expect_err '"tcp_synack_retrys"' model synack tcp_synack_retrys=2
expect_err '"256"' model synack --kernel 6.1 tcp_synack_retries=256
expect_err '"foo"' model foo
expect_err '"--flow"' timeline --flow
expect_err '"x1"' timeline --flow x1
expect_err '"--end"' timeline --end 5
expect_err '"nosuchns"' -n nosuchns stats
expect_err '"-n"' -n
TCPFAULT_PROC_DIR=$TMP/none expect_err 'module not loaded' stats
TCPFAULT_PROC_DIR=$TMP/none expect_err 'module not loaded' rule add dport 80 action drop
expect_rc 2 rule add dprot 80 action drop
expect_rc 0 model synack --kernel 6.1

# --- output formats on canned files
expect_rc 0 rule list
cmp -s "$TMP/out" "$DATA/proc/rules" && ok "rule list prints the file" || not_ok "rule list prints the file"
expect_json rule list
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "rule list JSON keys and numbers" || not_ok "rule list JSON keys and numbers"
import json, sys
r = json.load(open(sys.argv[1]))
assert r[0]["id"] == 1 and r[0]["dport"] == "8080" and r[0]["hits"] == 3 and r[0]["acted"] == 2, r
assert r[0]["count"] == 2 and r[0]["action"] == "drop" and r[1]["action"] == "log", r
PY
fi
expect_json stats
if have_python; then
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["seen"]==120 and s["error"].startswith("line 1")' "$TMP/out" \
		&& ok "stats JSON" || not_ok "stats JSON"
fi
expect_json events
if have_python; then
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert len(e)==7 and e[0]["ts"]==1000000000000 and e[0]["flags"]=="S" and e[0]["src"]=="10.0.0.1:40112"' "$TMP/out" \
		&& ok "events JSON" || not_ok "events JSON"
fi
expect_json model syn --kernel 6.12
expect_json timeline --model syn --kernel 6.1

# --- writes, into a scratch directory standing in for /proc/net/tcpfault
mkdir "$TMP/proc"; : >"$TMP/proc/rules"; : >"$TMP/proc/events"; : >"$TMP/proc/stats"
TCPFAULT_PROC_DIR=$TMP/proc expect_rc 0 rule add dport 3306 stage syn action drop count 2
[ "$(cat "$TMP/proc/rules")" = "add dport 3306 stage syn action drop count 2" ] \
	&& ok "rule add writes one line" || not_ok "rule add writes one line: $(cat "$TMP/proc/rules")"
TCPFAULT_PROC_DIR=$TMP/proc expect_rc 0 rule del 7
grep -qx 'del 7' "$TMP/proc/rules" && ok "rule del writes" || not_ok "rule del writes"
TCPFAULT_PROC_DIR=$TMP/proc expect_rc 0 events --clear
grep -qx 'clear' "$TMP/proc/events" && ok "events --clear writes" || not_ok "events --clear writes"
TCPFAULT_PROC_DIR=$TMP/proc expect_rc 0 rule restore --flush "$DATA/proc/rules"
{ echo flush; cat "$DATA/proc/rules"; } | cmp -s - "$TMP/proc/rules" \
	&& ok "rule restore --flush writes everything at once" || not_ok "rule restore --flush"
printf 'add dport 80 action drop\nadd dprot 81 action drop\n' >"$TMP/bad.rules"
: >"$TMP/proc/rules"
TCPFAULT_PROC_DIR=$TMP/proc expect_err 'line 2' rule restore "$TMP/bad.rules"
[ ! -s "$TMP/proc/rules" ] && ok "bad restore writes nothing" || not_ok "bad restore writes nothing"

# --- model text
"$BIN" model syn --kernel 6.1 >"$TMP/out"
grep -q 'retransmissions 6, SYNs 7' "$TMP/out" && ok "6.1 r6: 6 retransmissions" || not_ok "6.1 r6 count"
"$BIN" model syn --kernel 6.12 tcp_syn_retries=2 >"$TMP/out"
grep -q 'retransmissions 5, SYNs 6' "$TMP/out" && ok "6.12 r2: 5 retransmissions" || not_ok "6.12 r2 count"
"$BIN" model syn --kernel 6.1 user_timeout=3020 >"$TMP/out"
grep -q 'retransmissions 1-2' "$TMP/out" && ok "ambiguous count shown as a range" || not_ok "ambiguous range"

# --- timeline against canned events (reference measurements and wrong ones)
tl() {
	f=$1; rc=$2; shift 2
	expect_rc "$rc" timeline --from-file "$DATA/$f.events" --model syn --end "$(cat "$DATA/$f.end")" "$@"
}
tl syn-6.1-r6 0 --kernel 6.1
tl syn-6.12-r6 0 --kernel 6.12
tl syn-6.12-r2 0 --kernel 6.12 tcp_syn_retries=2
tl syn-6.1-r6-bad-gap 1 --kernel 6.1
grep -q 'FAIL' "$TMP/out" && ok "bad gap marked FAIL" || not_ok "bad gap marked FAIL"
tl syn-6.1-r6-bad-count 1 --kernel 6.1
tl syn-6.12-r6 1 --kernel 6.1
tl syn-6.1-r6 1 --kernel 6.12
expect_rc 0 timeline --from-file "$DATA/syn-6.1-r6.events"
expect_rc 0 timeline --from-file "$DATA/syn-6.1-r6.events" --flow 7
expect_err 'flow 8' timeline --from-file "$DATA/syn-6.1-r6.events" --flow 8

# --- timeline --model synack against canned SYN-ACK events (server egress log)
expect_rc 0 timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.1
grep -q 'SYN-ACKs 6, model 6' "$TMP/out" && ok "synack: 6 SYN-ACKs counted" || not_ok "synack: 6 SYN-ACKs counted"
expect_rc 0 timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.12
expect_rc 1 timeline --from-file "$DATA/synack-6.1-r5-bad-gap.events" --model synack --kernel 6.1
expect_rc 1 timeline --from-file "$DATA/synack-6.1-nfdrop.events" --model synack --kernel 6.1
expect_rc 1 timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.1 tcp_synack_retries=2
expect_rc 0 timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.1 tcp_synack_retries=2 syncnt=5
expect_json model synack --kernel 6.12 syncnt=3

echo "1..$n"
[ $fails -eq 0 ] || { echo "# $fails of $n failed"; exit 1; }
echo "# all $n passed"
