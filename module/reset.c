// SPDX-License-Identifier: GPL-2.0
/*
 * RSTs for the reset and reset-both actions.
 *
 * Each RST is one a TCP stack would accept (RFC 793 with RFC 5961's exact
 * sequence check): to the sender of the packet, from its peer, with the
 * sequence number the sender expects next (the packet's ACK); to its
 * receiver, from the sender, with the packet's own sequence number (what
 * the receiver expects next when the packet is in order).  Both ends
 * therefore see ECONNRESET, as behind a load balancer that forgot the flow.
 *
 * The RSTs are routed and sent from here, in the namespace the packet was
 * seen in: to a remote end over its route, to a local end through the
 * loopback device.  Our own LOCAL_OUT hook lets them pass (tf_xmit_busy):
 * a rule never acts on the RSTs it makes.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

#include "tf.h"

static DEFINE_PER_CPU(bool, tf_xmit_cpu);

/* Whether this CPU is sending one of our RSTs (hooks.c lets it pass). */
bool tf_xmit_busy(void)
{
	return this_cpu_read(tf_xmit_cpu);
}

static void tf_rst_header(struct tcphdr *th, const struct tf_pkt *pkt,
			  bool to_sender)
{
	memset(th, 0, sizeof(*th));
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	if (to_sender) {
		th->source = htons(pkt->dport);
		th->dest = htons(pkt->sport);
		if (pkt->flags & TF_FLAG_ACK) {
			th->seq = htonl(pkt->ack);
			return;
		}
		/* The answer to a SYN: RST|ACK for all it occupied. */
		th->ack = 1;
		th->ack_seq = htonl(pkt->seq + pkt->len +
				    !!(pkt->flags & TF_FLAG_SYN) +
				    !!(pkt->flags & TF_FLAG_FIN));
		return;
	}
	th->source = htons(pkt->sport);
	th->dest = htons(pkt->dport);
	th->seq = htonl(pkt->seq);
	if (pkt->flags & TF_FLAG_ACK) {
		th->ack = 1;
		th->ack_seq = htonl(pkt->ack);
	}
}

static struct sk_buff *tf_rst_alloc(unsigned int nhlen)
{
	struct sk_buff *skb;

	skb = alloc_skb(LL_MAX_HEADER + nhlen + sizeof(struct tcphdr),
			GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	skb_put(skb, nhlen);
	skb_set_transport_header(skb, nhlen);
	skb_put(skb, sizeof(struct tcphdr));
	return skb;
}

static int tf_rst_v4(struct net *net, const struct tf_pkt *pkt,
		     bool to_sender)
{
	struct flowi4 fl4 = { .flowi4_proto = IPPROTO_TCP,
			      .flowi4_flags = FLOWI_FLAG_ANYSRC };
	struct sk_buff *skb;
	struct iphdr *iph;
	struct tcphdr *th;
	struct rtable *rt;

	skb = tf_rst_alloc(sizeof(*iph));
	if (!skb)
		return -ENOMEM;
	iph = ip_hdr(skb);
	th = tcp_hdr(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->frag_off = htons(IP_DF);
	iph->protocol = IPPROTO_TCP;
	iph->tot_len = htons(skb->len);
	memcpy(&iph->saddr, to_sender ? pkt->daddr : pkt->saddr, 4);
	memcpy(&iph->daddr, to_sender ? pkt->saddr : pkt->daddr, 4);
	tf_rst_header(th, pkt, to_sender);
	th->check = tcp_v4_check(sizeof(*th), iph->saddr, iph->daddr,
				 csum_partial(th, sizeof(*th), 0));
	skb->ip_summed = CHECKSUM_NONE;
	skb->protocol = htons(ETH_P_IP);

	fl4.daddr = iph->daddr;
	fl4.saddr = iph->saddr;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	skb_dst_set(skb, &rt->dst);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	ip_send_check(iph);
	return ip_local_out(net, NULL, skb);
}

#if IS_ENABLED(CONFIG_IPV6)
static int tf_rst_v6(struct net *net, const struct tf_pkt *pkt,
		     bool to_sender)
{
	struct flowi6 fl6 = { .flowi6_proto = IPPROTO_TCP };
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	struct tcphdr *th;

	skb = tf_rst_alloc(sizeof(*ip6h));
	if (!skb)
		return -ENOMEM;
	ip6h = ipv6_hdr(skb);
	th = tcp_hdr(skb);
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->payload_len = htons(sizeof(*th));
	ip6h->nexthdr = IPPROTO_TCP;
	memcpy(&ip6h->saddr, to_sender ? pkt->daddr : pkt->saddr, 16);
	memcpy(&ip6h->daddr, to_sender ? pkt->saddr : pkt->daddr, 16);
	tf_rst_header(th, pkt, to_sender);
	th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, sizeof(*th),
				    IPPROTO_TCP,
				    csum_partial(th, sizeof(*th), 0));
	skb->ip_summed = CHECKSUM_NONE;
	skb->protocol = htons(ETH_P_IPV6);

	fl6.saddr = ip6h->saddr;
	fl6.daddr = ip6h->daddr;
	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		int err = dst->error;

		dst_release(dst);
		kfree_skb(skb);
		return err;
	}
	skb_dst_set(skb, dst);
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	return ip6_local_out(net, NULL, skb);
}
#endif

/*
 * Sends the RST for @pkt to its sender (@to_sender) or to its receiver.
 * Called on the packet path, under RCU, in any context.
 */
int tf_send_rst(struct net *net, const struct tf_pkt *pkt, bool to_sender)
{
	int err = -EAFNOSUPPORT;

	local_bh_disable();
	this_cpu_write(tf_xmit_cpu, true);
	if (pkt->family == TF_FAMILY_IPV4)
		err = tf_rst_v4(net, pkt, to_sender);
#if IS_ENABLED(CONFIG_IPV6)
	else
		err = tf_rst_v6(net, pkt, to_sender);
#endif
	this_cpu_write(tf_xmit_cpu, false);
	local_bh_enable();
	return err;
}
