/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfaultctl: shared declarations of the per-object files, and the map of
 * ctl/, each file and the one thing it owns.
 *
 *   main.c          the options (-n -j -p -V -h); hands OBJECT's words on
 *  the objects, do_OBJECT() each:
 *   rule.c          rule add|del|flush|list|restore: lines checked, written
 *   events.c        events; its lines parsed (struct tf_event_line)
 *   stats.c         stats
 *   timeline.c      timeline: each flow's events against a model's windows
 *   model_cmd.c     model KIND; the model words (--kernel, NAME=VALUE)
 *   scenario.c      scenario: the incident presets
 *   kill.c          kill: existing connections severed
 *  what they write:
 *   print.c         text and JSON from one call (print.h)
 *   pcap.c          events --pcap (pcap_static.c: the static link's stubs)
 *   svg.c           timeline --svg
 *  the schedule model, plain C (model.h draws its own map):
 *   model.c         the dispatcher: release, settings, kind -> timer file
 *   model_syn.c, model_synack.c, model_data.c, model_keepalive.c
 *                   one timer's model each (model_kinds.h)
 *   model_core.c    the wheel, jiffies, the window rule, tcp_model_timeout
 *   model_hz.c      CONFIG_HZ of a kernel (model_hz.h)
 *  the library:
 *   procfs.c        /proc/net/tcpfault, sysctls, module version, -n (procfs.h)
 *   utils.c         exit statuses, error messages, numbers (utils.h)
 *   ../module/tf_parse.c   the rule language, the module's own parser
 *                   (tf_parse_compat.h: the kernel names it uses)
 *
 * Calls go down, never back up, and no two files call each other:
 * main -> the objects -> what they write, the model, the library.  Among
 * the objects scenario -> kill -> rule and timeline -> events, model_cmd;
 * in the model model.c -> the timer files -> model_core.c; everything may
 * call utils.c, which calls nothing of tcpfaultctl.
 */
#ifndef TCPFAULTCTL_H
#define TCPFAULTCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "procfs.h"
#include "tf_parse.h"
#include "utils.h"

/* rule.c, also for the presets (scenario.c). */
int tf_rule_check_line(const char *line, unsigned int lineno);	/* 0 or exit status */
/* Joins "VERB ARGS..." into one line, checks and writes it; 0 or exit status. */
int tf_rule_command(const char *verb, int argc, char **argv);
/* A line of the rules file: the rule, and its counters if the line had them. */
struct tf_rule_listed {
	struct tf_rule_spec spec;
	bool counted;
	uint64_t hits, acted;
};
int tf_rule_parse_listed(const char *line, struct tf_rule_listed *r);	/* 0 or -EINVAL (said why) */
void tf_rule_print(const struct tf_rule_listed *r);	/* text: the "add" line; JSON: an object */
int tf_kill_count(uint64_t *killed);	/* the last kill's count, from stats */

/*
 * A line of /proc/net/tcpfault/events, parsed (the module prints it from
 * its ring record, module/tf.h struct tf_event).
 */
struct tf_event_line {
	uint64_t ts;
	uint64_t rule;
	char dir[8];
	uint64_t flow;
	char src[64];
	char dst[64];
	char flags[12];
	uint64_t seq, ack, len;
	uint64_t win;		/* the header's window, as sent */
	bool has_win;		/* the line had it (older modules' had not) */
	char verdict[16];
};
/* Parses one events line; returns 0 or -EINVAL. */
int tf_event_parse(const char *line, struct tf_event_line *ev);
/* Splits buf (NUL-terminated) into events; returns count or -errno. */
int tf_events_parse_all(char *buf, struct tf_event_line **evs, size_t *n);

/* pcap.c: events --pcap FILE (and FILE.verdicts) */
struct tf_pcap;
struct tf_pcap *tf_pcap_open(const char *file);	/* NULL: said why */
int tf_pcap_write(struct tf_pcap *p, const struct tf_event_line *ev);	/* 0 or -errno */
int tf_pcap_flush(struct tf_pcap *p);
int tf_pcap_close(struct tf_pcap *p);

/* svg.c: timeline --svg FILE; timeline.c hands over what it prints */
enum tf_svg_scale { TF_SVG_AUTO, TF_SVG_LINEAR, TF_SVG_LOG };
struct tf_svg;
struct tf_svg *tf_svg_new(enum tf_svg_scale scale, const char *model);	/* NULL: no memory */
void tf_svg_flow(struct tf_svg *s);	/* a new panel: the events that follow */
void tf_svg_event(struct tf_svg *s, const struct tf_event_line *ev);
/* The model's window [from + lo, from + hi] for the packet (or failure) at at. */
void tf_svg_window(struct tf_svg *s, uint64_t from, int64_t lo, int64_t hi,
		   uint64_t at, bool ok);
void tf_svg_end(struct tf_svg *s, uint64_t end);	/* the connection failed */
int tf_svg_write(struct tf_svg *s, const char *file);	/* 0 or exit status */
void tf_svg_free(struct tf_svg *s);

/* Builds model params from "--kernel R" and "name=value" words. */
struct tf_model_args {
	const char *kernel;	/* NULL: uname -r and the netns's sysctls */
	const char *sets[32];	/* name=value words */
	int nsets;
};
/* Tries to eat argv[0] (and argv[1]); returns words used, 0 if not a model word, <0 = exit status. */
int tf_model_arg(int argc, char **argv, struct tf_model_args *a);
/* Builds and computes KIND's model: 0 and *m (free() it), or exit status (said why). */
int tf_model_new(const struct tf_model_args *a, enum tf_model_kind kind, struct tf_model **m);

int do_rule(int argc, char **argv);
int do_events(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_timeline(int argc, char **argv);
int do_model(int argc, char **argv);
int do_scenario(int argc, char **argv);
int do_kill(int argc, char **argv);

#endif
