// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl timeline [--flow ID] [--from-file FILE]
 *                      [--svg FILE [--scale linear|log]]
 *                      [--model KIND [--start NS] [--end NS] [MODEL_ARGS]]
 *
 * Per flow: each event's time from the flow's first event, the gap to the
 * previous one, dir, flags, verdict. With --model syn each gap between
 * consecutive SYNs is checked against the model's window, the number of
 * SYNs against the model's count, and with --end (CLOCK_MONOTONIC ns of the
 * failed connect()) the wait from the last SYN to the failure against the
 * give-up window. With --model synack the same for the server's SYN-ACKs
 * (the give-up being the request socket's drop), with --model data or fin
 * for the data segments (payload, no SYN) or the FINs. With --model keepalive or
 * probe the packets are the probes (pure ACKs), the model's step 0 is the
 * arming of the timer at --start NS (CLOCK_MONOTONIC; events before it are
 * not probes), checked against the first probe and the give-up total.
 * Exit status 1 if anything is outside.  --svg also draws it all as a
 * ladder diagram (svg.c), each checked window beside its packet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "tcpfaultctl.h"

struct timeline {
	const struct tf_model *m;	/* NULL: no checks */
	bool have_end;
	uint64_t end_ns;
	const char *yes, *no;		/* check marks */
	const char *tx_flags, *tx_name;	/* the packets the model times: S, SYN */
	bool armed;			/* keepalive, probe: step 0 = timer armed at start_ns */
	bool have_start;
	uint64_t start_ns;
	unsigned int failures;
	struct tf_svg *svg;		/* NULL: no --svg */
};

static double secs(int64_t ns)
{
	return ns / 1e9;
}

static bool utf8_locale(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strstr(v, "UTF-8") || strstr(v, "utf-8") ||
			       strstr(v, "UTF8") || strstr(v, "utf8");
	}
	return false;
}

static int read_file(const char *file, char **bufp)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1);
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	size_t n;

	if (!f || !buf) {
		tf_err("cannot open \"%s\": %s", file, strerror(errno));
		free(buf);
		return TF_EXIT_FAIL;
	}
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb) {
				tf_err("out of memory");
				free(buf);
				return TF_EXIT_FAIL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	*bufp = buf;
	return 0;
}

static void check_mark(struct timeline *t, bool ok)
{
	tf_print_bool("ok", NULL, ok);
	tf_print_text("  %s", ok ? t->yes : t->no);
	if (!ok)
		t->failures++;
}

/* The check's mark; with --svg, its window [from + lo, from + hi] beside at. */
static void check_window(struct timeline *t, bool ok, uint64_t from, int64_t lo,
			 int64_t hi, uint64_t at)
{
	if (t->svg)
		tf_svg_window(t->svg, from, lo, hi, at, ok);
	check_mark(t, ok);
}

static void print_window(const char *fmt_prefix, int64_t lo, int64_t hi)
{
	char w[64];

	snprintf(w, sizeof(w), "[%.3f, %.3f]", secs(lo), secs(hi));
	tf_print_secs("window_lo", NULL, secs(lo));
	tf_print_secs("window_hi", NULL, secs(hi));
	tf_print_text(fmt_prefix, w);
}

static bool is_syn(const struct timeline *t, const struct tf_event_line *ev, const char *dir)
{
	if (t->tx_flags && !strcmp(t->tx_flags, "data"))	/* payload, no SYN */
		return ev->len && !strchr(ev->flags, 'S') && (!dir || !strcmp(ev->dir, dir));
	if (t->tx_flags && !strcmp(t->tx_flags, "F"))	/* any FIN */
		return strchr(ev->flags, 'F') && (!dir || !strcmp(ev->dir, dir));
	return !strcmp(ev->flags, t->tx_flags) && (!dir || !strcmp(ev->dir, dir));
}

/* One flow: events ev[idx[0..n-1]]. */
static void timeline_flow(struct timeline *t, const struct tf_event_line *evs,
			  const size_t *idx, size_t n)
{
	const struct tf_event_line *first = &evs[idx[0]];
	const struct tf_event_line *first_syn = NULL, *last_syn = NULL;
	const struct tf_model *m = t->m;
	uint64_t prev = first->ts;
	unsigned int nsyn = t->armed;	/* armed: step 0 is no packet */
	size_t i;

	for (i = 0; i < n && !first_syn; i++)
		if (is_syn(t, &evs[idx[i]], NULL) &&
		    (!t->armed || !t->have_start || evs[idx[i]].ts >= t->start_ns))
			first_syn = &evs[idx[i]];

	if (t->svg)
		tf_svg_flow(t->svg);
	tf_print_open_object(NULL);
	tf_print_u64("flow", "flow %llu", first->flow);
	tf_print_str("src", " %s", first->src);
	tf_print_str("dst", " > %s\n", first->dst);
	tf_print_text("%10s %9s %4s %5s %-8s%s\n", "t_s", "gap_s", "dir", "flags",
		      "verdict", m ? " model_gap_window_s" : "");
	tf_print_open_array("events");
	for (i = 0; i < n; i++) {
		const struct tf_event_line *ev = &evs[idx[i]];
		char gap[32] = "-";

		if (i)
			snprintf(gap, sizeof(gap), "%.3f", secs(ev->ts - prev));
		if (t->svg)
			tf_svg_event(t->svg, ev);
		tf_print_open_object(NULL);
		tf_print_u64("ts", NULL, ev->ts);
		tf_print_secs("t", "%10.3f", secs(ev->ts - first->ts));
		if (i)
			tf_print_secs("gap", NULL, secs(ev->ts - prev));
		tf_print_text(" %9s", gap);
		tf_print_str("dir", " %4s", ev->dir);
		tf_print_str("flags", " %5s", ev->flags);
		tf_print_str("verdict", " %-8s", ev->verdict);
		if (m && first_syn && is_syn(t, ev, first_syn->dir) && ev->ts >= first_syn->ts) {
			if (nsyn > 0 && (last_syn || t->have_start)) {
				int64_t g = ev->ts - (last_syn ? last_syn->ts : t->start_ns);

				tf_print_secs("syn_gap", NULL, secs(g));
				if (nsyn - 1 < m->nsteps) {
					const struct tf_model_step *s = &m->step[nsyn - 1];

					print_window(" %-18s", s->win_lo_ns, s->win_hi_ns);
					check_window(t, tf_model_in_window(s, g), ev->ts - g,
						     s->win_lo_ns, s->win_hi_ns, ev->ts);
				} else {
					tf_print_text(" (no more %ss due)", t->tx_name);
					check_mark(t, false);
				}
			}
			tf_print_u64("syn", NULL, nsyn);
			nsyn++;
			last_syn = ev;
		}
		tf_print_text("\n");
		tf_print_close_object();
		prev = ev->ts;
	}
	tf_print_close_array();

	if (m && nsyn) {
		unsigned int retrans = nsyn - 1;
		bool ok = retrans >= m->retrans_min && retrans <= m->retrans_max;

		tf_print_open_object("syns");
		tf_print_text("%ss", t->tx_name);
		tf_print_u64("count", " %llu", nsyn - t->armed);
		tf_print_u64("model_min", ", model %llu", m->retrans_min + 1 - t->armed);
		if (m->retrans_max != m->retrans_min)
			tf_print_u64("model_max", "-%llu", m->retrans_max + 1 - t->armed);
		else
			tf_print_u64("model_max", NULL, m->retrans_max + 1 - t->armed);
		check_mark(t, ok);
		tf_print_text("\n");
		tf_print_close_object();
	}
	if (m && nsyn && t->have_end && (last_syn || t->have_start)) {
		int64_t wait = (int64_t)(t->end_ns - (last_syn ? last_syn->ts : t->start_ns));
		int64_t total = (int64_t)(t->end_ns - (t->armed ? t->start_ns : first_syn->ts));
		const struct tf_model_step *s = nsyn - 1 < m->nsteps ? &m->step[nsyn - 1] : NULL;
		bool ok;

		tf_print_open_object("giveup");
		tf_print_secs("wait", "give-up: %.3f s after the last ", secs(wait));
		tf_print_text("%s", t->tx_name);
		if (t->svg)
			tf_svg_end(t->svg, t->end_ns);
		if (s && s->fire != TF_FIRE_RETRANSMIT) {
			print_window(" %s", s->win_lo_ns, s->win_hi_ns);
			check_window(t, tf_model_in_window(s, wait), t->end_ns - wait,
				     s->win_lo_ns, s->win_hi_ns, t->end_ns);
		} else {
			tf_print_text(" (the model does not give up here)");
			check_mark(t, false);
		}
		tf_print_text("\n");
		tf_print_secs("total", "          %.3f s after the first ", secs(total));
		tf_print_text("%s", t->armed ? "arming (--start)" : t->tx_name);
		tf_print_open_object("total_window");
		print_window(" %s", m->giveup_lo_ns, m->giveup_hi_ns);
		ok = (t->armed && !t->have_start) ||
		     (total >= m->giveup_lo_ns && total <= m->giveup_hi_ns);
		check_mark(t, ok);
		tf_print_close_object();
		if (m->kind == TF_MODEL_SYNACK)
			tf_print_text(", request socket dropped\n");
		else
			tf_print_str("errno", ", model errno %s\n", "ETIMEDOUT");
		tf_print_close_object();
	}
	tf_print_close_object();
	tf_print_text("\n");
}

int do_timeline(int argc, char **argv)
{
	struct tf_model_args margs = { 0 };
	struct timeline t = { 0 };
	const char *file = NULL, *svg_file = NULL;
	enum tf_svg_scale scale = TF_SVG_AUTO;
	bool have_scale = false;
	struct tf_model *m = NULL;
	struct tf_event_line *evs = NULL;
	enum tf_model_kind kind = TF_MODEL_SYN;
	bool want_model = false, have_flow = false;
	uint64_t flow = 0;
	size_t nev = 0, i, *idx = NULL, nflows = 0;
	uint64_t *flows = NULL;
	char *buf = NULL;
	size_t len;
	int ret, n;

	for (; argc > 0; argc -= n, argv += n) {
		n = 2;
		if (!strcmp(argv[0], "--flow")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (have_flow)
				return tf_duparg(argv[0]);
			if (!tf_parse_u64(argv[1], UINT64_MAX, &flow))
				return tf_invarg(argv[1], argv[0]);
			have_flow = true;
		} else if (!strcmp(argv[0], "--model")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (want_model)
				return tf_duparg(argv[0]);
			if (tf_model_kind_parse(argv[1], &kind))
				return tf_invarg(argv[1], argv[0]);
			want_model = true;
		} else if (!strcmp(argv[0], "--start")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (t.have_start)
				return tf_duparg(argv[0]);
			if (!tf_parse_u64(argv[1], INT64_MAX, &t.start_ns))
				return tf_invarg(argv[1], argv[0]);
			t.have_start = true;
		} else if (!strcmp(argv[0], "--end")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (t.have_end)
				return tf_duparg(argv[0]);
			if (!tf_parse_u64(argv[1], INT64_MAX, &t.end_ns))
				return tf_invarg(argv[1], argv[0]);
			t.have_end = true;
		} else if (!strcmp(argv[0], "--svg")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (svg_file)
				return tf_duparg(argv[0]);
			svg_file = argv[1];
		} else if (!strcmp(argv[0], "--scale")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (have_scale)
				return tf_duparg(argv[0]);
			if (!strcmp(argv[1], "linear"))
				scale = TF_SVG_LINEAR;
			else if (!strcmp(argv[1], "log"))
				scale = TF_SVG_LOG;
			else
				return tf_invarg(argv[1], argv[0]);
			have_scale = true;
		} else if (!strcmp(argv[0], "--from-file")) {
			if (argc < 2)
				return tf_missing(argv[0]);
			if (file)
				return tf_duparg(argv[0]);
			file = argv[1];
		} else {
			n = tf_model_arg(argc, argv, &margs);
			if (n < 0)
				return -n;
			if (n == 0)
				return tf_unknown(argv[0]);
		}
	}
	/* Cross-option rules, after the loop. */
	if ((t.have_end || t.have_start || margs.kernel || margs.nsets) && !want_model) {
		tf_err("\"%s\" needs \"--model\"", t.have_end ? "--end" :
		       t.have_start ? "--start" :
		       margs.kernel ? "--kernel" : margs.sets[0]);
		return TF_EXIT_USAGE;
	}
	if (have_scale && !svg_file) {
		tf_err("\"--scale\" needs \"--svg\"");
		return TF_EXIT_USAGE;
	}
	if (want_model) {
		ret = tf_model_new(&margs, kind, &m);
		if (ret)
			return ret;
		t.m = m;
	}
	t.tx_flags = kind == TF_MODEL_SYNACK ? "SA" : "S";
	t.tx_name = kind == TF_MODEL_SYNACK ? "SYN-ACK" : "SYN";
	if (kind == TF_MODEL_DATA || kind == TF_MODEL_FIN) {
		t.tx_flags = kind == TF_MODEL_DATA ? "data" : "F";
		t.tx_name = kind == TF_MODEL_DATA ? "data packet" : "FIN";
	}
	if (kind == TF_MODEL_KEEPALIVE || kind == TF_MODEL_PROBE) {
		t.tx_flags = "A";	/* probes: pure ACKs, seq snd_una - 1 */
		t.tx_name = "probe";
		t.armed = true;
	}
	if (svg_file) {
		t.svg = tf_svg_new(scale, want_model ? tf_model_kind_name(kind) : NULL);
		if (!t.svg) {
			tf_err("out of memory");
			ret = TF_EXIT_FAIL;
			goto out;
		}
	}
	t.yes = utf8_locale() ? "\u2713 ok" : "ok";
	t.no = utf8_locale() ? "\u2717 FAIL" : "FAIL";

	ret = file ? read_file(file, &buf) : tf_proc_read("events", &buf, &len);
	if (ret)
		goto out;
	if (tf_events_parse_all(buf, &evs, &nev)) {
		ret = TF_EXIT_FAIL;
		goto out;
	}
	idx = malloc((nev + 1) * sizeof(*idx));
	flows = malloc((nev + 1) * sizeof(*flows));
	if (!idx || !flows) {
		tf_err("out of memory");
		ret = TF_EXIT_FAIL;
		goto out;
	}
	/* Flows in order of their first event. */
	for (i = 0; i < nev; i++) {
		size_t f;

		if (have_flow && evs[i].flow != flow)
			continue;
		for (f = 0; f < nflows && flows[f] != evs[i].flow; f++)
			;
		if (f == nflows)
			flows[nflows++] = evs[i].flow;
	}
	if (have_flow && !nflows) {
		tf_err("no events for flow %llu", (unsigned long long)flow);
		ret = TF_EXIT_FAIL;
		goto out;
	}
	if (t.have_end && nflows > 1) {
		tf_err("\"--end\" needs \"--flow\": there are %zu flows", nflows);
		ret = TF_EXIT_USAGE;
		goto out;
	}

	tf_print_open_array(NULL);
	for (size_t f = 0; f < nflows; f++) {
		size_t k = 0;

		for (i = 0; i < nev; i++)
			if (evs[i].flow == flows[f])
				idx[k++] = i;
		timeline_flow(&t, evs, idx, k);
	}
	tf_print_close_array();
	tf_print_end();
	if (t.svg && tf_svg_write(t.svg, svg_file)) {
		ret = TF_EXIT_FAIL;
		goto out;
	}
	if (m) {
		bool any_syn = false;

		for (i = 0; i < nev && !any_syn; i++)
			any_syn = (!have_flow || evs[i].flow == flow) && is_syn(&t, &evs[i], NULL);
		if (!any_syn) {
			tf_err("no %s events to check against the model", t.tx_name);
			t.failures++;
		}
	}
	ret = t.failures ? TF_EXIT_FAIL : 0;
out:
	free(idx);
	free(flows);
	free(evs);
	free(buf);
	free(m);
	tf_svg_free(t.svg);
	return ret;
}
