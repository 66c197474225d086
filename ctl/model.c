// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault schedule model, the dispatcher (model.h): a kernel release's
 * defaults, the "name=value" settings, and tf_model_compute(), which hands
 * the model to its timer's file (model_kinds.h).  The settings of one
 * timer are its file's; those of several (hz, syncnt, user_timeout, the
 * RTO limits) are here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_kinds.h"

static const char *const kind_names[] = {
	[TF_MODEL_SYN]		= "syn",
	[TF_MODEL_SYNACK]	= "synack",
	[TF_MODEL_DATA]		= "data",
	[TF_MODEL_KEEPALIVE]	= "keepalive",
	[TF_MODEL_PROBE]	= "probe",
	[TF_MODEL_FIN]		= "fin",
};

const char *tf_model_kind_name(enum tf_model_kind kind)
{
	if ((unsigned int)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[kind];
}

int tf_model_kind_parse(const char *name, enum tf_model_kind *kind)
{
	unsigned int i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(name, kind_names[i])) {
			*kind = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Parses "6.12.117+deb12-amd64", "6.1" ... into major/minor. */
static int parse_release(const char *s, int *major, int *minor)
{
	char *end;
	long a, b;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	a = strtol(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	b = strtol(end + 1, &end, 10);
	if (*end && *end != '.' && *end != '-' && *end != '+')
		return -EINVAL;
	if (a < 2 || a > 99 || b < 0 || b > 999)
		return -EINVAL;
	*major = a;
	*minor = b;
	return 0;
}

bool tf_model_kver_unmodelled(const struct tf_model_params *p)
{
	return tf_model_kver_ge(p, TF_MODEL_NEWEST_MAJOR, TF_MODEL_NEWEST_MINOR + 1);
}

/* Settings that only some releases have: name, first release. */
static const struct {
	const char *name;
	int major, minor;
	const char *since;
} param_since[] = {
	{ "tcp_syn_linear_timeouts",	6, 5,  "6.5" },
	{ "tcp_rto_min_us",		6, 11, "6.11" },
	{ "tcp_rto_max_ms",		6, 15, "6.15" },
	{ "rto_max_ms",			6, 15, "6.15" },
	{ "rto_min_us",			6, 15, "6.15" },
};

/* 0 if p's release has the setting (or it is not release dependent). */
static int param_on_kernel(const struct tf_model_params *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(param_since) / sizeof(param_since[0]); i++)
		if (!strcmp(name, param_since[i].name))
			return tf_model_kver_ge(p, param_since[i].major,
						param_since[i].minor) ? 0 : -EINVAL;
	return 0;
}

const char *tf_model_param_since(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(param_since) / sizeof(param_since[0]); i++)
		if (!strcmp(name, param_since[i].name))
			return param_since[i].since;
	return NULL;
}

/* The timer files' settings, and the model each computes. */
static const struct {
	void (*params_init)(struct tf_model_params *p);
	int (*param_set)(struct tf_model_params *p, const char *name, const char *value);
} timer_files[] = {
	{ tf_model_syn_params_init,		tf_model_syn_param_set },
	{ tf_model_synack_params_init,		tf_model_synack_param_set },
	{ tf_model_data_params_init,		tf_model_data_param_set },
	{ tf_model_keepalive_params_init,	tf_model_keepalive_param_set },
};

static int (*const kind_models[])(struct tf_model *m) = {
	[TF_MODEL_SYN]		= tf_model_syn,
	[TF_MODEL_SYNACK]	= tf_model_synack,
	[TF_MODEL_DATA]		= tf_model_data,
	[TF_MODEL_KEEPALIVE]	= tf_model_keepalive,
	[TF_MODEL_PROBE]	= tf_model_probe,
	[TF_MODEL_FIN]		= tf_model_fin,
};

int tf_model_params_init(struct tf_model_params *p, const char *release)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (parse_release(release, &p->kver_major, &p->kver_minor))
		return -EINVAL;
	p->hz = 250;
	p->syncnt = TF_MODEL_UNSET;
	p->user_timeout_ms = TF_MODEL_UNSET;
	p->rto_max_sysctl_ms = 120000;			/* TCP_RTO_MAX_SEC */
	p->rto_max_ms = TF_MODEL_UNSET;
	p->rto_min_sysctl_us = 200000;			/* TCP_RTO_MIN */
	p->rto_min_us = TF_MODEL_UNSET;
	for (i = 0; i < sizeof(timer_files) / sizeof(timer_files[0]); i++)
		timer_files[i].params_init(p);
	return 0;
}

int tf_model_param_set(struct tf_model_params *p, const char *name, const char *value)
{
	unsigned int i;
	int ret;

	/* Ranges as the kernel accepts them (sysctl_net_ipv4.c, do_tcp_setsockopt). */
	if (param_on_kernel(p, name))
		return -EINVAL;
	/* 6.15: TCP_RTO_MAX_MIN_SEC (1) .. TCP_RTO_MAX_SEC (120) s, both */
	if (!strcmp(name, "tcp_rto_max_ms"))
		return tf_model_parse_int(value, 1000, 120000, &p->rto_max_sysctl_ms);
	if (!strcmp(name, "rto_max_ms"))
		return tf_model_parse_int(value, 1000, 120000, &p->rto_max_ms);
	/* 6.11: 1 .. INT_MAX us; TCP_RTO_MIN_US is checked in jiffies at compute */
	if (!strcmp(name, "tcp_rto_min_us"))
		return tf_model_parse_int(value, 1, 0x7fffffff, &p->rto_min_sysctl_us);
	if (!strcmp(name, "rto_min_us"))
		return tf_model_parse_int(value, 1, 0x7fffffff, &p->rto_min_us);
	for (i = 0; i < sizeof(timer_files) / sizeof(timer_files[0]); i++) {
		ret = timer_files[i].param_set(p, name, value);
		if (ret != -ENOENT)
			return ret;
	}
	if (!strcmp(name, "syncnt"))
		return tf_model_parse_int(value, 1, 127, &p->syncnt);
	if (!strcmp(name, "user_timeout"))
		return tf_model_parse_int(value, 0, 0x7fffffff, &p->user_timeout_ms);
	if (!strcmp(name, "hz")) {
		int hz;

		if (tf_model_parse_int(value, 100, 1000, &hz))
			return -EINVAL;
		p->hz = hz;
		return 0;
	}
	return -ENOENT;
}

int tf_model_compute(enum tf_model_kind kind, const struct tf_model_params *p,
		     struct tf_model *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->p = *p;
	if (p->hz < 100 || p->hz > 1000)
		return -EINVAL;
	/* do_tcp_setsockopt(TCP_RTO_MIN_US): TCP_TIMEOUT_MIN .. TCP_RTO_MIN jiffies */
	if (p->rto_min_us > 0 &&
	    (tf_us2j(p->rto_min_us, p->hz) < 2 || tf_us2j(p->rto_min_us, p->hz) > p->hz / 5))
		return -EINVAL;
	m->linear = tf_model_has_linear(p);
	if (m->linear && m->p.syn_linear_timeouts < 0)
		m->p.syn_linear_timeouts = 4;
	if (m->p.syn_retries < 1)
		return -EINVAL;
	if ((unsigned int)kind >= sizeof(kind_models) / sizeof(kind_models[0]))
		return -EOPNOTSUPP;
	m->giveup_lo_ns = INT64_MAX;	/* no expiry that may give up yet */
	return kind_models[kind](m);
}
