// SPDX-License-Identifier: GPL-2.0
/*
 * The rule table: rules, and the index the packet path walks.
 *
 * A table is immutable once built: the write path (write.c) builds a new
 * one and swaps it in with RCU, so the packet path reads it without locks.
 * Rules with a single port are found through a hash of (which port, port
 * number), each slot holding its rules' union of stages and hooks; the
 * others ("wild") are scanned.  Rules are shared between an old table and
 * its successor, so their counters survive a write, and are freed after a
 * grace period once no table holds them.
 */
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/textsearch.h>

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

static bool tf_single_port(const struct tf_port_range *r)
{
	return r->set && r->lo == r->hi;
}

/* Rules made after this number are younger than the call. */
u64 tf_rule_serial_now(void)
{
	return atomic64_read(&tf_rule_serial);
}

/* A new rule from @spec, with its id already chosen; an ERR_PTR if not. */
struct tf_rule *tf_rule_new(const struct tf_rule_spec *spec)
{
	struct tf_rule *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	if (spec->payload_len) {
		r->ts = textsearch_prepare("kmp", spec->payload,
					   spec->payload_len, GFP_KERNEL,
					   TS_AUTOLOAD);
		if (IS_ERR(r->ts)) {
			int err = PTR_ERR(r->ts);

			kfree(r);
			return ERR_PTR(err);
		}
	}
	r->spec = *spec;
	/* A random sequence, that "seed" in the listing can replay. */
	if (r->spec.prob && !r->spec.seed_set) {
		r->spec.seed = get_random_u32();
		r->spec.seed_set = true;
	}
	r->serial = atomic64_inc_return(&tf_rule_serial);
	r->created = ktime_get_ns();
	return r;
}

/* A rule no published table holds: at once. */
void tf_rule_free(struct tf_rule *r)
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
void tf_rule_free_deferred(struct tf_rule *r)
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

/* The run of rules under @key that can match at @dir in @stages. */
static u32 tf_slot_find(const struct tf_table *t, u32 key, u8 stages, u8 dir,
			struct tf_rule * const **run)
{
	const struct tf_slot *slot;
	u32 i;

	if (!t->slots)
		return 0;
	for (i = tf_slot_of(t, key); t->slots[i].key;
	     i = (i + 1) & t->hash_mask) {
		slot = &t->slots[i];
		if (slot->key != key + 1)
			continue;
		if (!(slot->stages & stages) || !(slot->dirs & BIT(dir)))
			return 0;
		*run = &t->idx[slot->start];
		return slot->len;
	}
	return 0;
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
 * Whether the wild rules (those without a single port) can match.  A few
 * are tried on their ports here, so that one port range on other ports
 * costs a packet no more than an indexed rule; many are taken on their
 * union of stages and hooks alone.
 */
#define TF_WILD_SCAN	8

static bool tf_wild_may_match(const struct tf_table *t, u16 sport, u16 dport,
			      u8 stages, u8 dir)
{
	const struct tf_rule_spec *s;
	u32 i;

	if (!t->nwild || !(t->wild_stages & stages) ||
	    !(t->wild_dirs & BIT(dir)))
		return false;
	if (t->nwild > TF_WILD_SCAN)
		return true;
	for (i = 0; i < t->nwild; i++) {
		s = &t->wild[i]->spec;
		if ((tf_rule_stages(s) & stages) &&
		    (tf_rule_dirs(s) & BIT(dir)) &&
		    tf_spec_matches_ports(s, sport, dport))
			return true;
	}
	return false;
}

/*
 * Starts a walk over the rules that may match a segment from @sport to
 * @dport at hook @dir whose stages are among @stages, from the ports
 * alone: false, and nothing to walk, when no rule can.  The candidates
 * are three runs, each sorted by id: the rules keyed on the destination
 * port, those on the source port, and the wild ones.
 */
bool tf_walk_start(struct tf_walk *w, const struct tf_table *t, u16 sport,
		   u16 dport, u8 stages, u8 dir)
{
	w->len[0] = 0;
	if (tf_wild_may_match(t, sport, dport, stages, dir)) {
		w->run[0] = t->wild;
		w->len[0] = t->nwild;
	}
	w->len[1] = tf_slot_find(t, tf_key(TF_KEY_DPORT, dport), stages, dir,
				 &w->run[1]);
	w->len[2] = tf_slot_find(t, tf_key(TF_KEY_SPORT, sport), stages, dir,
				 &w->run[2]);
	w->pos[0] = 0;
	w->pos[1] = 0;
	w->pos[2] = 0;
	w->prev = NULL;
	return w->len[0] || w->len[1] || w->len[2];
}

/* The next candidate in ascending rule id, each rule once; NULL at the end. */
struct tf_rule *tf_walk_next(struct tf_walk *w)
{
	struct tf_rule *r;
	int k, best;

	for (;;) {
		best = -1;
		for (k = 0; k < 3; k++) {
			if (w->pos[k] == w->len[k])
				continue;
			if (best < 0 || w->run[k][w->pos[k]]->spec.id <
					w->run[best][w->pos[best]]->spec.id)
				best = k;
		}
		if (best < 0)
			return NULL;
		r = w->run[best][w->pos[best]++];
		/* A "port N" rule sits under both keys. */
		if (r != w->prev)
			break;
	}
	w->prev = r;
	return r;
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
struct tf_table *tf_table_build(struct tf_rule **rules, u32 nr)
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
		if (!n) {
			t->wild[t->nwild++] = rules[i];
			t->wild_stages |= tf_rule_stages(s);
			t->wild_dirs |= tf_rule_dirs(s);
		}
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

/* A published table, and every rule in it, after a grace period. */
void tf_table_destroy(struct tf_table *t)
{
	u32 i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		tf_rule_free_deferred(t->rules[i]);
	kvfree_rcu(t, rcu);
}
