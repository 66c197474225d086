// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl kill MATCH... [ how { rst | fin } ]
 *
 * Severs existing connections of the namespace: one "kill" line, checked
 * with the module's parser, written to rules; then prints how many sockets
 * it touched, from the "killed" line of stats (the count of the last kill
 * written in this namespace).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"

static void kill_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpfaultctl kill MATCH... [ how { rst | fin } ]\n"
		"MATCH := { family { ipv4 | ipv6 } | { sport | dport | port } { N | N-M } |\n"
		"           { saddr | daddr } ADDR[/PLEN] }\n"
		"sport/saddr: the socket's local end, dport/daddr: its peer.\n"
		"how rst (default): like ss -K, the peer gets a RST;\n"
		"how fin: as if the owning process had exited (FIN, or RST if data was unread).\n");
}

/* The "killed N" line of stats (also read by scenario server-restart). */
int tf_kill_count(uint64_t *killed)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int ret;

	ret = tf_proc_read("stats", &buf, &len);
	if (ret)
		return ret;
	ret = TF_EXIT_FAIL;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "killed ", 7) && tf_parse_u64(line + 7, UINT64_MAX, killed)) {
			ret = 0;
			break;
		}
	}
	free(buf);
	if (ret)
		tf_err("the module did not report how many sockets it killed");
	return ret;
}

int do_kill(int argc, char **argv)
{
	uint64_t killed;
	int ret;

	if (argc < 1) {
		kill_usage(stderr);
		return TF_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h")) {
		kill_usage(stdout);
		return 0;
	}
	ret = tf_rule_command("kill", argc, argv);
	if (!ret)
		ret = tf_kill_count(&killed);
	if (ret)
		return ret;
	tf_print_open_object(NULL);
	tf_print_u64("killed", "killed %llu\n", killed);
	tf_print_close_object();
	tf_print_end();
	return 0;
}
