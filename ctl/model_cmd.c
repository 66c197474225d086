// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl model KIND [--kernel RELEASE] [NAME=VALUE...] | model KIND -h
 *
 * Without --kernel the running kernel (uname) and the current network
 * namespace's sysctls under /proc/sys/net/ipv4/ are used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "model_hz.h"
#include "print.h"
#include "tcpfaultctl.h"

/* Where the model's HZ came from (model_build), for model_print(). */
static char hz_from[600];

int tf_model_arg(int argc, char **argv, struct tf_model_args *a)
{
	if (!strcmp(argv[0], "--kernel")) {
		if (argc < 2)
			return -tf_missing("--kernel");
		if (a->kernel)
			return -tf_duparg("--kernel");
		a->kernel = argv[1];
		return 2;
	}
	if (argv[0][0] != '-' && strchr(argv[0], '=')) {
		if (a->nsets == (int)(sizeof(a->sets) / sizeof(a->sets[0]))) {
			tf_err("too many settings at \"%s\"", argv[0]);
			return -TF_EXIT_USAGE;
		}
		a->sets[a->nsets++] = argv[0];
		return 1;
	}
	return 0;
}

static int model_build(const struct tf_model_args *a, struct tf_model_params *p)
{
	const char *release = a->kernel;
	struct utsname u;
	int i, v;

	if (!release) {
		if (uname(&u) < 0) {
			tf_err("uname: %s", strerror(errno));
			return TF_EXIT_FAIL;
		}
		release = u.release;
	}
	if (tf_model_params_init(p, release))
		return tf_invarg(release, "--kernel");
	/* HZ: the running kernel's when --kernel names it (the suites) or is absent */
	if (uname(&u) < 0)
		u.release[0] = '\0';
	tf_hz_detect(release, !strcmp(release, u.release), &p->hz, hz_from, sizeof(hz_from));
	if (!a->kernel) {
		/* The running kernel: its sysctls, in this network namespace. */
		if (!tf_sysctl_read("tcp_syn_retries", &v))
			p->syn_retries = v;
		if (tf_model_has_linear(p) && !tf_sysctl_read("tcp_syn_linear_timeouts", &v))
			p->syn_linear_timeouts = v;
		if (!tf_sysctl_read("tcp_synack_retries", &v))
			p->synack_retries = v;
		if (!tf_sysctl_read("tcp_retries1", &v))
			p->retries1 = v;
		if (!tf_sysctl_read("tcp_retries2", &v))
			p->retries2 = v;
		if (!tf_sysctl_read("tcp_early_retrans", &v))
			p->early_retrans = v;
		if (!tf_sysctl_read("tcp_orphan_retries", &v))
			p->orphan_retries = v;
		if (!tf_sysctl_read("tcp_keepalive_time", &v))
			p->keepalive_time = v;
		if (!tf_sysctl_read("tcp_keepalive_intvl", &v))
			p->keepalive_intvl = v;
		if (!tf_sysctl_read("tcp_keepalive_probes", &v))
			p->keepalive_probes = v;
		if (tf_model_kver_ge(p, 6, 15) && !tf_sysctl_read("tcp_rto_max_ms", &v))
			p->rto_max_sysctl_ms = v;
		if (tf_model_kver_ge(p, 6, 11) && !tf_sysctl_read("tcp_rto_min_us", &v))
			p->rto_min_sysctl_us = v;
	}
	for (i = 0; i < a->nsets; i++) {
		char name[64];
		const char *eq = strchr(a->sets[i], '=');
		size_t n = eq - a->sets[i];
		int ret;

		if (n >= sizeof(name))
			return tf_unknown(a->sets[i]);
		memcpy(name, a->sets[i], n);
		name[n] = '\0';
		ret = tf_model_param_set(p, name, eq + 1);
		if (ret == -ENOENT)
			return tf_unknown(name);
		if (ret == -EINVAL && tf_model_param_since(name)) {
			struct tf_model_params q = *p;

			/* refused for the release, not for the value? */
			q.kver_major = 99;
			if (!tf_model_param_set(&q, name, eq + 1)) {
				tf_err("\"%s\" needs kernel %s or later (kernel %s)", name,
				       tf_model_param_since(name), release);
				return TF_EXIT_USAGE;
			}
		}
		if (ret)
			return tf_invarg(eq + 1, name);
		if (!strcmp(name, "hz"))
			snprintf(hz_from, sizeof(hz_from), "hz=");
	}
	if (p->hz < 100 || p->hz > 1000) {
		tf_err("HZ %u (%s) is not modelled: 100 to 1000 only (try hz=)", p->hz, hz_from);
		return TF_EXIT_FAIL;
	}
	/* once the settings are good: one line, on stderr (JSON stays valid) */
	if (tf_model_kver_unmodelled(p))
		fprintf(stderr, "tcpfaultctl: warning: kernel %d.%d is newer than the newest "
			"release modelled (%d.%d): modelled as %d.%d\n", p->kver_major,
			p->kver_minor, TF_MODEL_NEWEST_MAJOR, TF_MODEL_NEWEST_MINOR,
			TF_MODEL_NEWEST_MAJOR, TF_MODEL_NEWEST_MINOR);
	return 0;
}

int tf_model_new(const struct tf_model_args *a, enum tf_model_kind kind,
		 struct tf_model **mp)
{
	struct tf_model_params p;
	struct tf_model *m;
	int ret;

	ret = model_build(a, &p);
	if (ret)
		return ret;
	m = malloc(sizeof(*m));
	if (!m) {
		tf_err("out of memory");
		return TF_EXIT_FAIL;
	}
	ret = tf_model_compute(kind, &p, m);
	if (ret) {
		tf_err("cannot compute model \"%s\": %s", tf_model_kind_name(kind), strerror(-ret));
		free(m);
		return TF_EXIT_FAIL;
	}
	*mp = m;
	return 0;
}

static double secs(int64_t ns)
{
	return ns / 1e9;
}

static const char *fire_name(enum tf_model_fire f)
{
	switch (f) {
	case TF_FIRE_RETRANSMIT:
		return "retransmit";
	case TF_FIRE_MAYBE_GIVEUP:
		return "maybe-give-up";
	case TF_FIRE_TLP:
		return "loss-probe";
	default:
		return "give-up";
	}
}

/* keepalive, probe (model_keepalive.c): step 0 arms the timer, step k >= 1 is probe k. */
static void model_print_keepalive_params(const struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;

	if (m->kind == TF_MODEL_KEEPALIVE) {
		tf_print_s64("tcp_keepalive_time", "tcp_keepalive_time %lld", p->keepalive_time);
		tf_print_s64("tcp_keepalive_intvl", " tcp_keepalive_intvl %lld", p->keepalive_intvl);
		tf_print_s64("tcp_keepalive_probes", " tcp_keepalive_probes %lld", p->keepalive_probes);
		if (p->keepidle > 0)
			tf_print_s64("keepidle", " keepidle %lld", p->keepidle);
		if (p->keepintvl > 0)
			tf_print_s64("keepintvl", " keepintvl %lld", p->keepintvl);
		if (p->keepcnt > 0)
			tf_print_s64("keepcnt", " keepcnt %lld", p->keepcnt);
	} else {
		tf_print_s64("tcp_retries2", "tcp_retries2 %lld", p->retries2);
		tf_print_s64("rto_ms", " rto %lld ms",
			     (long long)(tf_model_rto(p) * 1000 / p->hz));
		tf_print_bool("answered", NULL, p->probe_answered);
		if (p->probe_answered)
			tf_print_text(" (probes answered with a zero window)");
	}
	if (p->user_timeout_ms > 0)
		tf_print_s64("user_timeout", " user_timeout %lld", p->user_timeout_ms);
	tf_print_text("\n");
	tf_print_text("step 0 arms the %s timer, step k is probe k\n",
		      m->kind == TF_MODEL_KEEPALIVE ? "keepalive" : "probe0");
}

static void model_print_keepalive_end(const struct tf_model *m)
{
	tf_print_open_object("probes");
	tf_print_u64("min", "probes %llu", m->retrans_min);
	if (m->retrans_max != m->retrans_min)
		tf_print_u64("max", "-%llu (depends on timer lateness)", m->retrans_max);
	else
		tf_print_u64("max", NULL, m->retrans_max);
	tf_print_close_object();
	if (m->err) {
		tf_print_open_object("giveup");
		tf_print_secs("lo", ", give-up after [%.3f, ", m->giveup_lo_ns / 1e9);
		tf_print_secs("hi", "%.3f] s from step 0", m->giveup_hi_ns / 1e9);
		tf_print_close_object();
		tf_print_str("errno", ": %s", "ETIMEDOUT");
		tf_print_text("%s\n", m->kind == TF_MODEL_KEEPALIVE ? " (and a RST)" : " (no RST)");
	} else {
		tf_print_text(" (answered: the connection lives on)\n");
	}
	tf_print_close_object();
	tf_print_end();
}

/* 6.11 tcp_rto_min_us, 6.15 tcp_rto_max_ms (model.h): shown when set */
static void model_print_rto_limits(const struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	bool any = false;

	if (p->rto_min_sysctl_us != 200000) {
		tf_print_s64("tcp_rto_min_us", "tcp_rto_min_us %lld", p->rto_min_sysctl_us);
		any = true;
	}
	if (p->rto_min_us > 0) {
		tf_print_s64("rto_min_us", any ? " rto_min_us %lld" : "rto_min_us %lld", p->rto_min_us);
		any = true;
	}
	if (p->rto_max_sysctl_ms != 120000) {
		tf_print_s64("tcp_rto_max_ms", any ? " tcp_rto_max_ms %lld" : "tcp_rto_max_ms %lld",
			     p->rto_max_sysctl_ms);
		any = true;
	}
	if (p->rto_max_ms > 0) {
		tf_print_s64("rto_max_ms", any ? " rto_max_ms %lld" : "rto_max_ms %lld", p->rto_max_ms);
		any = true;
	}
	if (any)
		tf_print_text("\n");
}

static void model_print(const struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	unsigned int i;

	tf_print_open_object(NULL);
	tf_print_str("model", "model %s", tf_model_kind_name(m->kind));
	tf_print_text(" kernel %d.%d", p->kver_major, p->kver_minor);
	tf_print_s64("kernel_major", NULL, p->kver_major);
	tf_print_s64("kernel_minor", NULL, p->kver_minor);
	tf_print_u64("hz", " hz %llu", p->hz);
	tf_print_str("hz_from", " (%s)\n", hz_from);
	if (tf_model_kver_ge(p, 6, 11))
		model_print_rto_limits(m);
	if (m->kind == TF_MODEL_DATA || m->kind == TF_MODEL_FIN) {
		if (m->kind == TF_MODEL_DATA)
			tf_print_s64("tcp_retries2", "tcp_retries2 %lld", p->retries2);
		else
			tf_print_s64("tcp_orphan_retries", "tcp_orphan_retries %lld", p->orphan_retries);
		tf_print_s64("tcp_retries1", " tcp_retries1 %lld (no effect)", p->retries1);
		tf_print_s64("tcp_early_retrans", " tcp_early_retrans %lld", p->early_retrans);
		if (p->user_timeout_ms > 0)
			tf_print_s64("user_timeout", " user_timeout %lld", p->user_timeout_ms);
		tf_print_s64("rto_ms", "\nrto %lld ms",
			     (long long)(tf_model_rto(p) * 1000 / p->hz));
		tf_print_u64("rto_jiffies", " (%llu jiffies)", m->rto);
		if (m->tlp)
			tf_print_u64("pto_jiffies", " tail loss probe after %llu jiffies", m->pto);
		tf_print_secs("budget", " budget %.3f s", m->budget_ms / 1000.0);
		tf_print_str("budget_from", " (%s, from the first RTO retransmission)\n",
			     m->budget_user ? "user_timeout" : "tcp_model_timeout");
	} else if (m->kind == TF_MODEL_KEEPALIVE || m->kind == TF_MODEL_PROBE) {
		model_print_keepalive_params(m);
	} else if (m->kind == TF_MODEL_SYNACK) {
		tf_print_s64("tcp_synack_retries", "tcp_synack_retries %lld", p->synack_retries);
		if (p->syncnt > 0)
			tf_print_s64("syncnt", " syncnt %lld (listener)", p->syncnt);
		tf_print_u64("max_retransmits", " max_retransmits %llu\n", m->max_retransmits);
	} else {
		tf_print_s64("tcp_syn_retries", "tcp_syn_retries %lld", p->syn_retries);
		if (m->linear)
			tf_print_s64("tcp_syn_linear_timeouts", " tcp_syn_linear_timeouts %lld",
				     p->syn_linear_timeouts);
		if (p->syncnt > 0)
			tf_print_s64("syncnt", " syncnt %lld", p->syncnt);
		if (p->user_timeout_ms > 0)
			tf_print_s64("user_timeout", " user_timeout %lld", p->user_timeout_ms);
		tf_print_u64("max_retransmits", " max_retransmits %llu", m->max_retransmits);
		tf_print_secs("budget", " budget %.3f s", m->budget_ms / 1000.0);
		tf_print_str("budget_from", " (%s)\n",
			     m->budget_user ? "user_timeout" : "tcp_model_timeout");
	}
	tf_print_text("%4s %10s %10s %22s  %s\n", "tx", "nominal_s", "timer_s",
		      "gap_window_s", "at_expiry");
	tf_print_open_array("steps");
	for (i = 0; i < m->nsteps; i++) {
		const struct tf_model_step *s = &m->step[i];
		char timer[32], window[48];

		if (s->timer_min == s->timer_max)
			snprintf(timer, sizeof(timer), "%.3f", secs(tf_j2ns(s->timer_min, p->hz)));
		else
			snprintf(timer, sizeof(timer), "%.3f-%.3f", secs(tf_j2ns(s->timer_min, p->hz)),
				 secs(tf_j2ns(s->timer_max, p->hz)));
		snprintf(window, sizeof(window), "[%.3f, %.3f]", secs(s->win_lo_ns),
			 secs(s->win_hi_ns));
		tf_print_open_object(NULL);
		tf_print_u64("tx", "%4llu", i);
		tf_print_secs("nominal", " %10.3f", secs(s->nominal_ns));
		tf_print_text(" %10s %22s", timer, window);
		tf_print_u64("timer_min_jiffies", NULL, s->timer_min);
		tf_print_u64("timer_max_jiffies", NULL, s->timer_max);
		tf_print_u64("gran_jiffies", NULL, s->gran);
		tf_print_secs("window_lo", NULL, secs(s->win_lo_ns));
		tf_print_secs("window_hi", NULL, secs(s->win_hi_ns));
		tf_print_str("at_expiry", "  %s\n", fire_name(s->fire));
		tf_print_close_object();
	}
	tf_print_close_array();
	if (m->kind == TF_MODEL_KEEPALIVE || m->kind == TF_MODEL_PROBE) {
		model_print_keepalive_end(m);
		return;
	}
	tf_print_open_object("retransmissions");
	tf_print_u64("min", "retransmissions %llu", m->retrans_min);
	if (m->retrans_max != m->retrans_min)
		tf_print_u64("max", "-%llu (depends on timer lateness)", m->retrans_max);
	else
		tf_print_u64("max", NULL, m->retrans_max);
	tf_print_close_object();
	tf_print_text(", %s %u", m->kind == TF_MODEL_SYNACK ? "SYN-ACKs" :
		      m->kind == TF_MODEL_DATA ? "data packets" :
		      m->kind == TF_MODEL_FIN ? "FINs" : "SYNs",
		      m->retrans_min + 1);
	if (m->retrans_max != m->retrans_min)
		tf_print_text("-%u", m->retrans_max + 1);
	tf_print_text("\n");
	tf_print_open_object("giveup");
	if (m->kind == TF_MODEL_SYNACK) {
		tf_print_secs("lo", "request socket dropped after [%.3f, ", secs(m->giveup_lo_ns));
		tf_print_secs("hi", "%.3f] s from the first SYN-ACK\n", secs(m->giveup_hi_ns));
		tf_print_close_object();
	} else if (m->kind == TF_MODEL_DATA || m->kind == TF_MODEL_FIN) {
		tf_print_secs("lo", "give-up after [%.3f, ", secs(m->giveup_lo_ns));
		tf_print_secs("hi", "%.3f] s from the first transmission", secs(m->giveup_hi_ns));
		tf_print_close_object();
		tf_print_str("errno", ": %s", "ETIMEDOUT");
		tf_print_text("%s\n", m->kind == TF_MODEL_FIN ? ", orphan destroyed, no RST" : "");
	} else {
		tf_print_secs("lo", "give-up after [%.3f, ", secs(m->giveup_lo_ns));
		tf_print_secs("hi", "%.3f] s from the first SYN", secs(m->giveup_hi_ns));
		tf_print_close_object();
		tf_print_str("errno", ": %s\n", "ETIMEDOUT");
	}
	tf_print_close_object();
	tf_print_end();
}

/* Each kind: what it models, and the NAME=VALUE settings that change it. */
static const struct {
	enum tf_model_kind kind;
	const char *what;
	const char *sets;
} model_usages[] = {
	{ TF_MODEL_SYN, "active open, SYNs unanswered: connect()'s SYN schedule and ETIMEDOUT",
	  "[ tcp_syn_retries=N ] [ tcp_syn_linear_timeouts=N ] (6.5 and later)\n"
	  "  [ syncnt=N ] [ user_timeout=MS ] [ hz=HZ ]" },
	{ TF_MODEL_SYNACK, "passive open, third ACK lost: the SYN-ACKs until the request is dropped",
	  "[ tcp_synack_retries=N ] [ syncnt=N ] (the listener's TCP_SYNCNT) [ hz=HZ ]" },
	{ TF_MODEL_DATA, "established, every packet lost after one write: RTOs, tcp_retries2, ETIMEDOUT",
	  "[ tcp_retries2=N ] [ tcp_retries1=N ] [ tcp_early_retrans=N ]\n"
	  "  [ rto_ms=MS ] [ srtt_us=US ] [ user_timeout=MS ] [ hz=HZ ]" },
	{ TF_MODEL_FIN, "orphaned FIN_WAIT1 after close(), every packet lost: tcp_orphan_retries",
	  "[ tcp_orphan_retries=N ] [ tcp_retries1=N ] [ tcp_early_retrans=N ]\n"
	  "  [ rto_ms=MS ] [ srtt_us=US ] [ user_timeout=MS ] [ hz=HZ ]" },
	{ TF_MODEL_KEEPALIVE, "an idle connection whose peer is gone: keepalive probes, RST, ETIMEDOUT",
	  "[ tcp_keepalive_time=S ] [ tcp_keepalive_intvl=S ] [ tcp_keepalive_probes=N ]\n"
	  "  [ keepidle=S ] [ keepintvl=S ] [ keepcnt=N ] [ user_timeout=MS ] [ hz=HZ ]" },
	{ TF_MODEL_PROBE, "a zero window: zero-window probes until tcp_retries2 (or answered, forever)",
	  "[ tcp_retries2=N ] [ rto_ms=MS ] [ user_timeout=MS ] [ answered=0|1 ]\n"
	  "  [ steps=N ] (probes listed when answered) [ hz=HZ ]" },
};

static void model_usage(FILE *f)
{
	unsigned int i;

	fputs("Usage: tcpfaultctl model KIND [ --kernel RELEASE ] [ NAME=VALUE... ]\n"
	      "       tcpfaultctl model KIND -h\n"
	      "KIND := {", f);
	for (i = 0; i < sizeof(model_usages) / sizeof(model_usages[0]); i++)
		fprintf(f, "%s %s", i ? " |" : "", tf_model_kind_name(model_usages[i].kind));
	fputs(" }\n", f);
}

/* model KIND -h: what the kind models and its settings. */
static void model_kind_usage(enum tf_model_kind kind)
{
	unsigned int i;

	for (i = 0; i < sizeof(model_usages) / sizeof(model_usages[0]); i++) {
		if (model_usages[i].kind != kind)
			continue;
		printf("Usage: tcpfaultctl model %s [ --kernel RELEASE ]\n  %s\n"
		       "  [ tcp_rto_min_us=US ] (6.11 and later) [ rto_min_us=US ]\n"
		       "  [ tcp_rto_max_ms=MS ] [ rto_max_ms=MS ] (6.15 and later)\n%s\n",
		       tf_model_kind_name(kind), model_usages[i].sets, model_usages[i].what);
	}
	printf("Without --kernel: the running kernel and this namespace's sysctls.\n");
}

int do_model(int argc, char **argv)
{
	struct tf_model_args a = { 0 };
	enum tf_model_kind kind;
	struct tf_model *m;
	int ret, n;

	if (argc < 1) {
		model_usage(stderr);
		return TF_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
		model_usage(stdout);
		return 0;
	}
	if (tf_model_kind_parse(argv[0], &kind))
		return tf_unknown(argv[0]);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		if (argc > 2)
			return tf_unknown(argv[2]);
		model_kind_usage(kind);
		return 0;
	}
	for (argc--, argv++; argc > 0; argc -= n, argv += n) {
		n = tf_model_arg(argc, argv, &a);
		if (n < 0)
			return -n;
		if (n == 0)
			return tf_unknown(argv[0]);
	}
	ret = tf_model_new(&a, kind, &m);
	if (ret)
		return ret;
	model_print(m);
	free(m);
	return 0;
}
