// SPDX-License-Identifier: GPL-2.0
/* tcpfaultctl stats: "key value" lines; -j: one object, counters as numbers. */
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
	if (!tf_json) {
		fwrite(buf, 1, len, stdout);
		free(buf);
		return 0;
	}
	tf_print_open_object(NULL);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');
		uint64_t v;

		if (!val)
			continue;
		*val++ = '\0';
		if (tf_parse_u64(val, UINT64_MAX, &v))
			tf_print_u64(line, NULL, v);
		else
			tf_print_str(line, NULL, val);
	}
	tf_print_close_object();
	tf_print_end();
	free(buf);
	return 0;
}
