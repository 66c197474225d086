// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault schedule model "syn": the active open, connect()'s SYNs
 * unanswered; see model.h for the kernel sources it follows.
 *
 * The SYN model walks the retransmission timer the way tcp_retransmit_timer()
 * does, carrying the range of jiffies at which each transmission can happen
 * (every wheel timer fires 1..gran jiffies after its nominal expiry). Where
 * the give-up decision depends on that accumulated lateness (the time budget
 * falls inside the range), the step is marked "maybe" and the model allows a
 * range of retransmission counts rather than one exact number.
 */
#include <errno.h>
#include <string.h>

#include "model_kinds.h"

void tf_model_syn_params_init(struct tf_model_params *p)
{
	p->syn_retries = 6;				/* TCP_SYN_RETRIES */
	p->syn_linear_timeouts = tf_model_has_linear(p) ? 4 : TF_MODEL_UNSET;
}

int tf_model_syn_param_set(struct tf_model_params *p, const char *name, const char *value)
{
	/* Ranges as the kernel accepts them (sysctl_net_ipv4.c). */
	if (!strcmp(name, "tcp_syn_retries"))
		return tf_model_parse_int(value, 1, 127, &p->syn_retries);
	if (!strcmp(name, "tcp_syn_linear_timeouts"))
		return tf_model_parse_int(value, 0, 20, &p->syn_linear_timeouts);
	return -ENOENT;
}

int tf_model_syn(struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	const uint64_t rto_max = tf_model_rto_max(p);	/* tcp_rto_max(sk) */
	uint64_t rto = p->hz;				/* TCP_TIMEOUT_INIT */
	/* Tick of the current transmission, counted from the first SYN's jiffy. */
	int64_t jmin = 0, jmax = 0, jnom = 0;
	unsigned int linear = m->linear ? p->syn_linear_timeouts : 0;
	unsigned int retrans = 0, total_rto = 0, k;

	m->retry_until = p->syncnt > 0 ? (unsigned int)p->syncnt : (unsigned int)p->syn_retries;
	m->max_retransmits = m->retry_until + linear;
	m->budget_ms = tf_model_budget_ms(p, m->retry_until, p->hz, &m->budget_user);

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
			/* retrans_stamp: the first SYN, tick 0 */
			tf_model_elapsed_ms(jmin, jmax, p->hz, &elo, &ehi);
			ut_covered = tf_model_rto_clamp(p, rto, elo, ehi,
							tf_j2ns(jnom, p->hz) / TF_NSEC_PER_MSEC,
							&dmin, &dmax, &dnom);
		}
		/* calc_index(): fires 1..gran jiffies after jiffies + D */
		tf_model_step_timer(s, dmin, dmax, p->hz, &fmin, &fmax);
		fmin += jmin;
		fmax += jmax;

		/* tcp_write_timeout() */
		if (retrans >= m->max_retransmits)
			s->fire = TF_FIRE_GIVEUP;
		else if (retrans == 0)
			s->fire = TF_FIRE_RETRANSMIT;	/* retransmits_timed_out(): false */
		else if (ut_covered)
			s->fire = TF_FIRE_GIVEUP;
		else
			s->fire = tf_model_fire_by_budget(fmin, fmax, m->budget_ms, dmin != rto, p->hz);

		/* give-up on the time budget: not before the budget */
		if (s->fire != TF_FIRE_RETRANSMIT)
			tf_model_giveup(m, retrans, fmin, fmax,
					retrans < m->max_retransmits ?
					(int64_t)m->budget_ms * TF_NSEC_PER_MSEC : INT64_MIN);
		if (s->fire == TF_FIRE_GIVEUP) {
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
