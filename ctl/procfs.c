// SPDX-License-Identifier: GPL-2.0
/*
 * The files tcpfaultctl reads and writes (procfs.h): /proc/net/tcpfault,
 * the sysctls, the module's version, and the network namespace they are
 * read in.
 *
 * -n NETNS joins /run/netns/NETNS (as `ip -n` does); afterwards
 * /proc/self/net shows that namespace's files, and /proc/sys/net its
 * sysctls (they follow the reader's network namespace).  The module's
 * version is global: /sys/module/tcpfault/version.  TCPFAULT_PROC_DIR,
 * TCPFAULT_SYSCTL_DIR and TCPFAULT_MODULE_DIR override the directories, for
 * tests on machines without the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"
#include "utils.h"

int tf_netns_enter(const char *name)
{
	static const char *const dirs[] = { "/run/netns", "/var/run/netns" };
	char path[PATH_MAX];
	unsigned int i;
	int fd = -1, err = ENOENT;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		tf_err("invalid network namespace name \"%s\"", name);
		return TF_EXIT_USAGE;
	}
	for (i = 0; i < 2 && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno != ENOENT)
			err = errno;
	}
	if (fd < 0) {
		tf_err("cannot open network namespace \"%s\": %s", name, strerror(err));
		return TF_EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		err = errno;
		close(fd);
		if (err == EPERM)
			tf_err("cannot enter network namespace \"%s\": needs CAP_SYS_ADMIN", name);
		else
			tf_err("cannot enter network namespace \"%s\": %s", name, strerror(err));
		return TF_EXIT_FAIL;
	}
	close(fd);
	return 0;
}

static const char *proc_dir(void)
{
	const char *d = getenv("TCPFAULT_PROC_DIR");

	return d && *d ? d : "/proc/self/net/tcpfault";
}

int tf_module_version(char *buf, size_t size)
{
	const char *dir = getenv("TCPFAULT_MODULE_DIR");
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/version", dir && *dir ? dir : "/sys/module/tcpfault");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fgets(buf, size, f) && buf[strcspn(buf, "\n")] == '\n';
	fclose(f);
	if (!ok)
		return -EINVAL;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int tf_sysctl_read(const char *name, int *out)
{
	const char *dir = getenv("TCPFAULT_SYSCTL_DIR");
	char path[PATH_MAX], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/proc/sys/net/ipv4", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%d", out) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int proc_error(const char *name, int err, bool write)
{
	struct stat st;

	if (stat(proc_dir(), &st) < 0 && errno == ENOENT) {
		tf_err("tcpfault module not loaded (no /proc/net/tcpfault)");
	} else if (err == EACCES || err == EPERM) {
		tf_err("%s /proc/net/tcpfault/%s: permission denied (needs CAP_NET_ADMIN)",
		       write ? "cannot write" : "cannot read", name);
	} else {
		tf_err("/proc/net/tcpfault/%s: %s", name, strerror(err));
	}
	return TF_EXIT_FAIL;
}

static int proc_open(const char *name, int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", proc_dir(), name);
	return open(path, flags | O_CLOEXEC);
}

int tf_proc_fd(const char *name)
{
	int fd = proc_open(name, O_RDONLY);

	if (fd < 0)
		proc_error(name, errno, false);
	return fd;
}

int tf_proc_read(const char *name, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	int fd;

	fd = proc_open(name, O_RDONLY);
	if (fd < 0)
		return proc_error(name, errno, false);
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		tf_err("out of memory");
		return TF_EXIT_FAIL;
	}
	for (;;) {
		if (len == cap) {
			char *nbuf = realloc(buf, cap * 2 + 1);

			if (!nbuf) {
				free(buf);
				close(fd);
				tf_err("out of memory");
				return TF_EXIT_FAIL;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			free(buf);
			close(fd);
			return proc_error(name, err, false);
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

/*
 * The reason for a rejected write: the file that refused it reads first
 * "# error line L: MESSAGE", this write's own whoever else writes.  A
 * module without that has only stats' "error line L: MESSAGE", the
 * namespace's last.
 */
static void report_kernel_error(const char *name, int fd, int err)
{
	char own[512], *buf, *line, *nl;
	ssize_t n = -1;
	size_t len;

	if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0) {
		do {
			n = read(fd, own, sizeof(own) - 1);
		} while (n < 0 && errno == EINTR);
	}
	if (n > 8) {
		own[n] = '\0';
		nl = strchr(own, '\n');
		if (nl && !strncmp(own, "# error ", 8)) {
			*nl = '\0';
			tf_err("kernel rejected the write: %s", own + 8);
			return;
		}
	}
	if (!tf_proc_read("stats", &buf, &len)) {
		for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strncmp(line, "error ", 6)) {
				tf_err("kernel rejected the write: %s", line + 6);
				free(buf);
				return;
			}
		}
		free(buf);
	}
	tf_err("write to /proc/net/tcpfault/%s: %s", name, strerror(err));
}

int tf_proc_write(const char *name, const char *buf, size_t len)
{
	ssize_t n;
	int fd;

	/* Read and write: a refused write's reason is read back from it. */
	fd = proc_open(name, O_RDWR);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = proc_open(name, O_WRONLY);
	if (fd < 0)
		return proc_error(name, errno, true);
	/* One write: the module applies all lines or none. */
	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;

		if (err == EPERM || err == EACCES) {
			close(fd);
			return proc_error(name, err, true);
		}
		report_kernel_error(name, fd, err);
		close(fd);
		return TF_EXIT_FAIL;
	}
	if (close(fd) < 0) {
		report_kernel_error(name, -1, errno);
		return TF_EXIT_FAIL;
	}
	if ((size_t)n != len) {
		tf_err("short write to /proc/net/tcpfault/%s", name);
		return TF_EXIT_FAIL;
	}
	return 0;
}
