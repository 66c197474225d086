// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/tcpfault/: the control files of one network namespace.
 *
 *   rules   0600  write commands; read the table back as "add" commands
 *   events  0400  the event log; writing "clear" empties it
 *   stats   0444  counters, and the reason the namespace's last write
 *                 was refused (each writer reads its own from rules)
 *
 * Writes need CAP_NET_ADMIN in the user namespace owning the network
 * namespace, judged by the credentials the file was opened with.  The
 * files belong to that user namespace's root, as netfilter's own do.
 */
#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "tf.h"

/*
 * What an open file holds: its namespace; for events a copy; for rules the
 * reason its last write was refused, its own whoever else writes.
 */
struct tf_proc_iter {
	struct net	*net;
	struct tf_event	ev;
	u64		missed;	/* events: skipped before ev */
	char		error[TF_WRITE_ERR_MAX];
};

static struct tf_net *tf_seq_net(struct seq_file *m)
{
	return tf_net(((struct tf_proc_iter *)m->private)->net);
}

static int tf_proc_open(struct inode *inode, struct file *file,
			const struct seq_operations *ops)
{
	struct net *net = maybe_get_net(pde_data(inode));
	struct tf_proc_iter *it;

	if (!net)
		return -ENXIO;
	it = __seq_open_private(file, ops, sizeof(*it));
	if (!it) {
		put_net(net);
		return -ENOMEM;
	}
	it->net = net;
	return 0;
}

static int tf_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	put_net(((struct tf_proc_iter *)m->private)->net);
	return seq_release_private(inode, file);
}

static bool tf_may_write(struct file *file, struct net *net)
{
	return file_ns_capable(file, net->user_ns, CAP_NET_ADMIN);
}

/*
 * rules: the table is read under the writers' mutex, so it cannot change.
 * After a refused write, the same file reads first "# error line L: WHY"
 * (a comment to the parser: the listing can still be replayed), until its
 * next write succeeds.  Position 0 is that line, rules follow from 1.
 */
static void *tf_rules_at(struct seq_file *m, loff_t pos)
{
	struct tf_proc_iter *it = m->private;
	struct tf_table *t;

	if (!pos)
		return it->error[0] ? SEQ_START_TOKEN : tf_rules_at(m, 1);
	t = rcu_dereference_protected(tf_seq_net(m)->table,
				      lockdep_is_held(&tf_seq_net(m)->write_lock));
	return t && pos <= t->nr ? t->rules[pos - 1] : NULL;
}

static void *tf_rules_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&tf_seq_net(m)->write_lock);
	if (!*pos && !((struct tf_proc_iter *)m->private)->error[0])
		*pos = 1;
	return tf_rules_at(m, *pos);
}

static void *tf_rules_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return tf_rules_at(m, *pos);
}

static void tf_rules_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&tf_seq_net(m)->write_lock);
}

static int tf_rules_show(struct seq_file *m, void *v)
{
	struct tf_proc_iter *it = m->private;
	struct tf_rule *r = v;
	char line[TF_LINE_MAX];

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "# error %s\n", it->error);
		return 0;
	}
	if (tf_format_rule(&r->spec, line, sizeof(line)) < 0)
		return -ENOSPC;
	seq_printf(m, "%s # hits %lld acted %lld\n", line,
		   atomic64_read(&r->hits), atomic64_read(&r->acted));
	return 0;
}

static const struct seq_operations tf_rules_seq_ops = {
	.start	= tf_rules_start,
	.next	= tf_rules_next,
	.stop	= tf_rules_stop,
	.show	= tf_rules_show,
};

static int tf_rules_open(struct inode *inode, struct file *file)
{
	return tf_proc_open(inode, file, &tf_rules_seq_ops);
}

static ssize_t tf_rules_proc_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct tf_proc_iter *it = m->private;
	int err;

	if (!tf_may_write(file, it->net))
		return -EPERM;
	err = tf_rules_write(tf_net(it->net), ubuf, len, it->error);
	return err ? err : len;
}

static const struct proc_ops tf_rules_proc_ops = {
	.proc_open	= tf_rules_open,
	.proc_read	= seq_read,
	.proc_write	= tf_rules_proc_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= tf_proc_release,
};

/*
 * events: the seq_file position is the event's number, so a reader that
 * keeps the file open and reads again gets only what is new.  A reader
 * that fell behind the ring gets a "lost N" line where the N events it
 * will never see were; a read from the start (cat) never does.
 */
static void *tf_events_start(struct seq_file *m, loff_t *pos)
{
	struct tf_proc_iter *it = m->private;
	u64 n = *pos;

	if (!tf_event_get(&tf_net(it->net)->ring, &n, &it->ev))
		return NULL;
	if (*pos && n > *pos)
		it->missed += n - *pos;
	*pos = n;
	return &it->ev;
}

static void *tf_events_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct tf_proc_iter *it = m->private;

	it->missed = 0;
	++*pos;
	return tf_events_start(m, pos);
}

static void tf_events_stop(struct seq_file *m, void *v)
{
}

static int tf_events_show(struct seq_file *m, void *v)
{
	struct tf_proc_iter *it = m->private;

	if (it->missed)
		seq_printf(m, "lost %llu\n", it->missed);
	tf_event_show(m, v);
	return 0;
}

static const struct seq_operations tf_events_seq_ops = {
	.start	= tf_events_start,
	.next	= tf_events_next,
	.stop	= tf_events_stop,
	.show	= tf_events_show,
};

static int tf_events_open(struct inode *inode, struct file *file)
{
	return tf_proc_open(inode, file, &tf_events_seq_ops);
}

static ssize_t tf_events_proc_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct tf_proc_iter *it = m->private;
	char buf[8] = "";

	if (!tf_may_write(file, it->net))
		return -EPERM;
	if (len >= sizeof(buf) || copy_from_user(buf, ubuf, len))
		return -EINVAL;
	if (strcmp(strim(buf), "clear"))
		return -EINVAL;
	tf_ring_clear(&tf_net(it->net)->ring);
	return len;
}

static const struct proc_ops tf_events_proc_ops = {
	.proc_open	= tf_events_open,
	.proc_read	= seq_read,
	.proc_write	= tf_events_proc_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= tf_proc_release,
};

/* stats */
static int tf_stats_show(struct seq_file *m, void *v)
{
	struct tf_net *tn = tf_net(m->private);
	struct tf_stats sum = { };
	struct tf_table *t;
	u64 head, tail, lost, flows, evicted, overflow, sent, dropped;
	unsigned int a, held;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct tf_stats *s = per_cpu_ptr(tn->stats, cpu);

		sum.seen += s->seen;
		sum.matched += s->matched;
		for (a = 0; a < TF_ACT_MAX; a++)
			sum.action[a] += s->action[a];
	}
	spin_lock_bh(&tn->ring.lock);
	head = tn->ring.head;
	tail = tn->ring.tail;
	lost = tn->ring.lost;
	spin_unlock_bh(&tn->ring.lock);
	spin_lock_bh(&tn->flows.lock);
	flows = tn->flows.nr;
	evicted = tn->flows.evicted;
	spin_unlock_bh(&tn->flows.lock);

	mutex_lock(&tn->write_lock);
	t = rcu_dereference_protected(tn->table,
				      lockdep_is_held(&tn->write_lock));
	seq_printf(m, "rules %u\n", t ? t->nr : 0);
	seq_printf(m, "seen %llu\nmatched %llu\n", sum.seen, sum.matched);
	for (a = TF_ACT_NONE + 1; a < TF_ACT_MAX; a++)
		seq_printf(m, "action_%s %llu\n", a == TF_ACT_RESET_BOTH ?
			   "reset_both" : tf_action_name(a), sum.action[a]);
	seq_printf(m, "events %llu\nevents_held %llu\nevents_lost %llu\n",
		   head, head - tail, lost);
	seq_printf(m, "flows %llu\nflows_evicted %llu\n", flows, evicted);
	seq_printf(m, "killed %u\n", tn->killed);
	spin_lock_bh(&tn->delay.lock);
	held = tn->delay.nr;
	sent = tn->delay.sent;
	dropped = tn->delay.dropped;
	overflow = tn->delay.overflow;
	spin_unlock_bh(&tn->delay.lock);
	seq_printf(m, "delay_held %u\ndelay_sent %llu\ndelay_dropped %llu\ndelay_overflow %llu\n",
		   held, sent, dropped, overflow);
	if (tn->error[0])
		seq_printf(m, "error %s\n", tn->error);
	mutex_unlock(&tn->write_lock);
	return 0;
}

static int tf_stats_open(struct inode *inode, struct file *file)
{
	struct net *net = maybe_get_net(pde_data(inode));
	int err;

	if (!net)
		return -ENXIO;
	err = single_open(file, tf_stats_show, net);
	if (err)
		put_net(net);
	return err;
}

static int tf_stats_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	put_net(m->private);
	return single_release(inode, file);
}

static const struct proc_ops tf_stats_proc_ops = {
	.proc_open	= tf_stats_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= tf_stats_release,
};

static const struct {
	const char		*name;
	umode_t			mode;
	const struct proc_ops	*ops;
} tf_proc_files[] = {
	{ "rules",	0600, &tf_rules_proc_ops },
	{ "events",	0400, &tf_events_proc_ops },
	{ "stats",	0444, &tf_stats_proc_ops },
};

int tf_proc_init(struct net *net, struct tf_net *tn)
{
	kuid_t uid = make_kuid(net->user_ns, 0);
	kgid_t gid = make_kgid(net->user_ns, 0);
	struct proc_dir_entry *pde;
	unsigned int i;

	/*
	 * unshare -Urn makes the namespace before the user namespace has a
	 * uid map: no root to give the files to yet.  They go to the user
	 * namespace's owner, to whom root is then mapped (unshare -r); the
	 * owner has every capability in it anyway.
	 */
	if (!uid_valid(uid) || !gid_valid(gid)) {
		uid = net->user_ns->owner;
		gid = net->user_ns->group;
	}
	tn->proc_dir = proc_net_mkdir(net, "tcpfault", net->proc_net);
	if (!tn->proc_dir)
		return -ENOMEM;
	proc_set_user(tn->proc_dir, uid, gid);

	for (i = 0; i < ARRAY_SIZE(tf_proc_files); i++) {
		pde = proc_create_data(tf_proc_files[i].name,
				       tf_proc_files[i].mode, tn->proc_dir,
				       tf_proc_files[i].ops, net);
		if (!pde) {
			remove_proc_subtree("tcpfault", net->proc_net);
			tn->proc_dir = NULL;
			return -ENOMEM;
		}
		proc_set_user(pde, uid, gid);
	}
	return 0;
}

void tf_proc_exit(struct net *net, struct tf_net *tn)
{
	if (tn->proc_dir)
		remove_proc_subtree("tcpfault", net->proc_net);
	tn->proc_dir = NULL;
}
