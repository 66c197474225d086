/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault: one table per enum.  TF_DIRS, TF_STAGES, TF_ACTIONS and
 * TF_FLAGS list each value with its name, EM(value, name) for each and
 * EM_END(value, name) for the last: the kernel's trace header pattern.  The
 * parser and printer (tf_parse.c), the events file, the tracepoint
 * (trace.h: TRACE_DEFINE_ENUM of each value, __print_symbolic() and
 * __print_flags() of the pairs) and tcpfaultctl all expand these lists, so
 * a name exists once.
 *
 * checkpatch takes such lists for complex macros; `make style` checks this
 * file without COMPLEX_MACRO, MACRO_ARG_REUSE, MACRO_ARG_UNUSED and
 * TRAILING_SEMICOLON, and everything else in full.
 */
#ifndef _TF_NAMES_H
#define _TF_NAMES_H

/* Expanders: a { value, name } pair (the last without a comma). */
#define TF_PAIR(value, name)		{ value, name },
#define TF_PAIR_END(value, name)	{ value, name }
/* In trace.h: TRACE_DEFINE_ENUM(value) of each. */
#define TF_TRACE_ENUM(value, name)	TRACE_DEFINE_ENUM(value);

#define TF_DIRS(EM, EM_END)			\
	EM(TF_DIR_IN,		"in")		\
	EM(TF_DIR_OUT,		"out")		\
	EM_END(TF_DIR_FWD,		"fwd")

/* The stage names; "any" (TF_STAGE_ANY) is the parser's own. */
#define TF_STAGES(EM, EM_END)			\
	EM(TF_STAGE_SYN,	"syn")		\
	EM(TF_STAGE_SYNACK,	"synack")	\
	EM(TF_STAGE_ACK3,	"ack3")		\
	EM(TF_STAGE_ACK,	"ack")		\
	EM(TF_STAGE_DATA,	"data")		\
	EM(TF_STAGE_PROBE,	"probe")	\
	EM(TF_STAGE_FIN,	"fin")		\
	EM_END(TF_STAGE_RST,	"rst")

/* Action names: in rules, events ("verdict"), the tracepoint and stats. */
#define TF_ACTIONS(EM, EM_END)				\
	EM(TF_ACT_DROP,		"drop")			\
	EM(TF_ACT_LOG,		"log")			\
	EM(TF_ACT_WINDOW,	"window")		\
	EM(TF_ACT_RESET,	"reset")		\
	EM(TF_ACT_RESET_BOTH,	"reset-both")		\
	EM(TF_ACT_DELAY,	"delay")		\
	EM(TF_ACT_FLAGS,	"flags")		\
	EM_END(TF_ACT_CORRUPT,	"corrupt")

/*
 * TCP header flags, as they are in the header's flags byte (its 14th).
 * Events, the tracepoint and "action flags +X-Y" name them by letter, in
 * this order: "SFRPAUEC".
 */
enum tf_flag_bit {
	TF_FLAG_FIN = 0x01,
	TF_FLAG_SYN = 0x02,
	TF_FLAG_RST = 0x04,
	TF_FLAG_PSH = 0x08,
	TF_FLAG_ACK = 0x10,
	TF_FLAG_URG = 0x20,
	TF_FLAG_ECE = 0x40,
	TF_FLAG_CWR = 0x80,
};

#define TF_FLAGS(EM, EM_END)			\
	EM(TF_FLAG_SYN,		"S")		\
	EM(TF_FLAG_FIN,		"F")		\
	EM(TF_FLAG_RST,		"R")		\
	EM(TF_FLAG_PSH,		"P")		\
	EM(TF_FLAG_ACK,		"A")		\
	EM(TF_FLAG_URG,		"U")		\
	EM(TF_FLAG_ECE,		"E")		\
	EM_END(TF_FLAG_CWR,	"C")

/* Room for the letters of every flag and a NUL. */
#define TF_FLAGS_LEN	9

#endif /* _TF_NAMES_H */
