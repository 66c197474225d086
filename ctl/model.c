// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault schedule model; see model.h for the kernel sources it follows.
 *
 * The SYN model walks the retransmission timer the way tcp_retransmit_timer()
 * does, carrying the range of jiffies at which each transmission can happen
 * (every wheel timer fires 1..gran jiffies after its nominal expiry). Where
 * the give-up decision depends on that accumulated lateness (the time budget
 * falls inside the range), the step is marked "maybe" and the model allows a
 * range of retransmission counts rather than one exact number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define NSEC_PER_SEC	1000000000LL
#define NSEC_PER_MSEC	1000000LL

/*
 * kernel/time/timer.c (GPL-2.0): LVL_CLK_SHIFT 3, LVL_BITS 6, LVL_DEPTH 9 at
 * HZ > 100 and 8 at HZ 100; LVL_START(n) = (LVL_SIZE - 1) << (n - 1) * 3;
 * WHEEL_TIMEOUT_CUTOFF = LVL_START(LVL_DEPTH), WHEEL_TIMEOUT_MAX = CUTOFF -
 * LVL_GRAN(LVL_DEPTH - 1). calc_wheel_index() picks the level by the delta
 * and calc_index() rounds the expiry up to the next multiple of the level's
 * granularity (always at least one jiffy later); a delta at or past the
 * cutoff is cut to WHEEL_TIMEOUT_MAX first.
 */
#define TF_LVL_CLK_SHIFT	3
#define TF_LVL_SIZE		64u
#define TF_LVL_START(n)		((uint64_t)(TF_LVL_SIZE - 1) << (((n) - 1) * TF_LVL_CLK_SHIFT))

static unsigned int wheel_depth(unsigned int hz)
{
	return hz > 100 ? 9 : 8;
}

static unsigned int wheel_level(uint64_t d, unsigned int hz)
{
	unsigned int lvl = 0, depth = wheel_depth(hz);

	while (lvl < depth - 1 && d >= TF_LVL_START(lvl + 1))
		lvl++;
	return lvl;
}

uint32_t tf_wheel_gran(uint64_t d, unsigned int hz)
{
	return 1u << (wheel_level(d, hz) * TF_LVL_CLK_SHIFT);
}

void tf_wheel_fire(uint64_t d, unsigned int hz, uint64_t *lo, uint64_t *hi)
{
	const unsigned int depth = wheel_depth(hz);
	const uint64_t cutoff = TF_LVL_START(depth);
	const uint64_t gran = tf_wheel_gran(d, hz);

	if (d >= cutoff)
		d = cutoff - (1ull << ((depth - 1) * TF_LVL_CLK_SHIFT));	/* WHEEL_TIMEOUT_MAX */
	*lo = d + 1;
	*hi = d + gran;
}

void tf_model_step_timer(struct tf_model_step *s, uint64_t dmin, uint64_t dmax,
			 unsigned int hz, int64_t *fire_lo, int64_t *fire_hi)
{
	uint64_t lo1, hi1, lo2, hi2;

	tf_wheel_fire(dmin, hz, &lo1, &hi1);
	tf_wheel_fire(dmax, hz, &lo2, &hi2);
	s->timer_min = dmin;
	s->timer_max = dmax;
	s->gran = tf_wheel_gran(dmax, hz);
	/* not monotonic in d only at the cutoff: take both ends */
	*fire_lo = lo1 < lo2 ? lo1 : lo2;
	*fire_hi = hi1 > hi2 ? hi1 : hi2;
	s->win_lo_ns = tf_j2ns(*fire_lo - 1, hz);
	s->win_hi_ns = tf_j2ns(*fire_hi + 1, hz);
}

/* include/linux/jiffies.h: rounds up where 1000 % HZ != 0 (HZ 300). */
static uint64_t jiffies_to_msecs(uint64_t j, unsigned int hz)
{
	return (j * 1000 + hz - 1) / hz;
}

static unsigned int ilog2_u(uint64_t v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* tcp_timer.c tcp_model_timeout(); rto_max is tcp_rto_max(sk) from 6.15. */
uint64_t tf_model_timeout_base_ms(unsigned int boundary, uint64_t rto_base,
				  uint64_t rto_max, unsigned int hz)
{
	unsigned int thresh = ilog2_u(rto_max / rto_base);
	uint64_t timeout;

	if (boundary <= thresh)
		timeout = ((2ull << boundary) - 1) * rto_base;
	else
		timeout = ((2ull << thresh) - 1) * rto_base + (boundary - thresh) * rto_max;
	return jiffies_to_msecs(timeout, hz);
}

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

bool tf_model_kver_ge(const struct tf_model_params *p, int major, int minor)
{
	return p->kver_major > major || (p->kver_major == major && p->kver_minor >= minor);
}

bool tf_model_has_linear(const struct tf_model_params *p)
{
	return tf_model_kver_ge(p, 6, 5);
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

uint64_t tf_model_rto_max(const struct tf_model_params *p)
{
	if (!tf_model_kver_ge(p, 6, 15))
		return 120ull * p->hz;				/* TCP_RTO_MAX */
	/* tcp_init_sock(): msecs_to_jiffies(tcp_rto_max_ms); TCP_RTO_MAX_MS */
	return tf_ms2j(p->rto_max_ms > 0 ? p->rto_max_ms : p->rto_max_sysctl_ms, p->hz);
}

uint64_t tf_model_rto_min(const struct tf_model_params *p)
{
	if (!tf_model_kver_ge(p, 6, 11))
		return p->hz / 5;				/* TCP_RTO_MIN */
	/* tcp_init_sock(): usecs_to_jiffies(tcp_rto_min_us); TCP_RTO_MIN_US */
	return tf_us2j(p->rto_min_us > 0 ? p->rto_min_us : p->rto_min_sysctl_us, p->hz);
}

int tf_model_params_init(struct tf_model_params *p, const char *release)
{
	memset(p, 0, sizeof(*p));
	if (parse_release(release, &p->kver_major, &p->kver_minor))
		return -EINVAL;
	p->hz = 250;
	p->syn_retries = 6;				/* TCP_SYN_RETRIES */
	p->syn_linear_timeouts = tf_model_has_linear(p) ? 4 : TF_MODEL_UNSET;
	p->syncnt = TF_MODEL_UNSET;
	p->user_timeout_ms = TF_MODEL_UNSET;
	p->synack_retries = 5;				/* TCP_SYNACK_RETRIES */
	p->rto_max_sysctl_ms = 120000;			/* TCP_RTO_MAX_SEC */
	p->rto_max_ms = TF_MODEL_UNSET;
	p->rto_min_sysctl_us = 200000;			/* TCP_RTO_MIN */
	p->rto_min_us = TF_MODEL_UNSET;
	tf_model_data_params_init(p);
	tf_model_keepalive_params_init(p);
	return 0;
}

/* A decimal setting in [min, max]; the model parameters' one parser. */
int tf_model_parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int tf_model_param_set(struct tf_model_params *p, const char *name, const char *value)
{
	/* Ranges as the kernel accepts them (sysctl_net_ipv4.c, do_tcp_setsockopt). */
	if (param_on_kernel(p, name))
		return -EINVAL;
	if (!strcmp(name, "tcp_syn_retries"))
		return tf_model_parse_int(value, 1, 127, &p->syn_retries);
	if (!strcmp(name, "tcp_syn_linear_timeouts"))
		return tf_model_parse_int(value, 0, 20, &p->syn_linear_timeouts);
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
	if (!strcmp(name, "tcp_synack_retries"))
		return tf_model_parse_int(value, 0, 255, &p->synack_retries);
	if (tf_model_data_param_set(p, name, value) != -ENOENT)
		return tf_model_data_param_set(p, name, value);
	if (tf_model_keepalive_param_set(p, name, value) != -ENOENT)
		return tf_model_keepalive_param_set(p, name, value);
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

/*
 * Timer length armed after a retransmission: tcp_clamp_rto_to_user_timeout()
 * cuts icsk_rto to what is left of TCP_USER_TIMEOUT, counted in ms from
 * retrans_stamp (1 jiffy when it has passed).
 */
static uint64_t clamp_rto(uint64_t rto, int user_timeout_ms, int64_t elapsed_ms,
			  unsigned int hz)
{
	int64_t remaining;

	if (user_timeout_ms <= 0)
		return rto;
	remaining = user_timeout_ms - elapsed_ms;
	if (remaining <= 0)
		return 1;
	if (tf_ms2j(remaining, hz) < rto)
		return tf_ms2j(remaining, hz);
	return rto;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int model_syn(struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	const uint64_t rto_max = tf_model_rto_max(p);	/* tcp_rto_max(sk) */
	uint64_t rto = p->hz;				/* TCP_TIMEOUT_INIT */
	/* Tick of the current transmission, counted from the first SYN's jiffy. */
	int64_t jmin = 0, jmax = 0, jnom = 0;
	unsigned int linear = m->linear ? p->syn_linear_timeouts : 0;
	unsigned int retrans = 0, total_rto = 0, k;
	bool maybe_seen = false;

	m->retry_until = p->syncnt > 0 ? (unsigned int)p->syncnt : (unsigned int)p->syn_retries;
	m->max_retransmits = m->retry_until + linear;
	m->budget_user = p->user_timeout_ms > 0;
	m->budget_ms = m->budget_user ? (uint64_t)p->user_timeout_ms :
		       tf_model_timeout_base_ms(m->retry_until, p->hz, rto_max, p->hz);
	m->giveup_lo_ns = INT64_MAX;
	m->giveup_hi_ns = 0;

	for (k = 0; k < TF_MODEL_MAX_STEPS; k++) {
		struct tf_model_step *s = &m->step[k];
		uint64_t dmin, dmax, dnom;
		int64_t fmin, fmax, elo, ehi;
		bool ut_covered = false;

		s->nominal_ns = tf_j2ns(jnom, p->hz);
		if (k == 0) {
			/* tcp_connect(): icsk_rto, no clamp */
			dmin = dmax = dnom = rto;
		} else {
			/*
			 * retrans_stamp and the clock are ms of CLOCK_MONOTONIC;
			 * this transmission happened on tick j, i.e. more than
			 * j-1 and at most j jiffies (plus softirq latency) after
			 * the first SYN. The kernel's truncated ms difference e
			 * satisfies real - 1 ms < e < real + 1 ms, so
			 * e >= floor((j-1) jiffies in ms).
			 */
			elo = floor_div(tf_j2ns(jmin - 1, p->hz), NSEC_PER_MSEC);
			ehi = (tf_j2ns(jmax, p->hz) + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC + 2;
			dmax = clamp_rto(rto, p->user_timeout_ms, elo, p->hz);
			ut_covered = p->user_timeout_ms > 0 &&
				     (p->user_timeout_ms <= elo ||
				      tf_ms2j(p->user_timeout_ms - elo, p->hz) <= rto);
			dmin = clamp_rto(rto, p->user_timeout_ms, ehi, p->hz);
			dnom = clamp_rto(rto, p->user_timeout_ms,
					 tf_j2ns(jnom, p->hz) / NSEC_PER_MSEC, p->hz);
		}
		/* calc_index(): fires 1..gran jiffies after jiffies + D */
		tf_model_step_timer(s, dmin, dmax, p->hz, &fmin, &fmax);
		fmin += jmin;
		fmax += jmax;

		/* tcp_write_timeout() */
		if (retrans >= m->max_retransmits) {
			s->fire = TF_FIRE_GIVEUP;
		} else if (retrans == 0) {
			s->fire = TF_FIRE_RETRANSMIT;	/* retransmits_timed_out(): false */
		} else if (ut_covered) {
			/*
			 * What was left of TCP_USER_TIMEOUT fits in the timer
			 * (clamped or not): it fires more than D jiffies >=
			 * remaining ms after it was armed, so elapsed >=
			 * user_timeout then, whatever the lateness before.
			 */
			s->fire = TF_FIRE_GIVEUP;
		} else {
			int64_t lo = floor_div(tf_j2ns(fmin - 1, p->hz), NSEC_PER_MSEC);
			int64_t hi = (tf_j2ns(fmax, p->hz) + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC + 2;

			if (lo >= (int64_t)m->budget_ms)
				s->fire = TF_FIRE_GIVEUP;
			else if (hi < (int64_t)m->budget_ms && dmin == rto)
				s->fire = TF_FIRE_RETRANSMIT;
			else
				s->fire = TF_FIRE_MAYBE_GIVEUP;
		}

		if (s->fire != TF_FIRE_RETRANSMIT) {
			if (!maybe_seen)
				m->retrans_min = retrans;
			maybe_seen = true;
			int64_t lo = tf_j2ns(fmin - 1, p->hz);

			/* give-up on the time budget: not before the budget */
			if (retrans < m->max_retransmits &&
			    lo < (int64_t)m->budget_ms * NSEC_PER_MSEC)
				lo = m->budget_ms * NSEC_PER_MSEC;
			if (lo < m->giveup_lo_ns)
				m->giveup_lo_ns = lo;
			if (tf_j2ns(fmax + 1, p->hz) > m->giveup_hi_ns)
				m->giveup_hi_ns = tf_j2ns(fmax + 1, p->hz);
		}
		if (s->fire == TF_FIRE_GIVEUP) {
			m->retrans_max = retrans;
			m->nsteps = k + 1;
			m->err = ETIMEDOUT;
			return 0;
		}

		/* tcp_update_rto_stats(), then out_reset_timer: backoff */
		retrans++;
		total_rto++;
		if (!m->linear || total_rto > linear)
			rto = rto * 2 < rto_max ? rto * 2 : rto_max;
		jmin = fmin;
		jmax = fmax;
		jnom += dnom;
	}
	return -E2BIG;
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

	switch (kind) {
	case TF_MODEL_SYN:
		return model_syn(m);
	case TF_MODEL_SYNACK:
		return tf_model_synack(m);
	case TF_MODEL_DATA:
		return tf_model_data(m);
	case TF_MODEL_FIN:
		return tf_model_fin(m);
	case TF_MODEL_KEEPALIVE:
		return tf_model_keepalive(m);
	case TF_MODEL_PROBE:
		return tf_model_probe(m);
	default:
		return -EOPNOTSUPP;
	}
}
