// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow state, kept only for flows a rule matched: the flow's number
 * (shown in events, one for both directions of a 4-tuple and stable across
 * retransmitted SYNs); per rule how many of its packets matched and how
 * many it acted on, which is what the limits (skip, every, prob, count)
 * count; and for "after" and "idle" rules when the flow was established
 * and last carried a packet (tf_flow_timing).
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
	u64			last_seen;	/* ns, 0 = never */
	u64			known_since;	/* ns: no packet missed since */
	bool			older;		/* established before known_since */
	u8			isn_set;	/* BIT(0): isn[0] known, BIT(1): isn[1] */
	u32			isn[2];		/* seq of the SYN [0], SYN-ACK [1] */
	u8			next_slot;
	struct tf_flow_slot {
		u64 serial;		/* tf_rule.serial, 0 = free */
		u32 matches;		/* packets of the flow it matched */
		u32 acted;		/* of which it acted on */
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
		fl->last_evict = ktime_get_ns();
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
 * Whether @pkt, a SYN or SYN-ACK, repeats one of @f's: the same sequence
 * number (initial sequence number) as the last of its kind, a
 * retransmission of the same attempt.  Records it otherwise; a new SYN
 * also forgets the SYN-ACK of the attempt before.
 */
static bool tf_flow_syn_repeated(struct tf_flow *f, const struct tf_pkt *pkt)
{
	unsigned int k = !!(pkt->flags & TF_FLAG_ACK);

	if ((f->isn_set & BIT(k)) && f->isn[k] == pkt->seq)
		return true;
	f->isn[k] = pkt->seq;
	f->isn_set = k ? f->isn_set | BIT(1) : BIT(0);
	return false;
}

/*
 * The times "after" and "idle" ask of @pkt's flow, taken once per packet
 * however many rules ask: when the flow's previous packet was seen, and
 * when it was established.  A flow is established by its first packet
 * without SYN: the handshake's last ACK, which itself is not "after"; or
 * the first seen of a flow that is older than what we know of it.  A SYN
 * or SYN-ACK starts the flow over, but for a retransmission of one seen
 * (the same ISN): a duplicate SYN-ACK after the ACK, as a lost ACK or a
 * late retransmission makes, is still the same connection.
 *
 * What we know of a flow starts at its first packet seen here, and no
 * packet of it can have been missed since the last time state was lost
 * (an eviction): before its first packet, the flow was silent since then
 * at least, and was established by then if that packet had no SYN.  Each
 * rule also counts from its own creation at the latest (hooks.c).
 */
void tf_flow_timing(struct tf_flows *fl, struct tf_pkt *pkt)
{
	u64 now = ktime_get_ns();
	struct tf_flow *f;

	if (pkt->timing_known)
		return;
	pkt->timing_known = true;
	pkt->now = now;
	/* Without state, the flow is as if it began now. */
	pkt->silent_since = now;
	spin_lock_bh(&fl->lock);
	f = tf_flow_use(fl, pkt);
	if (f) {
		if (!f->last_seen)
			f->known_since = fl->last_evict;
		/* A first SYN begins a flow: it was not silent before. */
		if (f->last_seen)
			pkt->silent_since = f->last_seen;
		else if (!(pkt->flags & TF_FLAG_SYN))
			pkt->silent_since = f->known_since;
		if ((pkt->flags & TF_FLAG_SYN) && !tf_flow_syn_repeated(f, pkt)) {
			f->established = 0;
			f->older = false;
		} else if (f->established) {
			/* A repeated SYN or SYN-ACK changes nothing here. */
			pkt->established = true;
			pkt->est_start = f->older ? f->known_since :
						    f->established;
		} else if (!(pkt->flags & TF_FLAG_SYN)) {
			f->established = now;
			/* Its first packet seen, and no SYN: an older flow. */
			f->older = !f->last_seen;
			pkt->established = f->older;
			pkt->est_start = f->known_since;
		}
		f->last_seen = now;
	}
	spin_unlock_bh(&fl->lock);
}

/* The per-flow counters of @r, with this match counted. */
static struct tf_flow_slot *tf_flow_count_match(struct tf_flow *f,
						const struct tf_rule *r)
{
	struct tf_flow_slot *slot;
	unsigned int i;

	for (i = 0; i < TF_FLOW_RULE_SLOTS; i++) {
		slot = &f->slots[i];
		if (slot->serial == r->serial) {
			if (slot->matches < U32_MAX)
				slot->matches++;
			return slot;
		}
	}
	/* A new rule for this flow takes the oldest slot. */
	slot = &f->slots[f->next_slot];
	f->next_slot = (f->next_slot + 1) % TF_FLOW_RULE_SLOTS;
	slot->serial = r->serial;
	slot->matches = 1;
	slot->acted = 0;
	return slot;
}

/*
 * "prob": whether the @m-th selected match of a flow is hit, from the
 * rule's seed alone, so that a seed replays the same packets of a flow.
 */
static bool tf_prob_hit(const struct tf_rule_spec *s, u32 m)
{
	return jhash_2words(m, s->seed, 0x74666175) % TF_PROB_ONE < s->prob;
}

/*
 * Accounts one match of @r by @pkt in its flow.  Returns whether the
 * rule's action applies (the per-flow limits allow it) and the flow id.
 */
bool tf_flow_account(struct tf_flows *fl, const struct tf_pkt *pkt,
		     const struct tf_rule *r, u32 *flow_id)
{
	const struct tf_rule_spec *s = &r->spec;
	struct tf_flow_slot *slot = NULL;
	struct tf_flow *f;
	bool apply;
	u32 m;

	spin_lock_bh(&fl->lock);
	f = tf_flow_use(fl, pkt);
	if (f && (s->skip || s->count || s->every || s->prob))
		slot = tf_flow_count_match(f, r);
	*flow_id = f ? f->id : 0;

	/* skip, then every and prob select, then count caps the acts. */
	m = slot ? slot->matches : 1;
	apply = m > s->skip;
	m -= s->skip;
	if (apply && s->every)
		apply = !(m % s->every);
	if (apply && s->prob)
		apply = tf_prob_hit(s, m);
	if (apply && s->count && slot)
		apply = slot->acted < s->count;
	if (apply && slot)
		slot->acted++;
	spin_unlock_bh(&fl->lock);
	return apply;
}
