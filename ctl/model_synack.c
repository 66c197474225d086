// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault schedule model "synack": the passive side of the handshake, the
 * server's SYN-ACK retransmissions while the third ACK never comes.
 *
 * Sources (Debian linux-source-6.1 and 6.12; the logic is the same in both):
 *   net/ipv4/tcp_input.c    tcp_conn_request(): req->timeout =
 *                           tcp_timeout_init() = TCP_TIMEOUT_INIT (1 s, no
 *                           BPF); inet_csk_reqsk_queue_hash_add() arms
 *                           rsk_timer for req->timeout, then the first
 *                           SYN-ACK goes out (same jiffy).
 *   net/ipv4/inet_connection_sock.c
 *                           reqsk_timer_handler(): max_syn_ack_retries =
 *                           the listener's icsk_syn_retries (TCP_SYNCNT on
 *                           the listening socket) ?: tcp_synack_retries;
 *                           syn_ack_recalc(): expire = num_timeout >= max
 *                           (no TCP_DEFER_ACCEPT). Not expired: SYN-ACK
 *                           again (inet_rtx_syn_ack), num_timeout++, timer
 *                           re-armed for reqsk_timeout() = min(req->timeout
 *                           << num_timeout, TCP_RTO_MAX). Expired (or the
 *                           retransmission FAILED, e.g. NF_DROP at egress ->
 *                           -EPERM): the request socket is dropped. So the
 *                           request lives one more timer after the last
 *                           SYN-ACK: 1+2+4+8+16+32 = 63 s at the default 5.
 *                           (When the queue is more than half full of old
 *                           requests the count is cut down to 2: not
 *                           modelled, one request at a time here.)
 *   net/ipv4/tcp_minisocks.c
 *                           tcp_check_req(): a retransmitted SYN (same ISN)
 *                           is answered at once (inet_rtx_syn_ack, unless
 *                           rate-limited by tcp_invalid_ratelimit, 0.5 s)
 *                           and the timer restarted for reqsk_timeout()
 *                           with num_timeout unchanged: the next timer
 *                           SYN-ACK follows that answer by step[num_timeout]
 *                           of this model, and the count is not consumed.
 *   include/net/tcp.h       TCP_SYNACK_RETRIES 5, TCP_RTO_MAX 120 s: the
 *                           cap up to 6.18; from 6.19 (1e9d3005e02c)
 *                           tcp_reqsk_timeout() caps at tcp_rto_max() of
 *                           the listener (its TCP_RTO_MAX_MS, else the
 *                           tcp_rto_max_ms it was created with).
 *
 * Step k (k = 0 the first SYN-ACK) is armed with num_timeout = k; step
 * max_syn_ack_retries is the expiry that drops the request.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "model_kinds.h"

void tf_model_synack_params_init(struct tf_model_params *p)
{
	p->synack_retries = 5;				/* TCP_SYNACK_RETRIES */
}

int tf_model_synack_param_set(struct tf_model_params *p, const char *name, const char *value)
{
	/* As sysctl_net_ipv4.c accepts it (u8). */
	if (!strcmp(name, "tcp_synack_retries"))
		return tf_model_parse_int(value, 0, 255, &p->synack_retries);
	return -ENOENT;
}

int tf_model_synack(struct tf_model *m)
{
	const struct tf_model_params *p = &m->p;
	/* tcp_rto_max(req->rsk_listener) from 6.19, TCP_RTO_MAX before */
	const uint64_t rto_max = tf_model_kver_ge(p, 6, 19) ? tf_model_rto_max(p) : 120ull * p->hz;
	const uint64_t timeout = p->hz;			/* TCP_TIMEOUT_INIT */
	int64_t fmin = 0, fmax = 0, jnom = 0, flo, fhi;
	unsigned int k, max;

	if (p->synack_retries < 0)
		return -EINVAL;
	max = p->syncnt > 0 ? (unsigned int)p->syncnt : (unsigned int)p->synack_retries;
	if (max + 1 > TF_MODEL_MAX_STEPS)
		return -E2BIG;
	m->retry_until = max;
	m->max_retransmits = max;
	m->budget_ms = 0;
	m->budget_user = false;

	for (k = 0; k <= max; k++) {
		struct tf_model_step *s = &m->step[k];
		/* reqsk_timeout(): req->timeout << num_timeout, capped */
		uint64_t d = k >= 32 ? rto_max : timeout << k;

		if (d > rto_max)
			d = rto_max;
		s->nominal_ns = tf_j2ns(jnom, p->hz);
		s->fire = k < max ? TF_FIRE_RETRANSMIT : TF_FIRE_GIVEUP;
		/* calc_index(): fires 1..gran jiffies after jiffies + d */
		tf_model_step_timer(s, d, d, p->hz, &flo, &fhi);
		fmin += flo;
		fmax += fhi;
		jnom += d;
	}
	m->nsteps = max + 1;
	/* the request is dropped at the last expiry, counted from the first SYN-ACK */
	tf_model_giveup(m, max, fmin, fmax, INT64_MIN);
	m->err = 0;	/* the server drops the request silently */
	return 0;
}
