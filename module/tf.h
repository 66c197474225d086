/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault: internal interfaces between the parts of the module.
 *
 *   main.c      module init/exit, parameters, per-namespace setup, the
 *               netdevice notifier (held packets of a device that goes)
 *   hooks.c     netfilter hooks: parse, classify, decide, act, consume
 *   rules.c     rule table (RCU, indexed by port) and the write path
 *   flows.c     per-flow state: flow ids, per-rule limit counters, the
 *               times "after" and "idle" ask
 *   delay.c     the delay action: held packets and their references
 *   reset.c     the RSTs of "reset" and "reset-both"
 *   events.c    event ring; the tracepoint (trace.h) fires from it
 *   proc.c      /proc/net/tcpfault/{rules,events,stats}
 *   kill.c      the "kill" command: sever existing connections
 *   tf_parse.c  the rule language, shared with tcpfaultctl (tf_parse.h)
 *   tf_names.h  one table per enum: directions, stages, actions, flags
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
	u8			dirs;	/* hooks some rule can match at */
	bool			lo_in;	/* a "dir in" rule: loopback input */
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
	char				error[TF_ERR_MAX + 16];
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

/* hooks.c */
void tf_pkt_classify_ack(struct tf_pkt *pkt);
int tf_hooks_add(struct tf_net *tn, u8 want);
void tf_hooks_trim(struct tf_net *tn, u8 want);

/* rules.c */
int tf_rules_write(struct tf_net *tn, const char __user *ubuf, size_t len);
void tf_rules_free(struct tf_net *tn);
bool tf_rule_matches_flow(const struct tf_rule *r, const struct tf_pkt *pkt);
bool tf_rule_matches(const struct tf_rule *r, struct tf_pkt *pkt);
typedef bool (*tf_rule_fn)(struct tf_rule *r, void *arg);
void tf_table_walk(const struct tf_table *t, const struct tf_pkt *pkt,
		   tf_rule_fn fn, void *arg);

/* flows.c */
int tf_flows_init(struct tf_flows *fl);
void tf_flows_exit(struct tf_flows *fl);
bool tf_flow_account(struct tf_flows *fl, const struct tf_pkt *pkt,
		     const struct tf_rule *r, u32 *flow_id);
void tf_flow_timing(struct tf_flows *fl, struct tf_pkt *pkt);

/* events.c */
int tf_ring_alloc(struct tf_ring *ring);
void tf_ring_free(struct tf_ring *ring);
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
