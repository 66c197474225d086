// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl: control utility of the tcpfault module, iproute2 style:
 *   tcpfaultctl [-n NETNS] [-j] OBJECT COMMAND ...
 * One file per object (rule.c, events.c, stats.c, timeline.c, model_cmd.c,
 * scenario.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpfaultctl [ OPTIONS ] OBJECT COMMAND [ ARGS ]\n"
		"OPTIONS := { -n NETNS | -j | -h }\n"
		"OBJECT  := { rule | events | stats | timeline | model | scenario | kill }\n"
		"\n"
		"       tcpfaultctl rule add [ id ID ] MATCH... action ACTION [ LIMIT... ]\n"
		"       tcpfaultctl rule del ID\n"
		"       tcpfaultctl rule flush\n"
		"       tcpfaultctl rule list\n"
		"       tcpfaultctl rule restore [ --flush ] [ FILE | - ]\n"
		"       tcpfaultctl events [ --clear ] [ --follow ] [ --pcap FILE ]\n"
		"       tcpfaultctl stats\n"
		"       tcpfaultctl timeline [ --flow ID ] [ --from-file FILE ]\n"
		"                            [ --svg FILE [ --scale { linear | log } ] ]\n"
		"                            [ --model syn [ --end NS ] [ MODEL_ARGS ] ]\n"
		"       tcpfaultctl model syn [ MODEL_ARGS ]\n"
		"       tcpfaultctl scenario { list | clear }\n"
		"       tcpfaultctl scenario NAME PORT [ ARGS ]   (NAME, ARGS: scenario list)\n"
		"       tcpfaultctl kill KILL_MATCH... [ how { rst | fin } ]\n"
		"\n"
		"MATCH := { family { ipv4 | ipv6 } | dir { in | out | fwd } |\n"
		"           { sport | dport | port } { N | N-M } |\n"
		"           { saddr | daddr } ADDR[/PLEN] |\n"
		"           stage { syn | synack | ack3 | ack | data | probe | fin | rst | any } |\n"
		"           cookie { yes | no } | after MS | idle MS |\n"
		"           { payload STRING | payload-hex HEX } }\n"
		"ACTION := { drop | log | reset | reset-both | delay MS | window N |\n"
		"            flags { + | - }LETTERS... | corrupt }   (LETTERS of SFRPAUEC)\n"
		"KILL_MATCH := { family { ipv4 | ipv6 } | { sport | dport | port } { N | N-M } |\n"
		"                { saddr | daddr } ADDR[/PLEN] }   (sport, saddr: the local end)\n"
		"LIMIT := { skip N | every N | prob PERCENT [ seed S ] | count N }\n"
		"MODEL_ARGS := [ --kernel RELEASE ] [ tcp_syn_retries=N ]\n"
		"              [ tcp_syn_linear_timeouts=N ] [ syncnt=N ]\n"
		"              [ user_timeout=MS ] [ hz=HZ ]\n"
		"\n"
		"Exit status: 0 ok, 1 failure or a check out of its window, 2 usage error.\n");
}

void tf_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tcpfaultctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tf_unknown(const char *word)
{
	tf_err("unknown keyword \"%s\"", word);
	return TF_EXIT_USAGE;
}

int tf_invarg(const char *value, const char *key)
{
	tf_err("invalid value \"%s\" for \"%s\"", value, key);
	return TF_EXIT_USAGE;
}

int tf_missing(const char *key)
{
	tf_err("missing value for \"%s\"", key);
	return TF_EXIT_USAGE;
}

int tf_duparg(const char *key)
{
	tf_err("duplicate \"%s\"", key);
	return TF_EXIT_USAGE;
}

bool tf_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static const struct {
	const char *name;
	int (*func)(int argc, char **argv);
} objects[] = {
	{ "rule",	do_rule },
	{ "events",	do_events },
	{ "stats",	do_stats },
	{ "timeline",	do_timeline },
	{ "model",	do_model },
	{ "scenario",	do_scenario },
	{ "kill",	do_kill },
};

int main(int argc, char **argv)
{
	const char *netns = NULL;
	unsigned int i;
	int ret;

	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-' && argv[0][1]) {
		if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			usage(stdout);
			return TF_EXIT_OK;
		} else if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			tf_json = true;
		} else if (!strcmp(argv[0], "-n") || !strcmp(argv[0], "--netns")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (netns)
				return tf_duparg(argv[0]);
			netns = argv[1];
			argc--;
			argv++;
		} else {
			tf_err("unknown option \"%s\"", argv[0]);
			return TF_EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (argc < 1) {
		usage(stderr);
		return TF_EXIT_USAGE;
	}
	if (netns) {
		ret = tf_netns_enter(netns);
		if (ret)
			return ret;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (!strcmp(argv[0], objects[i].name)) {
			ret = objects[i].func(argc - 1, argv + 1);
			fflush(stdout);
			return ret;
		}
	}
	tf_err("unknown object \"%s\"", argv[0]);
	return TF_EXIT_USAGE;
}
