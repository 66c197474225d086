// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow state, kept only for flows a rule matched: the flow's number
 * (shown in events, one for both directions of a 4-tuple and stable across
 * retransmitted SYNs), per rule how many of its packets matched, which is
 * what "skip N" and "count N" count, and for "after" rules when the flow
 * was established.
 *
 * Memory is bounded by the max_flows parameter: the least recently used
 * flow makes room, and flows idle longer than flow_timeout seconds go
 * first.  Evictions are counted in stats.
 */
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include "tf.h"

#define TF_FLOW_HASH_BITS	10
#define TF_FLOW_RULE_SLOTS	8
#define TF_FLOW_EXPIRE_BATCH	8

struct tf_flow_key {
	u8	a[16], b[16];		/* lower endpoint first */
	u16	pa, pb;
	u8	family;
	u8	pad[3];
};

struct tf_flow {
	struct hlist_node	node;
	struct list_head	lru;
	struct tf_flow_key	key;
	u32			id;
	unsigned long		last_used;	/* jiffies */
	u64			established;	/* ns, 0 = not yet */
	u8			next_slot;
	struct {
		u64 serial;		/* tf_rule.serial, 0 = free */
		u32 matches;
	} slots[TF_FLOW_RULE_SLOTS];
};

int tf_flows_init(struct tf_flows *fl)
{
	unsigned int i;

	spin_lock_init(&fl->lock);
	INIT_LIST_HEAD(&fl->lru);
	fl->buckets = kvmalloc_array(1 << TF_FLOW_HASH_BITS,
				     sizeof(*fl->buckets), GFP_KERNEL);
	if (!fl->buckets)
		return -ENOMEM;
	for (i = 0; i < 1 << TF_FLOW_HASH_BITS; i++)
		INIT_HLIST_HEAD(&fl->buckets[i]);
	return 0;
}

static void tf_flow_free(struct tf_flows *fl, struct tf_flow *f)
{
	hlist_del(&f->node);
	list_del(&f->lru);
	fl->nr--;
	kfree(f);
}

void tf_flows_exit(struct tf_flows *fl)
{
	struct tf_flow *f, *tmp;

	list_for_each_entry_safe(f, tmp, &fl->lru, lru)
		tf_flow_free(fl, f);
	kvfree(fl->buckets);
}

static void tf_flow_key(const struct tf_pkt *pkt, struct tf_flow_key *k)
{
	unsigned int alen = pkt->family == TF_FAMILY_IPV4 ? 4 : 16;
	int cmp = memcmp(pkt->saddr, pkt->daddr, alen);
	bool swap = cmp > 0 || (!cmp && pkt->sport > pkt->dport);

	memset(k, 0, sizeof(*k));
	k->family = pkt->family;
	memcpy(k->a, swap ? pkt->daddr : pkt->saddr, alen);
	memcpy(k->b, swap ? pkt->saddr : pkt->daddr, alen);
	k->pa = swap ? pkt->dport : pkt->sport;
	k->pb = swap ? pkt->sport : pkt->dport;
}

/* Makes room: drops expired flows, and the oldest one when full. */
static void tf_flows_expire(struct tf_flows *fl)
{
	unsigned long timeout = READ_ONCE(tf_flow_timeout) * HZ;
	struct tf_flow *f;
	int n;

	for (n = 0; n < TF_FLOW_EXPIRE_BATCH && !list_empty(&fl->lru); n++) {
		f = list_first_entry(&fl->lru, struct tf_flow, lru);
		if (fl->nr < READ_ONCE(tf_max_flows) &&
		    time_before(jiffies, f->last_used + timeout))
			break;
		tf_flow_free(fl, f);
		fl->evicted++;
	}
}

static struct tf_flow *tf_flow_get(struct tf_flows *fl,
				   const struct tf_flow_key *k)
{
	struct hlist_head *head;
	struct tf_flow *f;

	head = &fl->buckets[jhash(k, sizeof(*k), 0) &
			    ((1 << TF_FLOW_HASH_BITS) - 1)];
	hlist_for_each_entry(f, head, node)
		if (!memcmp(&f->key, k, sizeof(*k)))
			return f;

	tf_flows_expire(fl);
	if (fl->nr >= READ_ONCE(tf_max_flows))
		return NULL;
	f = kzalloc(sizeof(*f), GFP_ATOMIC);
	if (!f)
		return NULL;
	f->key = *k;
	f->id = ++fl->next_id;
	hlist_add_head(&f->node, head);
	list_add_tail(&f->lru, &fl->lru);
	fl->nr++;
	return f;
}

/* The flow of @pkt, made the most recently used; NULL if none can be kept. */
static struct tf_flow *tf_flow_use(struct tf_flows *fl,
				   const struct tf_pkt *pkt)
{
	struct tf_flow_key k;
	struct tf_flow *f;

	tf_flow_key(pkt, &k);
	f = tf_flow_get(fl, &k);
	if (f) {
		f->last_used = jiffies;
		list_move_tail(&f->lru, &fl->lru);
	}
	return f;
}

/*
 * Whether the flow of @pkt has been established for @ms.  A flow is
 * established by its first packet without SYN (the handshake's last ACK,
 * or the first one seen of a flow older than the rule), which itself is
 * not "after"; a SYN starts the flow over.
 */
bool tf_flow_after(struct tf_flows *fl, const struct tf_pkt *pkt, u32 ms)
{
	u64 now = ktime_get_ns();
	struct tf_flow *f;
	bool after = false;

	spin_lock_bh(&fl->lock);
	f = tf_flow_use(fl, pkt);
	if (f) {
		if (pkt->flags & TF_FLAG_SYN)
			f->established = 0;
		else if (!f->established)
			f->established = now;
		else
			after = now - f->established >= (u64)ms * NSEC_PER_MSEC;
	}
	spin_unlock_bh(&fl->lock);
	return after;
}

/* Per-flow matches of @r, counting this one; 1 if no state can be kept. */
static u32 tf_flow_count_match(struct tf_flow *f, const struct tf_rule *r)
{
	unsigned int i;

	for (i = 0; i < TF_FLOW_RULE_SLOTS; i++) {
		if (f->slots[i].serial == r->serial) {
			if (f->slots[i].matches < U32_MAX)
				f->slots[i].matches++;
			return f->slots[i].matches;
		}
	}
	/* A new rule for this flow takes the oldest slot. */
	i = f->next_slot;
	f->next_slot = (i + 1) % TF_FLOW_RULE_SLOTS;
	f->slots[i].serial = r->serial;
	f->slots[i].matches = 1;
	return 1;
}

/*
 * Accounts one match of @r by @pkt in its flow.  Returns whether the
 * rule's action applies (the per-flow limits allow it) and the flow id.
 */
bool tf_flow_account(struct tf_flows *fl, const struct tf_pkt *pkt,
		     const struct tf_rule *r, u32 *flow_id)
{
	const struct tf_rule_spec *s = &r->spec;
	struct tf_flow *f;
	u32 n = 1;

	spin_lock_bh(&fl->lock);
	f = tf_flow_use(fl, pkt);
	if (f && (s->skip || s->count))
		n = tf_flow_count_match(f, r);
	*flow_id = f ? f->id : 0;
	spin_unlock_bh(&fl->lock);

	return n > s->skip && (!s->count || n - s->skip <= s->count);
}
