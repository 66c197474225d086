// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl rule add|del|flush|list|restore
 *
 * Every command is checked with the module's own parser (module/tf_parse.c,
 * built here with -DTF_USERSPACE) before it is written, so a bad word is
 * named without touching the kernel; the kernel checks again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"
#include "tf_parse.h"

static void rule_usage(void)
{
	fprintf(stderr,
		"Usage: tcpfaultctl rule add [ id ID ] MATCH... action ACTION [ LIMIT... ]\n"
		"       tcpfaultctl rule del ID\n"
		"       tcpfaultctl rule flush\n"
		"       tcpfaultctl rule list\n"
		"       tcpfaultctl rule restore [ --flush ] [ FILE | - ]\n"
		"(see tcpfaultctl -h for MATCH, ACTION and LIMIT)\n");
}

/* Checks one line with the shared parser; prints its message (naming the word). */
int tf_rule_check_line(const char *line, unsigned int lineno)
{
	char copy[TF_LINE_MAX + 1], err[TF_ERR_MAX];
	struct tf_cmd cmd;
	int ret;

	if (strlen(line) > TF_LINE_MAX - 1) {
		if (lineno)
			tf_err("line %u: line longer than %d bytes", lineno, TF_LINE_MAX - 1);
		else
			tf_err("rule longer than %d bytes", TF_LINE_MAX - 1);
		return TF_EXIT_USAGE;
	}
	strcpy(copy, line);
	ret = tf_parse_line(copy, &cmd, err, sizeof(err));
	if (ret) {
		if (lineno)
			tf_err("line %u: %s", lineno, err[0] ? err : strerror(-ret));
		else
			tf_err("%s", err[0] ? err : strerror(-ret));
		return TF_EXIT_USAGE;
	}
	return 0;
}

/* Joins "VERB word..." into one line; words may not carry blanks or '#'. */
static int rule_join(const char *verb, int argc, char **argv, char *line, size_t size)
{
	size_t off;
	int i;

	off = snprintf(line, size, "%s", verb);
	for (i = 0; i < argc; i++) {
		if (!argv[i][0] || strpbrk(argv[i], " \t\r\n#")) {
			tf_err("invalid word \"%s\"", argv[i]);
			return TF_EXIT_USAGE;
		}
		if (off + 1 + strlen(argv[i]) >= size) {
			tf_err("rule longer than %d bytes", TF_LINE_MAX - 1);
			return TF_EXIT_USAGE;
		}
		off += snprintf(line + off, size - off, " %s", argv[i]);
	}
	return 0;
}

int tf_rule_command(const char *verb, int argc, char **argv)
{
	char line[TF_LINE_MAX + 2];
	size_t len;
	int ret;

	ret = rule_join(verb, argc, argv, line, TF_LINE_MAX);
	if (!ret)
		ret = tf_rule_check_line(line, 0);
	if (ret)
		return ret;
	len = strlen(line);
	line[len++] = '\n';
	return tf_proc_write("rules", line, len);
}

static bool rule_key_is_number(const char *key)
{
	return !strcmp(key, "id") || !strcmp(key, "skip") || !strcmp(key, "count") ||
	       !strcmp(key, "hits") || !strcmp(key, "acted");
}

static void rule_print_pairs(char **w, int n)
{
	uint64_t v;
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		if (rule_key_is_number(w[i]) && tf_parse_u64(w[i + 1], UINT64_MAX, &v))
			tf_print_u64(w[i], NULL, v);
		else
			tf_print_str(w[i], NULL, w[i + 1]);
	}
}

/* JSON: one object for a rule line ("add ..." [# counters]), counters as numbers. */
void tf_rule_print_json(char *line)
{
	char *words[128], *hash, *s;
	int n = 0, ncmd;

	hash = strchr(line, '#');
	for (s = strtok(line, " \t"); s && n < 128; s = strtok(NULL, " \t"))
		words[n++] = s;
	/* words up to the '#' word are the command */
	for (ncmd = 0; ncmd < n && (!hash || words[ncmd] < hash); ncmd++)
		;
	if (ncmd == 0 || strcmp(words[0], "add"))
		return;
	tf_print_open_object(NULL);
	rule_print_pairs(words + 1, ncmd - 1);
	if (ncmd < n) {
		int first = ncmd;

		if (!strcmp(words[first], "#"))
			first++;
		else
			words[first]++;	/* "#hits" */
		rule_print_pairs(words + first, n - first);
	}
	tf_print_close_object();
}

/* JSON: one object per rule line. */
static void rule_list_json(char *buf)
{
	char *line, *save = NULL;

	tf_print_open_array(NULL);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		tf_rule_print_json(line);
	tf_print_close_array();
	tf_print_end();
}

static int rule_list(int argc, char **argv)
{
	size_t len;
	char *buf;
	int ret;

	if (argc > 0)
		return tf_unknown(argv[0]);
	ret = tf_proc_read("rules", &buf, &len);
	if (ret)
		return ret;
	if (tf_json)
		rule_list_json(buf);
	else
		fwrite(buf, 1, len, stdout);
	free(buf);
	return 0;
}

static int rule_restore(int argc, char **argv)
{
	const char *file = NULL;
	bool flush = false;
	char *buf, *line, *next;
	size_t len = 0, off;
	unsigned int lineno = 0;
	FILE *f;
	int ret;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "--flush")) {
			flush = true;
		} else if (argv[0][0] == '-' && argv[0][1]) {
			return tf_unknown(argv[0]);
		} else if (file) {
			return tf_unknown(argv[0]);
		} else {
			file = argv[0];
		}
	}
	if (!file || !strcmp(file, "-")) {
		f = stdin;
		file = "-";
	} else {
		f = fopen(file, "r");
		if (!f) {
			tf_err("cannot open \"%s\": %s", file, strerror(errno));
			return TF_EXIT_FAIL;
		}
	}
	buf = malloc(TF_WRITE_MAX + 2);
	if (!buf) {
		tf_err("out of memory");
		return TF_EXIT_FAIL;
	}
	off = flush ? 6 : 0;
	if (flush)
		memcpy(buf, "flush\n", 6);
	len = off + fread(buf + off, 1, TF_WRITE_MAX + 1 - off, f);
	if (ferror(f)) {
		tf_err("cannot read \"%s\": %s", file, strerror(errno));
		ret = TF_EXIT_FAIL;
		goto out;
	}
	if (len > TF_WRITE_MAX) {
		tf_err("\"%s\" is larger than one write (%d bytes)", file, TF_WRITE_MAX);
		ret = TF_EXIT_FAIL;
		goto out;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		tf_err("\"%s\" is not a text file", file);
		ret = TF_EXIT_FAIL;
		goto out;
	}
	/* Check every saved line first: all or nothing, like the kernel. */
	for (line = buf + off; *line; line = next) {
		char saved;

		next = strchr(line, '\n');
		if (!next)
			next = line + strlen(line);
		saved = *next;
		*next = '\0';
		ret = tf_rule_check_line(line, ++lineno);
		*next = saved;
		if (ret)
			goto out;
		if (*next)
			next++;
	}
	ret = len > off ? tf_proc_write("rules", buf, len) : 0;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

int do_rule(int argc, char **argv)
{
	uint64_t id;

	if (argc < 1) {
		rule_usage();
		return TF_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "add"))
		return tf_rule_command("add", argc - 1, argv + 1);
	if (!strcmp(argv[0], "del")) {
		if (argc < 2)
			return tf_missing("del");
		if (!tf_parse_u64(argv[1], TF_ID_MAX, &id) || !id)
			return tf_invarg(argv[1], "del");
		if (argc > 2)
			return tf_unknown(argv[2]);
		return tf_rule_command("del", argc - 1, argv + 1);
	}
	if (!strcmp(argv[0], "flush")) {
		if (argc > 1)
			return tf_unknown(argv[1]);
		return tf_rule_command("flush", 0, NULL);
	}
	if (!strcmp(argv[0], "list") || !strcmp(argv[0], "show"))
		return rule_list(argc - 1, argv + 1);
	if (!strcmp(argv[0], "restore"))
		return rule_restore(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		rule_usage();
		return 0;
	}
	tf_err("unknown command \"%s\" for \"rule\"", argv[0]);
	return TF_EXIT_USAGE;
}
