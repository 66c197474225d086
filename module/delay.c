// SPDX-License-Identifier: GPL-2.0
/*
 * The delay action: hold a packet, then let it continue where it stopped.
 *
 * A held packet is stolen from the hook (NF_STOLEN) and, once due, handed
 * to the hook's continuation (nf_hook_state.okfn: dst_output() on the way
 * out, the local delivery or the forwarding on the way in), from a
 * softirq hrtimer.  Held packets are kept in one list per namespace in due
 * order; a rule has one delay, so the packets of a flow that one rule
 * holds leave in the order they came.  The list is bounded (module
 * parameter delay_max): beyond it a packet passes undelayed and is counted
 * as delay_overflow, so that the bound never adds a loss nobody asked for.
 *
 * When a write leaves no delay rule, the held packets leave at once; when
 * the namespace goes (also at rmmod), they are freed.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "tf.h"

struct tf_held {
	struct list_head	node;
	u64			due;	/* ns, CLOCK_MONOTONIC */
	struct sk_buff		*skb;
	struct net		*net;
	struct sock		*sk;
	int (*okfn)(struct net *net, struct sock *sk, struct sk_buff *skb);
};

static enum hrtimer_restart tf_delay_fire(struct hrtimer *timer)
{
	struct tf_delayq *q = container_of(timer, struct tf_delayq, timer);
	struct tf_held *h, *tmp;
	u64 now = ktime_get_ns();
	LIST_HEAD(due);

	spin_lock(&q->lock);
	list_for_each_entry_safe(h, tmp, &q->list, node) {
		if (h->due > now)
			break;
		list_move_tail(&h->node, &due);
		q->nr--;
	}
	if (!list_empty(&q->list) && !q->dying) {
		h = list_first_entry(&q->list, struct tf_held, node);
		hrtimer_start(&q->timer, ns_to_ktime(h->due),
			      HRTIMER_MODE_ABS_SOFT);
	}
	spin_unlock(&q->lock);

	rcu_read_lock();
	list_for_each_entry_safe(h, tmp, &due, node) {
		h->okfn(h->net, h->sk, h->skb);
		kfree(h);
	}
	rcu_read_unlock();
	return HRTIMER_NORESTART;
}

void tf_delay_init(struct tf_delayq *q)
{
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->list);
	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	q->timer.function = tf_delay_fire;
}

/*
 * Holds @skb for @ms.  Returns false (the caller lets it pass) when the
 * list is full or no memory is left.
 */
bool tf_delay_hold(struct tf_delayq *q, struct sk_buff *skb,
		   const struct nf_hook_state *state, u32 ms)
{
	struct tf_held *h, *pos;

	h = kmalloc(sizeof(*h), GFP_ATOMIC);
	if (!h)
		goto overflow;
	h->due = ktime_get_ns() + (u64)ms * NSEC_PER_MSEC;
	h->skb = skb;
	h->net = state->net;
	/* A full socket stays while its skb is charged to it; else none. */
	h->sk = skb->sk == state->sk && state->sk && sk_fullsock(state->sk) ?
		state->sk : NULL;
	h->okfn = state->okfn;

	spin_lock_bh(&q->lock);
	if (q->dying || q->nr >= READ_ONCE(tf_delay_max)) {
		spin_unlock_bh(&q->lock);
		kfree(h);
		goto overflow;
	}
	/* After every packet due no later: the order of equal delays holds. */
	list_for_each_entry_reverse(pos, &q->list, node)
		if (pos->due <= h->due)
			break;
	list_add(&h->node, &pos->node);
	q->nr++;
	if (q->list.next == &h->node)
		hrtimer_start(&q->timer, ns_to_ktime(h->due),
			      HRTIMER_MODE_ABS_SOFT);
	spin_unlock_bh(&q->lock);
	return true;

overflow:
	spin_lock_bh(&q->lock);
	q->overflow++;
	spin_unlock_bh(&q->lock);
	return false;
}

/* No delay rule is left: everything held leaves now. */
void tf_delay_release(struct tf_delayq *q)
{
	struct tf_held *h;

	spin_lock_bh(&q->lock);
	list_for_each_entry(h, &q->list, node)
		h->due = 0;
	if (!list_empty(&q->list) && !q->dying)
		hrtimer_start(&q->timer, 0, HRTIMER_MODE_ABS_SOFT);
	spin_unlock_bh(&q->lock);
}

/* The namespace goes: its hooks are gone, held packets are freed. */
void tf_delay_exit(struct tf_delayq *q)
{
	struct tf_held *h, *tmp;

	spin_lock_bh(&q->lock);
	q->dying = true;
	spin_unlock_bh(&q->lock);
	hrtimer_cancel(&q->timer);
	list_for_each_entry_safe(h, tmp, &q->list, node) {
		kfree_skb(h->skb);
		kfree(h);
	}
	INIT_LIST_HEAD(&q->list);
	q->nr = 0;
}
