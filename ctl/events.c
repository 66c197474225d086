// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl events [--clear] [--follow]
 *
 * The file is oldest first; --follow polls it every 100 ms and prints what
 * is new, remembering the last ts and how many lines carried it (events of
 * one jiffy can share a ts).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "print.h"
#include "tcpfaultctl.h"

static bool copy_word(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return false;
	strcpy(dst, src);
	return true;
}

int tf_event_parse(const char *line, struct tf_event *ev)
{
	char copy[512], *w, *save = NULL;
	unsigned int seen = 0;

	if (strlen(line) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, line);
	memset(ev, 0, sizeof(*ev));
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *v = strtok_r(NULL, " \t", &save);
		bool ok;

		if (!v)
			return -EINVAL;
		if (!strcmp(w, "ts"))
			ok = tf_parse_u64(v, UINT64_MAX, &ev->ts), seen |= 1;
		else if (!strcmp(w, "rule"))
			ok = tf_parse_u64(v, UINT64_MAX, &ev->rule);
		else if (!strcmp(w, "dir"))
			ok = copy_word(ev->dir, sizeof(ev->dir), v);
		else if (!strcmp(w, "flow"))
			ok = tf_parse_u64(v, UINT64_MAX, &ev->flow), seen |= 2;
		else if (!strcmp(w, "src"))
			ok = copy_word(ev->src, sizeof(ev->src), v);
		else if (!strcmp(w, "dst"))
			ok = copy_word(ev->dst, sizeof(ev->dst), v);
		else if (!strcmp(w, "flags"))
			ok = copy_word(ev->flags, sizeof(ev->flags), v), seen |= 4;
		else if (!strcmp(w, "seq"))
			ok = tf_parse_u64(v, UINT64_MAX, &ev->seq);
		else if (!strcmp(w, "ack"))
			ok = tf_parse_u64(v, UINT64_MAX, &ev->ack);
		else if (!strcmp(w, "len"))
			ok = tf_parse_u64(v, UINT64_MAX, &ev->len);
		else if (!strcmp(w, "verdict"))
			ok = copy_word(ev->verdict, sizeof(ev->verdict), v);
		else
			ok = true;	/* newer fields: ignore */
		if (!ok)
			return -EINVAL;
	}
	return seen == 7 ? 0 : -EINVAL;
}

int tf_events_parse_all(char *buf, struct tf_event **evs, size_t *n)
{
	size_t cap = 64, cnt = 0;
	char *line, *save = NULL;
	struct tf_event *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
			continue;
		if (cnt == cap) {
			struct tf_event *nv = realloc(v, 2 * cap * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap *= 2;
		}
		if (tf_event_parse(line, &v[cnt])) {
			tf_err("cannot parse event \"%.80s\"", line);
			free(v);
			return -EINVAL;
		}
		cnt++;
	}
	*evs = v;
	*n = cnt;
	return 0;
}

static void event_print_json(const struct tf_event *ev)
{
	tf_print_open_object(NULL);
	tf_print_u64("ts", NULL, ev->ts);
	tf_print_u64("rule", NULL, ev->rule);
	tf_print_str("dir", NULL, ev->dir);
	tf_print_u64("flow", NULL, ev->flow);
	tf_print_str("src", NULL, ev->src);
	tf_print_str("dst", NULL, ev->dst);
	tf_print_str("flags", NULL, ev->flags);
	tf_print_u64("seq", NULL, ev->seq);
	tf_print_u64("ack", NULL, ev->ack);
	tf_print_u64("len", NULL, ev->len);
	tf_print_str("verdict", NULL, ev->verdict);
	tf_print_close_object();
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Prints the lines of buf that are newer than (*last_ts, *at_last). */
static int events_print_new(char *buf, uint64_t *last_ts, uint64_t *at_last, bool follow)
{
	char *line, *save = NULL;
	uint64_t same = 0;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tf_event ev;

		if (tf_event_parse(line, &ev)) {
			if (!follow && !tf_json)
				puts(line);
			continue;
		}
		if (follow) {
			if (ev.ts < *last_ts)
				continue;
			if (ev.ts == *last_ts && ++same <= *at_last)
				continue;
			if (ev.ts > *last_ts) {
				*last_ts = ev.ts;
				*at_last = 0;
				same = 1;
			}
			(*at_last)++;
		}
		if (tf_json) {
			event_print_json(&ev);
			if (follow)
				putchar('\n');	/* JSON lines when following */
		} else {
			puts(line);
		}
	}
	fflush(stdout);
	return 0;
}

int do_events(int argc, char **argv)
{
	bool clear = false, follow = false;
	uint64_t last_ts = 0, at_last = 0;
	size_t len;
	char *buf;
	int ret;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "--clear") || !strcmp(argv[0], "clear"))
			clear = true;
		else if (!strcmp(argv[0], "--follow") || !strcmp(argv[0], "follow"))
			follow = true;
		else
			return tf_unknown(argv[0]);
	}
	if (clear) {
		ret = tf_proc_write("events", "clear\n", 6);
		if (ret || !follow)
			return ret;
	}
	if (!follow) {
		ret = tf_proc_read("events", &buf, &len);
		if (ret)
			return ret;
		tf_print_open_array(NULL);
		events_print_new(buf, &last_ts, &at_last, false);
		tf_print_close_array();
		tf_print_end();
		free(buf);
		return 0;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		ret = tf_proc_read("events", &buf, &len);
		if (ret)
			return ret;
		events_print_new(buf, &last_ts, &at_last, true);
		free(buf);
		nanosleep(&ts, NULL);
	}
	return 0;
}
