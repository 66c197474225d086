/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the suites' C helpers share: the command line (options from a
 * table, then ADDR PORT, iproute2-style errors), socket set-up, and the
 * clock of the tcpfault event log. Include it after defining
 * `static const char *prog`, the helper's name for messages. All of it is
 * static inline: each helper is one static binary, built from one file.
 */
#ifndef _TF_HELPERS_H
#define _TF_HELPERS_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* The local port of socket @fd (0 if it has none). */
static inline unsigned int local_port(int fd)
{
	struct sockaddr_storage local = { 0 };
	socklen_t llen = sizeof(local);

	getsockname(fd, (struct sockaddr *)&local, &llen);
	return addr_port(&local);
}

/*
 * The helpers' options: "--NAME" alone (TF_FLAG: *val = true) or
 * "--NAME VALUE": a whole number in [min, max] (TF_UINT; TF_UINTS appends
 * it to an array of cap, *n of them so far) or a string (TF_STR). *seen,
 * if given, is set when the option is.
 */
enum tf_opt_kind { TF_FLAG, TF_UINT, TF_UINTS, TF_STR };

struct tf_opt {
	const char *name;
	enum tf_opt_kind kind;
	void *val;		/* bool *, unsigned long *, const char ** */
	unsigned long min, max;
	bool *seen;
	unsigned int *n, cap;	/* TF_UINTS */
};

#define OPT_FLAG(nm, v)		{ .name = (nm), .kind = TF_FLAG, .val = (v) }
#define OPT_UINT(nm, v, lo, hi)	{ .name = (nm), .kind = TF_UINT, .val = (v), .min = (lo), .max = (hi) }
#define OPT_UINTS(nm, v, cnt, hi) \
	{ .name = (nm), .kind = TF_UINTS, .val = (v), .max = (hi), .n = (cnt), \
	  .cap = sizeof(v) / sizeof((v)[0]) }
#define OPT_STR(nm, v)		{ .name = (nm), .kind = TF_STR, .val = (v) }
#define OPT_END			{ .name = NULL }

/*
 * The command line "[ OPTION... ] ADDR PORT" against @opts (ended by
 * OPT_END): ADDR and PORT (1-65535) into @dst, @dlen and @port, and
 * *@argcp, *@argvp past the options (argv[1] is ADDR). -1 when it parsed;
 * otherwise the exit status: 0 after --help (usage on stdout), 2 after a
 * message naming the bad word.
 */
static inline int parse_args(int *argcp, char ***argvp, const struct tf_opt *opts,
			     void (*usage)(FILE *f), struct sockaddr_storage *dst,
			     socklen_t *dlen, unsigned long *port)
{
	const struct tf_opt *o;
	unsigned long v;
	int argc = *argcp;
	char **argv = *argvp;

	*dlen = 0;
	*port = 0;
	while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-') {
		const char *opt = argv[1];

		if (!strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		}
		for (o = opts; o->name && strcmp(o->name, opt); o++)
			;
		if (!o->name) {
			fprintf(stderr, "%s: unknown option \"%s\"\n", prog, opt);
			usage(stderr);
			return 2;
		}
		if (o->seen)
			*o->seen = true;
		if (o->kind == TF_FLAG) {
			*(bool *)o->val = true;
			argc--, argv++;
			continue;
		}
		if (argc < 3) {
			fprintf(stderr, "%s: \"%s\" needs a value\n", prog, opt);
			return 2;
		}
		if (o->kind == TF_STR) {
			*(const char **)o->val = argv[2];
		} else {
			if (!parse_uint(argv[2], o->max, &v) || v < o->min ||
			    (o->kind == TF_UINTS && *o->n == o->cap))
				return invarg(argv[2], opt);
			if (o->kind == TF_UINTS)
				((unsigned long *)o->val)[(*o->n)++] = v;
			else
				*(unsigned long *)o->val = v;
		}
		argc -= 2, argv += 2;
	}
	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	if (!parse_uint(argv[2], 65535, port) || !*port)
		return invarg(argv[2], "PORT");
	if (!parse_addr(argv[1], *port, dst, dlen))
		return invarg(argv[1], "ADDR");
	*argcp = argc;
	*argvp = argv;
	return -1;
}

/* An int socket option, or a message naming it and -1. */
static inline int setint(int fd, int level, int opt, unsigned long v, const char *name)
{
	int val = v;

	if (setsockopt(fd, level, opt, &val, sizeof(val)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A TCP socket of @family with TCP_USER_TIMEOUT @user_timeout ms (none if
 * 0: the system's default), or a message and -1.
 */
static inline int tcp_socket(int family, unsigned long user_timeout)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		return -1;
	}
	if (user_timeout &&
	    setint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout, "TCP_USER_TIMEOUT")) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A TCP connection to @dst (tcp_socket's @user_timeout), or a message and
 * -1.
 */
static inline int tcp_connect(const struct sockaddr_storage *dst, socklen_t dlen,
			      unsigned long user_timeout)
{
	int fd = tcp_socket(dst->ss_family, user_timeout);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)dst, dlen) < 0) {
		fprintf(stderr, "%s: connect: %s\n", prog, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static inline void on_alarm(int sig)
{
	(void)sig;
}

/*
 * --timeout S: SIGALRM in @seconds (none if 0), without SA_RESTART, so it
 * interrupts the blocking call (errno EINTR).
 */
static inline void arm_alarm(unsigned long seconds)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	if (!seconds)
		return;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
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
