/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files tcpfaultctl reads and writes (procfs.c): /proc/net/tcpfault of
 * the network namespace -n NETNS joined, its sysctls, the module's version.
 * Errors are said (tf_err) and returned as exit statuses where noted.
 */
#ifndef TF_PROCFS_H
#define TF_PROCFS_H

#include <stddef.h>

/* Joins /run/netns/NAME (-n NETNS, as `ip -n`): 0 or exit status. */
int tf_netns_enter(const char *name);
/* /proc/net/tcpfault/NAME, of the namespace joined. */
int tf_proc_read(const char *name, char **buf, size_t *len);	/* 0 or exit status */
int tf_proc_fd(const char *name);	/* open for reading, or -1 (said why) */
int tf_proc_write(const char *name, const char *buf, size_t len);	/* 0 or exit status */
/* /proc/sys/net/ipv4/NAME of this namespace (TCPFAULT_SYSCTL_DIR); 0 or -errno. */
int tf_sysctl_read(const char *name, int *out);
/* The loaded module's MODULE_VERSION (TCPFAULT_MODULE_DIR); 0 or -errno (-ENOENT: not loaded). */
int tf_module_version(char *buf, size_t size);

#endif
