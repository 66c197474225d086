// SPDX-License-Identifier: GPL-2.0
/*
 * Parser and printer of the tcpfault rule language (see tf_parse.h).
 *
 * Every command is checked completely here, so that the packet path never
 * validates anything: what reaches the rule table is well formed.  Errors
 * name the offending word, because the same messages are what a user of
 * tcpfaultctl or of /proc/net/tcpfault/rules reads.
 */
#ifndef TF_USERSPACE
#include <linux/errno.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/string.h>
#endif

#include "tf_parse.h"

#define TF_MAX_WORDS	64

struct tf_parser {
	char **words;
	int nwords;
	int pos;
	char *err;
	size_t errlen;
};

static const char * const tf_family_names[] = {
	[TF_FAMILY_IPV4] = "ipv4",
	[TF_FAMILY_IPV6] = "ipv6",
};

/* The lists of tf_names.h, as { value, name } tables. */
struct tf_name {
	u8 value;
	const char *name;
};

static const struct tf_name tf_dir_names[] = {
	TF_DIRS(TF_PAIR, TF_PAIR_END)
};

static const struct tf_name tf_action_names[] = {
	TF_ACTIONS(TF_PAIR, TF_PAIR_END)
};

/* TCP header flag bits by letter, in the order events print them. */
static const struct tf_name tf_flag_letters[] = {
	TF_FLAGS(TF_PAIR, TF_PAIR_END)
};

static const struct tf_name tf_stage_names[] = {
	TF_STAGES(TF_PAIR, TF_PAIR)
	{ TF_STAGE_ANY, "any" },
};

/* The value named @s in table @t, or -1. */
static int tf_name_find(const struct tf_name *t, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].name, s))
			return t[i].value;
	return -1;
}

/* The name of @value in table @t, or @none. */
static const char *tf_name_of(const struct tf_name *t, unsigned int n,
			      unsigned int value, const char *none)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return none;
}

static const char * const tf_cookie_names[] = {
	[TF_COOKIE_YES] = "yes",
	[TF_COOKIE_NO] = "no",
};

static const char * const tf_kill_how_names[] = {
	[TF_KILL_RST] = "rst",
	[TF_KILL_FIN] = "fin",
};

static __printf(3, 4)
int tf_fail(struct tf_parser *p, int errno_val, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return errno_val;
}

/* The index of s in names[0..n) (a table by value, holes NULL), or -1. */
static int tf_str_find(const char * const *names, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -1;
}

/* Decimal only, no sign, no overflow, at most @max. */
static bool tf_parse_u32(const char *s, u32 max, u32 *out)
{
	u64 v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static int tf_parse_ports(struct tf_parser *p, const char *key,
			  const char *val, struct tf_port_range *r)
{
	char buf[16];
	char *dash;
	u32 lo, hi;

	if (strlen(val) >= sizeof(buf))
		return tf_fail(p, -EINVAL, "invalid value \"%s\" for \"%s\"",
			       val, key);
	strscpy(buf, val, sizeof(buf));
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (!tf_parse_u32(buf, 65535, &lo) ||
	    (dash && !tf_parse_u32(dash + 1, 65535, &hi)))
		return tf_fail(p, -EINVAL, "invalid value \"%s\" for \"%s\"",
			       val, key);
	if (!dash)
		hi = lo;
	if (lo > hi)
		return tf_fail(p, -EINVAL, "reversed range \"%s\" for \"%s\"",
			       val, key);
	r->lo = lo;
	r->hi = hi;
	r->set = true;
	return 0;
}

/*
 * in4_pton and in6_pton take what inet_pton refuses: a byte of a dotted
 * quad with a leading zero ("01.2.3.4", octal to some tools) and a group of
 * more than four hex digits ("00001::").  Refused here, so that the module
 * and tcpfaultctl accept the same addresses.
 */
static bool tf_addr_digits_ok(const char *s)
{
	const char *dot = strchr(s, '.'), *colon = strrchr(s, ':');
	size_t run = 0;

	for (; *s; s++) {
		if (*s == ':' || *s == '.') {
			run = 0;
			continue;
		}
		if (++run > 4)
			return false;
		if (dot && (!colon || s > colon) && run == 2 && s[-1] == '0')
			return false;
	}
	return true;
}

static bool tf_addr_from_str(const char *s, struct tf_prefix *pfx)
{
	if (!tf_addr_digits_ok(s))
		return false;
#ifdef TF_USERSPACE
	if (inet_pton(AF_INET, s, pfx->addr) == 1) {
		pfx->family = TF_FAMILY_IPV4;
		return true;
	}
	if (inet_pton(AF_INET6, s, pfx->addr) == 1) {
		pfx->family = TF_FAMILY_IPV6;
		return true;
	}
#else
	const char *end;

	if (in4_pton(s, -1, pfx->addr, -1, &end) && !*end) {
		pfx->family = TF_FAMILY_IPV4;
		return true;
	}
	if (in6_pton(s, -1, pfx->addr, -1, &end) && !*end) {
		pfx->family = TF_FAMILY_IPV6;
		return true;
	}
#endif
	return false;
}

static int tf_parse_prefix(struct tf_parser *p, const char *key,
			   const char *val, struct tf_prefix *pfx)
{
	char buf[64];
	char *slash;
	u32 plen, maxlen, i;

	if (strlen(val) >= sizeof(buf))
		return tf_fail(p, -EINVAL, "invalid address \"%s\" for \"%s\"",
			       val, key);
	strscpy(buf, val, sizeof(buf));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(pfx, 0, sizeof(*pfx));
	if (!tf_addr_from_str(buf, pfx))
		return tf_fail(p, -EINVAL, "invalid address \"%s\" for \"%s\"",
			       val, key);
	maxlen = pfx->family == TF_FAMILY_IPV4 ? 32 : 128;
	plen = maxlen;
	if (slash && !tf_parse_u32(slash + 1, maxlen, &plen))
		return tf_fail(p, -EINVAL, "invalid prefix length in \"%s\" for \"%s\"",
			       val, key);
	pfx->plen = plen;
	for (i = plen; i < maxlen; i++) {
		if (pfx->addr[i / 8] & (0x80 >> (i % 8)))
			return tf_fail(p, -EINVAL, "host bits set in \"%s\" for \"%s\"",
				       val, key);
	}
	return 0;
}

bool tf_prefix_match(const struct tf_prefix *pfx, const u8 *addr)
{
	unsigned int full = pfx->plen / 8, rest = pfx->plen % 8;

	if (memcmp(pfx->addr, addr, full))
		return false;
	if (!rest)
		return true;
	return !((pfx->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

static const char *tf_next_value(struct tf_parser *p, const char *key)
{
	if (p->pos >= p->nwords) {
		tf_fail(p, -EINVAL, "missing value for \"%s\"", key);
		return NULL;
	}
	return p->words[p->pos++];
}

/*
 * Keywords that may appear at most once each.  The bit records which
 * were seen so that duplicates and cross-keyword rules can be checked.
 */
enum tf_kw {
	TF_KW_ID, TF_KW_FAMILY, TF_KW_DIR, TF_KW_SPORT, TF_KW_DPORT,
	TF_KW_PORT, TF_KW_SADDR, TF_KW_DADDR, TF_KW_STAGE, TF_KW_ACTION,
	TF_KW_SKIP, TF_KW_COUNT, TF_KW_PAYLOAD, TF_KW_PAYLOAD_HEX, TF_KW_COOKIE,
	TF_KW_AFTER, TF_KW_HOW, TF_KW_IDLE, TF_KW_EVERY, TF_KW_PROB, TF_KW_SEED,
	TF_KW_NR,
};

#define TF_KW(kw)	(1U << TF_KW_##kw)

/* What "kill" takes: which sockets (by address and port), and how. */
#define TF_KW_KILL	(TF_KW(FAMILY) | TF_KW(SPORT) | TF_KW(DPORT) | \
			 TF_KW(PORT) | TF_KW(SADDR) | TF_KW(DADDR) | TF_KW(HOW))

static const char * const tf_kw_names[TF_KW_NR] = {
	[TF_KW_ID] = "id",
	[TF_KW_FAMILY] = "family",
	[TF_KW_DIR] = "dir",
	[TF_KW_SPORT] = "sport",
	[TF_KW_DPORT] = "dport",
	[TF_KW_PORT] = "port",
	[TF_KW_SADDR] = "saddr",
	[TF_KW_DADDR] = "daddr",
	[TF_KW_STAGE] = "stage",
	[TF_KW_ACTION] = "action",
	[TF_KW_SKIP] = "skip",
	[TF_KW_COUNT] = "count",
	[TF_KW_PAYLOAD] = "payload",
	[TF_KW_PAYLOAD_HEX] = "payload-hex",
	[TF_KW_COOKIE] = "cookie",
	[TF_KW_AFTER] = "after",
	[TF_KW_HOW] = "how",
	[TF_KW_IDLE] = "idle",
	[TF_KW_EVERY] = "every",
	[TF_KW_PROB] = "prob",
	[TF_KW_SEED] = "seed",
};

static int tf_parse_stage(struct tf_parser *p, const char *val, u8 *stages)
{
	int v = tf_name_find(tf_stage_names, ARRAY_SIZE(tf_stage_names), val);

	if (v >= 0) {
		*stages = v;
		return 0;
	}
	return tf_fail(p, -EINVAL, "invalid value \"%s\" for \"%s\"", val,
		       "stage");
}

static int tf_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "payload STRING" (as written) or "payload-hex HEX" (pairs of digits). */
static int tf_parse_payload(struct tf_parser *p, const char *key,
			    const char *val, bool hex, struct tf_rule_spec *r)
{
	size_t i, n = strlen(val);
	int hi, lo;

	if (!hex) {
		if (!n || n > TF_PAYLOAD_MAX)
			return tf_fail(p, -EINVAL,
				       "invalid value \"%s\" for \"%s\" (1 to %d bytes)",
				       val, key, TF_PAYLOAD_MAX);
		memcpy(r->payload, val, n);
		r->payload_len = n;
		return 0;
	}
	if (!n || n % 2 || n / 2 > TF_PAYLOAD_MAX)
		return tf_fail(p, -EINVAL,
			       "invalid value \"%s\" for \"%s\" (1 to %d bytes as hex pairs)",
			       val, key, TF_PAYLOAD_MAX);
	for (i = 0; i < n; i += 2) {
		hi = tf_hex_digit(val[i]);
		lo = tf_hex_digit(val[i + 1]);
		if (hi < 0 || lo < 0)
			return tf_fail(p, -EINVAL,
				       "invalid value \"%s\" for \"%s\"", val,
				       key);
		r->payload[i / 2] = hi << 4 | lo;
	}
	r->payload_len = n / 2;
	return 0;
}

/* "flags +X-Y": letters to set after "+", to clear after "-". */
static int tf_parse_flags(struct tf_parser *p, const char *val, u32 *arg)
{
	unsigned int set = 0, clear = 0, *to = NULL;
	const char *s;
	int bit;

	for (s = val; *s; s++) {
		if (*s == '+' || *s == '-') {
			to = *s == '+' ? &set : &clear;
			continue;
		}
		bit = tf_flag_bit(*s);
		if (!to || bit < 0 || ((set | clear) & bit))
			return tf_fail(p, -EINVAL,
				       "invalid value \"%s\" for \"flags\" (+ or - then letters of SFRPAUEC, each once)",
				       val);
		*to |= bit;
	}
	if (!set && !clear)
		return tf_fail(p, -EINVAL,
			       "invalid value \"%s\" for \"flags\" (+ or - then letters of SFRPAUEC, each once)",
			       val);
	*arg = set | clear << 8;
	return 0;
}

/* The argument some actions take after their name. */
static int tf_parse_action_arg(struct tf_parser *p, struct tf_rule_spec *r)
{
	const char *key = tf_action_name(r->action), *val;
	u32 max;

	switch (r->action) {
	case TF_ACT_WINDOW:
		max = 65535;
		break;
	case TF_ACT_DELAY:
		max = TF_DELAY_MAX;
		break;
	case TF_ACT_FLAGS:
		val = tf_next_value(p, key);
		return val ? tf_parse_flags(p, val, &r->action_arg) : -EINVAL;
	default:
		return 0;
	}
	val = tf_next_value(p, key);
	if (!val)
		return -EINVAL;
	if (!tf_parse_u32(val, max, &r->action_arg) ||
	    (r->action == TF_ACT_DELAY && !r->action_arg))
		return tf_fail(p, -EINVAL, "invalid value \"%s\" for \"%s\"",
			       val, key);
	return 0;
}

/* A percentage with at most two decimals, 0.01 to 100, in 1/100 %. */
static int tf_parse_prob(struct tf_parser *p, const char *key,
			 const char *val, u16 *prob)
{
	char buf[16], *dot;
	u32 whole, frac = 0;
	size_t n;

	n = strlen(val);
	if (n >= sizeof(buf))
		goto bad;
	strscpy(buf, val, sizeof(buf));
	dot = strchr(buf, '.');
	if (dot) {
		*dot++ = '\0';
		n = strlen(dot);
		if (!n || n > 2 || !tf_parse_u32(dot, 99, &frac))
			goto bad;
		if (n == 1)
			frac *= 10;
	}
	if (!tf_parse_u32(buf, 100, &whole) || whole * 100 + frac > TF_PROB_ONE ||
	    !(whole * 100 + frac))
		goto bad;
	*prob = whole * 100 + frac;
	return 0;
bad:
	return tf_fail(p, -EINVAL,
		       "invalid value \"%s\" for \"%s\" (a percentage, 0.01 to 100)",
		       val, key);
}

static int tf_parse_kw(struct tf_parser *p, enum tf_kw kw, const char *key,
		       struct tf_cmd *cmd)
{
	struct tf_rule_spec *r = &cmd->rule;
	const char *val = tf_next_value(p, key);
	int v;

	if (!val)
		return -EINVAL;

	switch (kw) {
	case TF_KW_ID:
		if (!tf_parse_u32(val, TF_ID_MAX, &r->id) || !r->id)
			break;
		return 0;
	case TF_KW_FAMILY:
		v = tf_str_find(tf_family_names, TF_FAMILY_IPV6 + 1, val);
		if (v < 0)
			break;
		r->family = v;
		return 0;
	case TF_KW_DIR:
		v = tf_name_find(tf_dir_names, ARRAY_SIZE(tf_dir_names), val);
		if (v < 0)
			break;
		r->dir = v;
		return 0;
	case TF_KW_SPORT:
		return tf_parse_ports(p, key, val, &r->sport);
	case TF_KW_DPORT:
		return tf_parse_ports(p, key, val, &r->dport);
	case TF_KW_PORT:
		return tf_parse_ports(p, key, val, &r->port);
	case TF_KW_SADDR:
		return tf_parse_prefix(p, key, val, &r->saddr);
	case TF_KW_DADDR:
		return tf_parse_prefix(p, key, val, &r->daddr);
	case TF_KW_STAGE:
		return tf_parse_stage(p, val, &r->stages);
	case TF_KW_ACTION:
		v = tf_name_find(tf_action_names, ARRAY_SIZE(tf_action_names),
				 val);
		if (v < 0)
			break;
		r->action = v;
		return tf_parse_action_arg(p, r);
	case TF_KW_SKIP:
		if (!tf_parse_u32(val, 0xffffffffU, &r->skip))
			break;
		return 0;
	case TF_KW_COUNT:
		if (!tf_parse_u32(val, 0xffffffffU, &r->count) || !r->count)
			break;
		return 0;
	case TF_KW_PAYLOAD:
		return tf_parse_payload(p, key, val, false, r);
	case TF_KW_PAYLOAD_HEX:
		return tf_parse_payload(p, key, val, true, r);
	case TF_KW_COOKIE:
		v = tf_str_find(tf_cookie_names, ARRAY_SIZE(tf_cookie_names), val);
		if (v < 0)
			break;
		r->cookie = v;
		return 0;
	case TF_KW_AFTER:
		if (!tf_parse_u32(val, TF_AFTER_MAX, &r->after))
			break;
		r->after_set = true;
		return 0;
	case TF_KW_IDLE:
		if (!tf_parse_u32(val, TF_AFTER_MAX, &r->idle) || !r->idle)
			break;
		r->idle_set = true;
		return 0;
	case TF_KW_EVERY:
		if (!tf_parse_u32(val, 0xffffffffU, &r->every) || !r->every)
			break;
		return 0;
	case TF_KW_PROB:
		return tf_parse_prob(p, key, val, &r->prob);
	case TF_KW_SEED:
		if (!tf_parse_u32(val, 0xffffffffU, &r->seed))
			break;
		r->seed_set = true;
		return 0;
	case TF_KW_HOW:
		v = tf_str_find(tf_kill_how_names, ARRAY_SIZE(tf_kill_how_names),
				val);
		if (v < 0)
			break;
		cmd->how = v;
		return 0;
	case TF_KW_NR:
		break;
	}
	return tf_fail(p, -EINVAL, "invalid value \"%s\" for \"%s\"", val, key);
}

/* The MATCH... part of "add" and "kill"; @allowed: TF_KW() bits. */
static int tf_parse_words(struct tf_parser *p, struct tf_cmd *cmd,
			  const char *verb, unsigned int allowed,
			  unsigned int *seen)
{
	int ret;

	while (p->pos < p->nwords) {
		const char *key = p->words[p->pos++];
		int kw = tf_str_find(tf_kw_names, TF_KW_NR, key);

		if (kw < 0)
			return tf_fail(p, -EINVAL, "unknown keyword \"%s\"", key);
		if (!(allowed & (1U << kw)))
			return tf_fail(p, -EINVAL,
				       "\"%s\" does not apply to \"%s\"", key,
				       verb);
		if (*seen & (1U << kw))
			return tf_fail(p, -EINVAL, "duplicate keyword \"%s\"", key);
		*seen |= 1U << kw;
		ret = tf_parse_kw(p, kw, key, cmd);
		if (ret)
			return ret;
	}
	return 0;
}

static bool tf_family_clash(u8 family, const struct tf_prefix *pfx)
{
	return pfx->family && family && pfx->family != family;
}

/* Address families must agree; an address implies its family. */
static int tf_check_family(struct tf_parser *p, struct tf_rule_spec *r)
{
	if (tf_family_clash(r->family, &r->saddr))
		return tf_fail(p, -EINVAL, "\"saddr\" is not an %s address",
			       tf_family_names[r->family]);
	if (tf_family_clash(r->family, &r->daddr))
		return tf_fail(p, -EINVAL, "\"daddr\" is not an %s address",
			       tf_family_names[r->family]);
	if (tf_family_clash(r->saddr.family, &r->daddr))
		return tf_fail(p, -EINVAL,
			       "\"saddr\" and \"daddr\" are of different families");
	if (!r->family)
		r->family = r->saddr.family ? r->saddr.family : r->daddr.family;
	return 0;
}

static int tf_parse_add(struct tf_parser *p, struct tf_cmd *cmd)
{
	struct tf_rule_spec *r = &cmd->rule;
	unsigned int seen = 0;
	int ret;

	r->stages = TF_STAGE_ANY;
	ret = tf_parse_words(p, cmd, "add", ~TF_KW(HOW), &seen);
	if (ret)
		return ret;

	if (!(seen & TF_KW(ACTION)))
		return tf_fail(p, -EINVAL, "missing \"%s\"", "action");
	if ((seen & TF_KW(PAYLOAD)) && (seen & TF_KW(PAYLOAD_HEX)))
		return tf_fail(p, -EINVAL,
			       "\"payload\" and \"payload-hex\" exclude each other");
	/* Only the server's input knows whether a request socket exists. */
	if (r->cookie && r->stages != TF_STAGE_ACK3)
		return tf_fail(p, -EINVAL,
			       "\"cookie\" needs \"stage ack3\"");
	if (r->cookie && r->dir && r->dir != TF_DIR_IN)
		return tf_fail(p, -EINVAL,
			       "\"cookie\" is told on the server's input: \"dir in\"");
	if (r->seed_set && !r->prob)
		return tf_fail(p, -EINVAL, "\"seed\" needs \"prob\"");
	/* A handshake's last ACK is never "after" the handshake. */
	if (r->after_set && r->stages == TF_STAGE_ACK3)
		return tf_fail(p, -EINVAL,
			       "\"after\" and \"stage ack3\" exclude each other");
	return tf_check_family(p, r);
}

static int tf_parse_kill(struct tf_parser *p, struct tf_cmd *cmd)
{
	unsigned int seen = 0;
	int ret;

	ret = tf_parse_words(p, cmd, "kill", TF_KW_KILL, &seen);
	if (ret)
		return ret;
	if (!(seen & ~TF_KW(HOW)))
		return tf_fail(p, -EINVAL,
			       "\"kill\" needs a port or an address to match");
	return tf_check_family(p, &cmd->rule);
}

int tf_parse_line(char *line, struct tf_cmd *cmd, char *err, size_t errlen)
{
	char *words[TF_MAX_WORDS];
	struct tf_parser p = {
		.words = words,
		.err = err,
		.errlen = errlen,
	};
	char *s = line;
	const char *verb;

	memset(cmd, 0, sizeof(*cmd));
	err[0] = '\0';

	if (strlen(line) >= TF_LINE_MAX)
		return tf_fail(&p, -E2BIG, "line longer than %d bytes", TF_LINE_MAX - 1);

	/* Split on blanks; a word starting with '#' ends the line. */
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			break;
		if (p.nwords == TF_MAX_WORDS)
			return tf_fail(&p, -E2BIG, "more than %d words", TF_MAX_WORDS);
		words[p.nwords++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s)
			*s++ = '\0';
	}

	if (!p.nwords)
		return 0;

	verb = words[p.pos++];
	if (!strcmp(verb, "add")) {
		cmd->op = TF_OP_ADD;
		return tf_parse_add(&p, cmd);
	}
	if (!strcmp(verb, "kill")) {
		cmd->op = TF_OP_KILL;
		return tf_parse_kill(&p, cmd);
	}
	if (!strcmp(verb, "del")) {
		const char *val = tf_next_value(&p, "del");

		if (!val)
			return -EINVAL;
		if (!tf_parse_u32(val, TF_ID_MAX, &cmd->id) || !cmd->id)
			return tf_fail(&p, -EINVAL,
				       "invalid value \"%s\" for \"%s\"",
				       val, "del");
		cmd->op = TF_OP_DEL;
	} else if (!strcmp(verb, "flush")) {
		cmd->op = TF_OP_FLUSH;
	} else {
		return tf_fail(&p, -EINVAL, "unknown command \"%s\"", verb);
	}
	if (p.pos < p.nwords)
		return tf_fail(&p, -EINVAL, "unexpected \"%s\" after \"%s\"",
			       words[p.pos], verb);
	return 0;
}

const char *tf_action_name(unsigned int action)
{
	return tf_name_of(tf_action_names, ARRAY_SIZE(tf_action_names), action,
			  "?");
}

const char *tf_kill_how_name(unsigned int how)
{
	return how <= TF_KILL_FIN ? tf_kill_how_names[how] : "?";
}

const char *tf_dir_name(unsigned int dir)
{
	return tf_name_of(tf_dir_names, ARRAY_SIZE(tf_dir_names), dir, "any");
}

const char *tf_family_name(unsigned int family)
{
	if (family <= TF_FAMILY_IPV6 && tf_family_names[family])
		return tf_family_names[family];
	return "any";
}

const char *tf_cookie_name(unsigned int cookie)
{
	if (cookie <= TF_COOKIE_NO && tf_cookie_names[cookie])
		return tf_cookie_names[cookie];
	return "any";
}

/* The stage a rule's mask names ("any" for all), NULL if none. */
const char *tf_stage_name(unsigned int stages)
{
	return tf_name_of(tf_stage_names, ARRAY_SIZE(tf_stage_names), stages,
			  NULL);
}

/* Whether "payload" can print the match as one word, else "payload-hex". */
bool tf_payload_is_word(const struct tf_rule_spec *r)
{
	unsigned int i;

	for (i = 0; i < r->payload_len; i++)
		if (r->payload[i] <= ' ' || r->payload[i] > '~' ||
		    (!i && r->payload[i] == '#'))
			return false;
	return true;
}

/* Appends to @buf without overrunning it; *@off counts what was wanted. */
static __printf(4, 5)
void tf_put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	size_t at = *off < len ? *off : len;
	va_list ap;

	va_start(ap, fmt);
	*off += vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

static void tf_put_ports(char *buf, size_t len, size_t *off, const char *key,
			 const struct tf_port_range *r)
{
	if (!r->set)
		return;
	if (r->lo == r->hi)
		tf_put(buf, len, off, " %s %u", key, r->lo);
	else
		tf_put(buf, len, off, " %s %u-%u", key, r->lo, r->hi);
}

static void tf_put_prefix(char *buf, size_t len, size_t *off, const char *key,
			  const struct tf_prefix *pfx)
{
	unsigned int maxlen = pfx->family == TF_FAMILY_IPV4 ? 32 : 128;
#ifdef TF_USERSPACE
	char a[INET6_ADDRSTRLEN];

	if (!pfx->family)
		return;
	inet_ntop(pfx->family == TF_FAMILY_IPV4 ? AF_INET : AF_INET6,
		  pfx->addr, a, sizeof(a));
	tf_put(buf, len, off, " %s %s", key, a);
#else
	if (!pfx->family)
		return;
	if (pfx->family == TF_FAMILY_IPV4)
		tf_put(buf, len, off, " %s %pI4", key, pfx->addr);
	else
		tf_put(buf, len, off, " %s %pI6c", key, pfx->addr);
#endif
	if (pfx->plen != maxlen)
		tf_put(buf, len, off, "/%u", pfx->plen);
}

/* As "payload" if it reads back as one word, else as "payload-hex". */
static void tf_put_payload(char *buf, size_t len, size_t *off,
			   const struct tf_rule_spec *r)
{
	unsigned int i;

	if (!r->payload_len)
		return;
	if (tf_payload_is_word(r)) {
		tf_put(buf, len, off, " payload %.*s", (int)r->payload_len,
		       (const char *)r->payload);
		return;
	}
	tf_put(buf, len, off, " payload-hex ");
	for (i = 0; i < r->payload_len; i++)
		tf_put(buf, len, off, "%02x", r->payload[i]);
}

/* The MATCH... words of @r, each with a leading blank. */
static void tf_put_match(char *buf, size_t len, size_t *off,
			 const struct tf_rule_spec *r)
{
	const char *stage;

	if (r->family)
		tf_put(buf, len, off, " family %s", tf_family_names[r->family]);
	if (r->dir)
		tf_put(buf, len, off, " dir %s", tf_dir_name(r->dir));
	tf_put_ports(buf, len, off, "sport", &r->sport);
	tf_put_ports(buf, len, off, "dport", &r->dport);
	tf_put_ports(buf, len, off, "port", &r->port);
	tf_put_prefix(buf, len, off, "saddr", &r->saddr);
	tf_put_prefix(buf, len, off, "daddr", &r->daddr);
	stage = tf_stage_name(r->stages);
	if (r->stages != TF_STAGE_ANY && stage)
		tf_put(buf, len, off, " stage %s", stage);
	if (r->cookie)
		tf_put(buf, len, off, " cookie %s", tf_cookie_names[r->cookie]);
	tf_put_payload(buf, len, off, r);
	if (r->after_set)
		tf_put(buf, len, off, " after %u", r->after);
	if (r->idle_set)
		tf_put(buf, len, off, " idle %u", r->idle);
}

/* The letters of @flags ("SA"), or "-" for none. */
void tf_format_flags(u8 flags, char buf[TF_FLAGS_LEN])
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(tf_flag_letters); i++)
		if (flags & tf_flag_letters[i].value)
			buf[n++] = tf_flag_letters[i].name[0];
	if (!n)
		buf[n++] = '-';
	buf[n] = '\0';
}

/* The TF_FLAG_* bit of a letter of "SFRPAUEC", or -1. */
int tf_flag_bit(char letter)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tf_flag_letters); i++)
		if (tf_flag_letters[i].name[0] == letter)
			return tf_flag_letters[i].value;
	return -1;
}

static void tf_put_flags(char *buf, size_t len, size_t *off, u32 arg)
{
	char letters[TF_FLAGS_LEN];
	unsigned int sign;

	for (sign = 0; sign < 2; sign++) {
		u8 bits = sign ? arg >> 8 : arg;

		if (!bits)
			continue;
		tf_format_flags(bits, letters);
		tf_put(buf, len, off, "%c%s", sign ? '-' : '+', letters);
	}
}

/* The argument of "action flags" as written: "+R-S". */
int tf_format_flags_arg(u32 arg, char *buf, size_t len)
{
	size_t off = 0;

	tf_put_flags(buf, len, &off, arg);
	return off < len ? (int)off : -ENOSPC;
}

int tf_format_rule(const struct tf_rule_spec *r, char *buf, size_t len)
{
	size_t off = 0;

	tf_put(buf, len, &off, "add");
	if (r->id)
		tf_put(buf, len, &off, " id %u", r->id);
	tf_put_match(buf, len, &off, r);
	tf_put(buf, len, &off, " action %s", tf_action_name(r->action));
	if (r->action == TF_ACT_WINDOW || r->action == TF_ACT_DELAY)
		tf_put(buf, len, &off, " %u", r->action_arg);
	if (r->action == TF_ACT_FLAGS) {
		tf_put(buf, len, &off, " ");
		tf_put_flags(buf, len, &off, r->action_arg);
	}
	if (r->skip)
		tf_put(buf, len, &off, " skip %u", r->skip);
	if (r->count)
		tf_put(buf, len, &off, " count %u", r->count);
	if (r->every)
		tf_put(buf, len, &off, " every %u", r->every);
	if (r->prob % 100)
		tf_put(buf, len, &off, " prob %u.%02u", r->prob / 100,
		       r->prob % 100);
	else if (r->prob)
		tf_put(buf, len, &off, " prob %u", r->prob / 100);
	if (r->seed_set)
		tf_put(buf, len, &off, " seed %u", r->seed);
	return off < len ? (int)off : -ENOSPC;
}

int tf_format_kill(const struct tf_cmd *cmd, char *buf, size_t len)
{
	struct tf_rule_spec match = cmd->rule;
	size_t off = 0;

	/* Every stage: "kill" has none, and tf_put_match prints no "any". */
	match.stages = TF_STAGE_ANY;
	tf_put(buf, len, &off, "kill");
	tf_put_match(buf, len, &off, &match);
	tf_put(buf, len, &off, " how %s", tf_kill_how_name(cmd->how));
	return off < len ? (int)off : -ENOSPC;
}
