/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault rule language: one command per line, iproute2-style
 * "keyword value" pairs.  This header and tf_parse.c are compiled both into
 * the module and, with -DTF_USERSPACE, into tcpfaultctl and the host unit
 * tests, so the kernel and the tool accept exactly the same language.
 */
#ifndef _TF_PARSE_H
#define _TF_PARSE_H

#ifdef TF_USERSPACE
#include "tf_parse_compat.h"	/* the kernel types and helpers it uses */
#else
#include <linux/types.h>
#endif

#include "tf_names.h"

#define TF_LINE_MAX	512		/* bytes per command line */
#define TF_WRITE_MAX	65536		/* bytes per write() */
#define TF_RULES_MAX	65536		/* rules per namespace */
#define TF_ID_MAX	2147483647U
/*
 * Ids from TF_ID_PRESET up are where `tcpfaultctl scenario` puts the rules
 * of its presets; an "add" without id never picks one there.
 */
#define TF_ID_PRESET	1000000000U
#define TF_AFTER_MAX	2147483647U	/* ms, about 24.8 days */
#define TF_DELAY_MAX	600000U		/* ms a packet may be held */
#define TF_PROB_ONE	10000U		/* prob is kept in 1/100 percent */
#define TF_ERR_MAX	160		/* room for one error message */
#define TF_PAYLOAD_MAX	64		/* bytes of a payload match */

enum tf_family {
	TF_FAMILY_ANY,
	TF_FAMILY_IPV4,
	TF_FAMILY_IPV6,
};

enum tf_dir {
	TF_DIR_ANY,
	TF_DIR_IN,
	TF_DIR_OUT,
	TF_DIR_FWD,
};

/* A packet belongs to one or more stages; a rule names one (or any). */
enum tf_stage_bit {
	TF_STAGE_SYN	= 1 << 0,
	TF_STAGE_SYNACK	= 1 << 1,
	TF_STAGE_ACK3	= 1 << 2,
	TF_STAGE_ACK	= 1 << 3,
	TF_STAGE_DATA	= 1 << 4,
	TF_STAGE_PROBE	= 1 << 5,
	TF_STAGE_FIN	= 1 << 6,
	TF_STAGE_RST	= 1 << 7,
};

#define TF_STAGE_ANY	0xff

enum tf_action {
	TF_ACT_NONE,
	TF_ACT_DROP,
	TF_ACT_LOG,
	TF_ACT_WINDOW,			/* arg: the new raw window value */
	TF_ACT_RESET,			/* drop, RST to the sender */
	TF_ACT_RESET_BOTH,		/* drop, RSTs to both ends */
	TF_ACT_DELAY,			/* arg: ms to hold the packet */
	TF_ACT_FLAGS,			/* arg: flags to set | to clear << 8 */
	TF_ACT_CORRUPT,			/* change the payload, checksum valid */
	TF_ACT_MAX,
};

enum tf_cookie {
	TF_COOKIE_ANY,
	TF_COOKIE_YES,			/* only the listener: a SYN cookie */
	TF_COOKIE_NO,			/* a request socket exists */
};

enum tf_kill_how {
	TF_KILL_RST,			/* like ss -K: the peer gets a RST */
	TF_KILL_FIN,			/* as if the owner had exited */
};

struct tf_port_range {
	u16 lo, hi;
	bool set;
};

struct tf_prefix {
	u8 family;			/* TF_FAMILY_*, ANY = unset */
	u8 plen;
	u8 addr[16];			/* network byte order */
};

struct tf_rule_spec {
	u32 id;				/* 0: the kernel picks one */
	u8 family;			/* TF_FAMILY_* */
	u8 dir;				/* TF_DIR_* */
	u8 stages;			/* TF_STAGE_* mask */
	u8 action;			/* TF_ACT_* */
	u32 action_arg;
	struct tf_port_range sport, dport, port;
	struct tf_prefix saddr, daddr;
	u8 cookie;			/* TF_COOKIE_*, with stage ack3 */
	bool after_set;			/* only once established after ms */
	u32 after;
	bool idle_set;			/* only after the flow was silent idle ms */
	u32 idle;
	u8 payload_len;			/* 0: no payload match */
	u8 payload[TF_PAYLOAD_MAX];	/* substring of the TCP payload */
	u32 skip;			/* per flow: let the first N matches pass */
	u32 count;			/* per flow: act at most N times, 0 = no limit */
	u32 every;			/* per flow: act on every Nth match, 0 = all */
	u16 prob;			/* act with this chance in TF_PROB_ONE, 0 = always */
	bool seed_set;			/* prob's seed was given (or picked) */
	u32 seed;
};

enum tf_op {
	TF_OP_NONE,			/* blank line or comment */
	TF_OP_ADD,
	TF_OP_DEL,
	TF_OP_FLUSH,
	TF_OP_KILL,
};

struct tf_cmd {
	enum tf_op op;
	u32 id;				/* TF_OP_DEL */
	u8 how;				/* TF_OP_KILL: TF_KILL_* */
	struct tf_rule_spec rule;	/* TF_OP_ADD; TF_OP_KILL: the match */
};

int tf_parse_line(char *line, struct tf_cmd *cmd, char *err, size_t errlen);
int tf_format_rule(const struct tf_rule_spec *r, char *buf, size_t len);
int tf_format_kill(const struct tf_cmd *cmd, char *buf, size_t len);
const char *tf_action_name(unsigned int action);
const char *tf_dir_name(unsigned int dir);
const char *tf_kill_how_name(unsigned int how);
void tf_format_flags(u8 flags, char buf[TF_FLAGS_LEN]);
int tf_flag_bit(char letter);
/* The names the printer uses, for tcpfaultctl's own output (rule list -j). */
const char *tf_family_name(unsigned int family);
const char *tf_cookie_name(unsigned int cookie);
const char *tf_stage_name(unsigned int stages);
bool tf_payload_is_word(const struct tf_rule_spec *r);
int tf_format_flags_arg(u32 arg, char *buf, size_t len);
bool tf_prefix_match(const struct tf_prefix *p, const u8 *addr);

#endif /* _TF_PARSE_H */
