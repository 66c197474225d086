/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault:tcpfault_event — the event log, also as a tracepoint, for perf,
 * bpftrace and trace-cmd users.  Its line is the event's line of
 * /proc/net/tcpfault/events with "=" between key and value, and the
 * namespace last.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tcpfault

#if !defined(_TF_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TF_TRACE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tracepoint.h>

#include "tf.h"

#ifndef _TF_TRACE_HELPERS
#define _TF_TRACE_HELPERS
static inline void tf_trace_sockaddr(u8 *dst, u8 family, const u8 *addr,
				     u16 port)
{
	if (family == TF_FAMILY_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)dst;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)dst;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
	}
}
#endif

/* The enums the print format names, for perf, trace-cmd and bpftrace. */
TF_DIRS(TF_TRACE_ENUM, TF_TRACE_ENUM)
TF_ACTIONS(TF_TRACE_ENUM, TF_TRACE_ENUM)
TF_FLAGS(TF_TRACE_ENUM, TF_TRACE_ENUM)

/*
 * sport, dport, family (AF_INET or AF_INET6) and netns (the namespace's
 * inode, as in /proc/PID/ns/net) are scalars to filter on, e.g.
 * perf record -e tcpfault:tcpfault_event --filter 'dport == 3306'.
 */
TRACE_EVENT(tcpfault_event,
	    TP_PROTO(const struct tf_event *ev, u32 netns),
	    TP_ARGS(ev, netns),
	    TP_STRUCT__entry(__field(u64, ts)
			     __field(u32, rule)
			     __field(u32, flow)
			     __field(u32, netns)
			     __field(u16, family)
			     __field(u16, sport)
			     __field(u16, dport)
			     __field(u8, dir)
			     __field(u8, flags)
			     __field(u8, verdict)
			     __field(u32, seq)
			     __field(u32, ack)
			     __field(u32, len)
			     __field(u16, win)
			     __array(u8, src, sizeof(struct sockaddr_in6))
			     __array(u8, dst, sizeof(struct sockaddr_in6))),
	    TP_fast_assign(__entry->ts = ev->ts;
			   __entry->rule = ev->rule_id;
			   __entry->flow = ev->flow_id;
			   __entry->netns = netns;
			   __entry->family = ev->family == TF_FAMILY_IPV4 ?
					     AF_INET : AF_INET6;
			   __entry->sport = ev->sport;
			   __entry->dport = ev->dport;
			   __entry->dir = ev->dir;
			   __entry->flags = ev->flags;
			   __entry->verdict = ev->verdict;
			   __entry->seq = ev->seq;
			   __entry->ack = ev->ack;
			   __entry->len = ev->len;
			   __entry->win = ev->win;
			   memset(__entry->src, 0, sizeof(__entry->src));
			   memset(__entry->dst, 0, sizeof(__entry->dst));
			   tf_trace_sockaddr(__entry->src, ev->family, ev->saddr,
					     ev->sport);
			   tf_trace_sockaddr(__entry->dst, ev->family, ev->daddr,
					     ev->dport);),
	    TP_printk("ts=%llu rule=%u dir=%s flow=%u src=%pISpc dst=%pISpc flags=%s seq=%u ack=%u len=%u verdict=%s win=%u netns=%u",
		      __entry->ts, __entry->rule,
		      __print_symbolic(__entry->dir,
				       TF_DIRS(TF_PAIR, TF_PAIR_END)),
		      __entry->flow, __entry->src, __entry->dst,
		      __print_flags(__entry->flags, "",
				    TF_FLAGS(TF_PAIR, TF_PAIR_END)),
		      __entry->seq, __entry->ack, __entry->len,
		      __print_symbolic(__entry->verdict,
				       TF_ACTIONS(TF_PAIR, TF_PAIR_END)),
		      __entry->win, __entry->netns)
);

#endif /* _TF_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
