// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl rule add|del|flush|list|restore
 *
 * Every command is checked with the module's own parser (module/tf_parse.c,
 * built here with -DTF_USERSPACE) before it is written, so a bad word is
 * named without touching the kernel; the kernel checks again.
 */
#include <arpa/inet.h>
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

/*
 * One line of the rules file: "add ..." as tf_format_rule() printed it, and
 * the counters' comment "# hits N acted M".  0, or -EINVAL with a message.
 */
int tf_rule_parse_listed(const char *line, struct tf_rule_listed *r)
{
	char copy[TF_LINE_MAX + 1], err[TF_ERR_MAX];
	const char *s, *comment = NULL;
	unsigned long long hits, acted;
	struct tf_cmd cmd;
	size_t len;
	int n = 0;

	/* The comment starts at the first word starting with '#'. */
	for (s = line; *s; s++)
		if (*s == '#' && (s == line || s[-1] == ' ' || s[-1] == '\t')) {
			comment = s;
			break;
		}
	/* The command is at most TF_LINE_MAX - 1 bytes, the comment comes on top. */
	len = comment ? (size_t)(comment - line) : strlen(line);
	if (len > TF_LINE_MAX ||
	    (comment && (sscanf(comment, "# hits %llu acted %llu%n", &hits, &acted, &n) != 2 ||
			 comment[n]))) {
		tf_err("cannot read rule \"%.80s\"", line);
		return -EINVAL;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (tf_parse_line(copy, &cmd, err, sizeof(err)) || cmd.op != TF_OP_ADD) {
		tf_err("cannot read rule \"%.80s\": %s", line,
		       err[0] ? err : "not an \"add\" command");
		return -EINVAL;
	}
	r->spec = cmd.rule;
	r->counted = comment;
	r->hits = comment ? hits : 0;
	r->acted = comment ? acted : 0;
	return 0;
}

/* "sport 80" or "sport 80-90"; JSON: 80 or {"min": 80, "max": 90}. */
static void print_ports(const char *key, const struct tf_port_range *p)
{
	if (!p->set)
		return;
	tf_print_text(" %s ", key);
	if (p->lo == p->hi) {
		tf_print_u64(key, "%llu", p->lo);
		return;
	}
	tf_print_open_object(key);
	tf_print_u64("min", "%llu", p->lo);
	tf_print_u64("max", "-%llu", p->hi);
	tf_print_close_object();
}

/* "saddr 10.0.0.0/8", the prefix length only when not a host's. */
static void print_prefix(const char *key, const struct tf_prefix *p)
{
	char addr[INET6_ADDRSTRLEN + 8];
	int af = p->family == TF_FAMILY_IPV4 ? AF_INET : AF_INET6;
	size_t n;

	if (!p->family)
		return;
	inet_ntop(af, p->addr, addr, INET6_ADDRSTRLEN);
	n = strlen(addr);
	if (p->plen != (af == AF_INET ? 32 : 128))
		snprintf(addr + n, sizeof(addr) - n, "/%u", p->plen);
	tf_print_text(" %s", key);
	tf_print_str(key, " %s", addr);
}

static void print_payload(const struct tf_rule_spec *r)
{
	char hex[2 * TF_PAYLOAD_MAX + 1];
	unsigned int i;

	if (!r->payload_len)
		return;
	if (tf_payload_is_word(r)) {
		memcpy(hex, r->payload, r->payload_len);
		hex[r->payload_len] = '\0';
		tf_print_str("payload", " payload %s", hex);
		return;
	}
	for (i = 0; i < r->payload_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->payload[i]);
	tf_print_str("payload-hex", " payload-hex %s", hex);
}

/*
 * One rule, text and JSON from the same calls: the text is the "add"
 * command the kernel prints (replayable), the JSON an object with one
 * member per keyword, numbers as numbers, the action's argument under the
 * action's name ("delay": 100, "window": 0, "flags": "+R-S").
 */
void tf_rule_print(const struct tf_rule_listed *l)
{
	const struct tf_rule_spec *r = &l->spec;
	char flags[24];

	tf_print_open_object(NULL);
	tf_print_text("add");
	if (r->id)
		tf_print_u64("id", " id %llu", r->id);
	if (r->family)
		tf_print_str("family", " family %s", tf_family_name(r->family));
	if (r->dir)
		tf_print_str("dir", " dir %s", tf_dir_name(r->dir));
	print_ports("sport", &r->sport);
	print_ports("dport", &r->dport);
	print_ports("port", &r->port);
	print_prefix("saddr", &r->saddr);
	print_prefix("daddr", &r->daddr);
	if (r->stages != TF_STAGE_ANY && tf_stage_name(r->stages))
		tf_print_str("stage", " stage %s", tf_stage_name(r->stages));
	if (r->cookie)
		tf_print_bool("cookie", " cookie %s", r->cookie == TF_COOKIE_YES);
	print_payload(r);
	if (r->after_set)
		tf_print_u64("after", " after %llu", r->after);
	if (r->idle_set)
		tf_print_u64("idle", " idle %llu", r->idle);
	tf_print_str("action", " action %s", tf_action_name(r->action));
	if (r->action == TF_ACT_WINDOW || r->action == TF_ACT_DELAY)
		tf_print_u64(tf_action_name(r->action), " %llu", r->action_arg);
	if (r->action == TF_ACT_FLAGS && tf_format_flags_arg(r->action_arg, flags, sizeof(flags)) > 0)
		tf_print_str("flags", " %s", flags);
	if (r->skip)
		tf_print_u64("skip", " skip %llu", r->skip);
	if (r->count)
		tf_print_u64("count", " count %llu", r->count);
	if (r->every)
		tf_print_u64("every", " every %llu", r->every);
	if (r->prob)
		tf_print_hundredths("prob", " prob %s", r->prob);
	if (r->seed_set)
		tf_print_u64("seed", " seed %llu", r->seed);
	if (l->counted) {
		tf_print_u64("hits", " # hits %llu", l->hits);
		tf_print_u64("acted", " acted %llu", l->acted);
	}
	tf_print_text("\n");
	tf_print_close_object();
}

/* Prints each line of a rules file (@buf, changed); 0 or TF_EXIT_FAIL. */
static int rule_print_all(char *buf)
{
	char *line, *save = NULL;
	struct tf_rule_listed r;
	int ret = 0;

	tf_print_open_array(NULL);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (tf_rule_parse_listed(line, &r))
			ret = TF_EXIT_FAIL;
		else
			tf_rule_print(&r);
	}
	tf_print_close_array();
	tf_print_end();
	return ret;
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
	ret = rule_print_all(buf);
	free(buf);
	return ret;
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
