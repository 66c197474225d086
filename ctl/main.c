// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl: control utility of the tcpfault module, iproute2 style:
 *   tcpfaultctl [-n NETNS] [-j [-p]] OBJECT COMMAND ... | -V | -h
 * main.c only reads the options and hands the OBJECT's words to its file;
 * tcpfaultctl.h maps the files and the way their calls go.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpfaultctl [ OPTIONS ] OBJECT COMMAND [ ARGS ]\n"
		"OPTIONS := { -n NETNS | -j [ -p ] | -V | -h }\n"
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
		"                            [ --model KIND [ --start NS ] [ --end NS ] [ MODEL_ARGS ] ]\n"
		"       tcpfaultctl model KIND [ MODEL_ARGS ]\n"
		"       tcpfaultctl model KIND -h   (KIND's settings)\n"
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
		"KIND := { syn | synack | data | fin | keepalive | probe }\n"
		"MODEL_ARGS := [ --kernel RELEASE ] [ NAME=VALUE... ]   (NAME: model KIND -h)\n"
		"--start NS: keepalive, probe: when the timer was armed (CLOCK_MONOTONIC ns)\n"
		"--end NS: when the connection failed (CLOCK_MONOTONIC ns), to check the give-up\n"
		"\n"
		"Exit status: 0 ok, 1 failure or a check out of its window, 2 usage error.\n");
}

/* -V: this tool's version and the loaded module's (MODULE_VERSION). */
static int print_version(void)
{
	char module[64];
	int err;

	err = tf_module_version(module, sizeof(module));
	if (err && err != -ENOENT) {
		tf_err("cannot read the module's version: %s", strerror(-err));
		return TF_EXIT_FAIL;
	}
	tf_print_open_object(NULL);
	tf_print_str("tcpfaultctl", "tcpfaultctl %s\n", TF_VERSION);
	if (err) {
		tf_print_str("module", NULL, NULL);
		tf_print_text("tcpfault module not loaded\n");
	} else {
		tf_print_str("module", "tcpfault module %s\n", module);
	}
	tf_print_close_object();
	tf_print_end();
	if (!err && strcmp(module, TF_VERSION))
		tf_err("warning: tcpfaultctl %s and the loaded module %s differ", TF_VERSION, module);
	return 0;
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
	bool version = false;
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
		} else if (!strcmp(argv[0], "-p") || !strcmp(argv[0], "--pretty")) {
			tf_pretty = true;
		} else if (!strcmp(argv[0], "-V") || !strcmp(argv[0], "--version")) {
			version = true;
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
	if (version) {
		if (argc > 0)
			return tf_unknown(argv[0]);
		return print_version();
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
