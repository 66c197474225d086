// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault schedule models "data" and "fin": an established flow whose
 * packets are all lost, after one write ("data") or after close() of an
 * otherwise idle connection ("fin", the socket is an orphan in FIN_WAIT1).
 *
 * Kernel sources (Debian linux-source-6.1 and 6.12; the same arithmetic in
 * both for what is modelled here):
 *
 *   tcp_input.c   tcp_rtt_estimator()/tcp_set_rto(): rttvar is never below
 *                 tcp_rto_min (TCP_RTO_MIN = HZ/5 = 200 ms; from 6.11 the
 *                 sysctl tcp_rto_min_us, from 6.15 also TCP_RTO_MIN_US: the
 *                 model's tcp_rto_min_us= and rto_min_us=), so on a veth
 *                 icsk_rto = usecs_to_jiffies(srtt + 200 ms) = 51 jiffies
 *                 (204 ms) at HZ=250 for any 0 < srtt <= 4 ms, 201 at
 *                 HZ=1000, 21 (210 ms) at HZ=100. Parameter rto_ms
 *                 (default: that, from srtt_us and the HZ), icsk_rto as
 *                 tcpi_rto (`ss -ti`) shows it: any u32 of microseconds,
 *                 up to 4294967 ms.
 *   tcp_metrics.c tcp_init_metrics(), at the end of the handshake: with an
 *                 RTT cached for the peer's address (a connection to it
 *                 before, in this namespace) icsk_rto = 3 * cached RTT,
 *                 NOT bounded by TCP_RTO_MAX: a tcpi_rto above 120 s is
 *                 real. Every timer, though, is armed through
 *                 inet_csk_reset_xmit_timer(), which caps it at max_when
 *                 = TCP_RTO_MAX: such a flow retransmits every 120 s.
 *   tcp_output.c  tcp_write_xmit() -> tcp_event_new_data_sent() arms the
 *                 RTO (tcp_rearm_rto, icsk_rto, no user-timeout clamp), then
 *                 tcp_schedule_loss_probe(): with tcp_early_retrans 3 or 4,
 *                 SACK and CA_Open, the same timer becomes a tail loss probe
 *                 after min(usecs_to_jiffies(2 * srtt + tcp_rto_min) [one
 *                 packet out], the time left to the RTO) = 51 jiffies too.
 *                 tcp_send_loss_probe() retransmits the tail with
 *                 __tcp_retransmit_skb() (retrans_stamp NOT set), clears
 *                 icsk_pending and tcp_rearm_rto() arms a full icsk_rto.
 *                 At most one probe (tlp_high_seq); the RTO puts the flow in
 *                 CA_Loss, where no more probes are scheduled.
 *                 tcp_retransmit_skb(): retrans_stamp = the retransmitted
 *                 skb's timestamp, which __tcp_transmit_skb() has just set
 *                 to now: the FIRST RTO RETRANSMISSION is the origin of the
 *                 time budget.
 *   tcp_timer.c   tcp_retransmit_timer(): tcp_write_timeout(), retransmit,
 *                 icsk_rto = min(2 * icsk_rto, TCP_RTO_MAX = 120 s; from 6.15
 *                 tcp_rto_max(sk): TCP_RTO_MAX_MS ?: tcp_rto_max_ms, which
 *                 also replaces TCP_RTO_MAX in tcp_model_timeout() and the
 *                 orphan's "alive"), timer =
 *                 tcp_clamp_rto_to_user_timeout() (TCP_USER_TIMEOUT minus
 *                 the ms since retrans_stamp, 1 jiffy once passed).
 *                 tcp_write_timeout(): ETIMEDOUT when
 *                 retransmits_timed_out(tcp_retries2, TCP_USER_TIMEOUT):
 *                 now - retrans_stamp >= user_timeout ?:
 *                 tcp_model_timeout(retries2, TCP_RTO_MIN) = 924.6 s at 15.
 *                 tcp_retries1 (3) only triggers tcp_mtu_probing() and
 *                 __dst_negative_advice()/__sk_dst_reset(): no effect on the
 *                 times (accepted, shown, not used).
 *                 Orphans (SOCK_DEAD): retry_until = tcp_orphan_retries(sk,
 *                 alive = icsk_rto < TCP_RTO_MAX): the sysctl, 0 meaning 8
 *                 while alive and 0 (give up at once) once the RTO reached
 *                 120 s; an ICMP soft error (sk_err_soft) also makes it 0
 *                 when not alive. The budget is tcp_model_timeout() again,
 *                 from the first RTO retransmission; then tcp_write_err()
 *                 -> tcp_done(): the socket is gone, no RST.
 *
 * Steps: 0 = the original, [1 = the loss probe], then RTO retransmissions.
 * Windows per gap as in the syn model: the window rule of model_core.h.
 */
#include <errno.h>
#include <string.h>

#include "model_kinds.h"

void tf_model_data_params_init(struct tf_model_params *p)
{
	p->retries1 = 3;		/* TCP_RETR1 */
	p->retries2 = 15;		/* TCP_RETR2 */
	p->early_retrans = 3;
	p->orphan_retries = 0;
	p->rto_ms = TF_MODEL_UNSET;	/* tf_model_rto(): see above */
	p->srtt_us = 100;
}

int tf_model_data_param_set(struct tf_model_params *p, const char *name, const char *value)
{
	/* Ranges as sysctl_net_ipv4.c accepts them (retries: u8). */
	if (!strcmp(name, "tcp_retries1"))
		return tf_model_parse_int(value, 0, 255, &p->retries1);
	if (!strcmp(name, "tcp_retries2"))
		return tf_model_parse_int(value, 0, 255, &p->retries2);
	if (!strcmp(name, "tcp_orphan_retries"))
		return tf_model_parse_int(value, 0, 255, &p->orphan_retries);
	if (!strcmp(name, "tcp_early_retrans"))
		return tf_model_parse_int(value, 0, 4, &p->early_retrans);
	if (!strcmp(name, "rto_ms"))
		return tf_model_parse_int(value, 1, UINT32_MAX / 1000, &p->rto_ms);
	if (!strcmp(name, "srtt_us"))
		return tf_model_parse_int(value, 1, 120000000, &p->srtt_us);
	return -ENOENT;
}

/* Budget (ms from retrans_stamp) checked when a timer with length rto fires. */
static uint64_t budget_at(const struct tf_model *m, uint64_t rto, bool *user)
{
	const struct tf_model_params *p = &m->p;
	const uint64_t rto_base = p->hz / 5;		/* TCP_RTO_MIN, the constant */
	unsigned int retries;

	if (m->kind == TF_MODEL_FIN) {
		retries = p->orphan_retries;
		if (!retries && rto < tf_model_rto_max(p))	/* alive */
			retries = 8;
	} else {
		retries = p->retries2;
	}
	return tf_model_budget_ms(p, retries, rto_base, user);
}

static int model_rtx(struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	const uint64_t rto_max = tf_model_rto_max(p);	/* tcp_rto_max(sk) */
	/* tcp_rto_min_us(sk) = jiffies_to_usecs(icsk_rto_min), truncating */
	const uint64_t rto_min_us = tf_model_rto_min(p) * 1000000 / p->hz;
	uint64_t rto = tf_model_rto(p);
	uint64_t pto;
	/* Ticks of the current transmission: from the original until the first
	 * RTO retransmission, then from it (the retrans_stamp origin). */
	int64_t jmin = 0, jmax = 0, jnom = 0, omin = 0, omax = 0;
	bool origin = false;
	unsigned int retrans = 0, k;

	if (rto > rto_max)		/* inet_csk_reset_xmit_timer(): max_when */
		rto = rto_max;
	m->tlp = (p->early_retrans == 3 || p->early_retrans == 4);
	pto = tf_us2j(2ull * p->srtt_us + rto_min_us, p->hz);
	if (pto > rto)
		pto = rto;
	m->pto = m->tlp ? pto : 0;
	m->rto = rto;
	m->budget_ms = budget_at(m, rto, &m->budget_user);
	m->retry_until = m->kind == TF_MODEL_FIN ?
			 (p->orphan_retries ? (unsigned int)p->orphan_retries : 8) :
			 (unsigned int)p->retries2;
	m->max_retransmits = 0;		/* time based, no count limit */

	for (k = 0; k < TF_MODEL_MAX_STEPS; k++) {
		struct tf_model_step *s = &m->step[k];
		bool is_tlp = m->tlp && k == 0;
		uint64_t dmin, dmax, dnom, budget;
		int64_t fmin, fmax;
		bool ut_covered = false, user;

		s->nominal_ns = tf_j2ns(jnom, p->hz);
		if (!origin) {
			/* tcp_rearm_rto(): full icsk_rto (or the PTO), no
			 * user-timeout clamp; TCP_RTO_MAX caps it, as above */
			dmin = dmax = dnom = is_tlp ? pto : rto;
		} else {
			int64_t elo, ehi;

			/* As in the syn model, from the origin's tick */
			tf_model_elapsed_ms(jmin, jmax, p->hz, &elo, &ehi);
			ut_covered = tf_model_rto_clamp(p, rto, elo, ehi,
							tf_j2ns(jnom, p->hz) / TF_NSEC_PER_MSEC -
							m->origin_nom_ms, &dmin, &dmax, &dnom);
		}
		tf_model_step_timer(s, dmin, dmax, p->hz, &fmin, &fmax);
		fmin += jmin;
		fmax += jmax;

		/* What the expiry does: probe, first RTO, or tcp_write_timeout() */
		budget = budget_at(m, rto, &user);
		if (is_tlp) {
			s->fire = TF_FIRE_TLP;
		} else if (!origin) {
			s->fire = TF_FIRE_RETRANSMIT;	/* icsk_retransmits == 0 */
		} else if (ut_covered) {
			s->fire = TF_FIRE_GIVEUP;
		} else {
			s->fire = tf_model_fire_by_budget(fmin, fmax, budget, dmin != rto, p->hz);
		}

		if (s->fire == TF_FIRE_GIVEUP || s->fire == TF_FIRE_MAYBE_GIVEUP) {
			/* from the original: origin tick range + relative fire */
			tf_model_giveup(m, retrans, omin + fmin, omax + fmax,
					tf_j2ns(omin - 1, p->hz) +
					(int64_t)budget * TF_NSEC_PER_MSEC);
			m->budget_ms = budget;
		}
		if (s->fire == TF_FIRE_GIVEUP) {
			m->nsteps = k + 1;
			m->err = ETIMEDOUT;
			return 0;
		}

		retrans++;
		jnom += dnom;
		if (is_tlp) {
			jmin = fmin;
			jmax = fmax;
			continue;
		}
		if (!origin) {
			/* the first RTO retransmission: retrans_stamp */
			origin = true;
			omin = fmin;
			omax = fmax;
			m->origin_nom_ms = tf_j2ns(jnom, p->hz) / TF_NSEC_PER_MSEC;
			tf_model_window(fmin, fmax, p->hz, &m->origin_lo_ns, &m->origin_hi_ns);
			jmin = jmax = 0;
		} else {
			jmin = fmin;
			jmax = fmax;
		}
		rto = rto * 2 < rto_max ? rto * 2 : rto_max;
	}
	return -E2BIG;
}

int tf_model_data(struct tf_model *m)
{
	if (m->p.retries2 < 0)
		return -EINVAL;
	return model_rtx(m);
}

int tf_model_fin(struct tf_model *m)
{
	if (m->p.orphan_retries < 0)
		return -EINVAL;
	return model_rtx(m);
}
