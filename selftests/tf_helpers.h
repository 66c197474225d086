/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the suites' C helpers share: iproute2-style argument errors, number
 * parsing, and the clock of the tcpfault event log. Include it after
 * defining `static const char *prog`, the helper's name for messages.
 */
#ifndef _TF_HELPERS_H
#define _TF_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int invarg(const char *val, const char *opt)
{
	fprintf(stderr, "%s: invalid value \"%s\" for \"%s\"\n", prog, val, opt);
	return 2;
}

static inline bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v <= max;
}

/* CLOCK_MONOTONIC, the clock of the module's event timestamps. */
static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline const char *errno_name(int err)
{
	const char *name;

	if (!err)
		return "0";
	name = strerrorname_np(err);
	return name ? name : "unknown";
}

#endif /* _TF_HELPERS_H */
