// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring: one record per packet a rule acted on.  When full, the
 * oldest record is overwritten and counted as lost; readers never see a
 * torn record because they copy under the ring lock.
 *
 * The ring's memory is taken when a namespace gets its first rule
 * (tf_ring_reserve, from the write path), so the many namespaces that
 * never use tcpfault cost none; it lives until the namespace goes.
 */
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "tf.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

void tf_ring_init(struct tf_ring *ring)
{
	spin_lock_init(&ring->lock);
	ring->ev = NULL;
}

/* The ring is needed from now on (a rule is about to be published). */
int tf_ring_reserve(struct tf_ring *ring)
{
	u32 size = READ_ONCE(tf_event_ring_size);
	struct tf_event *ev;

	if (ring->ev)
		return 0;
	ev = kvcalloc(size, sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	spin_lock_bh(&ring->lock);
	ring->size = size;
	ring->ev = ev;
	spin_unlock_bh(&ring->lock);
	return 0;
}

void tf_ring_exit(struct tf_ring *ring)
{
	kvfree(ring->ev);
	ring->ev = NULL;
}

/* Forgets the recorded events; ids keep counting, so readers stay sane. */
void tf_ring_clear(struct tf_ring *ring)
{
	spin_lock_bh(&ring->lock);
	ring->tail = ring->head;
	spin_unlock_bh(&ring->lock);
}

void tf_event_record(struct tf_ring *ring, const struct tf_pkt *pkt,
		     u32 rule_id, u32 flow_id, u8 verdict)
{
	struct tf_event ev = {
		.ts		= ktime_get_ns(),
		.rule_id	= rule_id,
		.flow_id	= flow_id,
		.seq		= pkt->seq,
		.ack		= pkt->ack,
		.len		= pkt->len,
		.win		= pkt->win,
		.sport		= pkt->sport,
		.dport		= pkt->dport,
		.family		= pkt->family,
		.dir		= pkt->dir,
		.flags		= pkt->flags,
		.verdict	= verdict,
	};

	memcpy(ev.saddr, pkt->saddr, sizeof(ev.saddr));
	memcpy(ev.daddr, pkt->daddr, sizeof(ev.daddr));
	trace_tcpfault_event(&ev, pkt->net->ns.inum);

	spin_lock_bh(&ring->lock);
	if (ring->ev) {
		if (ring->head - ring->tail == ring->size) {
			ring->tail++;
			ring->lost++;
		}
		ring->ev[ring->head++ % ring->size] = ev;
	}
	spin_unlock_bh(&ring->lock);
}

/*
 * Copies the event numbered *@pos, or the oldest one still held if that
 * was overwritten (moving *@pos).  False when there is none.
 */
bool tf_event_get(struct tf_ring *ring, u64 *pos, struct tf_event *ev)
{
	bool found = false;

	spin_lock_bh(&ring->lock);
	if (*pos < ring->tail)
		*pos = ring->tail;
	if (ring->ev && *pos < ring->head) {
		*ev = ring->ev[*pos % ring->size];
		found = true;
	}
	spin_unlock_bh(&ring->lock);
	return found;
}

void tf_event_show(struct seq_file *m, const struct tf_event *ev)
{
	char flags[TF_FLAGS_LEN];

	tf_format_flags(ev->flags, flags);

	seq_printf(m, "ts %llu rule %u dir %s flow %u ", ev->ts, ev->rule_id,
		   tf_dir_name(ev->dir), ev->flow_id);
	if (ev->family == TF_FAMILY_IPV4)
		seq_printf(m, "src %pI4:%u dst %pI4:%u", ev->saddr, ev->sport,
			   ev->daddr, ev->dport);
	else
		seq_printf(m, "src [%pI6c]:%u dst [%pI6c]:%u", ev->saddr,
			   ev->sport, ev->daddr, ev->dport);
	seq_printf(m, " flags %s seq %u ack %u len %u verdict %s win %u\n", flags,
		   ev->seq, ev->ack, ev->len, tf_action_name(ev->verdict), ev->win);
}
