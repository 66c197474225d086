// SPDX-License-Identifier: GPL-2.0
/*
 * "kill": sever existing TCP connections of the writer's namespace, the way
 * a restarting server (or ss -K) does, while their applications keep
 * running.
 *
 * The sockets are found in the namespace's established hash, the one
 * inet_diag dumps: a few at a time under the bucket lock, each with a
 * reference, then acted on after the lock is dropped, in process context
 * where lock_sock() may sleep.  Acted-on sockets leave the walk's filter
 * (an aborted socket is unhashed, a finished one is shut down both ways),
 * so a bucket holding more than one batch is simply walked again.
 *
 * Left alone: listeners (not in this hash: the server accepts again at
 * once), request sockets (TCP_NEW_SYN_RECV: no application has seen them;
 * their handshake completes or times out as usual), TIME-WAIT (nothing is
 * left to sever), orphans (SOCK_DEAD: their application has closed them
 * already, only their timers remain), and for "how fin" MPTCP subflows
 * (their MPTCP socket owns the data stream).
 *
 * how rst  tcp_abort(ECONNABORTED), which is what ss -K calls: the local
 *          application's next call fails with ECONNABORTED (a blocked
 *          read or connect() returns it at once), the peer gets a RST
 *          (ECONNRESET) unless the socket was still in SYN-SENT.
 * how fin  what close() does when the owner exits (tcp_close()), minus
 *          the orphaning: the file still holds the socket, so tcp_close()
 *          itself must not run.  Unread data queued (or SO_LINGER with
 *          a zero timeout): as rst, the RST tcp_close() would send.
 *          SYN-SENT: as rst (no packet, connect() fails).  Otherwise, as
 *          shutdown(SHUT_RDWR): FIN after any unsent data; the local
 *          application reads EOF and gets EPIPE writing; the peer reads
 *          EOF, and data it sends afterwards is answered with a RST, as
 *          a closed socket's would be.
 */
#include <linux/slab.h>
#include <net/inet_hashtables.h>
#include <net/mptcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tf.h"

#define TF_KILL_BATCH	32

struct tf_kill {
	struct tf_rule_spec match;	/* the flow part: addresses, ports */
	u8		how;		/* TF_KILL_* */
};

/* The kill lines of one write, run once every line of it is valid. */
struct tf_kills {
	u32		nr;
	u32		cap;
	struct tf_kill	kill[];
};

int tf_kills_add(struct tf_kills **kp, const struct tf_cmd *cmd)
{
	struct tf_kills *k = *kp;
	struct tf_kill *kill;

	if (!k || k->nr == k->cap) {
		u32 cap = k ? k->cap * 2 : 4;
		struct tf_kills *n;

		n = kvzalloc(struct_size(n, kill, cap), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		if (k) {
			memcpy(n->kill, k->kill, k->nr * sizeof(k->kill[0]));
			n->nr = k->nr;
			kvfree(k);
		}
		n->cap = cap;
		*kp = k = n;
	}
	kill = &k->kill[k->nr++];
	kill->match = cmd->rule;
	kill->how = cmd->how;
	return 0;
}

void tf_kills_free(struct tf_kills *k)
{
	kvfree(k);
}

/* The socket as the packets it sends: source = local end. */
static void tf_kill_flow(const struct sock *sk, struct tf_pkt *pkt)
{
	pkt->sport = sk->sk_num;
	pkt->dport = ntohs(sk->sk_dport);
#if IS_ENABLED(CONFIG_IPV6)
	/* A v4-mapped IPv6 socket sends IPv4 packets. */
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		pkt->family = TF_FAMILY_IPV6;
		memcpy(pkt->saddr, &sk->sk_v6_rcv_saddr, 16);
		memcpy(pkt->daddr, &sk->sk_v6_daddr, 16);
		return;
	}
#endif
	pkt->family = TF_FAMILY_IPV4;
	memcpy(pkt->saddr, &sk->sk_rcv_saddr, 4);
	memcpy(pkt->daddr, &sk->sk_daddr, 4);
}

/* Under the bucket lock: a socket of @net this kill should act on. */
static bool tf_kill_wanted(const struct net *net, const struct tf_kill *kill,
			   struct sock *sk)
{
	struct tf_pkt pkt = { };
	int state = READ_ONCE(sk->sk_state);

	/* Request and TIME-WAIT sockets are not full sockets. */
	if (state == TCP_NEW_SYN_RECV || state == TCP_TIME_WAIT ||
	    state == TCP_LISTEN || state == TCP_CLOSE)
		return false;
	if (!net_eq(sock_net(sk), net) || sock_flag(sk, SOCK_DEAD))
		return false;
	if (kill->how == TF_KILL_FIN &&
	    (sk_is_mptcp(sk) ||
	     READ_ONCE(sk->sk_shutdown) == SHUTDOWN_MASK))
		return false;
	tf_kill_flow(sk, &pkt);
	return tf_spec_matches_flow(&kill->match, &pkt);
}

/* What tcp_close() looks at before choosing a RST over a FIN. */
static bool tf_kill_would_reset(struct sock *sk)
{
	struct sk_buff *skb;
	u32 end_seq;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		end_seq = TCP_SKB_CB(skb)->end_seq;
		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN)
			end_seq--;
		if (after(end_seq, tcp_sk(sk)->copied_seq))
			return true;
	}
	return sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime;
}

/* Returns whether @sk was shut down; false: it wants an abort instead. */
static bool tf_kill_fin(struct sock *sk, bool *done)
{
	bool abort = false;

	lock_sock(sk);
	*done = false;
	if (sock_flag(sk, SOCK_DEAD) ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))) {
		/* Closed or orphaned meanwhile: nothing left to do. */
	} else if (sk->sk_state == TCP_SYN_SENT || tf_kill_would_reset(sk)) {
		abort = true;
	} else {
		/* inet_shutdown(SHUT_RDWR), which needs the struct socket. */
		WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
		sk->sk_prot->shutdown(sk, SHUTDOWN_MASK);
		sk->sk_state_change(sk);
		*done = true;
	}
	release_sock(sk);
	return !abort;
}

static bool tf_kill_one(struct sock *sk, u8 how)
{
	bool done;

	if (how == TF_KILL_FIN && tf_kill_fin(sk, &done))
		return done;
	/*
	 * tcp_abort() takes the socket lock itself and would stop a
	 * listener: a connection cannot become one without being unhashed
	 * first, but check as late as we can.
	 */
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return false;
	return !tcp_abort(sk, ECONNABORTED);
}

/* One bucket: batches until a walk finds no more than one batch. */
static u32 tf_kill_bucket(struct net *net, const struct tf_kill *kill,
			  struct inet_hashinfo *hinfo, u32 bucket,
			  struct sock **batch)
{
	struct inet_ehash_bucket *head = &hinfo->ehash[bucket];
	spinlock_t *lock = inet_ehash_lockp(hinfo, bucket);
	struct hlist_nulls_node *node;
	u32 n, i, acted, total = 0;
	struct sock *sk;

	do {
		n = 0;
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, &head->chain) {
			if (!tf_kill_wanted(net, kill, sk) ||
			    !refcount_inc_not_zero(&sk->sk_refcnt))
				continue;
			batch[n++] = sk;
			if (n == TF_KILL_BATCH)
				break;
		}
		spin_unlock_bh(lock);

		acted = 0;
		for (i = 0; i < n; i++) {
			acted += tf_kill_one(batch[i], kill->how);
			sock_put(batch[i]);
		}
		total += acted;
		cond_resched();
		/* A full batch that changed nothing would come back forever. */
	} while (n == TF_KILL_BATCH && acted);
	return total;
}

static u32 tf_kill_run_one(struct net *net, const struct tf_kill *kill,
			   struct sock **batch)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	u32 bucket, total = 0;

	for (bucket = 0; bucket <= hinfo->ehash_mask; bucket++) {
		if (hlist_nulls_empty(&hinfo->ehash[bucket].chain))
			continue;
		total += tf_kill_bucket(net, kill, hinfo, bucket, batch);
	}
	return total;
}

/* Runs every kill of @k in order; @killed: how many sockets they severed. */
int tf_kills_run(struct net *net, const struct tf_kills *k, u32 *killed)
{
	char line[TF_LINE_MAX];
	struct sock **batch;
	struct tf_cmd *cmd;
	u32 i, n;

	batch = kmalloc_array(TF_KILL_BATCH, sizeof(*batch), GFP_KERNEL);
	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!batch || !cmd) {
		kfree(batch);
		kfree(cmd);
		return -ENOMEM;
	}
	*killed = 0;
	for (i = 0; i < k->nr; i++) {
		n = tf_kill_run_one(net, &k->kill[i], batch);
		*killed += n;

		cmd->op = TF_OP_KILL;
		cmd->rule = k->kill[i].match;
		cmd->how = k->kill[i].how;
		if (tf_format_kill(cmd, line, sizeof(line)) < 0)
			strscpy(line, "kill", sizeof(line));
		pr_info_ratelimited("netns %u: %s: %u sockets\n",
				    net->ns.inum, line, n);
	}
	kfree(cmd);
	kfree(batch);
	return 0;
}
