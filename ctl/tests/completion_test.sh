#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of the bash completion against the tool it completes: every
# object, option, keyword and value of `tcpfaultctl -h` (and of `scenario
# list`, `model KIND -h`) is offered where it belongs, and nothing that the
# usage text does not name.  Adding a keyword to the tool without adding it
# to ctl/tcpfaultctl.bash-completion (or the reverse) fails here.
# Usage: completion_test.sh PATH/TO/tcpfaultctl [COMPLETION_FILE]
set -u

BIN=${1:?usage: completion_test.sh TCPFAULTCTL [COMPLETION_FILE]}
HERE=$(cd "$(dirname "$0")" && pwd)
COMPLETION=${2:-$HERE/../tcpfaultctl.bash-completion}
BASH_COMPLETION=${TCPFAULT_BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C
fails=0
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

if [ ! -r "$BASH_COMPLETION" ]; then
	echo "completion_test.sh: $BASH_COMPLETION missing (apt-get install bash-completion)" >&2
	exit 1
fi
# shellcheck disable=SC1090
. "$BASH_COMPLETION"
# shellcheck disable=SC1090
. "$COMPLETION"

# comp LINE: what completing at the end of LINE offers, one a line, sorted
# (LINE is split at blanks, a trailing blank starts an empty word; the
# command word is the tool under test).
comp() {
	local line="$BIN $1"
	read -ra COMP_WORDS <<<"$line"
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_tcpfaultctl tcpfaultctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort -u
}

# words: the words of stdin, one a line, sorted
words() { tr -s ' \n' '\n\n' | sed '/^$/d' | sort -u; }

# expect WHAT WANT GOT: the two word lists are equal
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1: $(echo $2)"
	else
		not_ok "$1: the tool names [$(echo $2)], the completion offers [$(echo $3)]"
	fi
}

"$BIN" -h >"$TMP/usage" || { echo "completion_test.sh: $BIN -h failed" >&2; exit 1; }

# block NAME: the text of the usage's "NAME := ..." up to the next
# definition, parenthesized remarks removed.
block() {
	awk -v name="$1" '
		$1 == name && $2 == ":=" { on = 1; sub(/^[^=]*:= */, ""); print; next }
		on && (/^[A-Z_]+ :=/ || /^--/ || /^$/) { exit }
		on { print }' "$TMP/usage" | sed 's/([^)]*)//g'
}
# lines OBJECT: its usage lines (and their continuation lines)
lines() {
	awk -v o="$1" '$1 == "tcpfaultctl" { on = ($2 == o) } /^$/ { on = 0 } on' "$TMP/usage"
}
# keyvals TEXT: "KEY v1 v2 ..." for each KEY { v1 | v2 } of TEXT
keyvals() {
	grep -oE '[a-z-]+ \{ [a-z0-9 |-]+ \}' <<<"$1" | tr -d '{}|' | tr -s ' '
}
# lower [TEXT]: the lower-case words (keywords and values) of TEXT or stdin
lower() {
	if [ $# -gt 0 ]; then printf '%s\n' "$1"; else cat; fi |
		grep -oE '(^|[ {|])[a-z][a-z0-9-]*' | tr -d ' {|' | sort -u
}
# keys TEXT: its keywords: the lower-case words that are no KEY's value
keys() {
	local vals
	vals=$(keyvals "$1" | cut -d' ' -f2- | words)
	comm -23 <(lower "$1") <(printf '%s\n' "$vals")
}
# check_values CONTEXT TEXT: after each KEY of TEXT, its values
check_values() {
	local key vals
	while read -r key vals; do
		expect "$1 $key" "$(words <<<"$vals")" "$(comp "$1 $key ")"
	done < <(keyvals "$2")
}

# --- objects, options
expect "objects" "$(block OBJECT | lower)" "$(comp "")"
expect "options" "$(block OPTIONS | grep -oE -- '-[a-zA-Z]' | sort -u)" "$(comp "-")"
for o in -V -h; do
	expect "nothing after $o" "" "$(comp "$o ")"
done

# --- rule
rule_cmds=$(lines rule | awk '{ print $3 }' | sort -u)
expect "rule commands" "$rule_cmds" "$(comp "rule ")"
match=$(block MATCH)
[ -n "$match" ] || not_ok "the usage has a MATCH := block"
id=$(grep -oE 'rule add \[ [a-z]+ ' "$TMP/usage" | cut -d' ' -f4)
expect "rule add, first word" "$(printf '%s\n' $id action $(keys "$match") | sort -u)" "$(comp "rule add ")"
expect "rule add, a match given" "$(printf '%s\n' action $(keys "$match") | sort -u)" \
	"$(comp "rule add dport 1 ")"
check_values "rule add dport 1" "$match"
expect "rule add ... action" "$(keys "$(block ACTION)")" "$(comp "rule add dport 1 action ")"
limit=$(block LIMIT)
expect "rule add ... action drop prob P" "$(keys "$limit")" "$(comp "rule add dport 1 action drop prob 5 ")"
seed=$(grep -oE 'prob [A-Z]+ \[ [a-z]+' <<<"$limit" | awk '{print $4}')
expect "rule add ... action drop (${seed:-?} only after prob)" "$(keys "$limit" | grep -vx "${seed:-?}")" \
	"$(comp "rule add dport 1 action drop ")"
expect "no keyword for a number" "" "$(comp "rule add dport ")"
restore=$(sed -n 's/^ *tcpfaultctl rule restore //p' "$TMP/usage" | grep -oE -- '--[a-z-]+' | sort -u)
expect "rule restore options" "$restore" "$(comp "rule restore -")"
want=$(sed -n 's/^add id \([0-9]*\) .*/\1/p' "$HERE/data/proc/rules" | sort -u)
[ -n "$want" ] || not_ok "the canned rules have ids"
expect "rule del: the ids of rule list" "$want" "$(TCPFAULT_PROC_DIR=$HERE/data/proc comp "rule del ")"

# --- kill
kill=$(block KILL_MATCH)
how=$(grep -oE 'how \{ [a-z |]+ \}' "$TMP/usage" | head -n 1)
expect "kill keywords" "$(printf '%s\n' how $(keys "$kill") | sort -u)" "$(comp "kill ")"
check_values "kill" "$kill"
check_values "kill dport 1" "$how"

# --- events, timeline, model
opts() { lines "$1" | grep -oE -- '--[a-z-]+' | sort -u; }
expect "events options" "$(opts events)" "$(comp "events -")"
tl_opts=$(opts timeline | grep -vx -- --kernel)
expect "timeline options" "$tl_opts" "$(comp "timeline -")"
check_values "timeline" "$(lines timeline)"
kinds=$(block KIND | lower)
expect "model kinds" "$kinds" "$(comp "model ")"
expect "timeline --model kinds" "$kinds" "$(comp "timeline --model ")"
for k in $kinds; do
	s=$("$BIN" model "$k" -h 2>/dev/null | grep -oE '\[ [a-z_0-9]+=' | cut -c3- | sort -u)
	[ -n "$s" ] || not_ok "model $k -h names its settings"
	expect "model $k settings" "$(printf '%s\n' --kernel $s | sort -u)" "$(comp "model $k ")"
	expect "timeline --model $k settings" "$(printf '%s\n' --kernel $s | sort -u)" \
		"$(comp "timeline --model $k ")"
done

# --- scenario
sc=$(grep -oE 'scenario \{ [a-z |]+ \}' "$TMP/usage" | tr -d '{}|' | cut -d' ' -f2-)
names=$("$BIN" scenario list | grep -v '^[[:space:]]' | cut -d' ' -f1)
[ -n "$names" ] || not_ok "scenario list names presets"
expect "scenario names" "$(printf '%s\n' $sc $names | sort -u)" "$(comp "scenario ")"
while read -r name argsdesc; do
	want=$(sed 's/incident:.*//' <<<"$argsdesc" | lower)
	expect "scenario $name PORT keywords" "$want" "$(comp "scenario $name 3306 ")"
done < <("$BIN" scenario list | grep -v '^[[:space:]]')

# --- -n NETNS: the names of ip netns list (a stand-in ip)
mkdir -p "$TMP/bin"
printf '#!/bin/sh\n[ "$*" = "netns list" ] || exit 1\necho "blue (id: 0)"\necho red\n' >"$TMP/bin/ip"
chmod +x "$TMP/bin/ip"
expect "-n: ip netns list" "$(printf '%s\n' blue red)" "$(PATH=$TMP/bin:$PATH comp "-n ")"
expect "-n NETNS, then the objects" "$(block OBJECT | lower)" "$(PATH=$TMP/bin:$PATH comp "-n blue ")"

echo "1..$n"
[ $fails -eq 0 ] || { echo "completion_test.sh: $fails of $n failed" >&2; exit 1; }
