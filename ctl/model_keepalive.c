// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault schedule models "keepalive" and "probe" (zero-window probes).
 *
 * Both are timer walks like the SYN model (model_syn.c): each timer armed for D
 * jiffies fires D + [1, gran(D)] jiffies after the jiffy it was armed in
 * (kernel/time/timer.c calc_index()), and the model carries the range of
 * jiffies at which each transmission can happen. Step 0 is the event that
 * armed the first timer (keepalive: SO_KEEPALIVE / the last packet received;
 * probe: the write that met the zero window), step k >= 1 is probe k; the
 * window of step k is the gap to the next probe or to the give-up.
 *
 * keepalive (Debian linux-source-6.1 and 6.12, identical logic):
 *   net/ipv4/tcp_timer.c tcp_keepalive_timer(): at expiry, with nothing in
 *   flight, elapsed = keepalive_time_elapsed() = jiffies since the last
 *   packet received (min of icsk_ack.lrcvtime, rcv_tstamp). If elapsed <
 *   keepalive_time the timer is re-armed for the remainder (it is not a
 *   periodic timer: it is relative to the last receive). Otherwise: with
 *   TCP_USER_TIMEOUT set, give up once elapsed >= user_timeout and at least
 *   one probe is out (TCP_KEEPCNT is then ignored); without it, give up once
 *   icsk_probes_out >= keepalive_probes (RST + ETIMEDOUT); else send a probe
 *   (tcp_write_wakeup(): seq snd_una - 1, no payload), probes_out++, re-arm
 *   for keepalive_intvl. include/net/tcp.h keepalive_*_when(): the socket
 *   options (TCP_KEEPIDLE/KEEPINTVL 1..32767 s, TCP_KEEPCNT 1..127) override
 *   the sysctls tcp_keepalive_time/intvl/probes (7200 s, 75 s, 9). The model
 *   assumes the last packet was received in the jiffy the timer was armed
 *   and the peer answers no probe (an answer sets rcv_tstamp and restarts
 *   the idle period).
 *
 * probe (zero-window probes, same in 6.1 and 6.12):
 *   tcp_check_probe_timer() arms ICSK_TIME_PROBE0 for tcp_probe0_base() =
 *   max(icsk_rto, TCP_RTO_MIN) when the window is closed with nothing in
 *   flight. tcp_probe_timer(): the first expiry stamps icsk_probes_tstamp;
 *   give up (tcp_write_err(), ETIMEDOUT, no RST) when TCP_USER_TIMEOUT has
 *   passed since that stamp, or icsk_probes_out >= tcp_retries2; else
 *   tcp_send_probe0(): probe, probes_out++, icsk_backoff++ while below
 *   tcp_retries2, re-arm for tcp_probe0_when() = base << min(backoff,
 *   ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1 = 10), capped at TCP_RTO_MAX (120 s;
 *   from 6.15 tcp_rto_max(sk), the model's tcp_rto_max_ms= and rto_max_ms=),
 *   clamped to what is left of TCP_USER_TIMEOUT (at least TCP_TIMEOUT_MIN).
 *   Any ACK resets probes_out (tcp_ack()), so with answered=1 the connection
 *   lives on (only TCP_USER_TIMEOUT ends it) and the answers re-arm the timer
 *   with the same backoff (tcp_ack_probe()). Orphans (tcp_orphan_retries)
 *   are not modelled. Parameters: tcp_retries2 and rto_ms (icsk_rto, as
 *   `ss -ti` shows it; model_data.c's), user_timeout, answered=0|1 and
 *   steps=N (probes to list when answered).
 */
#include <errno.h>
#include <string.h>

#include "model_kinds.h"

void tf_model_keepalive_params_init(struct tf_model_params *p)
{
	p->keepalive_time = 7200;		/* TCP_KEEPALIVE_TIME */
	p->keepalive_intvl = 75;		/* TCP_KEEPALIVE_INTVL */
	p->keepalive_probes = 9;		/* TCP_KEEPALIVE_PROBES */
	p->keepidle = TF_MODEL_UNSET;
	p->keepintvl = TF_MODEL_UNSET;
	p->keepcnt = TF_MODEL_UNSET;
	p->probe_answered = 0;
	p->probe_steps = 16;
}

int tf_model_keepalive_param_set(struct tf_model_params *p, const char *name,
				 const char *value)
{
	/* sysctl_net_ipv4.c (seconds -> jiffies, u8 probes); do_tcp_setsockopt() */
	if (!strcmp(name, "tcp_keepalive_time"))
		return tf_model_parse_int(value, 1, 0x7fffffff / 1000, &p->keepalive_time);
	if (!strcmp(name, "tcp_keepalive_intvl"))
		return tf_model_parse_int(value, 1, 0x7fffffff / 1000, &p->keepalive_intvl);
	if (!strcmp(name, "tcp_keepalive_probes"))
		return tf_model_parse_int(value, 0, 255, &p->keepalive_probes);
	if (!strcmp(name, "keepidle"))
		return tf_model_parse_int(value, 1, 32767, &p->keepidle);	/* MAX_TCP_KEEPIDLE */
	if (!strcmp(name, "keepintvl"))
		return tf_model_parse_int(value, 1, 32767, &p->keepintvl);	/* MAX_TCP_KEEPINTVL */
	if (!strcmp(name, "keepcnt"))
		return tf_model_parse_int(value, 1, 127, &p->keepcnt);	/* MAX_TCP_KEEPCNT */
	if (!strcmp(name, "answered"))
		return tf_model_parse_int(value, 0, 1, &p->probe_answered);
	if (!strcmp(name, "steps"))
		return tf_model_parse_int(value, 1, TF_MODEL_MAX_STEPS - 2, &p->probe_steps);
	return -ENOENT;
}

/* TCP_USER_TIMEOUT in jiffies (msecs_to_jiffies()), 0 if not set. */
static int64_t user_timeout_j(const struct tf_model_params *p)
{
	return p->user_timeout_ms > 0 ? (int64_t)tf_ms2j(p->user_timeout_ms, p->hz) : 0;
}

int tf_model_keepalive(struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	const int64_t idle = (int64_t)(p->keepidle > 0 ? p->keepidle : p->keepalive_time) * p->hz;
	const int64_t intvl = (int64_t)(p->keepintvl > 0 ? p->keepintvl : p->keepalive_intvl) * p->hz;
	const unsigned int cnt = p->keepcnt > 0 ? (unsigned int)p->keepcnt :
				 (unsigned int)p->keepalive_probes;
	const int64_t ut = user_timeout_j(p);
	int64_t jmin = 0, jmax = 0, jnom = 0, fmin, fmax;
	unsigned int k;

	if (idle <= 0 || intvl <= 0)
		return -EINVAL;
	m->retry_until = cnt;
	m->max_retransmits = cnt;
	m->budget_user = ut > 0;
	m->budget_ms = m->budget_user ? (uint64_t)p->user_timeout_ms :
		       (uint64_t)((idle + (int64_t)cnt * intvl) * 1000 / p->hz);

	for (k = 0; k < TF_MODEL_MAX_STEPS; k++) {
		struct tf_model_step *s = &m->step[k];
		const int64_t d = k ? intvl : idle;
		bool give_min, give_max;

		s->nominal_ns = tf_j2ns(jnom, p->hz);
		tf_model_step_timer(s, d, d, p->hz, &fmin, &fmax);
		fmin += jmin;
		fmax += jmax;
		/*
		 * At expiry elapsed = fire jiffy - arming jiffy >= idle: a probe
		 * or the give-up (never the "re-arm for the remainder" branch,
		 * as the last packet was received when the timer was armed).
		 */
		if (ut) {
			give_min = k > 0 && fmin >= ut;	/* earliest fire gives up */
			give_max = k > 0 && fmax >= ut;	/* latest fire gives up */
		} else {
			give_min = give_max = k >= cnt;
		}
		s->fire = tf_model_fire_of(give_min, give_max);
		/* a "maybe" gives up no earlier than the user timeout */
		if (s->fire != TF_FIRE_RETRANSMIT)
			tf_model_giveup(m, k, fmin, fmax, !give_min && ut ?
					tf_j2ns(ut - 1, p->hz) : INT64_MIN);
		if (s->fire == TF_FIRE_GIVEUP) {
			m->nsteps = k + 1;
			m->err = ETIMEDOUT;
			return 0;
		}
		jmin = fmin;
		jmax = fmax;
		jnom += d;
	}
	return -E2BIG;
}

/* tcp_probe0_when(): base << min(backoff, cap), at most rto_max. */
static int64_t probe0_when(int64_t base, unsigned int backoff, unsigned int cap,
			   int64_t rto_max)
{
	int64_t when = base << (backoff < cap ? backoff : cap);

	return when < rto_max ? when : rto_max;
}

/*
 * tcp_clamp_probe0_to_user_timeout(): when, cut to what is left of the
 * user timeout ut (jiffies) e jiffies after the first expiry, but not
 * below TCP_TIMEOUT_MIN (2); when itself without a user timeout.
 */
static int64_t probe0_clamp(int64_t when, int64_t ut, int64_t e)
{
	int64_t remaining = ut - e;

	if (!ut)
		return when;
	if (remaining < 2)
		remaining = 2;
	return remaining < when ? remaining : when;
}

int tf_model_probe(struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	const int64_t rto_min = p->hz / 5;		/* TCP_RTO_MIN */
	const int64_t rto_max = tf_model_rto_max(p);	/* tcp_rto_max(sk), 6.15 */
	const int64_t rto_max_const = 120LL * p->hz;	/* TCP_RTO_MAX */
	const int64_t rto = tf_model_rto(p);
	const int64_t base = rto > rto_min ? rto : rto_min;	/* tcp_probe0_base() */
	const unsigned int retries2 = p->retries2;
	const int64_t ut = user_timeout_j(p);
	/* the backoff cap: ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1 */
	const unsigned int bo_cap = tf_ilog2(rto_max_const / rto_min) + 1;
	unsigned int backoff = 0, k;
	int64_t jmin = 0, jmax = 0, jnom = 0, fmin, fmax, flo, fhi;
	/*
	 * icsk_probes_tstamp: jiffy range of the first expiry; emin..emax:
	 * jiffies from it to the current probe (correlated with the clamp, so
	 * tracked apart from the absolute range to keep the windows tight).
	 */
	int64_t tsmin = 0, tsmax = 0, emin = 0, emax = 0;

	m->retry_until = retries2;
	m->max_retransmits = retries2;
	m->budget_user = ut > 0;
	m->budget_ms = ut > 0 ? (uint64_t)p->user_timeout_ms : 0;

	for (k = 0; k < TF_MODEL_MAX_STEPS; k++) {
		struct tf_model_step *s = &m->step[k];
		const int64_t when = probe0_when(base, backoff, bo_cap, rto_max);
		int64_t dmin, dmax, dnom;
		bool give_min, give_max;

		if (k == 0) {
			/* tcp_check_probe_timer(): no user-timeout clamp, but
			 * max_when (an icsk_rto from tcp_init_metrics() can
			 * exceed TCP_RTO_MAX: model_data.c) */
			dmin = dmax = dnom = base < rto_max ? base : rto_max;
		} else {
			dmin = probe0_clamp(when, ut, emax);
			dmax = probe0_clamp(when, ut, emin);
			dnom = probe0_clamp(when, ut, jnom - base);
		}
		s->nominal_ns = tf_j2ns(jnom, p->hz);
		tf_model_step_timer(s, dmin, dmax, p->hz, &flo, &fhi);
		if (k == 0) {
			fmin = jmin + flo;
			fmax = jmax + fhi;
			tsmin = fmin;
			tsmax = fmax;
		} else {
			/* e + min(when, max(2, ut - e)) grows with e */
			const int64_t lo = emin + probe0_clamp(when, ut, emin);
			const int64_t hi = emax + probe0_clamp(when, ut, emax);

			/* the wheel's lateness: flo - dmin = 1, fhi - dmax = gran */
			emin = lo + (flo - dmin);
			emax = hi + (fhi - dmax);
			fmin = tsmin + emin;
			fmax = tsmax + emax;
		}

		/* tcp_probe_timer() at this expiry; probes_out = k */
		give_min = give_max = !p->probe_answered && k >= retries2;
		if (ut && k > 0) {
			if (emin >= ut)
				give_min = true;
			if (emax >= ut)
				give_max = true;
		}
		s->fire = tf_model_fire_of(give_min, give_max);
		if (s->fire != TF_FIRE_RETRANSMIT)
			tf_model_giveup(m, k, fmin, fmax, INT64_MIN);
		if (s->fire == TF_FIRE_GIVEUP) {
			m->nsteps = k + 1;
			m->err = ETIMEDOUT;
			return 0;
		}
		if (p->probe_answered && !ut && k + 1 >= (unsigned int)p->probe_steps) {
			/* lives on: stop after the requested number of probes */
			m->nsteps = k + 1;
			m->retrans_min = m->retrans_max = k;
			m->giveup_lo_ns = m->giveup_hi_ns = 0;
			m->err = 0;
			return 0;
		}
		/* tcp_send_probe0() sends probe k + 1 */
		if (backoff < retries2)
			backoff++;
		jmin = fmin;
		jmax = fmax;
		jnom += dnom;
	}
	return -E2BIG;
}
