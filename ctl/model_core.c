// SPDX-License-Identifier: GPL-2.0
/*
 * The schedule model's core: the timer wheel, jiffies, the window rule,
 * tcp_model_timeout() and the RTO's user-timeout clamp (model_core.h says
 * from where).  Every timer's model file calls it; it calls none of them.
 */
#include <errno.h>
#include <stdlib.h>

#include "model_core.h"

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

bool tf_model_kver_ge(const struct tf_model_params *p, int major, int minor)
{
	return p->kver_major > major || (p->kver_major == major && p->kver_minor >= minor);
}

bool tf_model_has_linear(const struct tf_model_params *p)
{
	return tf_model_kver_ge(p, 6, 5);
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

uint64_t tf_model_rto(const struct tf_model_params *p)
{
	/* tcp_rto_min_us(sk) = jiffies_to_usecs(icsk_rto_min), truncating */
	uint64_t rto_min_us = tf_model_rto_min(p) * 1000000 / p->hz;

	if (p->rto_ms > 0)
		return tf_ms2j(p->rto_ms, p->hz);
	return tf_us2j((uint64_t)p->srtt_us + rto_min_us, p->hz);
}

unsigned int tf_ilog2(uint64_t v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* include/linux/jiffies.h: rounds up where 1000 % HZ != 0 (HZ 300). */
static uint64_t jiffies_to_msecs(uint64_t j, unsigned int hz)
{
	return (j * 1000 + hz - 1) / hz;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

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

void tf_model_window(int64_t fire_lo, int64_t fire_hi, unsigned int hz,
		     int64_t *lo_ns, int64_t *hi_ns)
{
	*lo_ns = tf_j2ns(fire_lo - 1, hz);
	*hi_ns = tf_j2ns(fire_hi + 1, hz);
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
	tf_model_window(*fire_lo, *fire_hi, hz, &s->win_lo_ns, &s->win_hi_ns);
}

void tf_model_giveup(struct tf_model *m, unsigned int retrans, int64_t fire_lo,
		     int64_t fire_hi, int64_t not_before_ns)
{
	int64_t lo, hi;

	tf_model_window(fire_lo, fire_hi, m->p.hz, &lo, &hi);
	if (lo < not_before_ns)
		lo = not_before_ns;
	if (m->giveup_lo_ns == INT64_MAX)
		m->retrans_min = retrans;
	m->retrans_max = retrans;
	if (lo < m->giveup_lo_ns)
		m->giveup_lo_ns = lo;
	if (hi > m->giveup_hi_ns)
		m->giveup_hi_ns = hi;
}

enum tf_model_fire tf_model_fire_of(bool earliest, bool latest)
{
	if (earliest)
		return TF_FIRE_GIVEUP;
	return latest ? TF_FIRE_MAYBE_GIVEUP : TF_FIRE_RETRANSMIT;
}

void tf_model_elapsed_ms(int64_t jlo, int64_t jhi, unsigned int hz,
			 int64_t *elo, int64_t *ehi)
{
	if (jlo == 0 && jhi == 0) {
		*elo = *ehi = 0;
		return;
	}
	*elo = floor_div(tf_j2ns(jlo - 1, hz), TF_NSEC_PER_MSEC);
	*ehi = (tf_j2ns(jhi, hz) + TF_NSEC_PER_MSEC - 1) / TF_NSEC_PER_MSEC + 2;
}

/* tcp_timer.c tcp_model_timeout(); rto_max is tcp_rto_max(sk) from 6.15. */
uint64_t tf_model_timeout_base_ms(unsigned int boundary, uint64_t rto_base,
				  uint64_t rto_max, unsigned int hz)
{
	unsigned int thresh = tf_ilog2(rto_max / rto_base);
	uint64_t timeout;

	if (boundary <= thresh)
		timeout = ((2ull << boundary) - 1) * rto_base;
	else
		timeout = ((2ull << thresh) - 1) * rto_base + (boundary - thresh) * rto_max;
	return jiffies_to_msecs(timeout, hz);
}

uint64_t tf_model_budget_ms(const struct tf_model_params *p, unsigned int boundary,
			    uint64_t rto_base, bool *user)
{
	*user = p->user_timeout_ms > 0;
	if (*user)
		return p->user_timeout_ms;
	return tf_model_timeout_base_ms(boundary, rto_base, tf_model_rto_max(p), p->hz);
}

enum tf_model_fire tf_model_fire_by_budget(int64_t fire_lo, int64_t fire_hi,
					   uint64_t budget_ms, bool clamped, unsigned int hz)
{
	int64_t lo, hi;

	tf_model_elapsed_ms(fire_lo, fire_hi, hz, &lo, &hi);
	return tf_model_fire_of(lo >= (int64_t)budget_ms,
				hi >= (int64_t)budget_ms || clamped);
}

/* icsk_rto, or less: what is left of TCP_USER_TIMEOUT elapsed_ms after retrans_stamp. */
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

bool tf_model_rto_clamp(const struct tf_model_params *p, uint64_t rto, int64_t elo,
			int64_t ehi, int64_t enom, uint64_t *dmin, uint64_t *dmax,
			uint64_t *dnom)
{
	const int ut = p->user_timeout_ms;

	*dmin = clamp_rto(rto, ut, ehi, p->hz);
	*dmax = clamp_rto(rto, ut, elo, p->hz);
	*dnom = clamp_rto(rto, ut, enom, p->hz);
	/*
	 * What was left of TCP_USER_TIMEOUT fits in the timer (clamped or
	 * not): it fires more than D jiffies >= remaining ms after it was
	 * armed, so elapsed >= user_timeout then, whatever the lateness before.
	 */
	return ut > 0 && (ut <= elo || tf_ms2j(ut - elo, p->hz) <= rto);
}
