// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks: where packets meet rules.
 *
 * A namespace has our hooks only while it has rules, and only in the
 * directions they can match (tf_hooks_add/trim, at the end).  Per packet:
 * is there a rule table (there can be none, briefly, while the hooks go)?
 * Can a rule match at this hook?  Is it a TCP segment we can read?  Can a
 * rule match its ports and stages (the table's index: most packets end
 * here, at the cost of a header read and two hash probes)?  Only then is
 * the packet described in full and the candidates tried in rule id order
 * (match.c), and the first that acts applies its action.
 *
 * Loss must look like loss.  NF_DROP at LOCAL_OUT makes ip_local_out()
 * return -EPERM to TCP, which changes the behaviour under test (a refused
 * SYN-ACK even kills the request socket).  On egress a dropped packet is
 * therefore consumed and NF_STOLEN returned: the sender's stack sees a
 * successful transmit, exactly as if the wire had lost it.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "tf.h"

/* Last in the chain: what we see is what goes to TCP, or to the wire. */
#define TF_HOOK_PRIORITY	(INT_MAX - 1)

/*
 * The TCP header of a segment we can read, and its offset in *@thoff; NULL
 * for anything else (not TCP, a fragment, a truncated header).
 */
static const struct tcphdr *tf_tcp_header(struct sk_buff *skb, u8 pf,
					  struct tcphdr *buf, int *thoff)
{
	const struct tcphdr *th;

	if (pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP ||
		    (ntohs(iph->frag_off) & IP_OFFSET))
			return NULL;
		*thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		__be16 frag_off;

		*thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
					  sizeof(struct ipv6hdr),
					  &nexthdr, &frag_off);
		if (*thoff < 0 || nexthdr != IPPROTO_TCP ||
		    (frag_off & htons(~0x7)))
			return NULL;
	}
	th = skb_header_pointer(skb, *thoff, sizeof(*buf), buf);
	if (!th || th->doff * 4 < sizeof(*th) ||
	    *thoff + th->doff * 4 > skb->len)
		return NULL;
	return th;
}

/* Stages from the header: a FIN may carry data; a pure ACK is what is left. */
static u8 tf_tcp_stages(const struct tcphdr *th, u32 len)
{
	u8 stages = 0;

	if (th->rst)
		stages |= TF_STAGE_RST;
	if (th->syn)
		stages |= th->ack ? TF_STAGE_SYNACK : TF_STAGE_SYN;
	if (th->fin)
		stages |= TF_STAGE_FIN;
	if (len && !th->syn)
		stages |= TF_STAGE_DATA;
	/* Whether it ends a handshake is asked only if a rule cares. */
	if (!stages && th->ack)
		stages |= TF_STAGE_ACK | TF_STAGE_ACK3;
	return stages;
}

/* What a probe looks like from its header alone (tf_pkt_is_probe decides). */
static bool tf_tcp_may_be_probe(const struct tcphdr *th, u32 len)
{
	return len <= 1 && th->ack && !th->syn && !th->fin && !th->rst;
}

/* The full description, once the table said a rule may match. */
static void tf_pkt_fill(struct tf_pkt *pkt, struct sk_buff *skb,
			const struct nf_hook_state *state,
			const struct tcphdr *th, int thoff, u32 len, u8 stages)
{
	memset(pkt, 0, sizeof(*pkt));
	if (state->pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		pkt->family = TF_FAMILY_IPV4;
		memcpy(pkt->saddr, &iph->saddr, 4);
		memcpy(pkt->daddr, &iph->daddr, 4);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		pkt->family = TF_FAMILY_IPV6;
		memcpy(pkt->saddr, &ip6h->saddr, 16);
		memcpy(pkt->daddr, &ip6h->daddr, 16);
	}
	pkt->sport = ntohs(th->source);
	pkt->dport = ntohs(th->dest);
	pkt->seq = ntohl(th->seq);
	pkt->ack = ntohl(th->ack_seq);
	pkt->len = len;
	pkt->win = ntohs(th->window);
	pkt->flags = tcp_flag_byte(th);
	pkt->stages = stages;
	pkt->thoff = thoff;
	pkt->skb = skb;
	pkt->net = state->net;
	pkt->ifindex = state->in ? state->in->ifindex : 0;
}

/* Rewrites the advertised window; the checksum stays valid. */
static bool tf_set_window(struct sk_buff *skb, const struct tf_pkt *pkt,
			  u16 window)
{
	struct tcphdr *th;
	__be16 old;

	if (skb_ensure_writable(skb, pkt->thoff + sizeof(*th)))
		return false;
	th = (struct tcphdr *)(skb->data + pkt->thoff);
	old = th->window;
	th->window = htons(window);
	inet_proto_csum_replace2(&th->check, skb, old, th->window, false);
	return true;
}

/*
 * Rewrites TCP header flags: @arg holds the bits to set, and the bits to
 * clear shifted by 8.  The checksum stays valid.
 */
static bool tf_set_flags(struct sk_buff *skb, const struct tf_pkt *pkt,
			 u32 arg)
{
	struct tcphdr *th;
	__be16 *word, old;
	u8 *flags;

	if (skb_ensure_writable(skb, pkt->thoff + sizeof(*th)))
		return false;
	th = (struct tcphdr *)(skb->data + pkt->thoff);
	word = (__be16 *)((u8 *)th + 12);	/* data offset and flags */
	flags = (u8 *)th + 13;
	old = *word;
	*flags = (*flags | (arg & 0xff)) & ~(arg >> 8);
	inet_proto_csum_replace2(&th->check, skb, old, *word, false);
	return true;
}

/*
 * Changes the payload so the application receives other bytes: the first
 * byte is inverted.  The checksum is updated (or, for a packet whose
 * checksum is still to be computed, left to be), so nothing below TCP's
 * users notices.
 */
static bool tf_corrupt(struct sk_buff *skb, const struct tf_pkt *pkt)
{
	unsigned int off = skb->len - pkt->len;
	__be16 old, new;
	struct tcphdr *th;
	u8 w[2];

	if (skb_ensure_writable(skb, off + min(pkt->len, 2U)))
		return false;
	th = (struct tcphdr *)(skb->data + pkt->thoff);
	/* TCP headers are whole words: the byte starts a checksum word. */
	w[0] = skb->data[off];
	w[1] = pkt->len > 1 ? skb->data[off + 1] : 0;
	memcpy(&old, w, 2);
	w[0] ^= 0xff;
	memcpy(&new, w, 2);
	skb->data[off] = w[0];
	inet_proto_csum_replace2(&th->check, skb, old, new, false);
	return true;
}

struct tf_decision {
	struct tf_net		*tn;
	struct sk_buff		*skb;
	struct tf_pkt		*pkt;
	bool			drop;
	u32			delay;	/* ms to hold the packet, 0 = none */
};

/*
 * "after" and "idle", for a packet of the rule's flows: how long the flow
 * has been established, or silent.  Both count from the rule's creation
 * at the latest: a flow older than the rule is established since then, and
 * one it has not seen yet is silent since then (a balancer's timeout set
 * on a running pool forgets a connection MS after its last packet).
 */
static bool tf_timing_holds(struct tf_net *tn, const struct tf_rule *r,
			    struct tf_pkt *pkt)
{
	const struct tf_rule_spec *s = &r->spec;
	u64 start;

	if (!s->after_set && !s->idle_set)
		return true;
	/* They follow every packet of their flows, whatever it matches. */
	tf_flow_timing(&tn->flows, pkt);
	if (s->after_set) {
		if (!pkt->established)
			return false;
		start = max(pkt->est_start, r->created);
		if (pkt->now - start < (u64)s->after * NSEC_PER_MSEC)
			return false;
	}
	if (!s->idle_set)
		return true;
	start = max(pkt->silent_since, r->created);
	return pkt->now - start >= (u64)s->idle * NSEC_PER_MSEC;
}

/* Actions that cannot apply to a packet pass it by, as no match. */
static bool tf_action_applies(const struct tf_rule_spec *s,
			      const struct tf_pkt *pkt)
{
	switch (s->action) {
	case TF_ACT_RESET:
	case TF_ACT_RESET_BOTH:
		return !(pkt->flags & TF_FLAG_RST);	/* no RST for a RST */
	case TF_ACT_CORRUPT:
		return pkt->len;
	}
	return true;
}

/* Applies @r's action; false when it could not (no memory). */
static bool tf_act(struct tf_decision *d, const struct tf_rule *r)
{
	const struct tf_rule_spec *s = &r->spec;

	switch (s->action) {
	case TF_ACT_WINDOW:
		return tf_set_window(d->skb, d->pkt, s->action_arg);
	case TF_ACT_FLAGS:
		return tf_set_flags(d->skb, d->pkt, s->action_arg);
	case TF_ACT_CORRUPT:
		return tf_corrupt(d->skb, d->pkt);
	case TF_ACT_RESET_BOTH:
		tf_send_rst(d->pkt->net, d->pkt, false);
		fallthrough;
	case TF_ACT_RESET:
		tf_send_rst(d->pkt->net, d->pkt, true);
		fallthrough;
	case TF_ACT_DROP:
		d->drop = true;
		return true;
	case TF_ACT_DELAY:
		d->delay = s->action_arg;
		return true;
	}
	return true;
}

/* Whether a later rule may still act on the packet. */
static bool tf_try_rule(struct tf_decision *d, struct tf_rule *r)
{
	struct tf_net *tn = d->tn;
	u32 flow_id;

	/* Without "dir", a rule acts where a packet first meets it. */
	if (d->pkt->looped && !r->spec.dir)
		return true;
	if (!tf_spec_matches_flow(&r->spec, d->pkt) ||
	    !tf_timing_holds(tn, r, d->pkt) || !tf_rule_matches(r, d->pkt) ||
	    !tf_action_applies(&r->spec, d->pkt))
		return true;
	atomic64_inc(&r->hits);
	this_cpu_inc(tn->stats->matched);

	/* Limits (skip, every, prob, count) are per flow. */
	if (!tf_flow_account(&tn->flows, d->pkt, r, &flow_id))
		return true;
	if (!tf_act(d, r))
		return true;
	atomic64_inc(&r->acted);
	this_cpu_inc(tn->stats->action[r->spec.action]);
	tf_event_record(&tn->ring, d->pkt, r->spec.id, flow_id,
			r->spec.action);

	/* A drop or a delay ends the walk; the others pass to later rules. */
	return !d->drop && !d->delay;
}

static unsigned int tf_hook(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	struct tf_net *tn = tf_net(state->net);
	unsigned int dir = (unsigned long)priv;
	const struct tf_table *t;
	const struct tcphdr *th;
	struct tf_decision d;
	struct tcphdr _th;
	struct tf_walk w;
	struct tf_pkt pkt;
	struct tf_rule *r;
	u8 stages, cand;
	bool looped;
	int thoff;
	u32 len;

	/* nf_hook_slow() holds rcu_read_lock() around the hooks. */
	t = rcu_dereference(tn->table);
	if (!t || !(t->dirs & BIT(dir)))
		return NF_ACCEPT;
	/* Our own RSTs, on their way out. */
	if (dir == TF_DIR_OUT && tf_xmit_busy())
		return NF_ACCEPT;
	/*
	 * A packet that came in over loopback was sent in this namespace:
	 * rules without "dir" met it at LOCAL_OUT, and act on each packet
	 * once.  Only "dir in" rules see it here.
	 */
	looped = dir == TF_DIR_IN && state->in &&
		 (state->in->flags & IFF_LOOPBACK);
	if (looped && !t->lo_in)
		return NF_ACCEPT;
	th = tf_tcp_header(skb, state->pf, &_th, &thoff);
	if (!th)
		return NF_ACCEPT;
	this_cpu_inc(tn->stats->seen);

	/*
	 * From the ports and the header's stages alone: can any rule match?
	 * Most packets stop here, before their full description is built.
	 */
	len = skb->len - thoff - th->doff * 4;
	stages = tf_tcp_stages(th, len);
	cand = stages;
	if (tf_tcp_may_be_probe(th, len))
		cand |= TF_STAGE_PROBE;
	if (!tf_walk_start(&w, t, ntohs(th->source), ntohs(th->dest), cand,
			   dir))
		return NF_ACCEPT;

	tf_pkt_fill(&pkt, skb, state, th, thoff, len, stages);
	pkt.looped = looped;
	pkt.dir = dir;
	/* A probe is a stage of its own, not an ack nor data. */
	if ((cand & TF_STAGE_PROBE) && tf_pkt_is_probe(skb, &pkt))
		pkt.stages = TF_STAGE_PROBE;

	d.tn = tn;
	d.skb = skb;
	d.pkt = &pkt;
	d.drop = false;
	d.delay = 0;
	while ((r = tf_walk_next(&w)) && tf_try_rule(&d, r))
		;
	if (d.delay)
		return tf_delay_hold(&tn->delay, skb, state, d.delay);
	if (!d.drop)
		return NF_ACCEPT;

	if (dir == TF_DIR_OUT) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NETFILTER_DROP);
		return NF_STOLEN;
	}
	return NF_DROP;
}

#define TF_HOOK(family, hook_num, dir_val) {			\
	.hook		= tf_hook,				\
	.pf		= family,				\
	.hooknum	= hook_num,				\
	.priority	= TF_HOOK_PRIORITY,			\
	.priv		= (void *)(unsigned long)(dir_val),	\
}

/* Two per direction, IPv4 then IPv6, in TF_DIR_* order from TF_DIR_IN. */
static const struct nf_hook_ops tf_hook_ops[] = {
	TF_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_IN,		TF_DIR_IN),
	TF_HOOK(NFPROTO_IPV6, NF_INET_LOCAL_IN,		TF_DIR_IN),
	TF_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_OUT,	TF_DIR_OUT),
	TF_HOOK(NFPROTO_IPV6, NF_INET_LOCAL_OUT,	TF_DIR_OUT),
	TF_HOOK(NFPROTO_IPV4, NF_INET_FORWARD,		TF_DIR_FWD),
	TF_HOOK(NFPROTO_IPV6, NF_INET_FORWARD,		TF_DIR_FWD),
};

static const struct nf_hook_ops *tf_dir_ops(unsigned int dir)
{
	return &tf_hook_ops[(dir - TF_DIR_IN) * 2];
}

/*
 * A namespace has hooks only where its rules can match (a BIT(TF_DIR_*)
 * mask): a namespace without rules costs its packets nothing, not even
 * the call into tf_hook().  The write path adds the hooks a new table
 * needs before publishing it and trims those it no longer needs after;
 * both run under write_lock.  A packet already inside a removed hook
 * still sees a valid table (RCU), and tf_net outlives the namespace's
 * hooks.
 */
int tf_hooks_add(struct tf_net *tn, u8 want)
{
	struct net *net = read_pnet(&tn->net);
	unsigned int dir;
	u8 added = 0;
	int err;

	lockdep_assert_held(&tn->write_lock);
	for (dir = TF_DIR_IN; dir <= TF_DIR_FWD; dir++) {
		if (!(want & BIT(dir)) || (tn->hooked & BIT(dir)))
			continue;
		err = nf_register_net_hooks(net, tf_dir_ops(dir), 2);
		if (err) {
			tf_hooks_trim(tn, tn->hooked & ~added);
			return err;
		}
		tn->hooked |= BIT(dir);
		added |= BIT(dir);
	}
	return 0;
}

void tf_hooks_trim(struct tf_net *tn, u8 want)
{
	struct net *net = read_pnet(&tn->net);
	unsigned int dir;

	lockdep_assert_held(&tn->write_lock);
	for (dir = TF_DIR_IN; dir <= TF_DIR_FWD; dir++) {
		if ((want & BIT(dir)) || !(tn->hooked & BIT(dir)))
			continue;
		nf_unregister_net_hooks(net, tf_dir_ops(dir), 2);
		tn->hooked &= ~BIT(dir);
	}
}
