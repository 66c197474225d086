/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the suites' C helpers share: iproute2-style argument errors, number
 * parsing, and the clock of the tcpfault event log. Include it after
 * defining `static const char *prog`, the helper's name for messages.
 */
#ifndef _TF_HELPERS_H
#define _TF_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

/* An IPv4 or IPv6 address and a port (host order) as a socket address. */
static inline bool parse_addr(const char *s, unsigned int port,
			      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

/* The port (host order) of an IPv4 or IPv6 socket address. */
static inline unsigned int addr_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
		     ((const struct sockaddr_in *)ss)->sin_port :
		     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/*
 * The --ready FILE of the helpers: written in one go (a suite polls for
 * it), or a message and false.  A NULL path is no file, and true.
 */
static inline bool __attribute__((format(printf, 2, 3)))
write_ready(const char *path, const char *fmt, ...)
{
	FILE *f;
	va_list ap;
	int n;

	if (!path)
		return true;
	f = fopen(path, "w");
	if (f) {
		va_start(ap, fmt);
		n = vfprintf(f, fmt, ap);
		va_end(ap);
		if (fclose(f) == 0 && n >= 0)
			return true;
	}
	fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
	return false;
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
