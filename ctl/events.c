// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl events [--clear] [--follow] [--pcap FILE]
 *
 * The file is oldest first.  --pcap also writes each event as a packet
 * into FILE, its verdict into FILE.verdicts (pcap.c).  --follow keeps it open: the kernel's read
 * position is an event number, so each read returns only what is new (at
 * the end, wait 100 ms and read again).  A "lost N" line in the stream says
 * N events went (overwritten or cleared) before this reader got to them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "print.h"
#include "tcpfaultctl.h"

static bool copy_word(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return false;
	strcpy(dst, src);
	return true;
}

int tf_event_parse(const char *line, struct tf_event_line *ev)
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
		else if (!strcmp(w, "win"))
			ok = ev->has_win = tf_parse_u64(v, 65535, &ev->win);
		else if (!strcmp(w, "verdict"))
			ok = copy_word(ev->verdict, sizeof(ev->verdict), v);
		else
			ok = true;	/* newer fields: ignore */
		if (!ok)
			return -EINVAL;
	}
	return seen == 7 ? 0 : -EINVAL;
}

int tf_events_parse_all(char *buf, struct tf_event_line **evs, size_t *n)
{
	size_t cap = 64, cnt = 0;
	char *line, *save = NULL;
	struct tf_event_line *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
			continue;
		if (cnt == cap) {
			struct tf_event_line *nv = realloc(v, 2 * cap * sizeof(*v));

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

/* One event: the file's line in text, an object in JSON, from the same calls. */
static void event_print(const struct tf_event_line *ev)
{
	tf_print_open_object(NULL);
	tf_print_u64("ts", "ts %llu", ev->ts);
	tf_print_u64("rule", " rule %llu", ev->rule);
	tf_print_str("dir", " dir %s", ev->dir);
	tf_print_u64("flow", " flow %llu", ev->flow);
	tf_print_str("src", " src %s", ev->src);
	tf_print_str("dst", " dst %s", ev->dst);
	tf_print_str("flags", " flags %s", ev->flags);
	tf_print_u64("seq", " seq %llu", ev->seq);
	tf_print_u64("ack", " ack %llu", ev->ack);
	tf_print_u64("len", " len %llu", ev->len);
	tf_print_str("verdict", " verdict %s", ev->verdict);
	if (ev->has_win)
		tf_print_u64("win", " win %llu", ev->win);
	tf_print_text("\n");
	tf_print_close_object();
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Prints buf's events (in JSON one object per line when following), each
 * also into the capture, if any; a line that is no event is told on
 * stderr.  Returns 0 or TF_EXIT_FAIL.
 */
static int events_print(char *buf, bool follow, struct tf_pcap *pcap)
{
	char *line, *save = NULL;
	unsigned long long lost;
	int ret = 0;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tf_event_line ev;

		if (sscanf(line, "lost %llu", &lost) == 1) {
			fflush(stdout);
			tf_err("%llu events lost: overwritten or cleared before this reader got to them",
			       lost);
			continue;
		}
		if (tf_event_parse(line, &ev)) {
			fflush(stdout);
			tf_err("cannot read event \"%.80s\"", line);
			ret = TF_EXIT_FAIL;
			continue;
		}
		if (pcap && tf_pcap_write(pcap, &ev))
			return TF_EXIT_FAIL;
		event_print(&ev);
		if (tf_json && follow)
			putchar('\n');	/* JSON lines when following */
	}
	fflush(stdout);
	return pcap && tf_pcap_flush(pcap) ? TF_EXIT_FAIL : ret;
}

/* Reads the open events file until a signal, printing whole lines. */
static int events_follow(int fd, struct tf_pcap *pcap)
{
	char buf[65536 + 1];
	size_t have = 0;
	ssize_t n;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		char *end;

		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tf_err("reading /proc/net/tcpfault/events: %s", strerror(errno));
			return TF_EXIT_FAIL;
		}
		if (n == 0) {
			nanosleep(&ts, NULL);
			continue;
		}
		have += n;
		buf[have] = '\0';
		end = strrchr(buf, '\n');
		if (!end)
			continue;	/* a line is far shorter than buf */
		*end++ = '\0';
		if (events_print(buf, true, pcap))
			return TF_EXIT_FAIL;
		have -= end - buf;
		memmove(buf, end, have);
	}
	return 0;
}

int do_events(int argc, char **argv)
{
	bool clear = false, follow = false;
	const char *pcap_file = NULL;
	struct tf_pcap *pcap = NULL;
	size_t len;
	char *buf;
	int fd, ret;

	for (; argc > 0; argc--, argv++) {
		if (!strcmp(argv[0], "--clear") || !strcmp(argv[0], "clear")) {
			clear = true;
		} else if (!strcmp(argv[0], "--follow") || !strcmp(argv[0], "follow")) {
			follow = true;
		} else if (!strcmp(argv[0], "--pcap")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (pcap_file)
				return tf_duparg(argv[0]);
			pcap_file = *++argv;
			argc--;
		} else {
			return tf_unknown(argv[0]);
		}
	}
	if (clear && pcap_file && !follow) {
		tf_err("\"--pcap\" with \"--clear\" needs \"--follow\": nothing is left to write");
		return TF_EXIT_USAGE;
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
		if (pcap_file && !(pcap = tf_pcap_open(pcap_file))) {
			free(buf);
			return TF_EXIT_FAIL;
		}
		tf_print_open_array(NULL);
		ret = events_print(buf, false, pcap);
		tf_print_close_array();
		tf_print_end();
		free(buf);
		return tf_pcap_close(pcap) ? TF_EXIT_FAIL : ret;
	}

	fd = tf_proc_fd("events");
	if (fd < 0)
		return TF_EXIT_FAIL;
	if (pcap_file && !(pcap = tf_pcap_open(pcap_file))) {
		close(fd);
		return TF_EXIT_FAIL;
	}
	ret = events_follow(fd, pcap);
	close(fd);
	return tf_pcap_close(pcap) ? TF_EXIT_FAIL : ret;
}
