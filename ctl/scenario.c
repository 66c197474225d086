// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl scenario list | NAME PORT [ARGS] | clear
 *
 * Presets for the incidents told in Documentation/scenarios.rst ("The
 * incidents"; each preset names its own there): most are a few rules,
 * installed in one write (all or nothing) with ids from TF_ID_PRESET up,
 * after the presets already there, so that "scenario clear" can take them
 * all away again without touching the rules a user added by hand.  One,
 * server-restart, is an act instead: a "kill" line, nothing to clear.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"
#include "tf_parse.h"

#define TF_PRESET_RULES	4
#define TF_PRESET_ARGS	2

/*
 * An argument after PORT: "WORD VALUE" when @word is set, else positional
 * (in order).  Its value replaces the word @var in the rule templates:
 * one of @choices if given, else a number min..max, multiplied by @scale
 * (if set) on its way into the rule.
 */
struct tf_preset_arg {
	const char	*word;		/* keyword; NULL: positional */
	const char	*var;		/* placeholder, e.g. "MS" */
	const char	*def;		/* default; NULL: required */
	unsigned int	min, max;	/* a number min..max */
	unsigned int	scale;		/* e.g. 1000: seconds given, ms in the rule */
	const char	*choices[3];	/* or one of these words */
};

struct tf_preset {
	const char	*name;
	const char	*what;		/* one line: what the user sees */
	const char	*incident;	/* its section(s) of "The incidents" in scenarios.rst */
	/* Templates: "ID" is the rule's id, "PORT" the port, var an argument. */
	const char	*rules[TF_PRESET_RULES];
	const char	*kill;		/* instead of rules: a "kill" line */
	struct tf_preset_arg args[TF_PRESET_ARGS];
	void		(*note)(void);	/* remarks on this host's sysctls */
};

static void note_cookie_ack3(void);
static void note_ack3(void);

static const struct tf_preset tf_presets[] = {
	{
		.name = "syn-blackhole",
		.what = "SYNs to PORT lost: connect() fails with ETIMEDOUT after 127 s (6.1) or 131 s (6.5 and later) at default sysctls",
		.incident = "lost handshake packets, database failover",
		.rules = { "add id ID dport PORT stage syn action drop" },
	},
	{
		.name = "synack-loss",
		.what = "SYN-ACKs from PORT lost: both ends retransmit, connect() times out",
		.incident = "lost handshake packets",
		.rules = { "add id ID sport PORT stage synack action drop" },
	},
	{
		/*
		 * No "cookie no": a cookie is only known at the server's input,
		 * so with it the preset would do nothing on the client, where
		 * it is most often run.  Where cookies are sent, the server
		 * keeps no SYN-RECV socket: that is cookie-ack3-loss.
		 */
		.name = "ack3-loss",
		.what = "handshake ACKs to PORT lost: client ESTABLISHED, server SYN-RECV retransmitting SYN-ACKs (1, 2, 4, 8, 16 s), then forgets",
		.incident = "lost handshake packets",
		.rules = { "add id ID dport PORT stage ack3 action drop" },
		.note = note_ack3,
	},
	{
		.name = "cookie-ack3-loss",
		.what = "SYN-cookie handshake ACKs lost at the server (PORT): nothing accepted, client waits for a greeting",
		.incident = "SYN-cookie storm",
		.rules = { "add id ID dir in dport PORT stage ack3 cookie yes action drop" },
		.note = note_cookie_ack3,
	},
	{
		.name = "silent-listen",
		.what = "data from PORT lost: handshake completes, the server's greeting never arrives, its stack retransmits",
		.incident = "database failover",
		.rules = { "add id ID sport PORT stage data action drop" },
	},
	{
		.name = "blackhole",
		.what = "everything of a flow on PORT lost both ways once established for MS ms (tcp_retries2: about 924.6 s)",
		.incident = "database failover",
		.rules = { "add id ID port PORT after MS action drop" },
		.args = { { .word = "after", .var = "MS", .def = "0", .max = TF_AFTER_MAX } },
	},
	{
		/*
		 * No "dir fwd": on the load balancer (a router namespace) the
		 * flow's packets are only seen forwarded anyway, and without it
		 * the same rule also works on either end, where it sees the
		 * flow's packets both ways too.
		 */
		.name = "lb-idle-reset",
		.what = "a flow on PORT silent for SECONDS s is reset on both ends at its next packet: a load balancer's idle timeout (install on the balancer or on either end)",
		.incident = "database failover",
		.rules = { "add id ID port PORT idle SECONDS action reset-both" },
		.args = { { .var = "SECONDS", .min = 1, .max = TF_AFTER_MAX / 1000, .scale = 1000 } },
	},
	{
		/* Run in the server's namespace: "sport" is the server's port. */
		.name = "server-restart",
		.what = "now: every connection of server port PORT severed as by the server's exit (fin) or ss -K (rst)",
		.incident = "server restart under load",
		.kill = "kill sport PORT how HOW",
		.args = { { .var = "HOW", .def = "fin", .choices = { "fin", "rst" } } },
	},
};

#define TF_NPRESETS	(sizeof(tf_presets) / sizeof(tf_presets[0]))

static void scenario_usage(void)
{
	fprintf(stderr,
		"Usage: tcpfaultctl scenario list\n"
		"       tcpfaultctl scenario NAME PORT [ ARGS ]\n"
		"       tcpfaultctl scenario clear\n"
		"(tcpfaultctl scenario list names the presets and their ARGS)\n");
}

/* "PORT [ after MS ]", "PORT [ fin | rst ]": the words after the name. */
static void preset_synopsis(const struct tf_preset *p, char *buf, size_t size)
{
	const struct tf_preset_arg *a;
	size_t off;
	int i;

	off = snprintf(buf, size, "PORT");
	for (i = 0; i < TF_PRESET_ARGS && p->args[i].var && off < size; i++) {
		a = &p->args[i];
		if (a->choices[0])
			off += snprintf(buf + off, size - off, " [ %s | %s ]",
					a->choices[0], a->choices[1]);
		else
			off += snprintf(buf + off, size - off, a->def ? " [ %s%s%s ]" : " %s%s%s",
					a->word ? a->word : "", a->word ? " " : "", a->var);
	}
}

static int scenario_list(int argc, char **argv)
{
	char synopsis[64];
	unsigned int i;

	if (argc > 0)
		return tf_unknown(argv[0]);
	tf_print_open_array(NULL);
	for (i = 0; i < TF_NPRESETS; i++) {
		const struct tf_preset *p = &tf_presets[i];

		preset_synopsis(p, synopsis, sizeof(synopsis));
		tf_print_open_object(NULL);
		tf_print_str("name", "%-17s", p->name);
		tf_print_str("args", " %-19s", synopsis);
		tf_print_str("incident", " incident: %s\n", p->incident);
		tf_print_str("description", "    %s\n", p->what);
		tf_print_close_object();
	}
	tf_print_close_array();
	tf_print_end();
	return 0;
}

/*
 * The ids of the presets' rules in the table (@buf: the rules file), in
 * @ids if given; returns how many there are, or -1 if more than @max.
 */
static int preset_ids(char *buf, uint32_t *ids, int max, uint32_t *highest)
{
	char *line, *save = NULL;
	int n = 0;

	*highest = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int id;

		/* The table prints "add id N ..." for every rule. */
		if (sscanf(line, "add id %u", &id) != 1 || id < TF_ID_PRESET)
			continue;
		if (n == max)
			return -1;
		if (ids)
			ids[n] = id;
		n++;
		if (id > *highest)
			*highest = id;
	}
	return n;
}

/* Reads the rule table; the presets' ids and the highest of them. */
static int read_preset_ids(uint32_t *ids, int max, int *n, uint32_t *highest)
{
	size_t len;
	char *buf;
	int ret;

	ret = tf_proc_read("rules", &buf, &len);
	if (ret)
		return ret;
	*n = preset_ids(buf, ids, max, highest);
	free(buf);
	if (*n < 0) {
		tf_err("more than %d preset rules in the table", max);
		return TF_EXIT_FAIL;
	}
	return 0;
}

static int scenario_clear(int argc, char **argv)
{
	static uint32_t ids[TF_WRITE_MAX / 16];
	char *buf;
	uint32_t highest;
	size_t off = 0;
	int i, n, ret;

	if (argc > 0)
		return tf_unknown(argv[0]);
	ret = read_preset_ids(ids, sizeof(ids) / sizeof(ids[0]), &n, &highest);
	if (ret)
		return ret;
	if (n) {
		/* "del 2147483647\n" is 15 bytes: one write holds them all. */
		buf = malloc(TF_WRITE_MAX);
		if (!buf) {
			tf_err("out of memory");
			return TF_EXIT_FAIL;
		}
		for (i = 0; i < n; i++)
			off += snprintf(buf + off, TF_WRITE_MAX - off, "del %u\n", ids[i]);
		ret = tf_proc_write("rules", buf, off);
		free(buf);
		if (ret)
			return ret;
	}
	tf_print_open_object(NULL);
	tf_print_u64("removed", "removed %llu preset rule", n);
	tf_print_text("%s\n", n == 1 ? "" : "s");
	tf_print_close_object();
	tf_print_end();
	return 0;
}

/* The template's words with ID, PORT and the arguments' values in place. */
static int preset_expand(const char *tmpl, const char *const *vars,
			 const char *const *vals, int nvars, char *line, size_t size)
{
	char copy[TF_LINE_MAX], *w, *save = NULL;
	size_t off = 0;
	int i;

	snprintf(copy, sizeof(copy), "%s", tmpl);
	line[0] = '\0';
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		for (i = 0; i < nvars && strcmp(w, vars[i]); i++)
			;
		off += snprintf(line + off, size - off, "%s%s", off ? " " : "",
				i < nvars ? vals[i] : w);
		if (off >= size) {
			tf_err("rule longer than %d bytes", TF_LINE_MAX - 1);
			return TF_EXIT_FAIL;
		}
	}
	return 0;
}

/* Which of the preset's arguments @word starts: a keyword, else the first positional still open. */
static int preset_arg_for(const struct tf_preset *p, const char *word, const char **vals)
{
	int i;

	for (i = 0; i < TF_PRESET_ARGS && p->args[i].var; i++)
		if (p->args[i].word && !strcmp(word, p->args[i].word))
			return i;
	for (i = 0; i < TF_PRESET_ARGS && p->args[i].var; i++)
		if (!p->args[i].word && !vals[i])
			return i;
	return -1;
}

/* Whether @s is one of @a's choices, or a number in its range. */
static bool preset_arg_valid(const struct tf_preset_arg *a, const char *s)
{
	uint64_t v;
	int i;

	if (!a->choices[0])
		return tf_parse_u64(s, a->max, &v) && v >= a->min;
	for (i = 0; i < 3 && a->choices[i]; i++)
		if (!strcmp(s, a->choices[i]))
			return true;
	return false;
}

/*
 * The values of the preset's arguments after PORT, defaults filled in,
 * scaled ones written into @scaled.
 */
static int preset_args(const struct tf_preset *p, int argc, char **argv,
		       const char **vals, char scaled[][24])
{
	const struct tf_preset_arg *a;
	uint64_t v;
	int i;

	for (i = 0; i < TF_PRESET_ARGS; i++)
		vals[i] = NULL;
	for (; argc > 0; argc--, argv++) {
		i = preset_arg_for(p, argv[0], vals);
		if (i < 0) {
			tf_err("unexpected \"%s\" for scenario \"%s\"", argv[0], p->name);
			return TF_EXIT_USAGE;
		}
		a = &p->args[i];
		if (a->word) {
			if (vals[i])
				return tf_duparg(a->word);
			if (argc < 2)
				return tf_missing(a->word);
			argc--;
			argv++;
		}
		if (!preset_arg_valid(a, argv[0]))
			return tf_invarg(argv[0], a->word ? a->word : a->var);
		vals[i] = argv[0];
	}
	for (i = 0; i < TF_PRESET_ARGS && p->args[i].var; i++) {
		a = &p->args[i];
		if (!vals[i] && !a->def) {
			tf_err("missing %s for scenario \"%s\"", a->var, p->name);
			return TF_EXIT_USAGE;
		}
		if (!vals[i])
			vals[i] = a->def;
		if (a->scale && tf_parse_u64(vals[i], a->max, &v)) {
			snprintf(scaled[i], sizeof(scaled[i]), "%llu",
				 (unsigned long long)v * a->scale);
			vals[i] = scaled[i];
		}
	}
	return 0;
}

static void preset_print(const struct tf_preset *p, uint64_t port, char *text)
{
	char *line, *save = NULL;

	tf_print_open_object(NULL);
	tf_print_str("scenario", NULL, p->name);
	tf_print_u64("port", NULL, port);
	tf_print_str("incident", NULL, p->incident);
	tf_print_open_array("rules");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tf_rule_listed r;

		/* Checked before it was written: it parses. */
		if (!tf_rule_parse_listed(line, &r)) {
			tf_print_text("rule ");
			tf_rule_print(&r);
		}
	}
	tf_print_close_array();
	tf_print_close_object();
	tf_print_end();
}

/*
 * server-restart: the preset's "kill" line (@line, checked), written; prints
 * it and how many connections it severed, as "tcpfaultctl kill" would.
 */
static int preset_kill(const struct tf_preset *p, uint64_t port, char *line)
{
	uint64_t killed;
	size_t len;
	int ret;

	len = strlen(line);
	line[len] = '\n';
	ret = tf_proc_write("rules", line, len + 1);
	line[len] = '\0';
	if (!ret)
		ret = tf_kill_count(&killed);
	if (ret)
		return ret;
	tf_print_open_object(NULL);
	tf_print_str("scenario", NULL, p->name);
	tf_print_u64("port", NULL, port);
	tf_print_str("incident", NULL, p->incident);
	tf_print_str("command", "%s\n", line);
	tf_print_u64("killed", "killed %llu\n", killed);
	tf_print_close_object();
	tf_print_end();
	return 0;
}

static int scenario_install(const struct tf_preset *p, int argc, char **argv)
{
	const char *vars[2 + TF_PRESET_ARGS] = { "ID", "PORT" };
	const char *vals[2 + TF_PRESET_ARGS];
	char id[16], text[TF_PRESET_RULES * (TF_LINE_MAX + 1) + 1];
	char scaled[TF_PRESET_ARGS][24];
	uint32_t highest, next;
	int i, n, nvars = 2, ret;
	uint64_t port;
	size_t off = 0;

	if (argc < 1) {
		tf_err("missing PORT for scenario \"%s\"", p->name);
		return TF_EXIT_USAGE;
	}
	if (!tf_parse_u64(argv[0], 65535, &port) || !port) {
		tf_err("invalid PORT \"%s\" for scenario \"%s\" (1 to 65535)", argv[0], p->name);
		return TF_EXIT_USAGE;
	}
	vals[1] = argv[0];
	ret = preset_args(p, argc - 1, argv + 1, vals + 2, scaled);
	if (ret)
		return ret;
	for (i = 0; i < TF_PRESET_ARGS && p->args[i].var; i++)
		vars[nvars++] = p->args[i].var;

	if (p->kill) {
		ret = preset_expand(p->kill, vars, vals, nvars, text, TF_LINE_MAX);
		if (!ret)
			ret = tf_rule_check_line(text, 0);
		return ret ? ret : preset_kill(p, port, text);
	}
	ret = read_preset_ids(NULL, TF_RULES_MAX, &n, &highest);
	if (ret)
		return ret;
	next = n ? highest + 1 : TF_ID_PRESET;
	for (i = 0; i < TF_PRESET_RULES && p->rules[i]; i++) {
		if (next > TF_ID_MAX) {
			tf_err("no free preset rule id (the block from %u is full)", TF_ID_PRESET);
			return TF_EXIT_FAIL;
		}
		snprintf(id, sizeof(id), "%u", next++);
		vals[0] = id;
		ret = preset_expand(p->rules[i], vars, vals, nvars, text + off,
				    TF_LINE_MAX);
		if (!ret)
			ret = tf_rule_check_line(text + off, 0);
		if (ret)
			return ret;
		off += strlen(text + off);
		text[off++] = '\n';
	}
	if (p->note)
		p->note();
	ret = tf_proc_write("rules", text, off);
	if (ret)
		return ret;
	text[off] = '\0';
	preset_print(p, port, text);
	return 0;
}

/* tcp_syncookies of this network namespace, -1 if unreadable. */
static int syncookies(void)
{
	int v;

	return tf_sysctl_read("tcp_syncookies", &v) ? -1 : v;
}

static void note_cookie_ack3(void)
{
	switch (syncookies()) {
	case 0:
		tf_err("warning: net.ipv4.tcp_syncookies is 0 here: no SYN cookies are sent, "
		       "so this rule never matches");
		break;
	case 1:
		tf_err("note: net.ipv4.tcp_syncookies is 1: cookies only while the SYN queue "
		       "overflows; sysctl net.ipv4.tcp_syncookies=2 sends them always");
		break;
	}
}

static void note_ack3(void)
{
	if (syncookies() == 2)
		tf_err("note: net.ipv4.tcp_syncookies is 2 here: a server in this namespace keeps "
		       "no SYN-RECV socket (see scenario cookie-ack3-loss)");
}

int do_scenario(int argc, char **argv)
{
	unsigned int i;

	if (argc < 1) {
		scenario_usage();
		return TF_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "list") || !strcmp(argv[0], "show"))
		return scenario_list(argc - 1, argv + 1);
	if (!strcmp(argv[0], "clear"))
		return scenario_clear(argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		scenario_usage();
		return 0;
	}
	for (i = 0; i < TF_NPRESETS; i++)
		if (!strcmp(argv[0], tf_presets[i].name))
			return scenario_install(&tf_presets[i], argc - 1, argv + 1);
	tf_err("unknown scenario \"%s\" (tcpfaultctl scenario list)", argv[0]);
	return TF_EXIT_USAGE;
}
