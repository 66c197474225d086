// SPDX-License-Identifier: GPL-2.0
/*
 * Does a packet match a rule?  A leaf: it reads the packet, the rule's
 * spec and, for the stages only a socket can tell, the socket TCP will
 * hand the packet to.  The packet path (hooks.c) and "kill" (kill.c) ask
 * it; it calls nothing else of the module.
 *
 *   tf_spec_matches_ports() ports
 *   tf_spec_matches_flow()  addresses and ports
 *   tf_rule_matches()       direction, stage, cookie, payload
 *   tf_pkt_is_probe()       a keepalive or zero-window probe
 *   tf_pkt_classify_ack()   a pure ACK: ack3 (ends a handshake) or ack
 */
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/textsearch.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/tcp.h>

#include "tf.h"

static bool tf_ports_in(const struct tf_port_range *r, u16 port)
{
	return !r->set || (port >= r->lo && port <= r->hi);
}

/* The ports alone: what the table's index cannot tell of a wild rule. */
bool tf_spec_matches_ports(const struct tf_rule_spec *s, u16 sport, u16 dport)
{
	if (!tf_ports_in(&s->sport, sport) || !tf_ports_in(&s->dport, dport))
		return false;
	return !s->port.set || tf_ports_in(&s->port, sport) ||
	       tf_ports_in(&s->port, dport);
}

/*
 * The addresses and ports: which flows a spec is about.  Also what "kill"
 * asks of a socket's tuple.
 */
bool tf_spec_matches_flow(const struct tf_rule_spec *s,
			  const struct tf_pkt *pkt)
{
	if (s->family && s->family != pkt->family)
		return false;
	if (!tf_spec_matches_ports(s, pkt->sport, pkt->dport))
		return false;
	if (s->saddr.family && !tf_prefix_match(&s->saddr, pkt->saddr))
		return false;
	if (s->daddr.family && !tf_prefix_match(&s->daddr, pkt->daddr))
		return false;
	return true;
}

/*
 * Whether the rule must know if a pure ACK completes a handshake: it names
 * ack3 or ack (not both), or the cookie, or "after" (which never matches
 * the ACK that ends the handshake).
 */
static bool tf_rule_needs_ack3(const struct tf_rule_spec *s)
{
	u8 both = TF_STAGE_ACK | TF_STAGE_ACK3;

	return (s->stages & both) != both || s->cookie || s->after_set;
}

/*
 * The rest, once tf_spec_matches_flow() said yes: direction, stage, cookie,
 * payload.  @pkt may learn its ack3.
 */
bool tf_rule_matches(const struct tf_rule *r, struct tf_pkt *pkt)
{
	const struct tf_rule_spec *s = &r->spec;

	if (!(s->stages & pkt->stages))
		return false;
	if (s->dir && s->dir != pkt->dir)
		return false;
	if ((pkt->stages & TF_STAGE_ACK3) && tf_rule_needs_ack3(s)) {
		tf_pkt_classify_ack(pkt);
		if (!(s->stages & pkt->stages))
			return false;
		if (s->after_set && (pkt->stages & TF_STAGE_ACK3))
			return false;
	}
	if (s->cookie && s->cookie != pkt->cookie)
		return false;
	/* Last: the only test that reads the payload. */
	if (s->payload_len &&
	    (pkt->len < s->payload_len ||
	     skb_find_text(pkt->skb, pkt->skb->len - pkt->len, pkt->skb->len,
			   r->ts) == UINT_MAX))
		return false;
	return true;
}

/*
 * The TCP socket the kernel attached to the packet, if any: on the way out
 * the sender's; on the way in the one early demux found.  Not the SOCK_RAW
 * control sockets that send RSTs and TIME-WAIT ACKs.
 */
static struct sock *tf_pkt_tcp_sock(const struct sk_buff *skb)
{
	struct sock *sk = skb_to_full_sk(skb);

	if (!sk || !sk_fullsock(sk) || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_type != SOCK_STREAM)
		return NULL;
	return sk;
}

/*
 * A keepalive or zero-window probe (tcp_xmit_probe_skb()) is an ACK with
 * no data, or one byte, sent one below what the peer already acknowledged.
 * Only the socket knows that edge: the sender's snd_una on the way out, the
 * receiver's rcv_nxt on the way in (early demux has attached the socket).
 */
bool tf_pkt_is_probe(const struct sk_buff *skb, const struct tf_pkt *pkt)
{
	const struct tcp_sock *tp;
	struct sock *sk;

	if (pkt->len > 1 || !(pkt->flags & TF_FLAG_ACK) ||
	    (pkt->flags & (TF_FLAG_SYN | TF_FLAG_FIN | TF_FLAG_RST)))
		return false;
	sk = tf_pkt_tcp_sock(skb);
	if (!sk)
		return false;
	tp = tcp_sk(sk);
	if (pkt->dir == TF_DIR_OUT)
		return pkt->seq == READ_ONCE(tp->snd_una) - 1;
	if (pkt->dir == TF_DIR_IN)
		return pkt->seq == READ_ONCE(tp->rcv_nxt) - 1;
	return false;
}

/*
 * The socket TCP will hand an incoming segment to, if it is not a listener
 * (a reference is held: sock_gen_put()), else the listener (RCU only) in
 * *@lsk.  The same lookups tcp_v4_rcv()/tcp_v6_rcv() make.
 */
static struct sock *tf_pkt_lookup_in(const struct tf_pkt *pkt,
				     struct sock **lsk)
{
	struct inet_hashinfo *h = pkt->net->ipv4.tcp_death_row.hashinfo;
	__be16 sport = htons(pkt->sport);
	struct sock *sk;

	*lsk = NULL;
	if (pkt->family == TF_FAMILY_IPV4) {
		__be32 saddr, daddr;

		memcpy(&saddr, pkt->saddr, sizeof(saddr));
		memcpy(&daddr, pkt->daddr, sizeof(daddr));
		sk = __inet_lookup_established(pkt->net, h, saddr, sport, daddr,
					       pkt->dport, pkt->ifindex, 0);
		if (!sk)
			*lsk = __inet_lookup_listener(pkt->net, h, NULL, 0,
						      saddr, sport, daddr,
						      pkt->dport,
						      pkt->ifindex, 0);
		return sk;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct in6_addr saddr, daddr;

		memcpy(&saddr, pkt->saddr, sizeof(saddr));
		memcpy(&daddr, pkt->daddr, sizeof(daddr));
		sk = __inet6_lookup_established(pkt->net, h, &saddr, sport,
						&daddr, pkt->dport,
						pkt->ifindex, 0);
		if (!sk)
			*lsk = inet6_lookup_listener(pkt->net, h, NULL, 0,
						     &saddr, sport, &daddr,
						     pkt->dport,
						     pkt->ifindex, 0);
		return sk;
	}
#else
	return NULL;
#endif
}

/*
 * On the server's input, an ACK ends a handshake if TCP will take it so:
 * a request socket waits for it (cookie no), or only the listener exists
 * and will check it as a SYN cookie (cookie yes) - cookies are on and were
 * sent lately, the test of cookie_v4_check().  Without either, TCP answers
 * it with a RST, or it belongs to an established socket.
 */
static bool tf_ack3_in(struct tf_pkt *pkt)
{
	struct sock *sk, *lsk;
	bool ack3;

	sk = tf_pkt_lookup_in(pkt, &lsk);
	if (sk) {
		ack3 = sk->sk_state == TCP_NEW_SYN_RECV;
		sock_gen_put(sk);
		pkt->cookie = ack3 ? TF_COOKIE_NO : TF_COOKIE_ANY;
		return ack3;
	}
	if (!lsk || !READ_ONCE(pkt->net->ipv4.sysctl_tcp_syncookies) ||
	    tcp_synq_no_recent_overflow(lsk))
		return false;
	pkt->cookie = TF_COOKIE_YES;
	return true;
}

/*
 * On the client's output, the ACK of a socket that has received nothing
 * but the peer's SYN: the one answering the SYN-ACK, and those answering
 * its retransmissions.
 */
static bool tf_ack3_out(const struct tf_pkt *pkt)
{
	const struct tcp_sock *tp;
	struct sock *sk;

	sk = tf_pkt_tcp_sock(pkt->skb);
	if (!sk)
		return false;
	tp = tcp_sk(sk);
	return pkt->ack == READ_ONCE(tp->rcv_nxt) &&
	       !READ_ONCE(tp->bytes_received) &&
	       !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/*
 * Decides whether a pure ACK is stage ack3 or ack (and its cookie).  Costs
 * a socket lookup, so it is done only for a rule that asks.  A forwarded
 * ACK has no socket to ask: it is an ack.
 */
void tf_pkt_classify_ack(struct tf_pkt *pkt)
{
	bool ack3 = false;

	if (pkt->ack_known)
		return;
	pkt->ack_known = true;
	if (pkt->dir == TF_DIR_IN)
		ack3 = tf_ack3_in(pkt);
	else if (pkt->dir == TF_DIR_OUT)
		ack3 = tf_ack3_out(pkt);
	pkt->stages = ack3 ? TF_STAGE_ACK3 : TF_STAGE_ACK;
}
