// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the rule parser the module runs (module/tf_parse.c): each
 * accepted command prints back canonically and the printed form parses to
 * the same rule; each rejected one names the offending word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_parse.h"

static int failures, tests;

static void check(int ok, const char *what, const char *line, const char *got)
{
	tests++;
	if (ok) {
		printf("ok %d - %s: %s\n", tests, what, line);
		return;
	}
	failures++;
	printf("not ok %d - %s: %s\n#   got: %s\n", tests, what, line, got);
}

/* @want: the canonical "add" line, or for other commands "op N id M". */
static void accepts(const char *line, const char *want)
{
	char buf[TF_LINE_MAX * 2], err[TF_ERR_MAX], out[TF_LINE_MAX];
	struct tf_cmd cmd, again;

	snprintf(buf, sizeof(buf), "%s", line);
	if (tf_parse_line(buf, &cmd, err, sizeof(err))) {
		check(0, "accepts", line, err);
		return;
	}
	if (cmd.op == TF_OP_KILL) {
		if (tf_format_kill(&cmd, out, sizeof(out)) < 0)
			snprintf(out, sizeof(out), "format failed");
	} else if (cmd.op != TF_OP_ADD)
		snprintf(out, sizeof(out), "op %d id %u", cmd.op, cmd.id);
	else if (tf_format_rule(&cmd.rule, out, sizeof(out)) < 0)
		snprintf(out, sizeof(out), "format failed");
	check(!strcmp(out, want), "canonical form", line, out);

	if (cmd.op != TF_OP_ADD && cmd.op != TF_OP_KILL)
		return;
	snprintf(buf, sizeof(buf), "%s", out);
	if (tf_parse_line(buf, &again, err, sizeof(err)))
		check(0, "round trip", out, err);
	else
		check(!memcmp(&again, &cmd, sizeof(cmd)), "round trip", out,
		      "different command");
}

static void rejects(const char *line, const char *want_err)
{
	char buf[4096], err[TF_ERR_MAX];
	struct tf_cmd cmd;
	int ret;

	snprintf(buf, sizeof(buf), "%s", line);
	ret = tf_parse_line(buf, &cmd, err, sizeof(err));
	check(ret < 0 && strstr(err, want_err) != NULL, "rejects", line,
	      ret ? err : "accepted");
}

int main(void)
{
	char longline[700];

	accepts("add dport 80 action drop", "add dport 80 action drop");
	accepts("  add\tid 7 dir in dport 3306 stage syn action drop count 2  ",
		"add id 7 dir in dport 3306 stage syn action drop count 2");
	accepts("add id 3 family ipv6 dir out sport 1-1024 saddr fd00::/8 daddr fd00::1 stage synack action log skip 1 count 2 # hits 3 acted 2",
		"add id 3 family ipv6 dir out sport 1-1024 saddr fd00::/8 daddr fd00::1 stage synack action log skip 1 count 2");
	accepts("add saddr 10.1.2.128/25 action drop",
		"add family ipv4 saddr 10.1.2.128/25 action drop");
	accepts("add daddr 10.0.0.1/32 action log",
		"add family ipv4 daddr 10.0.0.1 action log");
	accepts("add port 0-65535 stage any action log",
		"add port 0-65535 action log");
	accepts("add stage fin dir fwd action drop",
		"add dir fwd stage fin action drop");
	accepts("add id 2147483647 action drop",
		"add id 2147483647 action drop");
	accepts("del 12", "op 2 id 12");
	accepts("flush", "op 3 id 0");
	accepts("# a comment", "op 0 id 0");
	accepts("", "op 0 id 0");

	rejects("add dport 70000 action drop", "invalid value \"70000\" for \"dport\"");
	rejects("add dprot 80 action drop", "unknown keyword \"dprot\"");
	rejects("add dport 80", "missing \"action\"");
	rejects("add dport 90-80 action drop", "reversed range \"90-80\"");
	rejects("add dport 5- action drop", "invalid value \"5-\"");
	rejects("add dport -5 action drop", "invalid value \"-5\"");
	rejects("add dport +5 action drop", "invalid value \"+5\"");
	rejects("add dport 99999999999999999999 action drop", "for \"dport\"");
	rejects("add saddr 10.0.0.1/24 action drop", "host bits set in \"10.0.0.1/24\"");
	rejects("add saddr 10.0.0.0/33 action drop", "prefix length in \"10.0.0.0/33\"");
	rejects("add saddr 10.0.0 action drop", "invalid address \"10.0.0\"");
	rejects("add saddr 10.0.0.0/24 daddr ::1 action drop", "\"saddr\" and \"daddr\" are of different families");
	rejects("add family ipv6 saddr 10.0.0.0/24 action drop", "\"saddr\" is not an ipv6 address");
	rejects("add family ipv4 daddr ::1 action drop", "\"daddr\" is not an ipv4 address");
	rejects("add family ipv5 action drop", "invalid value \"ipv5\" for \"family\"");
	rejects("add dir sideways action drop", "invalid value \"sideways\" for \"dir\"");
	rejects("add stage syn-ack action drop", "invalid value \"syn-ack\" for \"stage\"");
	rejects("add action explode", "invalid value \"explode\" for \"action\"");
	rejects("add dport 80 dport 81 action drop", "duplicate keyword \"dport\"");
	rejects("add dport", "missing value for \"dport\"");
	rejects("add count 0 action drop", "invalid value \"0\" for \"count\"");
	rejects("add skip 4294967296 action drop", "invalid value \"4294967296\" for \"skip\"");
	rejects("add id 0 action drop", "invalid value \"0\" for \"id\"");
	rejects("add id 2147483648 action drop", "invalid value \"2147483648\" for \"id\"");
	accepts("add dport 3306 payload GET action drop",
		"add dport 3306 payload GET action drop");
	accepts("add payload-hex 0a000000 action log",
		"add payload-hex 0a000000 action log");
	accepts("add payload-hex 474554 action log",
		"add payload GET action log");
	accepts("add payload-hex 2361 action log",
		"add payload-hex 2361 action log");
	rejects("add payload-hex 4 action log", "invalid value \"4\" for \"payload-hex\"");
	rejects("add payload-hex zz action log", "invalid value \"zz\" for \"payload-hex\"");
	rejects("add payload GET payload-hex 47 action log", "exclude each other");
	rejects("add payload 01234567890123456789012345678901234567890123456789012345678901234 action log",
		"for \"payload\" (1 to 64 bytes)");
	accepts("add dir fwd port 3306 idle 900000 action reset-both",
		"add dir fwd port 3306 idle 900000 action reset-both");
	rejects("add idle 0 action reset", "invalid value \"0\" for \"idle\"");
	rejects("add idle 2147483648 action reset", "invalid value \"2147483648\" for \"idle\"");
	accepts("add sport 3306 stage data action reset", "add sport 3306 stage data action reset");
	accepts("add stage data action delay 250", "add stage data action delay 250");
	rejects("add action delay", "missing value for \"delay\"");
	rejects("add action delay 0", "invalid value \"0\" for \"delay\"");
	rejects("add action delay 600001", "invalid value \"600001\" for \"delay\"");
	accepts("add stage data action corrupt", "add stage data action corrupt");
	accepts("add action flags -A+RF", "add action flags +FR-A");
	accepts("add action flags +C", "add action flags +C");
	accepts("add action flags -SFRPAUEC", "add action flags -SFRPAUEC");
	rejects("add action flags +X", "invalid value \"+X\" for \"flags\"");
	rejects("add action flags R", "invalid value \"R\" for \"flags\"");
	rejects("add action flags +R-R", "invalid value \"+R-R\" for \"flags\"");
	rejects("add action flags +", "invalid value \"+\" for \"flags\"");
	rejects("add action flags", "missing value for \"flags\"");
	accepts("add seed 7 stage data prob 12.5 action drop every 2",
		"add stage data action drop every 2 prob 12.50 seed 7");
	accepts("add prob 100 action drop", "add action drop prob 100");
	accepts("add prob 0.01 seed 0 action drop", "add action drop prob 0.01 seed 0");
	rejects("add prob 0 action drop", "invalid value \"0\" for \"prob\"");
	rejects("add prob 100.01 action drop", "invalid value \"100.01\" for \"prob\"");
	rejects("add prob 1.234 action drop", "invalid value \"1.234\" for \"prob\"");
	rejects("add prob 5. action drop", "invalid value \"5.\" for \"prob\"");
	rejects("add prob .5 action drop", "invalid value \".5\" for \"prob\"");
	rejects("add prob 5% action drop", "invalid value \"5%\" for \"prob\"");
	rejects("add seed 5 action drop", "\"seed\" needs \"prob\"");
	rejects("add every 0 action drop", "invalid value \"0\" for \"every\"");
	rejects("add prob 5 prob 6 action drop", "duplicate keyword \"prob\"");
	accepts("add dport 3306 stage ack3 action drop",
		"add dport 3306 stage ack3 action drop");
	accepts("add cookie yes dport 3306 stage ack3 dir in action drop",
		"add dir in dport 3306 stage ack3 cookie yes action drop");
	accepts("add stage ack3 cookie no action log",
		"add stage ack3 cookie no action log");
	rejects("add cookie yes action drop", "\"cookie\" needs \"stage ack3\"");
	rejects("add stage ack cookie yes action drop", "\"cookie\" needs \"stage ack3\"");
	rejects("add stage ack3 cookie maybe action drop", "invalid value \"maybe\" for \"cookie\"");
	rejects("add stage ack3 cookie yes dir out action drop", "\"cookie\" is told on the server's input");
	rejects("add stage ack3 cookie yes cookie no action drop", "duplicate keyword \"cookie\"");
	accepts("add after 2000 port 3306 action drop",
		"add port 3306 after 2000 action drop");
	accepts("add port 3306 after 0 stage data payload GET action drop",
		"add port 3306 stage data payload GET after 0 action drop");
	accepts("add after 2147483647 action log", "add after 2147483647 action log");
	rejects("add after 2147483648 action log", "invalid value \"2147483648\" for \"after\"");
	rejects("add after -1 action log", "invalid value \"-1\" for \"after\"");
	rejects("add after 1s action log", "invalid value \"1s\" for \"after\"");
	rejects("add after action log", "invalid value \"action\" for \"after\"");
	rejects("add stage ack3 after 10 action drop", "\"after\" and \"stage ack3\" exclude each other");
	rejects("add how fin action drop", "\"how\" does not apply to \"add\"");
	accepts("add dir in sport 5001 stage ack action window 0",
		"add dir in sport 5001 stage ack action window 0");
	accepts("add stage probe action window 65535",
		"add stage probe action window 65535");
	rejects("add action window", "missing value for \"window\"");
	rejects("add action window 65536", "invalid value \"65536\" for \"window\"");
	rejects("add action window -1", "invalid value \"-1\" for \"window\"");
	accepts("kill sport 3306", "kill sport 3306 how rst");
	accepts("kill how fin sport 3306", "kill sport 3306 how fin");
	accepts("kill daddr fd00::2 dport 1000-2000 how rst",
		"kill family ipv6 dport 1000-2000 daddr fd00::2 how rst");
	rejects("kill", "\"kill\" needs a port or an address to match");
	rejects("kill how fin", "\"kill\" needs a port or an address to match");
	rejects("kill sport 3306 how gently", "invalid value \"gently\" for \"how\"");
	rejects("kill sport 3306 stage syn", "\"stage\" does not apply to \"kill\"");
	rejects("kill sport 3306 action drop", "\"action\" does not apply to \"kill\"");
	rejects("kill sport 3306 how fin how rst", "duplicate keyword \"how\"");
	rejects("kill sport 3306 idle 5", "\"idle\" does not apply to \"kill\"");
	rejects("del", "missing value for \"del\"");
	rejects("del 0", "invalid value \"0\" for \"del\"");
	rejects("del 5 6", "unexpected \"6\" after \"del\"");
	rejects("flush now", "unexpected \"now\" after \"flush\"");
	rejects("ad dport 80 action drop", "unknown command \"ad\"");
	rejects("ADD dport 80 action drop", "unknown command \"ADD\"");

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "add ", 4);
	rejects(longline, "line longer than 511 bytes");
	{
		char many[1024] = "add";

		for (int i = 0; i < 40; i++)
			strcat(many, " dir in");
		rejects(many, "more than 64 words");
	}

	printf("1..%d\n", tests);
	if (failures)
		printf("# %d of %d parser tests failed\n", failures, tests);
	return failures ? 1 : 0;
}
