// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl timeline --svg FILE: the timeline as a ladder diagram.
 *
 * One panel per flow, top to bottom: the flow's two ends (its first
 * packet's source on the left) as vertical lines, time running down from
 * the flow's first event, each event an arrow at its time from source to
 * destination with its flags, seq, ack, len and verdict written beside it.
 * A dropped packet ends in a cross where it was lost (dir out: at the
 * sender's egress, in: at the receiver's ingress, fwd: on the way); reset
 * adds a dashed RST back to the sender (reset-both: to both ends); a
 * changed one (window, flags, corrupt) is orange; a delayed one slants
 * (not to scale: the event does not carry the delay).  Arrows closer
 * than ARROW_GAP px are stacked that far apart, labels LINE_H px, with a
 * leader to their arrow; the label has the exact time.
 *
 * The time axis is linear while a panel spans at most five minutes, else
 * logarithmic, y ~ log(1 + t / tau) with tau the flow's shortest gap, so
 * the 200 ms retransmissions and the 924.6 s give-up both stay readable;
 * --scale chooses, and the axis says which.  With --model, timeline.c
 * hands over each checked gap's window (from the packet it counts from):
 * a bar beside the ladder over the window's times, green when the packet
 * came inside it, red with a cross when not; with --end, the give-up
 * window and the failure's time.
 *
 * Plain SVG 1.1 with fonts Debian has (DejaVu), for browsers and
 * rsvg-convert; the elements carry classes (event verdict-V, cross, arrow,
 * slant, window inside|outside, scale) that the tests read back.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpfaultctl.h"

#define W		1000.0
#define AXIS_X		100.0	/* time axis */
#define LEFT_X		170.0	/* the flow's first source */
#define RIGHT_X		470.0
#define WIN_X		490.0	/* model windows */
#define LABEL_X		530.0
#define TOP		70.0	/* panel: title, endpoints, then time 0 */
#define LINE_H		14.0	/* labels' minimum spacing */
#define ARROW_GAP	6.0	/* arrows' */
#define GREEN		"#2e9e44"
#define RED		"#d62728"
#define ORANGE		"#e67e00"
#define BLUE		"#1f5fbf"
#define FONT		"DejaVu Sans, Verdana, sans-serif"
#define LINEAR_MAX_NS	(300 * 1000000000LL)

struct svg_window {
	uint64_t lo, hi;	/* absolute CLOCK_MONOTONIC ns */
	uint64_t at;		/* the packet (or failure) checked against it */
	bool ok;
};

struct svg_flow {
	struct tf_event_line *ev;
	size_t nev, cap_ev;
	struct svg_window *win;
	size_t nwin, cap_win;
	bool have_end;
	uint64_t end;
};

struct tf_svg {
	enum tf_svg_scale scale;
	const char *model;	/* NULL: no model */
	struct svg_flow *flow;
	size_t nflow, cap_flow;
	bool oom;
};

/* One panel's time axis. */
struct axis {
	uint64_t t0;
	bool log;
	double tau;		/* s */
	double span;		/* s */
	double y0, h;		/* px */
};

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *np;

	if (n < *cap)
		return true;
	np = realloc(*p, (*cap ? 2 * *cap : 16) * size);
	if (!np)
		return false;
	*p = np;
	*cap = *cap ? 2 * *cap : 16;
	return true;
}

struct tf_svg *tf_svg_new(enum tf_svg_scale scale, const char *model)
{
	struct tf_svg *s = calloc(1, sizeof(*s));

	if (s) {
		s->scale = scale;
		s->model = model;
	}
	return s;
}

void tf_svg_free(struct tf_svg *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nflow; i++) {
		free(s->flow[i].ev);
		free(s->flow[i].win);
	}
	free(s->flow);
	free(s);
}

void tf_svg_flow(struct tf_svg *s)
{
	if (!grow((void **)&s->flow, &s->cap_flow, s->nflow, sizeof(*s->flow))) {
		s->oom = true;
		return;
	}
	memset(&s->flow[s->nflow++], 0, sizeof(*s->flow));
}

static struct svg_flow *cur(struct tf_svg *s)
{
	return s->nflow && !s->oom ? &s->flow[s->nflow - 1] : NULL;
}

void tf_svg_event(struct tf_svg *s, const struct tf_event_line *ev)
{
	struct svg_flow *f = cur(s);

	if (!f)
		return;
	if (!grow((void **)&f->ev, &f->cap_ev, f->nev, sizeof(*f->ev))) {
		s->oom = true;
		return;
	}
	f->ev[f->nev++] = *ev;
}

void tf_svg_window(struct tf_svg *s, uint64_t from, int64_t lo, int64_t hi,
		   uint64_t at, bool ok)
{
	struct svg_flow *f = cur(s);

	if (!f)
		return;
	if (!grow((void **)&f->win, &f->cap_win, f->nwin, sizeof(*f->win))) {
		s->oom = true;
		return;
	}
	f->win[f->nwin++] = (struct svg_window){ from + lo, from + hi, at, ok };
}

void tf_svg_end(struct tf_svg *s, uint64_t end)
{
	struct svg_flow *f = cur(s);

	if (f) {
		f->have_end = true;
		f->end = end;
	}
}

static double y_of(const struct axis *a, uint64_t ns)
{
	double t = ns > a->t0 ? (ns - a->t0) / 1e9 : 0;

	if (a->log)
		return a->y0 + a->h * log1p(t / a->tau) / log1p(a->span / a->tau);
	return a->y0 + a->h * t / a->span;
}

static void axis_init(struct axis *a, const struct tf_svg *s, const struct svg_flow *f, double y0)
{
	uint64_t last = f->ev[0].ts;
	double min_gap = 0;
	size_t i;

	a->t0 = f->ev[0].ts;
	for (i = 0; i < f->nev; i++) {
		double g = i ? (f->ev[i].ts - f->ev[i - 1].ts) / 1e9 : 0;

		if (g > 0 && (!min_gap || g < min_gap))
			min_gap = g;
		if (f->ev[i].ts > last)
			last = f->ev[i].ts;
	}
	for (i = 0; i < f->nwin; i++)
		if (f->win[i].hi > last)
			last = f->win[i].hi;
	if (f->have_end && f->end > last)
		last = f->end;
	a->span = (last - a->t0) / 1e9;
	if (a->span <= 0)
		a->span = 1;
	a->log = s->scale == TF_SVG_LOG ||
		 (s->scale == TF_SVG_AUTO && last - a->t0 > LINEAR_MAX_NS);
	a->tau = min_gap > 0 ? min_gap : a->span / 100;
	a->y0 = y0;
	/* tall enough for the shortest gap to hold a label, within reason */
	a->h = a->log ? 2 * LINE_H * f->nev : LINE_H * a->span / a->tau;
	a->h = a->h < 560 ? 560 : a->h > 1200 ? 1200 : a->h;
}

/* Text content: the few characters XML reserves. */
static void put_text(FILE *o, const char *str)
{
	for (; *str; str++) {
		if (*str == '<')
			fputs("&lt;", o);
		else if (*str == '>')
			fputs("&gt;", o);
		else if (*str == '&')
			fputs("&amp;", o);
		else
			fputc(*str, o);
	}
}

static void text(FILE *o, double x, double y, const char *attrs, const char *str)
{
	fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
	put_text(o, str);
	fputs("</text>\n", o);
}

static void fmt_secs(char *buf, size_t size, double t)
{
	if (t == 0)
		snprintf(buf, size, "0");
	else
		snprintf(buf, size, "%.4g s", t);
}

static void draw_axis(FILE *o, const struct axis *a)
{
	char lbl[32], cap[160];
	double t, step;

	fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
		AXIS_X, a->y0, AXIS_X, a->y0 + a->h);
	if (a->log) {
		text(o, AXIS_X - 6, a->y0 + 4, "text-anchor=\"end\"", "0");
		/* 1, 2, 5 times the powers of ten from tau's on */
		for (step = pow(10, floor(log10(a->tau))), t = step; t <= a->span * 1.0001;
		     t = t / step < 1.5 ? 2 * step : t / step < 3 ? 5 * step : (step *= 10)) {
			double y = y_of(a, a->t0 + (uint64_t)(t * 1e9));

			if (t < a->tau)
				continue;

			fmt_secs(lbl, sizeof(lbl), t);
			fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
				AXIS_X - 4, y, AXIS_X, y);
			text(o, AXIS_X - 6, y + 4, "text-anchor=\"end\"", lbl);
		}
		snprintf(cap, sizeof(cap), "time since the flow's first event, log scale: "
			 "y ~ log(1 + t / %.4g s)", a->tau);
	} else {
		step = pow(10, floor(log10(a->span / 8)));
		if (a->span / step > 40)
			step *= 5;
		else if (a->span / step > 16)
			step *= 2;
		for (t = 0; t <= a->span * 1.0001; t += step) {
			double y = y_of(a, a->t0 + (uint64_t)(t * 1e9));

			fmt_secs(lbl, sizeof(lbl), t);
			fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
				AXIS_X - 4, y, AXIS_X, y);
			text(o, AXIS_X - 6, y + 4, "text-anchor=\"end\"", lbl);
		}
		snprintf(cap, sizeof(cap), "time since the flow's first event, linear scale");
	}
	fprintf(o, "<text class=\"scale\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		"transform=\"rotate(-90 %.1f %.1f)\" text-anchor=\"middle\">",
		AXIS_X - 70, a->y0 + a->h / 2, AXIS_X - 70, a->y0 + a->h / 2);
	put_text(o, cap);
	fputs("</text>\n", o);
}

static void cross(FILE *o, double x, double y)
{
	fprintf(o, "<path class=\"cross\" d=\"M%.1f %.1fl10 10m0 -10l-10 10\" "
		"stroke=\"" RED "\" stroke-width=\"2.5\"/>\n", x - 5, y - 5);
}

static const struct {
	const char *id, *colour;
} heads[] = {
	{ "head", "#222" }, { "head-red", RED }, { "head-orange", ORANGE },
	{ "head-blue", BLUE },
};

static void arrow_line(FILE *o, const char *cls, double x1, double y1, double x2, double y2,
		       const char *colour, bool head, bool dashed)
{
	size_t i;

	fprintf(o, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.5\"%s", cls, x1, y1, x2, y2, colour,
		dashed ? " stroke-dasharray=\"4 3\"" : "");
	for (i = 0; head && i < sizeof(heads) / sizeof(heads[0]); i++)
		if (!strcmp(heads[i].colour, colour))
			fprintf(o, " marker-end=\"url(#%s)\"", heads[i].id);
	fputs("/>\n", o);
}

/*
 * One event, its arrow at or below arrow_y and its label at or below
 * label_y; both move on to this event's.
 */
static void draw_event(FILE *o, const struct axis *a, const struct tf_event_line *first,
		       const struct tf_event_line *ev, double *arrow_y, double *label_y)
{
	bool forward = !strcmp(ev->src, first->src);
	double x1 = forward ? LEFT_X : RIGHT_X, x2 = forward ? RIGHT_X : LEFT_X;
	double y = y_of(a, ev->ts) > *arrow_y ? y_of(a, ev->ts) : *arrow_y, xl;
	const char *v = ev->verdict, *colour = "#222";
	bool drop = !strcmp(v, "drop") || !strcmp(v, "reset") || !strcmp(v, "reset-both");
	bool delay = !strcmp(v, "delay");
	char lbl[160];

	if (!strcmp(v, "window") || !strcmp(v, "flags") || !strcmp(v, "corrupt"))
		colour = ORANGE;
	else if (delay)
		colour = BLUE;
	else if (drop)
		colour = RED;
	fprintf(o, "<g class=\"event verdict-%s%s\" data-ts=\"%llu\">\n", v,
		delay ? " slant" : "", (unsigned long long)ev->ts);
	if (drop) {
		/* where it was lost: the hook that took it */
		double f = !strcmp(ev->dir, "out") ? 0.25 : !strcmp(ev->dir, "in") ? 0.75 : 0.5;

		xl = x1 + (x2 - x1) * f;
		arrow_line(o, "arrow", x1, y, xl, y, RED, false, false);
		cross(o, xl, y);
		if (strcmp(v, "drop")) {
			arrow_line(o, "rst", xl, y + 4, x1, y + 4, RED, true, true);
			if (!strcmp(v, "reset-both"))
				arrow_line(o, "rst", xl, y + 4, x2, y + 4, RED, true, true);
		}
	} else {
		arrow_line(o, "arrow", x1, y, x2, delay ? y + 2 * LINE_H : y, colour, true, false);
	}
	*arrow_y = y;
	if (*label_y < y)
		*label_y = y;
	if (*label_y > y + 1)	/* pushed down by the one above: a leader */
		fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\"/>\n",
			RIGHT_X + 2, y, LABEL_X - 2, *label_y - 4);
	snprintf(lbl, sizeof(lbl), "%.3f s  %s  %s seq %llu ack %llu len %llu  ",
		 (ev->ts - a->t0) / 1e9, ev->dir, ev->flags, (unsigned long long)ev->seq,
		 (unsigned long long)ev->ack, (unsigned long long)ev->len);
	fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">", LABEL_X, *label_y + 4);
	put_text(o, lbl);
	fprintf(o, "<tspan font-weight=\"bold\" fill=\"%s\">%s</tspan></text>\n",
		colour, v);
	fputs("</g>\n", o);
}

static void draw_window(FILE *o, const struct axis *a, const struct svg_window *w)
{
	double y1 = y_of(a, w->lo), y2 = y_of(a, w->hi), ya = y_of(a, w->at);
	const char *c = w->ok ? GREEN : RED;

	if (y2 - y1 < 5) {	/* a window of a jiffy still shows */
		y1 -= 2.5;
		y2 += 2.5;
	}
	fprintf(o, "<g class=\"window %s\">\n<title>model window [%.3f, %.3f] s: %s</title>\n",
		w->ok ? "inside" : "outside", (w->lo - a->t0) / 1e9, (w->hi - a->t0) / 1e9,
		w->ok ? "inside" : "OUTSIDE");
	fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"%s\" "
		"fill-opacity=\"0.75\"/>\n", WIN_X, y1, y2 - y1, c);
	/* the packet's time against it */
	fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"2\"/>\n", WIN_X - 4, ya, WIN_X + 16, ya, c);
	if (!w->ok)	/* seen at a glance, however short the window */
		fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" fill=\"" RED "\" font-weight=\"bold\" "
			"font-size=\"16\" text-anchor=\"end\">\u2717</text>\n", WIN_X - 6, ya + 6);
	fputs("</g>\n", o);
}

static double draw_flow(FILE *o, const struct tf_svg *s, const struct svg_flow *f, double y0)
{
	const struct tf_event_line *first = &f->ev[0];
	struct axis a;
	double label_y = 0, arrow_y = 0, bottom;
	char title[200];
	size_t i;

	axis_init(&a, s, f, y0 + TOP);
	snprintf(title, sizeof(title), "flow %llu: %s > %s", (unsigned long long)first->flow,
		 first->src, first->dst);
	text(o, AXIS_X - 70, y0 + 24, "font-size=\"15\" font-weight=\"bold\"", title);
	text(o, LEFT_X, y0 + TOP - 12, "text-anchor=\"middle\" font-weight=\"bold\"", first->src);
	text(o, RIGHT_X, y0 + TOP - 12, "text-anchor=\"middle\" font-weight=\"bold\"", first->dst);
	if (s->model) {
		snprintf(title, sizeof(title), "model %s", s->model);
		text(o, WIN_X - 4, y0 + TOP - 30, "", title);
	}
	for (i = 0; i < 2; i++)
		fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
			"stroke-width=\"3\"/>\n", i ? RIGHT_X : LEFT_X, a.y0 - 6,
			i ? RIGHT_X : LEFT_X, a.y0 + a.h + 6);
	draw_axis(o, &a);
	for (i = 0; i < f->nwin; i++)
		draw_window(o, &a, &f->win[i]);
	for (i = 0; i < f->nev; i++) {
		draw_event(o, &a, first, &f->ev[i], &arrow_y, &label_y);
		arrow_y += ARROW_GAP;
		label_y += LINE_H;
	}
	label_y -= LINE_H;
	bottom = a.y0 + a.h;
	if (f->have_end) {
		double y = y_of(&a, f->end);
		bool late = false;

		for (i = 0; i < f->nwin; i++)
			late |= f->win[i].at == f->end && !f->win[i].ok;

		fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" "
			"stroke-dasharray=\"6 3\"/>\n", LEFT_X - 30, y, RIGHT_X + 30, y);
		snprintf(title, sizeof(title), "%.3f s  the connection failed (--end)%s",
			 (f->end - a.t0) / 1e9, late ? ", OUTSIDE its window" : "");
		label_y = label_y + LINE_H > y ? label_y + LINE_H : y;
		text(o, LABEL_X, label_y + 4, late ? "font-weight=\"bold\" fill=\"" RED "\"" :
		     "font-weight=\"bold\"", title);
	}
	return (label_y > bottom ? label_y : bottom) + 40;
}

static void draw_legend(FILE *o, const struct tf_svg *s, double y)
{
	static const struct {
		const char *colour, *what;
	} items[] = {
		{ "#222", "passed (log)" },
		{ ORANGE, "changed: window, flags, corrupt" },
		{ BLUE, "delayed (slant not to scale)" },
		{ RED, "dropped: the cross is where (reset: dashed RST)" },
	};
	size_t i;

	for (i = 0; i < 4; i++) {
		double x = AXIS_X - 70 + (i % 2) * 430, yy = y + (i / 2) * 18;

		fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"2\"/>\n", x, yy, x + 30, yy, items[i].colour);
		text(o, x + 38, yy + 4, "", items[i].what);
	}
	if (s->model) {
		y += 36;
		fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"" GREEN
			"\"/>\n", AXIS_X - 70, y - 5);
		fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"" RED
			"\"/>\n", AXIS_X - 54, y - 5);
		text(o, AXIS_X - 34, y + 4, "", "the model's window for the packet at the tick: "
		     "green, the packet is inside; red, outside");
	}
}

int tf_svg_write(struct tf_svg *s, const char *file)
{
	FILE *o;
	double y = 0, height;
	size_t i;
	char *body = NULL;
	size_t body_len = 0;
	FILE *b;

	if (s->oom) {
		tf_err("out of memory");
		return TF_EXIT_FAIL;
	}
	/* The body first: the height is known at its end. */
	b = open_memstream(&body, &body_len);
	if (!b) {
		tf_err("out of memory");
		return TF_EXIT_FAIL;
	}
	for (i = 0; i < s->nflow; i++)
		if (s->flow[i].nev)
			y = draw_flow(b, s, &s->flow[i], y);
	draw_legend(b, s, y);
	height = y + (s->model ? 60 : 40);
	if (fclose(b)) {
		free(body);
		tf_err("out of memory");
		return TF_EXIT_FAIL;
	}

	o = strcmp(file, "-") ? fopen(file, "w") : stdout;
	if (!o) {
		tf_err("cannot write \"%s\": %s", file, strerror(errno));
		free(body);
		return TF_EXIT_FAIL;
	}
	fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"font-family=\"" FONT "\" font-size=\"12\">\n"
		"<title>tcpfault timeline</title>\n<defs>\n", W, height, W, height);
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		fprintf(o, "<marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
			"markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\">"
			"<path d=\"M0 0L10 5L0 10z\" fill=\"%s\"/></marker>\n",
			heads[i].id, heads[i].colour);
	fprintf(o, "</defs>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	fwrite(body, 1, body_len, o);
	fputs("</svg>\n", o);
	free(body);
	if (o != stdout ? fclose(o) : fflush(o)) {
		tf_err("writing \"%s\": %s", file, strerror(errno));
		return TF_EXIT_FAIL;
	}
	return 0;
}
