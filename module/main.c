// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfault: make TCP fail on purpose, between two real TCP stacks.
 *
 * Rules, events and counters live per network namespace; a namespace has
 * hooks only where its rules can match (hooks.c), so one without rules
 * costs nothing.  See Documentation/ for the rule language.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <net/netns/generic.h>

#include "tf.h"

unsigned int tf_net_id __read_mostly;

unsigned int tf_event_ring_size __read_mostly = 4096;
unsigned int tf_max_flows __read_mostly = 65536;
unsigned int tf_flow_timeout __read_mostly = 4 * 3600;
unsigned int tf_delay_max __read_mostly = 10000;

/* Parameters refuse values outside their range instead of clamping. */
static int tf_param_set_range(const char *val, const struct kernel_param *kp,
			      unsigned int min, unsigned int max)
{
	unsigned int v;
	int err;

	err = kstrtouint(val, 0, &v);
	if (err)
		return err;
	if (v < min || v > max) {
		pr_err("%s must be in [%u, %u]\n", kp->name, min, max);
		return -ERANGE;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int tf_param_set_ring(const char *val, const struct kernel_param *kp)
{
	return tf_param_set_range(val, kp, 16, 1 << 20);
}

static int tf_param_set_flows(const char *val, const struct kernel_param *kp)
{
	return tf_param_set_range(val, kp, 1, 1 << 24);
}

static int tf_param_set_timeout(const char *val, const struct kernel_param *kp)
{
	return tf_param_set_range(val, kp, 1, 7 * 24 * 3600);
}

static int tf_param_set_delay(const char *val, const struct kernel_param *kp)
{
	return tf_param_set_range(val, kp, 1, 1 << 20);
}

static const struct kernel_param_ops tf_delay_param_ops = {
	.set	= tf_param_set_delay,
	.get	= param_get_uint,
};

static const struct kernel_param_ops tf_ring_param_ops = {
	.set	= tf_param_set_ring,
	.get	= param_get_uint,
};

static const struct kernel_param_ops tf_flows_param_ops = {
	.set	= tf_param_set_flows,
	.get	= param_get_uint,
};

static const struct kernel_param_ops tf_timeout_param_ops = {
	.set	= tf_param_set_timeout,
	.get	= param_get_uint,
};

module_param_cb(event_ring, &tf_ring_param_ops, &tf_event_ring_size, 0644);
MODULE_PARM_DESC(event_ring,
		 "Events kept per namespace, 16..1048576 (applies to namespaces getting their first rule)");
module_param_cb(max_flows, &tf_flows_param_ops, &tf_max_flows, 0644);
MODULE_PARM_DESC(max_flows, "Flows tracked per namespace, 1..16777216");
module_param_cb(flow_timeout, &tf_timeout_param_ops, &tf_flow_timeout, 0644);
MODULE_PARM_DESC(flow_timeout, "Seconds an idle flow's state is kept");
module_param_cb(delay_max, &tf_delay_param_ops, &tf_delay_max, 0644);
MODULE_PARM_DESC(delay_max, "Packets the delay action holds per namespace, 1..1048576");

static int __net_init tf_net_init(struct net *net)
{
	struct tf_net *tn = tf_net(net);
	int err;

	write_pnet(&tn->net, net);
	RCU_INIT_POINTER(tn->table, NULL);
	mutex_init(&tn->write_lock);
	tf_ring_init(&tn->ring);
	tf_delay_init(&tn->delay);

	tn->stats = alloc_percpu(struct tf_stats);
	if (!tn->stats)
		return -ENOMEM;
	err = tf_flows_init(&tn->flows);
	if (err)
		goto err_flows;
	err = tf_proc_init(net, tn);
	if (err)
		goto err_proc;
	return 0;

err_proc:
	tf_flows_exit(&tn->flows);
err_flows:
	free_percpu(tn->stats);
	return err;
}

/*
 * Unregistering hooks does not wait for packets still inside them; the
 * netns core runs synchronize_rcu() between pre_exit and exit, after which
 * nothing can touch this namespace's state.  A write still running (rmmod
 * does not wait for open files) adds no hook after this.
 */
static void __net_exit tf_net_pre_exit(struct net *net)
{
	struct tf_net *tn = tf_net(net);

	mutex_lock(&tn->write_lock);
	tn->dying = true;
	tf_hooks_trim(tn, 0);
	mutex_unlock(&tn->write_lock);
}

static void __net_exit tf_net_exit(struct net *net)
{
	struct tf_net *tn = tf_net(net);

	tf_proc_exit(net, tn);
	tf_delay_exit(&tn->delay);
	tf_rules_free(tn);
	tf_flows_exit(&tn->flows);
	tf_ring_exit(&tn->ring);
	free_percpu(tn->stats);
}

static struct pernet_operations tf_net_ops __read_mostly = {
	.init		= tf_net_init,
	.pre_exit	= tf_net_pre_exit,
	.exit		= tf_net_exit,
	.id		= &tf_net_id,
	.size		= sizeof(struct tf_net),
};

/* A device goes: packets the delay action holds for it are dropped. */
static int tf_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event == NETDEV_DOWN || event == NETDEV_UNREGISTER)
		tf_delay_dev_gone(&tf_net(dev_net(dev))->delay, dev);
	return NOTIFY_DONE;
}

static struct notifier_block tf_netdev_notifier = {
	.notifier_call	= tf_netdev_event,
};

static int __init tf_init(void)
{
	int err;

	err = register_pernet_subsys(&tf_net_ops);
	if (err)
		return err;
	err = register_netdevice_notifier(&tf_netdev_notifier);
	if (err) {
		unregister_pernet_subsys(&tf_net_ops);
		return err;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit tf_exit(void)
{
	unregister_netdevice_notifier(&tf_netdev_notifier);
	unregister_pernet_subsys(&tf_net_ops);
	/* Rules and tables are freed by RCU callbacks: let them finish. */
	rcu_barrier();
	pr_info("unloaded\n");
}

module_init(tf_init);
module_exit(tf_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("tcpfault developers");
MODULE_DESCRIPTION("Make TCP fail on purpose: drop or change chosen packets per port and handshake stage");
MODULE_VERSION(TF_VERSION);
