/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault: internal interfaces between the parts of the module.
 *
 *   main.c      module init/exit, parameters, per-namespace setup, the
 *               netdevice notifier (held packets of a device that goes)
 *   proc.c      /proc/net/tcpfault/{rules,events,stats}
 *   write.c     the write transaction: parse, edit a copy, commit
 *   table.c     rules and the rule table: build, index, walk (RCU)
 *   match.c     does a packet (or a socket's tuple) match a rule's spec;
 *               the stages only a socket can tell (ack3, probe)
 *   hooks.c     netfilter hooks: parse the packet, walk, act
 *   flows.c     per-flow state: flow ids, per-rule limit counters, the
 *               times "after" and "idle" ask
 *   events.c    event ring; the tracepoint (trace.h) fires from it
 *   delay.c     the delay action: held packets and their references
 *   reset.c     the RSTs of "reset" and "reset-both"
 *   kill.c      the "kill" command: sever existing connections
 *   tf_parse.c  the rule language, shared with tcpfaultctl (tf_parse.h)
 *   tf_names.h  one table per enum: directions, stages, actions, flags
 *
 * A rule's path:   proc.c -> write.c -> tf_parse.c, table.c (build),
 *                  hooks.c (hooks for the new table), events.c (ring),
 *                  delay.c (release), kill.c (a "kill" write) -> match.c
 * A packet's path: hooks.c -> table.c (walk: the candidates, from the
 *                  ports) -> match.c -> flows.c (limits, times) -> the
 *                  action: reset.c, delay.c, events.c (record)
 * Calls point one way, down these lists; no file calls back into one
 * that calls it.
 */
#ifndef _TF_H
#define _TF_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "tf_parse.h"

struct proc_dir_entry;
struct sk_buff;
struct ts_config;
struct seq_file;

struct tf_rule {
	struct tf_rule_spec	spec;
	u64			serial;	/* unique for the module's life */
	u64			created; /* ns, CLOCK_MONOTONIC */
	atomic64_t		hits;	/* packets matched */
	atomic64_t		acted;	/* packets the action was applied to */
	struct ts_config	*ts;	/* payload search, if the rule has one */
	struct rcu_head		rcu;
};

/*
 * The rule table is immutable once published: a write builds a new one and
 * swaps it in, which makes multi-line writes all-or-nothing and lets the
 * packet path read it under RCU alone.  Rules with a single port are found
 * through a hash of (which port, port number); only the others are scanned.
 */
struct tf_slot {
	u32 key;			/* 0: empty */
	u32 start;			/* into idx[] */
	u32 len;
	u8 stages;			/* union over the run: packets that */
	u8 dirs;			/* cannot match skip it whole */
};

struct tf_table {
	struct rcu_head		rcu;
	u32			nr;	/* rules, ascending id */
	struct tf_rule		**rules;
	u32			nwild;	/* rules without a single port */
	struct tf_rule		**wild;
	u32			hash_mask;
	struct tf_slot		*slots;
	struct tf_rule		**idx;
	u8			wild_stages; /* union over the wild rules */
	u8			wild_dirs;
	u8			dirs;	/* hooks some rule can match at */
	bool			lo_in;	/* a "dir in" rule: loopback input */
};

/* A walk over the candidates for one packet (tf_walk_start/next). */
struct tf_walk {
	struct tf_rule * const	*run[3];	/* wild, dport, sport */
	u32			len[3];
	u32			pos[3];
	const struct tf_rule	*prev;
};

/* What the packet path extracted from one TCP segment. */
struct tf_pkt {
	u8	family;			/* TF_FAMILY_* */
	u8	dir;			/* TF_DIR_* */
	u8	stages;			/* TF_STAGE_* bits */
	u8	flags;			/* TF_FLAG_*: the header's flags */
	u16	sport, dport;		/* host order */
	u16	win;			/* the header's window, unscaled */
	u32	seq, ack, len;
	u32	thoff;			/* TCP header offset in the skb */
	u8	cookie;			/* TF_COOKIE_*, once ack_known */
	bool	ack_known;		/* ACK or ACK3 decided (pure ACKs) */
	bool	looped;		/* dir in over loopback: met at out already */
	bool	timing_known;		/* the flow times below were taken */
	bool	established;		/* the flow is, since est_start */
	u64	now;			/* ns, when the times were taken */
	u64	est_start;		/* ns, or since when it is known */
	u64	silent_since;		/* ns, the flow's last packet before */
	int	ifindex;		/* input device, for socket lookups */
	struct net *net;
	struct sk_buff *skb;
	u8	saddr[16], daddr[16];
};

struct tf_stats {
	u64 seen;
	u64 matched;
	u64 action[TF_ACT_MAX];
};

struct tf_event {
	u64	ts;
	u32	rule_id;
	u32	flow_id;
	u32	seq, ack, len;
	u16	sport, dport, win;
	u8	family, dir, flags, verdict;
	u8	saddr[16], daddr[16];
};

struct tf_ring {
	spinlock_t		lock;	/* all fields; taken on the packet path */
	u32			size;
	u64			head;	/* number of the next event */
	u64			tail;	/* oldest event still held */
	u64			lost;	/* overwritten by newer ones */
	struct tf_event		*ev;
};

struct tf_flows {
	spinlock_t		lock;	/* all fields and flows */
	struct hlist_head	*buckets;
	struct list_head	lru;	/* least recently used first */
	u32			nr;
	u32			next_id;
	u64			evicted;
	u64			last_evict;	/* ns, 0 = never */
};

/* Packets the delay action holds (delay.c). */
struct tf_delayq {
	spinlock_t		lock;	/* all fields */
	struct list_head	list;	/* struct tf_held, in due order */
	struct hrtimer		timer;	/* at the first one's due time */
	u32			nr;
	u64			sent;	/* released, by time or by a write */
	u64			dropped; /* device, route or namespace gone */
	u64			overflow; /* passed undelayed: list full */
	bool			dying;
};

/* "line L: " and the parser's message. */
#define TF_WRITE_ERR_MAX	(TF_ERR_MAX + 16)

struct tf_net {
	possible_net_t			net;		/* the one we belong to */
	struct tf_table __rcu		*table;
	struct mutex			write_lock;	/* writers of table */
	u8				hooked;		/* BIT(TF_DIR_*) with hooks */
	bool				dying;		/* no more hooks */
	u32				killed;		/* by the last kill write */
	struct tf_ring			ring;
	struct tf_flows			flows;
	struct tf_delayq		delay;
	struct tf_stats __percpu	*stats;
	struct proc_dir_entry		*proc_dir;
	char				error[TF_WRITE_ERR_MAX]; /* last write's */
};

/* main.c */
extern unsigned int tf_net_id;
extern unsigned int tf_event_ring_size;
extern unsigned int tf_max_flows;
extern unsigned int tf_flow_timeout;
extern unsigned int tf_delay_max;

static inline struct tf_net *tf_net(const struct net *net)
{
	return net_generic(net, tf_net_id);
}

/* delay.c */
struct nf_hook_state;
struct net_device;
void tf_delay_init(struct tf_delayq *q);
unsigned int tf_delay_hold(struct tf_delayq *q, struct sk_buff *skb,
			   const struct nf_hook_state *state, u32 ms);
void tf_delay_dev_gone(struct tf_delayq *q, const struct net_device *dev);
void tf_delay_release(struct tf_delayq *q);
void tf_delay_exit(struct tf_delayq *q);

/* reset.c */
bool tf_xmit_busy(void);
int tf_send_rst(struct net *net, const struct tf_pkt *pkt, bool to_sender);

/* write.c */
int tf_rules_write(struct tf_net *tn, const char __user *ubuf, size_t len,
		   char *error);
void tf_rules_free(struct tf_net *tn);

/* table.c */
u64 tf_rule_serial_now(void);
struct tf_rule *tf_rule_new(const struct tf_rule_spec *spec);
void tf_rule_free(struct tf_rule *r);
void tf_rule_free_deferred(struct tf_rule *r);
struct tf_table *tf_table_build(struct tf_rule **rules, u32 nr);
void tf_table_destroy(struct tf_table *t);
bool tf_walk_start(struct tf_walk *w, const struct tf_table *t, u16 sport,
		   u16 dport, u8 stages, u8 dir);
struct tf_rule *tf_walk_next(struct tf_walk *w);

/* match.c */
bool tf_spec_matches_ports(const struct tf_rule_spec *s, u16 sport, u16 dport);
bool tf_spec_matches_flow(const struct tf_rule_spec *s,
			  const struct tf_pkt *pkt);
bool tf_rule_matches(const struct tf_rule *r, struct tf_pkt *pkt);
bool tf_pkt_is_probe(const struct sk_buff *skb, const struct tf_pkt *pkt);
void tf_pkt_classify_ack(struct tf_pkt *pkt);

/* hooks.c */
int tf_hooks_add(struct tf_net *tn, u8 want);
void tf_hooks_trim(struct tf_net *tn, u8 want);

/* flows.c */
int tf_flows_init(struct tf_flows *fl);
void tf_flows_exit(struct tf_flows *fl);
bool tf_flow_account(struct tf_flows *fl, const struct tf_pkt *pkt,
		     const struct tf_rule *r, u32 *flow_id);
void tf_flow_timing(struct tf_flows *fl, struct tf_pkt *pkt);

/* events.c */
void tf_ring_init(struct tf_ring *ring);
int tf_ring_reserve(struct tf_ring *ring);
void tf_ring_exit(struct tf_ring *ring);
void tf_ring_clear(struct tf_ring *ring);
void tf_event_record(struct tf_ring *ring, const struct tf_pkt *pkt,
		     u32 rule_id, u32 flow_id, u8 verdict);
bool tf_event_get(struct tf_ring *ring, u64 *pos, struct tf_event *ev);
void tf_event_show(struct seq_file *m, const struct tf_event *ev);

/* kill.c */
struct tf_kills;
int tf_kills_add(struct tf_kills **kp, const struct tf_cmd *cmd);
int tf_kills_run(struct net *net, const struct tf_kills *k, u32 *killed);
void tf_kills_free(struct tf_kills *k);

/* proc.c */
int tf_proc_init(struct net *net, struct tf_net *tn);
void tf_proc_exit(struct net *net, struct tf_net *tn);

#endif /* _TF_H */
