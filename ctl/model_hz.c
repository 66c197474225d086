// SPDX-License-Identifier: GPL-2.0
/*
 * CONFIG_HZ of the kernel the model is for, and where it came from:
 *
 *   1. /proc/config.gz (CONFIG_IKCONFIG_PROC), running kernel only, through
 *      a "gzip -dc" child (the tool is static and carries no inflate);
 *   2. /boot/config-RELEASE (Debian installs it), any release;
 *   3. running kernel only: clock_getres(CLOCK_MONOTONIC_COARSE), which is
 *      the tick, TICK_NSEC = (NSEC_PER_SEC + HZ/2) / HZ
 *      (kernel/time/posix-timers.c posix_get_coarse_res(), the vDSO the
 *      same): no root needed, unlike /proc/timer_list (0400);
 *   4. else 250, Debian's.
 *
 * TCPFAULT_CONFIG_GZ and TCPFAULT_BOOT_DIR replace /proc/config.gz and /boot
 * (tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model_hz.h"

extern char **environ;

int tf_hz_parse_config(FILE *f, unsigned int *hz)
{
	char line[256];
	int found = -ENOENT;

	while (fgets(line, sizeof(line), f)) {
		char *end;
		long v;

		if (strncmp(line, "CONFIG_HZ=", 10))
			continue;
		v = strtol(line + 10, &end, 10);
		if (end == line + 10 || (*end && *end != '\n') || v < 10 || v > 10000)
			return -EINVAL;
		*hz = v;
		found = 0;
	}
	return found;
}

/* gzip -dc PATH | tf_hz_parse_config */
static int hz_from_gz(const char *path, unsigned int *hz)
{
	char *argv[] = { "gzip", "-dc", "--", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	int fd[2], ret, st;
	FILE *f;
	pid_t pid;

	if (access(path, R_OK))
		return -ENOENT;
	if (pipe(fd))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	ret = posix_spawnp(&pid, "gzip", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (ret) {
		close(fd[0]);
		return -ret;
	}
	f = fdopen(fd[0], "r");
	if (!f) {
		close(fd[0]);
		ret = -errno;
	} else {
		ret = tf_hz_parse_config(f, hz);
		fclose(f);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return ret ? ret : -EIO;
	return ret;
}

static int hz_from_file(const char *path, unsigned int *hz)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return -errno;
	ret = tf_hz_parse_config(f, hz);
	fclose(f);
	return ret;
}

int tf_hz_from_tick_ns(long tick_ns, unsigned int *hz)
{
	long h;

	if (tick_ns <= 0)
		return -EINVAL;
	h = (1000000000L + tick_ns / 2) / tick_ns;
	/* exactly the kernel's TICK_NSEC for that HZ */
	if (h < 10 || h > 10000 || (1000000000L + h / 2) / h != tick_ns)
		return -EINVAL;
	*hz = h;
	return 0;
}

void tf_hz_detect(const char *release, bool running, unsigned int *hz,
		  char *from, size_t n)
{
	const char *gz = getenv("TCPFAULT_CONFIG_GZ");
	const char *boot = getenv("TCPFAULT_BOOT_DIR");
	struct timespec res;
	char path[512];

	if (!gz)
		gz = "/proc/config.gz";
	if (!boot)
		boot = "/boot";
	if (running && !hz_from_gz(gz, hz)) {
		snprintf(from, n, "from %s", gz);
		return;
	}
	snprintf(path, sizeof(path), "%s/config-%s", boot, release);
	if (!hz_from_file(path, hz)) {
		snprintf(from, n, "from %s", path);
		return;
	}
	if (running && !clock_getres(CLOCK_MONOTONIC_COARSE, &res) && !res.tv_sec &&
	    !tf_hz_from_tick_ns(res.tv_nsec, hz)) {
		snprintf(from, n, "from the tick, clock_getres(CLOCK_MONOTONIC_COARSE) = %ld ns",
			 res.tv_nsec);
		return;
	}
	*hz = 250;
	snprintf(from, n, "default: no config for %s", release);
}
