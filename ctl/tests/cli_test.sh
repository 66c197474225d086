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
# HZ from fake configs only (the running kernel's tick still answers)
mkdir -p "$TMP/boot"
export TCPFAULT_BOOT_DIR="$TMP/boot" TCPFAULT_CONFIG_GZ="$TMP/none.gz"
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

# expect_json CMD...: -j output that python3 -m json.tool takes; -j -p the
# same document, indented.  Leaves the -j output in $TMP/out.
expect_json() {
	if ! have_python; then ok "# SKIP json: no python3"; return; fi
	"$BIN" -j -p "$@" >"$TMP/pretty" 2>"$TMP/err"
	"$BIN" -j "$@" >"$TMP/out" 2>"$TMP/err"
	if python3 -m json.tool "$TMP/out" >/dev/null 2>&1 &&
	   python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
		"$TMP/out" "$TMP/pretty" 2>/dev/null &&
	   { [ "$(wc -l <"$TMP/out")" -eq 1 ] || [ "$(wc -l <"$TMP/pretty")" -gt 1 ]; }; then
		ok "valid JSON, -p the same: -j $*"
	else
		not_ok "valid JSON, -p the same: -j $* ($(head -c 300 "$TMP/out"))"
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

# --- usage: every model kind, every timeline option; model KIND -h
"$BIN" -h >"$TMP/usage"
for k in syn synack data fin keepalive probe; do
	grep -q "^KIND := {.* $k[ }]" "$TMP/usage" && ok "usage: model $k" || not_ok "usage: model $k"
	expect_rc 0 model $k -h
	if head -n 1 "$TMP/out" | grep -q "^Usage: tcpfaultctl model $k "; then
		ok "model $k -h: its usage"
	else
		not_ok "model $k -h: $(cat "$TMP/out")"
	fi
	cp "$TMP/out" "$TMP/kind_usage"
	# every NAME its usage lists is a setting of the model
	for set in $(grep -o '[a-z_0-9]*=' "$TMP/kind_usage"); do
		case $set in
		hz=) v=1000 ;;
		*rto_min_us=) v=50000 ;;
		*rto_max_ms=) v=2000 ;;
		*) v=1 ;;
		esac
		expect_rc 0 model $k --kernel 6.19 $set$v
	done
	# and the settings of newer kernels are listed for every kind
	for set in tcp_rto_min_us rto_min_us tcp_rto_max_ms rto_max_ms; do
		grep -q "\[ $set=" "$TMP/kind_usage" && ok "model $k -h: lists $set" ||
			not_ok "model $k -h: no $set"
	done
done
for o in --flow --from-file --model --start --end -V -p; do
	grep -q -- "$o " "$TMP/usage" && ok "usage: $o" || not_ok "usage: $o"
done
expect_err '"foo"' model foo -h
expect_err '"extra"' model syn -h extra
expect_rc 0 model -h
grep -q 'KIND := { syn | synack | data | fin | keepalive | probe }' "$TMP/out" && ok "model -h: the kinds" || not_ok "model -h: $(cat "$TMP/out")"

# --- -V: this tool's version and the loaded module's
VERSION=$(cat "$HERE/../../VERSION")
mkdir "$TMP/mod"
TCPFAULT_MODULE_DIR=$TMP/none expect_rc 0 -V
[ "$(cat "$TMP/out")" = "tcpfaultctl $VERSION
tcpfault module not loaded" ] && [ ! -s "$TMP/err" ] && ok "-V: module not loaded" || not_ok "-V: not loaded ($(cat "$TMP/out" "$TMP/err"))"
echo "$VERSION" >"$TMP/mod/version"
TCPFAULT_MODULE_DIR=$TMP/mod expect_rc 0 -V
[ "$(cat "$TMP/out")" = "tcpfaultctl $VERSION
tcpfault module $VERSION" ] && [ ! -s "$TMP/err" ] && ok "-V: the same version" || not_ok "-V: the same ($(cat "$TMP/out" "$TMP/err"))"
echo "$VERSION.99" >"$TMP/mod/version"
TCPFAULT_MODULE_DIR=$TMP/mod expect_rc 0 -V
grep -qx "tcpfault module $VERSION.99" "$TMP/out" && grep -q "warning: .* differ" "$TMP/err" \
	&& ok "-V: a different module version, a warning" || not_ok "-V: differ ($(cat "$TMP/out" "$TMP/err"))"
TCPFAULT_MODULE_DIR=$TMP/none expect_json -V
if have_python; then
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == {"tcpfaultctl": sys.argv[2], "module": None}' "$TMP/out" "$VERSION" \
		&& ok "-V JSON" || not_ok "-V JSON: $(cat "$TMP/out")"
fi
expect_err '"stats"' -V stats

# --- output formats on canned files
# The canned rules file holds every match keyword, action and limit, as the
# kernel prints them: the text is printed from the parsed rules, the same.
for f in rules stats events; do
	if [ $f = rules ]; then expect_rc 0 rule list; else expect_rc 0 $f; fi
	cmp -s "$TMP/out" "$DATA/proc/$f" && ok "$f: the text is the file's" || not_ok "$f: the text is the file's"
done
expect_json rule list
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "rule list JSON: every field once, numbers as numbers" || not_ok "rule list JSON: $(cat "$TMP/out")"
import json, sys
r = json.load(open(sys.argv[1]))
want = [
    {"id": 1, "family": "ipv4", "dir": "in", "dport": 8080, "stage": "syn", "action": "drop", "count": 2, "hits": 3, "acted": 2},
    {"id": 2, "dport": 3306, "action": "log", "hits": 0, "acted": 0},
    {"id": 3, "dport": 80, "action": "delay", "delay": 100, "skip": 1, "hits": 3, "acted": 2},
    {"id": 4, "family": "ipv6", "dir": "in", "sport": {"min": 1000, "max": 2000}, "saddr": "fd00::/64",
     "daddr": "fd00::2", "stage": "ack3", "cookie": False, "action": "window", "window": 0, "every": 3, "hits": 9, "acted": 3},
    {"id": 5, "family": "ipv4", "dir": "fwd", "port": 443, "saddr": "10.0.0.0/8", "daddr": "10.1.2.3", "stage": "data",
     "payload": "GET", "after": 1000, "idle": 900000, "action": "flags", "flags": "+R-S", "prob": 12.5, "seed": 7,
     "hits": 40, "acted": 5},
    {"id": 6, "dir": "in", "dport": 3306, "stage": "ack3", "cookie": True, "action": "reset", "hits": 1, "acted": 1},
    {"id": 7, "dport": {"min": 0, "max": 65535}, "payload-hex": "00ff0a", "action": "reset-both", "prob": 50, "hits": 2, "acted": 1},
    {"id": 8, "sport": 22, "stage": "rst", "action": "corrupt", "count": 4294967295, "every": 2, "prob": 0.01, "seed": 0,
     "hits": 0, "acted": 0},
    {"id": 9, "stage": "synack", "action": "log", "hits": 1, "acted": 1},
    {"id": 10, "stage": "ack", "action": "log", "hits": 1, "acted": 1},
    {"id": 11, "stage": "probe", "action": "flags", "flags": "-A", "hits": 0, "acted": 0},
    {"id": 12, "stage": "fin", "action": "window", "window": 65535, "hits": 0, "acted": 0},
    {"id": 2147483647, "payload": "a#b", "action": "delay", "delay": 600000, "hits": 9223372036854775807, "acted": 0},
]
for got, exp in zip(r, want):
    assert got == exp, (got, exp)
assert len(r) == len(want), r
for o in r:
    assert all(type(o[k]) is int for k in ("id", "hits", "acted")), o
PY
fi
# every number, every string of the text in the JSON too, nothing more
expect_rc 0 rule list
if have_python; then
	"$BIN" -j rule list >"$TMP/json"
	python3 - "$TMP/out" "$TMP/json" <<'PY' && ok "rule list: text and JSON hold the same words" || not_ok "rule list: text and JSON differ"
import json, sys
text = open(sys.argv[1]).read().splitlines()
for line, o in zip(text, json.load(open(sys.argv[2]))):
    words = line.replace(" # ", " ").split()[1:]
    vals = []
    for k, v in o.items():
        if k in ("delay", "window", "flags"):
            vals += [str(v)]
        elif isinstance(v, dict):
            vals += [k, "%d-%d" % (v["min"], v["max"])]
        elif isinstance(v, bool):
            vals += [k, "yes" if v else "no"]
        elif k == "prob":
            vals += [k, ("%.2f" % v) if v != int(v) else str(int(v))]
        else:
            vals += [k, str(v)]
    assert words == vals, (words, vals)
PY
fi
# the widest rule, its counters pushing the line past TF_LINE_MAX
hex=$(i=0; while [ $i -lt 64 ]; do printf '%02x' $i; i=$((i + 1)); done)
echo "add id 2147483647 family ipv6 dir in sport 10000-20000 dport 10000-20000 port 10000-20000 saddr 2001:db8:1111:2222:3333:4444:5555:6666 daddr 2001:db8:1111:2222:3333:4444:5555:7777 stage synack payload-hex $hex after 2147483647 idle 2147483647 action flags +SFRPAUEC skip 4294967295 count 4294967295 every 4294967295 prob 99.99 seed 4294967295 # hits 9223372036854775807 acted 9223372036854775807" >"$TMP/rules"
TCPFAULT_PROC_DIR=$TMP expect_rc 0 rule list
cmp -s "$TMP/out" "$TMP/rules" && ok "rule list: the widest rule with wide counters ($(wc -c <"$TMP/rules") bytes)" \
	|| not_ok "rule list: the widest rule ($(cat "$TMP/err"))"
TCPFAULT_PROC_DIR=$TMP expect_json rule list
if have_python; then
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; assert r["payload-hex"] == sys.argv[2] and r["prob"] == 99.99 and r["acted"] == 2**63 - 1 and r["flags"] == "+SFRPAUEC", r' "$TMP/out" "$hex" \
		&& ok "rule list JSON: the widest rule" || not_ok "rule list JSON: the widest rule: $(cat "$TMP/out")"
fi
printf 'add id 1 dport 80 action drop # hits 1 acted 1\nadd id 2 dprot 81 action drop\nadd id 3 dport 82 action log # hits x\n' >"$TMP/rules"
TCPFAULT_PROC_DIR=$TMP expect_rc 1 rule list
grep -qx 'add id 1 dport 80 action drop # hits 1 acted 1' "$TMP/out" && grep -q 'cannot read rule "add id 2 dprot' "$TMP/err" &&
	grep -q 'cannot read rule "add id 3' "$TMP/err" \
	&& ok "rule list: a line it cannot read is told, the others printed" || not_ok "rule list: bad line ($(cat "$TMP/err"))"
expect_json stats
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "stats JSON" || not_ok "stats JSON: $(cat "$TMP/out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["seen"] == 120 and s["events_held"] == 7 and s["delay_overflow"] == 0, s
assert s["error"] == 'line 1: invalid value "70000" for "dport"' and len(s) == 20, s
assert all(type(v) is int for k, v in s.items() if k != "error"), s
PY
fi
expect_json events
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "events JSON" || not_ok "events JSON: $(cat "$TMP/out")"
import json, sys
e = json.load(open(sys.argv[1]))
assert len(e) == 7 and e[1] == {"ts": 1001021000000, "rule": 1, "dir": "in", "flow": 7, "src": "10.0.0.1:40112",
    "dst": "10.0.0.2:3306", "flags": "S", "seq": 12345, "ack": 0, "len": 0, "verdict": "drop"}, e
PY
fi
{ head -n 2 "$DATA/proc/events"; echo 'ts 5 rule 1 what'; tail -n 1 "$DATA/proc/events"; } >"$TMP/events"
TCPFAULT_PROC_DIR=$TMP expect_rc 1 events
[ "$(wc -l <"$TMP/out")" -eq 3 ] && grep -q 'cannot read event "ts 5 rule 1 what"' "$TMP/err" \
	&& ok "events: a line it cannot read is told, the others printed" || not_ok "events: bad line ($(cat "$TMP/err"))"
if have_python && command -v timeout >/dev/null; then
	TCPFAULT_PROC_DIR=$DATA/proc timeout -s TERM 1 "$BIN" -j events --follow >"$TMP/out" 2>"$TMP/err"
	python3 -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; assert len(l) == 7 and l[6]["ts"] == 1064349000000, l' "$TMP/out" \
		&& ok "events --follow -j: one JSON object per line" || not_ok "events --follow -j: $(head -c 300 "$TMP/out")"
fi
expect_json timeline --model syn --kernel 6.1
expect_json timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.1
for k in syn synack data fin keepalive probe; do
	expect_json model $k --kernel 6.12
done

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

# --- scenario: presets against a fake rule table and sysctl directory
mkdir "$TMP/sc" "$TMP/sys"; : >"$TMP/sc/stats"; echo 1 >"$TMP/sys/tcp_syncookies"
# sc TABLE ARGS...: run tcpfaultctl ARGS on a rule table holding TABLE
sc() {
	printf '%s' "$1" >"$TMP/sc/rules"
	cp "$TMP/sc/rules" "$TMP/orig"
	shift
	TCPFAULT_PROC_DIR=$TMP/sc TCPFAULT_SYSCTL_DIR=$TMP/sys "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}
# written TEXT: what the last sc wrote, over the table it read (a plain file)
written() {
	{ printf '%s' "$1"; tail -c +$((${#1} + 1)) "$TMP/orig"; } | cmp -s - "$TMP/sc/rules"
}
# sc_expect DESC RC STDOUT WRITTEN: the last sc's status, output and write
sc_expect() {
	if [ "$rc" -eq "$2" ] && [ "$(cat "$TMP/out")" = "$3" ] && written "$4"; then
		ok "$1"
	else
		not_ok "$1 (rc=$rc, out: $(cat "$TMP/out"), err: $(cat "$TMP/err"), table: $(cat "$TMP/sc/rules"))"
	fi
}
preset() {
	name=$1 rule=$2; shift 2
	sc '' scenario "$name" "$@"
	sc_expect "scenario $name $*" 0 "rule add id 1000000000 $rule" "add id 1000000000 $rule
"
}
preset syn-blackhole 'dport 8080 stage syn action drop' 8080
preset synack-loss 'sport 8080 stage synack action drop' 8080
preset ack3-loss 'dport 3306 stage ack3 action drop' 3306
preset cookie-ack3-loss 'dir in dport 3306 stage ack3 cookie yes action drop' 3306
preset silent-listen 'sport 21 stage data action drop' 21
preset blackhole 'port 3306 after 0 action drop' 3306
preset blackhole 'port 3306 after 1000 action drop' 3306 after 1000
preset blackhole 'port 1 after 2147483647 action drop' 1 after 2147483647
# SECONDS into ms; no "dir": the same rule on the balancer or on an end
preset lb-idle-reset 'port 443 idle 900000 action reset-both' 443 900
preset lb-idle-reset 'port 1 idle 2147483000 action reset-both' 1 2147483
expect_rc 0 scenario list
for p in syn-blackhole synack-loss ack3-loss cookie-ack3-loss silent-listen blackhole lb-idle-reset server-restart; do
	grep -q "^$p .* incident: [a-zA-Z]" "$TMP/out" && ok "scenario list: $p and its incident" || not_ok "scenario list: $p"
done
# every incident named is told in Documentation/scenarios.rst ("The incidents")
doc=$HERE/../../Documentation/scenarios.rst
sed -n 's/.* incident: //p' "$TMP/out" | tr ',' '\n' | sed 's/^ *//' | sort -u >"$TMP/incidents"
missing=$(while read -r i; do grep -qix ".. _$i:" "$doc" || echo "$i"; done <"$TMP/incidents")
[ "$(wc -l <"$TMP/incidents")" -eq 4 ] && [ -z "$missing" ] && ok "scenario list: the 4 incidents are sections of scenarios.rst" \
	|| not_ok "scenario list: incidents ($(tr '\n' ';' <"$TMP/incidents") missing: $missing)"
grep -q 'blackhole  *PORT \[ after MS \]' "$TMP/out" && ok "scenario list: arguments" || not_ok "scenario list: arguments"
grep -q 'lb-idle-reset  *PORT SECONDS ' "$TMP/out" && grep -q 'server-restart  *PORT \[ fin | rst \]' "$TMP/out" \
	&& ok "scenario list: SECONDS, a choice" || not_ok "scenario list: SECONDS, a choice"
grep -q 'balancer or on either end' "$TMP/out" && ok "scenario list: where lb-idle-reset goes" || not_ok "scenario list: where lb-idle-reset goes"

# server-restart: no rule but one kill line, and the count it severed
restart() {
	: >"$TMP/sc/rules"
	echo 'killed 5' >"$TMP/sc/stats"
	TCPFAULT_PROC_DIR=$TMP/sc "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}
restart scenario server-restart 3306
[ $rc -eq 0 ] && [ "$(cat "$TMP/out")" = "kill sport 3306 how fin
killed 5" ] && [ "$(cat "$TMP/sc/rules")" = "kill sport 3306 how fin" ] \
	&& ok "scenario server-restart: kill how fin by default, its count" \
	|| not_ok "scenario server-restart (rc=$rc, out: $(cat "$TMP/out"), written: $(cat "$TMP/sc/rules"))"
restart scenario server-restart 8080 rst
[ $rc -eq 0 ] && [ "$(head -n 1 "$TMP/out")" = "kill sport 8080 how rst" ] && [ "$(cat "$TMP/sc/rules")" = "kill sport 8080 how rst" ] \
	&& ok "scenario server-restart rst" || not_ok "scenario server-restart rst (rc=$rc, out: $(cat "$TMP/out"))"
restart -j scenario server-restart 3306 fin
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "scenario server-restart -j" || not_ok "scenario server-restart -j: $(cat "$TMP/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r == {"scenario": "server-restart", "port": 3306, "incident": r["incident"],
             "command": "kill sport 3306 how fin", "killed": 5} and r["incident"] == "server restart under load", r
PY
fi
: >"$TMP/sc/stats"
TCPFAULT_PROC_DIR=$TMP/sc "$BIN" scenario server-restart 3306 >"$TMP/out" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q 'did not report' "$TMP/err" && ok "scenario server-restart: no count, an error" \
	|| not_ok "scenario server-restart: no count ($(cat "$TMP/err"))"

# ids: after the presets already in the table, never below the block
table='add id 1 dport 80 action drop # hits 0 acted 0
add id 999999999 dport 81 action drop # hits 0 acted 0
'
sc "$table" scenario synack-loss 443
sc_expect "preset id: block start when no preset is in" 0 \
	'rule add id 1000000000 sport 443 stage synack action drop' 'add id 1000000000 sport 443 stage synack action drop
'
table='add id 1 dport 80 action drop # hits 0 acted 0
add id 1000000000 dport 81 action drop # hits 2 acted 2
add id 1000000007 sport 82 stage synack action drop # hits 0 acted 0
'
sc "$table" scenario synack-loss 443
sc_expect "preset id: after the highest preset" 0 \
	'rule add id 1000000008 sport 443 stage synack action drop' 'add id 1000000008 sport 443 stage synack action drop
'
sc "add id 2147483647 dport 9 action drop # hits 0 acted 0
" scenario syn-blackhole 80
[ $rc -eq 1 ] && grep -q 'no free preset rule id' "$TMP/err" && written '' \
	&& ok "preset id: full block refused, nothing written" || not_ok "full block (rc=$rc: $(cat "$TMP/err"))"

# clear: only the block, in one write
sc "$table" scenario clear
sc_expect "scenario clear: only the presets" 0 'removed 2 preset rules' 'del 1000000000
del 1000000007
'
sc 'add id 1 dport 80 action drop # hits 0 acted 0
' scenario clear
sc_expect "scenario clear: nothing to remove, nothing written" 0 'removed 0 preset rules' ''
sc "$table" -j scenario clear
[ "$(cat "$TMP/out")" = '{"removed":2}' ] && ok "scenario clear -j" || not_ok "scenario clear -j: $(cat "$TMP/out")"
printf '%s' "$table" >"$TMP/sc/rules"
TCPFAULT_PROC_DIR=$TMP/sc expect_json scenario clear

# JSON
sc "$table" -j scenario blackhole 3306 after 1000
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "scenario -j: object with its rules" || not_ok "scenario -j: $(cat "$TMP/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["scenario"] == "blackhole" and r["port"] == 3306 and r["incident"] == "database failover", r
assert r["rules"] == [{"id": 1000000008, "port": 3306, "after": 1000, "action": "drop"}], r
PY
fi
sc '' -j -p scenario cookie-ack3-loss 3306
if have_python; then
	python3 - "$TMP/out" <<'PY' && ok "scenario -j -p: indented, every rule field" || not_ok "scenario -j -p: $(cat "$TMP/out")"
import json, sys
text = open(sys.argv[1]).read()
r = json.loads(text)
assert r["rules"] == [{"id": 1000000000, "dir": "in", "dport": 3306, "stage": "ack3", "cookie": True, "action": "drop"}], r
assert '\n    "rules": [\n        {\n            "id": 1000000000,\n' in text, text
PY
fi
expect_json scenario list
if have_python; then
	python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert [p["name"] for p in l] == ["syn-blackhole","synack-loss","ack3-loss","cookie-ack3-loss","silent-listen","blackhole","lb-idle-reset","server-restart"] and all(p["incident"] and p["description"] and p["args"].startswith("PORT") for p in l)' "$TMP/out" \
		&& ok "scenario list JSON" || not_ok "scenario list JSON"
fi

# tcp_syncookies notes (stderr only; the preset is installed all the same)
cookie_note() {
	if [ "$1" = - ]; then rm -f "$TMP/sys/tcp_syncookies"; else echo "$1" >"$TMP/sys/tcp_syncookies"; fi
	sc '' scenario "$2" 80
	if [ -z "$3" ]; then
		[ ! -s "$TMP/err" ]; said=$?
	else
		[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "$3" "$TMP/err"; said=$?
	fi
	if [ $rc -eq 0 ] && [ -s "$TMP/sc/rules" ] && [ $said -eq 0 ]; then
		ok "tcp_syncookies=$1, $2: ${3:-no note}"
	else
		not_ok "tcp_syncookies=$1, $2: ${3:-no note} (rc=$rc, err: $(cat "$TMP/err"))"
	fi
}
cookie_note 0 cookie-ack3-loss 'warning: .*tcp_syncookies is 0.*never matches'
cookie_note 1 cookie-ack3-loss 'tcp_syncookies=2'
cookie_note 2 cookie-ack3-loss ''
cookie_note 2 ack3-loss 'tcp_syncookies is 2'
cookie_note 1 ack3-loss ''
cookie_note - cookie-ack3-loss ''

# bad words: one line naming the word, exit 2, nothing written
bad() {
	word=$1; shift
	sc 'add id 1 dport 80 action drop # hits 0 acted 0
' "$@"
	if [ $rc -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -qF -- "$word" "$TMP/err" && written ''; then
		ok "scenario error names '$word': $*"
	else
		not_ok "scenario error names '$word': $* (rc=$rc, err: $(cat "$TMP/err"))"
	fi
}
bad '"syn-blackhol"' scenario syn-blackhol 80
bad 'PORT' scenario syn-blackhole
bad '"0"' scenario syn-blackhole 0
bad '"65536"' scenario synack-loss 65536
bad '"http"' scenario silent-listen http
bad '"-1"' scenario ack3-loss -1
bad '"81"' scenario ack3-loss 80 81
bad '"before"' scenario blackhole 80 before 10
bad '"after"' scenario blackhole 80 after
bad '"1s"' scenario blackhole 80 after 1s
bad '"2147483648"' scenario blackhole 80 after 2147483648
bad '"after"' scenario blackhole 80 after 1 after 2
bad '"after"' scenario syn-blackhole 80 after 1
bad 'SECONDS' scenario lb-idle-reset 443
bad '"0"' scenario lb-idle-reset 443 0
bad '"2147484"' scenario lb-idle-reset 443 2147484
bad '"15m"' scenario lb-idle-reset 443 15m
bad '"901"' scenario lb-idle-reset 443 900 901
bad '"kill"' scenario server-restart 3306 kill
bad '"fin"' scenario server-restart 3306 rst fin
bad 'PORT' scenario server-restart
bad '"all"' scenario clear all
bad '"x"' scenario list x
expect_rc 2 scenario
TCPFAULT_PROC_DIR=$TMP/none expect_err 'module not loaded' scenario syn-blackhole 80
TCPFAULT_PROC_DIR=$TMP/none expect_err 'module not loaded' scenario clear
expect_rc 0 -h
grep -q 'tcpfaultctl scenario NAME PORT' "$TMP/out" && ok "usage shows scenario" || not_ok "usage shows scenario"

# --- kill: checked by the shared parser, one line written, the count from stats
expect_err '"maybe"' kill sport 80 how maybe
expect_err '"stage"' kill dport 80 stage syn
expect_err 'port or an address' kill how fin
expect_err '"how"' kill sport 80 how
expect_rc 2 kill
mkdir "$TMP/kproc"; : >"$TMP/kproc/rules"; echo 'killed 3' >"$TMP/kproc/stats"
TCPFAULT_PROC_DIR=$TMP/kproc expect_rc 0 kill sport 3306 how fin
[ "$(cat "$TMP/kproc/rules")" = "kill sport 3306 how fin" ] \
	&& ok "kill writes one line" || not_ok "kill writes one line: $(cat "$TMP/kproc/rules")"
[ "$(cat "$TMP/out")" = "killed 3" ] && ok "kill prints the count" || not_ok "kill prints the count: $(cat "$TMP/out")"
TCPFAULT_PROC_DIR=$TMP/kproc expect_json kill saddr fd00::1 dport 80-90
if have_python; then
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == {"killed": 3}' "$TMP/out" \
		&& ok "kill JSON" || not_ok "kill JSON: $(cat "$TMP/out")"
fi
: >"$TMP/kproc/stats"
TCPFAULT_PROC_DIR=$TMP/kproc expect_err 'did not report' kill port 80

# --- model text
"$BIN" model syn --kernel 6.1 >"$TMP/out"
grep -q 'retransmissions 6, SYNs 7' "$TMP/out" && ok "6.1 r6: 6 retransmissions" || not_ok "6.1 r6 count"
"$BIN" model syn --kernel 6.12 tcp_syn_retries=2 >"$TMP/out"
grep -q 'retransmissions 5, SYNs 6' "$TMP/out" && ok "6.12 r2: 5 retransmissions" || not_ok "6.12 r2 count"
"$BIN" model syn --kernel 6.1 user_timeout=3020 >"$TMP/out"
grep -q 'retransmissions 1-2' "$TMP/out" && ok "ambiguous count shown as a range" || not_ok "ambiguous range"

# --- HZ: config.gz (running kernel), /boot/config-RELEASE, the tick, hz=
printf '# CONFIG_HZ_1000 is not set\nCONFIG_HZ_300=y\nCONFIG_HZ=300\n' | gzip >"$TMP/config.gz"
TCPFAULT_CONFIG_GZ=$TMP/config.gz "$BIN" model syn --kernel "$(uname -r)" >"$TMP/out" 2>&1
grep -q "hz 300 (from $TMP/config.gz)" "$TMP/out" && ok "hz from config.gz" || not_ok "hz from config.gz: $(head -1 "$TMP/out")"
TCPFAULT_CONFIG_GZ=$TMP/config.gz "$BIN" model syn --kernel 6.12.999-x >"$TMP/out" 2>&1
grep -q "hz 250 (default: no config for 6.12.999-x)" "$TMP/out" && ok "config.gz only for the running kernel" \
	|| not_ok "config.gz not for another kernel: $(head -1 "$TMP/out")"
printf 'CONFIG_HZ=1000\n' >"$TMP/boot/config-6.12.999-x"
"$BIN" model syn --kernel 6.12.999-x >"$TMP/out" 2>&1
grep -q "hz 1000 (from $TMP/boot/config-6.12.999-x)" "$TMP/out" && grep -q "\[1.000, 1.065\]" "$TMP/out" \
	&& ok "hz from /boot/config-RELEASE, 1 s at HZ 1000 in [1.000, 1.065]" || not_ok "hz from /boot: $(head -6 "$TMP/out")"
"$BIN" model syn --kernel 6.12.999-x hz=100 >"$TMP/out" 2>&1
grep -q "hz 100 (hz=)" "$TMP/out" && ok "hz= overrides" || not_ok "hz= overrides: $(head -1 "$TMP/out")"
printf 'CONFIG_HZ=1024\n' >"$TMP/boot/config-6.12.997-x"
expect_err 'HZ 1024 (from' model syn --kernel 6.12.997-x
expect_rc 0 model syn --kernel 6.12.997-x hz=1000
printf 'CONFIG_HZ=fast\n' >"$TMP/boot/config-6.12.998-x"
"$BIN" model syn --kernel 6.12.998-x >"$TMP/out" 2>&1
grep -q "hz 250 (default" "$TMP/out" && ok "bad CONFIG_HZ ignored" || not_ok "bad CONFIG_HZ: $(head -1 "$TMP/out")"
"$BIN" model syn --kernel "$(uname -r)" >"$TMP/out" 2>&1
grep -Eq "hz (100|250|300|1000) \(from the tick, clock_getres\(CLOCK_MONOTONIC_COARSE\) = (10000000|4000000|3333333|1000000) ns\)" "$TMP/out" \
	&& ok "hz from the tick" || not_ok "hz from the tick: $(head -1 "$TMP/out")"
expect_json model data --kernel 6.12.999-x

# --- releases: newer than modelled warns (stderr, JSON intact); 6.15 settings
"$BIN" model syn --kernel 6.20.1 >"$TMP/out" 2>"$TMP/err"
grep -q "kernel 6.20 is newer than the newest release modelled (6.19): modelled as 6.19" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] \
	&& ok "6.20: one-line warning" || not_ok "6.20 warning: $(cat "$TMP/err")"
"$BIN" model syn --kernel 6.19 >"$TMP/out" 2>"$TMP/err"
[ ! -s "$TMP/err" ] && ok "6.19: no warning" || not_ok "6.19 warned: $(cat "$TMP/err")"
expect_rc 0 timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.19
expect_rc 1 timeline --from-file "$DATA/synack-6.1-r5.events" --model synack --kernel 6.19 tcp_rto_max_ms=4000
expect_json model syn --kernel 7.1
expect_err 'needs kernel 6.15 or later' model syn --kernel 6.12 tcp_rto_max_ms=2000
expect_err 'needs kernel 6.15 or later' model data --kernel 6.14 rto_max_ms=2000
expect_err 'needs kernel 6.11 or later' model data --kernel 6.1 tcp_rto_min_us=50000
expect_err '"999"' model syn --kernel 6.15 tcp_rto_max_ms=999
"$BIN" model syn --kernel 6.15 tcp_rto_max_ms=2000 >"$TMP/out"
grep -q 'budget 13.000 s' "$TMP/out" && ok "tcp_rto_max_ms=2000: SYN budget 13 s" || not_ok "rto_max budget: $(head -3 "$TMP/out")"

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
