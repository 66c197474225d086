// SPDX-License-Identifier: GPL-2.0
/*
 * The write path: a write of commands to /proc/net/tcpfault/rules, parsed
 * (tf_parse.c), applied to a private copy of the rule list, and committed
 * as a new table (table.c) with the hooks it needs (hooks.c), the event
 * ring (events.c) and the held packets (delay.c) put in step; or, for
 * "kill", run (kill.c).
 *
 * Only when every line succeeded is anything published, so a rejected
 * write changes nothing.  Rules made by the write and not published are
 * freed at once; published rules the write removed, after a grace period.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "tf.h"

/* The private working copy a write edits. */
struct tf_edit {
	struct tf_rule	**rules;	/* ascending id */
	u32		nr;
	u32		cap;
	u64		fresh_serial;	/* rules above it were made by this write */
	bool		edited;		/* an add, del or flush seen */
	struct tf_kills	*kills;		/* kill lines, run once all are valid */
	char		*error;		/* the write's reason, if refused */
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

	r = tf_rule_new(spec);
	if (IS_ERR(r))
		return PTR_ERR(r);
	r->spec.id = id;

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

static void tf_set_error(struct tf_edit *e, unsigned int line, const char *msg)
{
	snprintf(e->error, TF_WRITE_ERR_MAX, "line %u: %s", line, msg);
	pr_info_ratelimited("rejected write: %s\n", e->error);
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
static int tf_edit_lines(struct tf_edit *e, char *buf)
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
			tf_set_error(e, line, msg);
			break;
		}
		/* Killed sockets cannot come back if a later line fails. */
		if (cmd->op != TF_OP_NONE && cmd->op != TF_OP_KILL)
			e->edited = true;
		if (e->edited && (e->kills || cmd->op == TF_OP_KILL)) {
			err = -EINVAL;
			tf_set_error(e, line,
				     "\"kill\" cannot share a write with add, del or flush");
			break;
		}
		err = tf_edit_apply(e, cmd);
		if (err) {
			tf_set_error(e, line, tf_errno_text(err));
			break;
		}
	}
	kfree(cmd);
	return err;
}

/*
 * Applies one write of commands to @tn's table: all of it, or nothing.
 * On failure @error (TF_WRITE_ERR_MAX bytes) holds the reason, and so does
 * the namespace's "error" in stats until the next write.
 */
int tf_rules_write(struct tf_net *tn, const char __user *ubuf, size_t len,
		   char *error)
{
	struct tf_table *old, *new;
	struct tf_edit e = { .error = error };
	char *buf = NULL;
	u32 i, at;
	u8 want;
	int err;

	error[0] = '\0';
	mutex_lock(&tn->write_lock);
	err = -E2BIG;
	if (len > TF_WRITE_MAX) {
		tf_set_error(&e, 0, "write larger than 65536 bytes");
		goto out_unlock;
	}
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf)) {
		err = PTR_ERR(buf);
		buf = NULL;
		tf_set_error(&e, 0, "cannot read the write buffer");
		goto out_unlock;
	}
	err = -EINVAL;
	if (strlen(buf) != len) {
		tf_set_error(&e, 0, "NUL byte in command");
		goto out_unlock;
	}
	old = rcu_dereference_protected(tn->table,
					lockdep_is_held(&tn->write_lock));
	e.fresh_serial = tf_rule_serial_now();
	if (old && old->nr) {
		e.cap = old->nr;
		e.rules = kvmalloc_array(e.cap, sizeof(*e.rules), GFP_KERNEL);
		err = -ENOMEM;
		if (!e.rules)
			goto out_abort;
		memcpy(e.rules, old->rules, old->nr * sizeof(*e.rules));
		e.nr = old->nr;
	}

	err = tf_edit_lines(&e, buf);
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
	if (e.nr && tf_ring_reserve(&tn->ring))
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
	if (!error[0])
		tf_set_error(&e, 0, tf_errno_text(err));
	for (i = 0; i < e.nr; i++)
		if (tf_fresh(&e, e.rules[i]))
			tf_rule_free(e.rules[i]);
out_free:
	tf_kills_free(e.kills);
	kvfree(e.rules);
out_unlock:
	strscpy(tn->error, error, sizeof(tn->error));
	mutex_unlock(&tn->write_lock);
	kfree(buf);
	return err;
}

/* Namespace exit: the hooks are gone, nothing can reach the table. */
void tf_rules_free(struct tf_net *tn)
{
	struct tf_table *t = rcu_dereference_protected(tn->table, true);

	RCU_INIT_POINTER(tn->table, NULL);
	tf_table_destroy(t);
}
