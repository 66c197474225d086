#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host tests of tcpfaultctl's pictures of canned events: events --pcap
# (tcpdump and tshark read it without a warning and list the events'
# packets, IPv4 and IPv6; editcap turns the .verdicts file into packet
# comments; --follow writes what arrives), and timeline --svg (XML, an
# arrow per event with its verdict's marks, the model's windows green or
# red, the scale said, rendered to PNG by rsvg-convert), also of the
# demo's real runs kept in Documentation/pictures.
# Usage: pictures_test.sh PATH/TO/tcpfaultctl
set -u

BIN=${1:?usage: pictures_test.sh TCPFAULTCTL}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
CHECK=$HERE/../../selftests/tf_pictures.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C.UTF-8
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
# check DESC CMD...: ok if CMD succeeds; its output either way
check() {
	desc=$1; shift
	if "$@" >"$TMP/check" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
	sed 's/^/#   /' "$TMP/check"
}

for tool in tcpdump tshark editcap rsvg-convert python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "pictures_test.sh: $tool missing: run scripts/install-deps" >&2; exit 1; }
done

# events --pcap on a canned events file standing in for /proc/net/tcpfault
mkdir "$TMP/proc"
cp "$DATA/capture.events" "$TMP/proc/events"
export TCPFAULT_PROC_DIR=$TMP/proc
"$BIN" events --pcap "$TMP/c.pcap" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && [ ! -s "$TMP/err" ] && cmp -s "$TMP/out" "$DATA/capture.events" \
	&& ok "events --pcap: exit 0, the events on stdout as without it" \
	|| not_ok "events --pcap ($(cat "$TMP/err"))"
check "tcpdump -nr lists the events' packets, IPv4 and IPv6, in order, verdicts beside" \
	python3 "$CHECK" pcap "$DATA/capture.events" "$TMP/c.pcap"
[ "$(tcpdump -nr "$TMP/c.pcap" 2>/dev/null | grep -c ' IP ')" = 6 ] &&
	[ "$(tcpdump -nr "$TMP/c.pcap" 2>/dev/null | grep -c ' IP6 ')" = 4 ] \
	&& ok "6 IPv4 and 4 IPv6 packets" || not_ok "6 IPv4 and 4 IPv6 packets"
tcpdump -vv -nr "$TMP/c.pcap" >"$TMP/vv" 2>&1
! grep -Eiq 'incorrect|bad|trunc|\[\|' "$TMP/vv" \
	&& ok "tcpdump -vv: checksums right, nothing truncated" \
	|| not_ok "tcpdump -vv: $(grep -Ei 'incorrect|bad|trunc|\[\|' "$TMP/vv" | head -n 2)"
tcpdump -e -nr "$TMP/c.pcap" 2>/dev/null | awk '{ print $2 }' | tr '\n' ' ' >"$TMP/dirs"
[ "$(cat "$TMP/dirs")" = "In Out In Out P In In Out In In " ] \
	&& ok "direction in the link header: in, out (fwd: P, to another host)" \
	|| not_ok "directions: $(cat "$TMP/dirs")"
tshark -r "$TMP/c.pcap" >"$TMP/ts" 2>"$TMP/ts.err"
rc=$?
grep -v '^Running as user' "$TMP/ts.err" >"$TMP/ts.warn"
[ $rc -eq 0 ] && [ ! -s "$TMP/ts.warn" ] && [ "$(wc -l <"$TMP/ts")" = 10 ] &&
	[ "$(grep -c 'TCP ' "$TMP/ts")" = 10 ] \
	&& ok "tshark -r: 10 TCP packets, no warning" \
	|| not_ok "tshark -r (rc=$rc: $(cat "$TMP/ts.warn"))"
tshark -r "$TMP/c.pcap" -T fields -e frame.len -e frame.cap_len 2>/dev/null | sed -n '4p;9p' | tr '\t\n' '  ' >"$TMP/len"
[ "$(cat "$TMP/len")" = "1504 56 65076 76 " ] \
	&& ok "payload: its length, not its bytes (len, caplen)" || not_ok "lengths: $(cat "$TMP/len")"
# The .verdicts lines are editcap -a arguments: a pcapng whose comments Wireshark shows
{ sed 's/^/-a\n/' "$TMP/c.pcap.verdicts"; echo "$TMP/c.pcap"; echo "$TMP/c.pcapng"; } |
	tr '\n' '\0' | xargs -0 editcap
tshark -r "$TMP/c.pcapng" -T fields -e frame.comment 2>/dev/null >"$TMP/comments"
awk '{ for (i = 1; i < NF; i++) if ($i == "verdict") v = $(i + 1); print "tcpfault rule " $4 " dir " $6 " verdict " v }' \
	"$DATA/capture.events" >"$TMP/want"
cmp -s "$TMP/comments" "$TMP/want" && ok "editcap -a with the .verdicts lines: Wireshark's packet comments" \
	|| not_ok "packet comments: $(head -n 2 "$TMP/comments")"

# --follow --pcap: packets as they come, flushed while it runs
: >"$TMP/proc/events"
"$BIN" events --follow --pcap "$TMP/f.pcap" >"$TMP/fout" 2>"$TMP/ferr" &
pid=$!
head -n 4 "$DATA/capture.events" >>"$TMP/proc/events"
for _ in $(seq 50); do
	[ "$(tcpdump -nr "$TMP/f.pcap" 2>/dev/null | wc -l)" = 4 ] && break
	sleep 0.1
done
[ "$(tcpdump -nr "$TMP/f.pcap" 2>/dev/null | wc -l)" = 4 ] && [ "$(wc -l <"$TMP/f.pcap.verdicts")" = 4 ] \
	&& ok "--follow --pcap: 4 packets readable while it runs" || not_ok "--follow --pcap while running"
tail -n +5 "$DATA/capture.events" >>"$TMP/proc/events"
for _ in $(seq 50); do
	[ "$(wc -l <"$TMP/fout")" = 10 ] && break
	sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
check "--follow --pcap: exit $rc, all 10 after SIGTERM" \
	sh -c "[ $rc -eq 0 ] && python3 '$CHECK' pcap '$DATA/capture.events' '$TMP/f.pcap'"

# --- timeline --svg
# png FILE.svg: rsvg-convert renders it, 1000 px wide, without a word on stderr
png() {
	rsvg-convert "$1" -o "${1%.svg}.png" 2>"$TMP/rsvg.err"
	rc=$?
	grep -v '^Running as user' "$TMP/rsvg.err" >"$TMP/rsvg.warn"
	[ $rc -eq 0 ] && [ ! -s "$TMP/rsvg.warn" ] &&
		python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n"; w,h=struct.unpack(">II",d[16:24]); assert w==1000 and h>500, (w,h)' "${1%.svg}.png"
}
scale_of() { python3 -c 'import sys,xml.etree.ElementTree as E; print(" | ".join(t.text for t in E.parse(sys.argv[1]).iter("{http://www.w3.org/2000/svg}text") if t.get("class")=="scale"))' "$1"; }
windows() { grep -o "class=\"window $2\"" "$1" | wc -l; }

"$BIN" timeline --from-file "$DATA/capture.events" --svg "$TMP/all.svg" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && [ ! -s "$TMP/err" ] && ok "timeline --svg: exit 0" || not_ok "timeline --svg ($(cat "$TMP/err"))"
"$BIN" timeline --from-file "$DATA/capture.events" >"$TMP/plain"
cmp -s "$TMP/out" "$TMP/plain" && ok "timeline --svg: the text as without it" || not_ok "timeline --svg changes the text"
check "every verdict's marks, two flows, IPv4 and IPv6" python3 "$CHECK" svg "$DATA/capture.events" "$TMP/all.svg"
png "$TMP/all.svg" && ok "rendered to PNG" || not_ok "rendered to PNG ($(cat "$TMP/rsvg.warn"))"
[ "$(scale_of "$TMP/all.svg")" = "time since the flow's first event, linear scale | time since the flow's first event, linear scale" ] \
	&& ok "short flows: linear, said" || not_ok "scale: $(scale_of "$TMP/all.svg")"

f=syn-6.1-r6
"$BIN" timeline --from-file "$DATA/$f.events" --model syn --end "$(cat "$DATA/$f.end")" --kernel 6.1 --svg "$TMP/syn.svg" >/dev/null
rc=$?
check "--model syn: exit $rc, the arrows, windows drawn" \
	sh -c "[ $rc -eq 0 ] && python3 '$CHECK' svg '$DATA/$f.events' '$TMP/syn.svg' --model"
[ "$(windows "$TMP/syn.svg" inside)" = 7 ] && [ "$(windows "$TMP/syn.svg" outside)" = 0 ] \
	&& ok "6 gaps and the give-up inside: 7 green windows" \
	|| not_ok "windows: $(windows "$TMP/syn.svg" inside) inside, $(windows "$TMP/syn.svg" outside) outside"
grep -q 'the connection failed (--end)' "$TMP/syn.svg" && ok "--end drawn" || not_ok "--end drawn"
png "$TMP/syn.svg" && ok "SYN schedule rendered" || not_ok "SYN schedule rendered"
f=syn-6.1-r6-bad-gap
"$BIN" timeline --from-file "$DATA/$f.events" --model syn --end "$(cat "$DATA/$f.end")" --kernel 6.1 --svg "$TMP/bad.svg" >/dev/null
rc=$?
[ $rc -eq 1 ] && [ "$(windows "$TMP/bad.svg" outside)" -ge 1 ] && grep -q "fill=\"#d62728\" fill-opacity" "$TMP/bad.svg" \
	&& ok "a gap outside its window: exit 1, a red window" || not_ok "bad gap (rc=$rc, $(windows "$TMP/bad.svg" outside) outside)"
! grep -q 'OUTSIDE its window' "$TMP/syn.svg" && ok "a failure in its window: not marked" || not_ok "good --end marked OUTSIDE"
"$BIN" timeline --from-file "$DATA/syn-6.1-r6.events" --model syn --end "$(($(cat "$DATA/syn-6.1-r6.end") + 5000000000))" \
	--kernel 6.1 --svg "$TMP/late.svg" >/dev/null
rc=$?
[ $rc -eq 1 ] && grep -q 'the connection failed (--end), OUTSIDE its window' "$TMP/late.svg" \
	&& ok "a failure 5 s late: exit 1, said in red" || not_ok "late --end (rc=$rc)"
"$BIN" timeline --from-file "$DATA/syn-6.1-r6.events" --svg "$TMP/log.svg" --scale log >/dev/null
case $(scale_of "$TMP/log.svg") in
*"log scale: y ~ log(1 + t / 1.021 s)") ok "--scale log, said with its tau" ;;
*) not_ok "--scale log: $(scale_of "$TMP/log.svg")" ;;
esac
# the demo's real runs (Documentation/pictures): every window green
real() {
	name=$1 want=$2; shift 2
	"$BIN" timeline --from-file "$HERE/../../Documentation/pictures/$name.events" "$@" \
		--svg "$TMP/$name.svg" >/dev/null
	rc=$?
	if [ $rc -eq 0 ] && [ "$(windows "$TMP/$name.svg" inside)" = "$want" ] &&
	   [ "$(windows "$TMP/$name.svg" outside)" = 0 ] &&
	   python3 "$CHECK" svg "$HERE/../../Documentation/pictures/$name.events" "$TMP/$name.svg" --model >/dev/null &&
	   png "$TMP/$name.svg"; then
		ok "$name: $want windows, all green, $(scale_of "$TMP/$name.svg" | sed 's/.*, //')"
	else
		not_ok "$name (rc=$rc, $(windows "$TMP/$name.svg" outside) outside)"
	fi
}
real syn-blackhole-6.1 7 --model syn --end 289949827232 --kernel 6.1 hz=250
real syn-blackhole-6.12 11 --model syn --end 916561733063 --kernel 6.12 hz=250
real ack3-loss 5 --model synack --kernel 6.1 hz=250
real blackhole 17 --model data --end 2362530265617 --kernel 6.1 hz=250
case $(scale_of "$TMP/blackhole.svg") in
*"log scale"*) ok "924.6 s blackhole: log scale by itself" ;;
*) not_ok "blackhole scale: $(scale_of "$TMP/blackhole.svg")" ;;
esac

# past five minutes, log by itself (the 924.6 s and 2 h schedules)
printf 'ts 1000000000 rule 1 dir out flow 3 src 10.0.0.1:5 dst 10.0.0.2:6 flags PA seq 1 ack 1 len 10 verdict drop
ts %s rule 1 dir out flow 3 src 10.0.0.1:5 dst 10.0.0.2:6 flags PA seq 1 ack 1 len 10 verdict drop
' \
	1200000000 925600000000 >"$TMP/long.events"
"$BIN" timeline --from-file "$TMP/long.events" --svg "$TMP/long.svg" >/dev/null
case $(scale_of "$TMP/long.svg") in
*"log scale"*) ok "924.6 s: log scale by itself" ;;
*) not_ok "924.6 s scale: $(scale_of "$TMP/long.svg")" ;;
esac
"$BIN" timeline --from-file "$TMP/long.events" --svg - --scale linear >"$TMP/stdout.svg"
grep -q '^<svg' "$TMP/stdout.svg" && grep -q 'linear scale' "$TMP/stdout.svg" && ok "--svg - : standard output, --scale linear" \
	|| not_ok "--svg -"

# errors: one line naming the word, nothing written
expect_err() {
	word=$1; shift
	"$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -qF -- "$word" "$TMP/err"; then
		ok "error names '$word': $*"
	else
		not_ok "error names '$word': $* (rc=$rc, stderr: $(cat "$TMP/err"))"
	fi
}
expect_err '"--pcap"' events --pcap
expect_err '"--pcap"' events --pcap "$TMP/a" --pcap "$TMP/b"
expect_err '"--follow"' events --clear --pcap "$TMP/a"
expect_err "$TMP/no/such.pcap" events --pcap "$TMP/no/such.pcap"
printf 'ts 1 rule 1 dir in flow 1 src 10.0.0.1:1 dst fd00::1:2 flags S seq 1 ack 0 len 0 verdict drop\n' \
	>"$TMP/proc/events"
expect_err 'cannot rebuild' events --pcap "$TMP/mixed.pcap"
expect_err '"--svg"' timeline --from-file "$DATA/capture.events" --svg
expect_err '"--svg"' timeline --from-file "$DATA/capture.events" --svg a --svg b
expect_err '"--svg"' timeline --from-file "$DATA/capture.events" --scale log
expect_err '"lin"' timeline --from-file "$DATA/capture.events" --svg "$TMP/x.svg" --scale lin
expect_err "$TMP/no/such.svg" timeline --from-file "$DATA/capture.events" --svg "$TMP/no/such.svg"

echo "1..$n"
[ $fails -eq 0 ] || { echo "# $fails of $n failed"; exit 1; }
echo "# all $n passed"
