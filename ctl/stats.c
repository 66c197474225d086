// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl stats: the file's "key value" lines, text and JSON from the
 * same calls; -j: one object, counters as numbers, "error" a string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"

int do_stats(int argc, char **argv)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int ret;

	if (argc > 0)
		return tf_unknown(argv[0]);
	ret = tf_proc_read("stats", &buf, &len);
	if (ret)
		return ret;
	tf_print_open_object(NULL);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');
		uint64_t v;

		if (!val)
			continue;
		*val++ = '\0';
		tf_print_text("%s ", line);
		if (tf_parse_u64(val, UINT64_MAX, &v))
			tf_print_u64(line, "%llu\n", v);
		else
			tf_print_str(line, "%s\n", val);
	}
	tf_print_close_object();
	tf_print_end();
	free(buf);
	return 0;
}
