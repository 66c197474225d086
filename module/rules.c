// SPDX-License-Identifier: GPL-2.0
/*
 * The rule table: built whole by a write, published with RCU, read by the
 * packet path without locks.
 *
 * A write of several lines is applied to a private copy of the rule list;
 * only when every line succeeded is a new table built and swapped in, so a
 * rejected write changes nothing.  Rules themselves are shared between the
 * old and the new table (their counters survive) and freed after a grace
 * period once no table holds them.
 */
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/textsearch.h>
#include <linux/uaccess.h>

#include "tf.h"

enum tf_key_kind {
	TF_KEY_DPORT = 1,
	TF_KEY_SPORT = 2,
};

static atomic64_t tf_rule_serial = ATOMIC64_INIT(0);

static u32 tf_key(enum tf_key_kind kind, u16 port)
{
	return (kind << 16) | port;
}

static bool tf_ports_in(const struct tf_port_range *r, u16 port)
{
	return !r->set || (port >= r->lo && port <= r->hi);
}

static bool tf_single_port(const struct tf_port_range *r)
{
	return r->set && r->lo == r->hi;
}

/* The addresses and ports: which flows the rule is about. */
bool tf_rule_matches_flow(const struct tf_rule *r, const struct tf_pkt *pkt)
{
	const struct tf_rule_spec *s = &r->spec;

	if (s->family && s->family != pkt->family)
		return false;
	if (!tf_ports_in(&s->sport, pkt->sport) ||
	    !tf_ports_in(&s->dport, pkt->dport))
		return false;
	if (s->port.set && !tf_ports_in(&s->port, pkt->sport) &&
	    !tf_ports_in(&s->port, pkt->dport))
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
 * The rest, once tf_rule_matches_flow() said yes: direction, stage, cookie,
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

static void tf_rule_free(struct tf_rule *r)
{
	if (r->ts)
		textsearch_destroy(r->ts);
	kfree(r);
}

static void tf_rule_free_rcu(struct rcu_head *head)
{
	tf_rule_free(container_of(head, struct tf_rule, rcu));
}

/* A rule that a published table may still hold: after a grace period. */
static void tf_rule_free_deferred(struct tf_rule *r)
{
	call_rcu(&r->rcu, tf_rule_free_rcu);
}

/*
 * Index keys of a rule: its single destination port, else its single
 * source port, else its single "port" under both.  Anything else is wild.
 */
static unsigned int tf_rule_keys(const struct tf_rule_spec *s, u32 keys[2])
{
	if (tf_single_port(&s->dport)) {
		keys[0] = tf_key(TF_KEY_DPORT, s->dport.lo);
		return 1;
	}
	if (tf_single_port(&s->sport)) {
		keys[0] = tf_key(TF_KEY_SPORT, s->sport.lo);
		return 1;
	}
	if (tf_single_port(&s->port)) {
		keys[0] = tf_key(TF_KEY_DPORT, s->port.lo);
		keys[1] = tf_key(TF_KEY_SPORT, s->port.lo);
		return 2;
	}
	return 0;
}

static u32 tf_slot_of(const struct tf_table *t, u32 key)
{
	return hash_32(key, ilog2(t->hash_mask + 1)) & t->hash_mask;
}

/* The run of rules under @key that can match a packet like @pkt. */
static void tf_lookup(const struct tf_table *t, u32 key,
		      const struct tf_pkt *pkt,
		      struct tf_rule * const **run, u32 *len)
{
	const struct tf_slot *slot;
	u32 i;

	*len = 0;
	if (!t->slots)
		return;
	for (i = tf_slot_of(t, key); t->slots[i].key;
	     i = (i + 1) & t->hash_mask) {
		slot = &t->slots[i];
		if (slot->key != key + 1)
			continue;
		if ((slot->stages & pkt->stages) &&
		    (slot->dirs & BIT(pkt->dir))) {
			*run = &t->idx[slot->start];
			*len = slot->len;
		}
		return;
	}
}

/*
 * Where a rule can act: its stages and hooks.  "after" and "idle" follow
 * every packet of their flows, at every hook, to keep their flow times.
 */
static bool tf_rule_timed(const struct tf_rule_spec *s)
{
	return s->after_set || s->idle_set;
}

static u8 tf_rule_stages(const struct tf_rule_spec *s)
{
	return tf_rule_timed(s) ? TF_STAGE_ANY : s->stages;
}

static u8 tf_rule_dirs(const struct tf_rule_spec *s)
{
	if (tf_rule_timed(s) || !s->dir)
		return BIT(TF_DIR_IN) | BIT(TF_DIR_OUT) | BIT(TF_DIR_FWD);
	return BIT(s->dir);
}

/*
 * Calls @fn on every rule that may match @pkt, in ascending rule id, each
 * rule once, until @fn returns false.  The candidates are three runs, each
 * sorted by id: the rules keyed on the packet's destination port, those on
 * its source port, and the wild ones.
 */
void tf_table_walk(const struct tf_table *t, const struct tf_pkt *pkt,
		   tf_rule_fn fn, void *arg)
{
	struct tf_rule * const *run[3];
	u32 len[3], pos[3] = { 0, 0, 0 };
	struct tf_rule *prev = NULL, *r;
	int k, best;

	run[0] = t->wild;
	len[0] = t->nwild;
	tf_lookup(t, tf_key(TF_KEY_DPORT, pkt->dport), pkt, &run[1], &len[1]);
	tf_lookup(t, tf_key(TF_KEY_SPORT, pkt->sport), pkt, &run[2], &len[2]);

	for (;;) {
		best = -1;
		for (k = 0; k < 3; k++) {
			if (pos[k] == len[k])
				continue;
			if (best < 0 || run[k][pos[k]]->spec.id <
					run[best][pos[best]]->spec.id)
				best = k;
		}
		if (best < 0)
			return;
		r = run[best][pos[best]++];
		/* A "port N" rule sits under both keys. */
		if (r == prev)
			continue;
		prev = r;
		if (!fn(r, arg))
			return;
	}
}

struct tf_index_entry {
	u32 key;
	struct tf_rule *rule;
};

static int tf_index_cmp(const void *a, const void *b)
{
	const struct tf_index_entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->rule->spec.id < y->rule->spec.id ? -1 : 1;
}

/* @rules: @nr rules in ascending id. */
static struct tf_table *tf_table_build(struct tf_rule **rules, u32 nr)
{
	struct tf_index_entry *ent;
	struct tf_table *t;
	u32 keys[2], nidx = 0, nwild = 0, nslots = 0, i, j, n;
	size_t size;

	for (i = 0; i < nr; i++) {
		n = tf_rule_keys(&rules[i]->spec, keys);
		nidx += n;
		nwild += !n;
	}
	if (nidx)
		nslots = roundup_pow_of_two(2 * nidx);

	size = sizeof(*t) + (size_t)(nr + nwild + nidx) * sizeof(void *) +
	       (size_t)nslots * sizeof(struct tf_slot);
	t = kvzalloc(size, GFP_KERNEL);
	if (!t)
		return NULL;
	t->rules = (struct tf_rule **)(t + 1);
	t->wild = t->rules + nr;
	t->idx = t->wild + nwild;
	t->slots = nslots ? (struct tf_slot *)(t->idx + nidx) : NULL;
	t->hash_mask = nslots ? nslots - 1 : 0;
	t->nr = nr;

	ent = kvmalloc_array(nidx ? nidx : 1, sizeof(*ent), GFP_KERNEL);
	if (!ent) {
		kvfree(t);
		return NULL;
	}

	for (i = 0, j = 0; i < nr; i++) {
		const struct tf_rule_spec *s = &rules[i]->spec;

		t->rules[i] = rules[i];
		t->dirs |= tf_rule_dirs(s);
		t->lo_in |= s->dir == TF_DIR_IN;
		n = tf_rule_keys(s, keys);
		if (!n)
			t->wild[t->nwild++] = rules[i];
		while (n--) {
			ent[j].key = keys[n];
			ent[j++].rule = rules[i];
		}
	}

	sort(ent, nidx, sizeof(*ent), tf_index_cmp, NULL);
	for (i = 0; i < nidx; i = j) {
		struct tf_slot *slot;
		u32 at;

		at = tf_slot_of(t, ent[i].key);
		while (t->slots[at].key)
			at = (at + 1) & t->hash_mask;
		slot = &t->slots[at];
		for (j = i; j < nidx && ent[j].key == ent[i].key; j++) {
			t->idx[j] = ent[j].rule;
			slot->stages |= tf_rule_stages(&ent[j].rule->spec);
			slot->dirs |= tf_rule_dirs(&ent[j].rule->spec);
		}
		slot->key = ent[i].key + 1;
		slot->start = i;
		slot->len = j - i;
	}
	kvfree(ent);
	return t;
}

/* The private working copy a write edits. */
struct tf_edit {
	struct tf_rule	**rules;	/* ascending id */
	u32		nr;
	u32		cap;
	u64		fresh_serial;	/* rules above it were made by this write */
	bool		edited;		/* an add, del or flush seen */
	struct tf_kills	*kills;		/* kill lines, run once all are valid */
};

static bool tf_fresh(const struct tf_edit *e, const struct tf_rule *r)
{
	return r->serial > e->fresh_serial;
}

/* Index of the first rule with id >= @id. */
static u32 tf_edit_find(const struct tf_edit *e, u32 id)
{
	u32 lo = 0, hi = e->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (e->rules[mid]->spec.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int tf_edit_add(struct tf_edit *e, const struct tf_rule_spec *spec)
{
	struct tf_rule *r;
	u32 id = spec->id, at;

	if (e->nr >= TF_RULES_MAX)
		return -ENOSPC;
	if (!id) {
		/* After the highest id, leaving the presets' block alone. */
		at = tf_edit_find(e, TF_ID_PRESET);
		id = at ? e->rules[at - 1]->spec.id + 1 : 1;
		if (id >= TF_ID_PRESET)
			return -ENOSPC;
	}
	at = tf_edit_find(e, id);
	if (at < e->nr && e->rules[at]->spec.id == id)
		return -EEXIST;

	if (e->nr == e->cap) {
		u32 cap = max(16U, e->cap * 2);
		struct tf_rule **n;

		n = kvmalloc_array(cap, sizeof(*n), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		memcpy(n, e->rules, e->nr * sizeof(*n));
		kvfree(e->rules);
		e->rules = n;
		e->cap = cap;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	if (spec->payload_len) {
		r->ts = textsearch_prepare("kmp", spec->payload,
					   spec->payload_len, GFP_KERNEL,
					   TS_AUTOLOAD);
		if (IS_ERR(r->ts)) {
			int err = PTR_ERR(r->ts);

			kfree(r);
			return err;
		}
	}
	r->spec = *spec;
	r->spec.id = id;
	/* A random sequence, that "seed" in the listing can replay. */
	if (r->spec.prob && !r->spec.seed_set) {
		r->spec.seed = get_random_u32();
		r->spec.seed_set = true;
	}
	r->serial = atomic64_inc_return(&tf_rule_serial);
	r->created = ktime_get_ns();

	memmove(&e->rules[at + 1], &e->rules[at],
		(e->nr - at) * sizeof(e->rules[0]));
	e->rules[at] = r;
	e->nr++;
	return 0;
}

static bool tf_edit_has_delay(const struct tf_edit *e)
{
	u32 i;

	for (i = 0; i < e->nr; i++)
		if (e->rules[i]->spec.action == TF_ACT_DELAY)
			return true;
	return false;
}

/* Rules made by this write die at once; published ones after commit. */
static void tf_edit_drop(struct tf_edit *e, u32 at)
{
	if (tf_fresh(e, e->rules[at]))
		tf_rule_free(e->rules[at]);
	memmove(&e->rules[at], &e->rules[at + 1],
		(e->nr - at - 1) * sizeof(e->rules[0]));
	e->nr--;
}

static int tf_edit_apply(struct tf_edit *e, const struct tf_cmd *cmd)
{
	u32 at;

	switch (cmd->op) {
	case TF_OP_ADD:
		return tf_edit_add(e, &cmd->rule);
	case TF_OP_DEL:
		at = tf_edit_find(e, cmd->id);
		if (at == e->nr || e->rules[at]->spec.id != cmd->id)
			return -ENOENT;
		tf_edit_drop(e, at);
		return 0;
	case TF_OP_FLUSH:
		while (e->nr)
			tf_edit_drop(e, e->nr - 1);
		return 0;
	case TF_OP_KILL:
		return tf_kills_add(&e->kills, cmd);
	case TF_OP_NONE:
		return 0;
	}
	return -EINVAL;
}

static void tf_set_error(struct tf_net *tn, unsigned int line, const char *msg)
{
	snprintf(tn->error, sizeof(tn->error), "line %u: %s", line, msg);
	pr_info_ratelimited("rejected write: %s\n", tn->error);
}

static const char *tf_errno_text(int err)
{
	switch (err) {
	case -ENOSPC:
		return "rule table full (or no free rule id)";
	case -EEXIST:
		return "a rule with this id exists";
	case -ENOENT:
		return "no rule with this id";
	case -ENOMEM:
		return "out of memory";
	}
	return "invalid command";
}

/* Parses and applies every line of @buf to @e; stops at the first error. */
static int tf_edit_lines(struct tf_net *tn, struct tf_edit *e, char *buf)
{
	char msg[TF_ERR_MAX];
	unsigned int line = 0;
	struct tf_cmd *cmd;
	char *next;
	int err = 0;

	cmd = kmalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	for (; buf; buf = next) {
		next = strchr(buf, '\n');
		if (next)
			*next++ = '\0';
		line++;
		err = tf_parse_line(buf, cmd, msg, sizeof(msg));
		if (err) {
			tf_set_error(tn, line, msg);
			break;
		}
		/* Killed sockets cannot come back if a later line fails. */
		if (cmd->op != TF_OP_NONE && cmd->op != TF_OP_KILL)
			e->edited = true;
		if (e->edited && (e->kills || cmd->op == TF_OP_KILL)) {
			err = -EINVAL;
			tf_set_error(tn, line,
				     "\"kill\" cannot share a write with add, del or flush");
			break;
		}
		err = tf_edit_apply(e, cmd);
		if (err) {
			tf_set_error(tn, line, tf_errno_text(err));
			break;
		}
	}
	kfree(cmd);
	return err;
}

int tf_rules_write(struct tf_net *tn, const char __user *ubuf, size_t len)
{
	struct tf_table *old, *new;
	struct tf_edit e = { };
	char *buf = NULL;
	u32 i, at;
	u8 want;
	int err;

	mutex_lock(&tn->write_lock);
	tn->error[0] = '\0';
	err = -E2BIG;
	if (len > TF_WRITE_MAX) {
		tf_set_error(tn, 0, "write larger than 65536 bytes");
		goto out_unlock;
	}
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf)) {
		err = PTR_ERR(buf);
		buf = NULL;
		tf_set_error(tn, 0, "cannot read the write buffer");
		goto out_unlock;
	}
	err = -EINVAL;
	if (strlen(buf) != len) {
		tf_set_error(tn, 0, "NUL byte in command");
		goto out_unlock;
	}
	old = rcu_dereference_protected(tn->table,
					lockdep_is_held(&tn->write_lock));
	e.fresh_serial = atomic64_read(&tf_rule_serial);
	if (old && old->nr) {
		e.cap = old->nr;
		e.rules = kvmalloc_array(e.cap, sizeof(*e.rules), GFP_KERNEL);
		err = -ENOMEM;
		if (!e.rules)
			goto out_unlock;
		memcpy(e.rules, old->rules, old->nr * sizeof(*e.rules));
		e.nr = old->nr;
	}

	err = tf_edit_lines(tn, &e, buf);
	if (err)
		goto out_abort;
	if (e.kills) {
		err = tf_kills_run(read_pnet(&tn->net), e.kills, &tn->killed);
		if (err)
			goto out_abort;
		goto out_free;
	}

	/* Events have somewhere to go before the first rule can fire. */
	err = -ENOMEM;
	if (e.nr && tf_ring_alloc(&tn->ring))
		goto out_abort;

	new = NULL;
	if (e.nr) {
		new = tf_table_build(e.rules, e.nr);
		if (!new)
			goto out_abort;
	}
	want = new && !tn->dying ? new->dirs : 0;
	err = tf_hooks_add(tn, want);
	if (err) {
		kvfree(new);
		goto out_abort;
	}
	rcu_assign_pointer(tn->table, new);
	tf_hooks_trim(tn, want);
	if (!tf_edit_has_delay(&e))
		tf_delay_release(&tn->delay);

	/* Published rules that the write removed. */
	for (i = 0; old && i < old->nr; i++) {
		at = tf_edit_find(&e, old->rules[i]->spec.id);
		if (at == e.nr || e.rules[at] != old->rules[i])
			tf_rule_free_deferred(old->rules[i]);
	}
	if (old)
		kvfree_rcu(old, rcu);
	err = 0;
	goto out_free;

out_abort:
	if (!tn->error[0])
		tf_set_error(tn, 0, tf_errno_text(err));
	for (i = 0; i < e.nr; i++)
		if (tf_fresh(&e, e.rules[i]))
			tf_rule_free(e.rules[i]);
out_free:
	tf_kills_free(e.kills);
	kvfree(e.rules);
out_unlock:
	mutex_unlock(&tn->write_lock);
	kfree(buf);
	return err;
}

/* Namespace exit: the hooks are gone, nothing can reach the table. */
void tf_rules_free(struct tf_net *tn)
{
	struct tf_table *t = rcu_dereference_protected(tn->table, true);
	u32 i;

	RCU_INIT_POINTER(tn->table, NULL);
	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		tf_rule_free_deferred(t->rules[i]);
	kvfree_rcu(t, rcu);
}
