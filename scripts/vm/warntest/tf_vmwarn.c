// SPDX-License-Identifier: GPL-2.0
/*
 * tf_vmwarn: test module for scripts/vm/selftest.  Loaded only inside a
 * run-in-vm guest, it makes the kernel log a WARNING (mode=warn, default)
 * or a BUG/Oops (mode=oops) so the selftest can check that run-in-vm fails.
 */
#include <linux/module.h>
#include <linux/kernel.h>

static char *mode = "warn";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "warn or oops");

static int __init tf_vmwarn_init(void)
{
	if (!strcmp(mode, "oops")) {
		volatile int *p = NULL;

		pr_info("tf_vmwarn: oops on purpose\n");
		return *p;
	}
	WARN(1, "tf_vmwarn: warning on purpose\n");
	return 0;
}

static void __exit tf_vmwarn_exit(void)
{
}

module_init(tf_vmwarn_init);
module_exit(tf_vmwarn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("run-in-vm selftest: provoke a kernel WARNING or Oops");
