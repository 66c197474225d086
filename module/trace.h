/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault:tcpfault_event — the event log, also as a tracepoint, for perf,
 * bpftrace and trace-cmd users.  Fields match the lines of
 * /proc/net/tcpfault/events.
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

TRACE_EVENT(tcpfault_event,
	    TP_PROTO(const struct tf_event *ev),
	    TP_ARGS(ev),
	    TP_STRUCT__entry(__field(u64, ts)
			     __field(u32, rule)
			     __field(u32, flow)
			     __field(u8, dir)
			     __field(u8, flags)
			     __field(u8, verdict)
			     __field(u32, seq)
			     __field(u32, ack)
			     __field(u32, len)
			     __array(u8, src, sizeof(struct sockaddr_in6))
			     __array(u8, dst, sizeof(struct sockaddr_in6))),
	    TP_fast_assign(__entry->ts = ev->ts;
			   __entry->rule = ev->rule_id;
			   __entry->flow = ev->flow_id;
			   __entry->dir = ev->dir;
			   __entry->flags = ev->flags;
			   __entry->verdict = ev->verdict;
			   __entry->seq = ev->seq;
			   __entry->ack = ev->ack;
			   __entry->len = ev->len;
			   memset(__entry->src, 0, sizeof(__entry->src));
			   memset(__entry->dst, 0, sizeof(__entry->dst));
			   tf_trace_sockaddr(__entry->src, ev->family, ev->saddr,
					     ev->sport);
			   tf_trace_sockaddr(__entry->dst, ev->family, ev->daddr,
					     ev->dport);),
	    TP_printk("ts=%llu rule=%u dir=%s flow=%u src=%pISpc dst=%pISpc flags=%s seq=%u ack=%u len=%u verdict=%s",
		      __entry->ts, __entry->rule,
		      __print_symbolic(__entry->dir, { TF_DIR_IN, "in" },
				       { TF_DIR_OUT, "out" }, { TF_DIR_FWD, "fwd" }),
		      __entry->flow, __entry->src, __entry->dst,
		      __print_flags(__entry->flags, "",
				    { TF_FLAG_SYN, "S" }, { TF_FLAG_FIN, "F" },
				    { TF_FLAG_RST, "R" }, { TF_FLAG_PSH, "P" },
				    { TF_FLAG_ACK, "A" }, { TF_FLAG_URG, "U" },
				    { TF_FLAG_ECE, "E" }, { TF_FLAG_CWR, "C" }),
		      __entry->seq, __entry->ack, __entry->len,
		      __print_symbolic(__entry->verdict, { TF_ACT_DROP, "drop" },
				       { TF_ACT_LOG, "log" },
				       { TF_ACT_WINDOW, "window" }))
);

#endif /* _TF_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
