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
 * A held packet keeps what it depends on, as nf_queue's do (__nf_queue(),
 * nf_queue_entry_get_refs()): its route is made its own (on the way in it
 * is the receive path's, valid only in its RCU section; a packet whose
 * route is going is dropped), and the devices it came in and goes out by
 * and the socket it belongs to are held.  When one of those devices goes
 * down (or away, also with its namespace), the packets that hold it are
 * dropped, as nfnetlink_queue drops a device's queued packets.
 *
 * When a write leaves no delay rule, the held packets leave at once; when
 * the namespace goes (also at rmmod), they are freed.  Every packet the
 * action took is counted once: held now, sent, dropped, or passed
 * undelayed (overflow).
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "tf.h"

struct tf_held {
	struct list_head	node;
	u64			due;	/* ns, CLOCK_MONOTONIC */
	struct sk_buff		*skb;
	struct net		*net;	/* lives longer: tf_delay_exit() */
	struct sock		*sk;	/* held */
	struct net_device	*in;	/* held */
	struct net_device	*out;	/* held */
	int (*okfn)(struct net *net, struct sock *sk, struct sk_buff *skb);
};

static void tf_held_put(struct tf_held *h)
{
	dev_put(h->in);
	dev_put(h->out);
	if (h->sk)
		sock_gen_put(h->sk);
	kfree(h);
}

/* Frees packets taken off the list (@list), counting them as dropped. */
static void tf_held_drop(struct tf_delayq *q, struct list_head *list)
{
	struct tf_held *h, *tmp;
	u32 n = 0;

	list_for_each_entry_safe(h, tmp, list, node) {
		kfree_skb(h->skb);
		tf_held_put(h);
		n++;
	}
	spin_lock_bh(&q->lock);
	q->dropped += n;
	spin_unlock_bh(&q->lock);
}

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
		q->sent++;
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
		tf_held_put(h);
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
 * Holds @skb for @ms.  Returns NF_STOLEN when it is held, or when it had
 * to be dropped (its route is going: counted in delay_dropped); NF_ACCEPT
 * (the packet passes now) when the list is full or no memory is left.
 */
unsigned int tf_delay_hold(struct tf_delayq *q, struct sk_buff *skb,
			   const struct nf_hook_state *state, u32 ms)
{
	struct tf_held *h, *pos;
	LIST_HEAD(gone);

	h = kzalloc(sizeof(*h), GFP_ATOMIC);
	if (!h)
		goto overflow;
	h->due = ktime_get_ns() + (u64)ms * NSEC_PER_MSEC;
	h->skb = skb;
	h->net = state->net;
	h->okfn = state->okfn;
	if (state->sk) {
		if (!refcount_inc_not_zero(&state->sk->sk_refcnt))
			goto overflow_free;
		h->sk = state->sk;
	}
	h->in = state->in;
	h->out = state->out;
	dev_hold(h->in);
	dev_hold(h->out);

	spin_lock_bh(&q->lock);
	if (q->dying || q->nr >= READ_ONCE(tf_delay_max)) {
		spin_unlock_bh(&q->lock);
		tf_held_put(h);
		goto overflow;
	}
	/* The route must outlive the RCU section the packet came in. */
	if (skb_dst(skb) && !skb_dst_force(skb)) {
		spin_unlock_bh(&q->lock);
		list_add(&h->node, &gone);
		tf_held_drop(q, &gone);
		return NF_STOLEN;
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
	return NF_STOLEN;

overflow_free:
	kfree(h);
overflow:
	spin_lock_bh(&q->lock);
	q->overflow++;
	spin_unlock_bh(&q->lock);
	return NF_ACCEPT;
}

/* @dev goes down or away: the packets that hold it are dropped. */
void tf_delay_dev_gone(struct tf_delayq *q, const struct net_device *dev)
{
	struct tf_held *h, *tmp;
	LIST_HEAD(gone);

	spin_lock_bh(&q->lock);
	list_for_each_entry_safe(h, tmp, &q->list, node) {
		if (h->in != dev && h->out != dev)
			continue;
		list_move_tail(&h->node, &gone);
		q->nr--;
	}
	spin_unlock_bh(&q->lock);
	tf_held_drop(q, &gone);
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
	LIST_HEAD(gone);

	spin_lock_bh(&q->lock);
	q->dying = true;
	spin_unlock_bh(&q->lock);
	hrtimer_cancel(&q->timer);
	spin_lock_bh(&q->lock);
	list_splice_init(&q->list, &gone);
	q->nr = 0;
	spin_unlock_bh(&q->lock);
	tf_held_drop(q, &gone);
}
