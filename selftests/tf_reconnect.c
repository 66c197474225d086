// SPDX-License-Identifier: GPL-2.0
/*
 * tf_reconnect: a MySQL client under load that reconnects the way the
 * sysbench build of Documentation/scenarios.rst's "server restart under
 * load" incident did after its server restarted: a new
 * connection per attempt, the server's greeting never read (never
 * answered), the old socket never closed. Each attempt's socket therefore
 * keeps its local port: the server gives up on the silent client after its
 * connect_timeout (an error packet, then a FIN), the socket sits in
 * CLOSE-WAIT with all of that unread in its Recv-Q, and once the local port
 * range is used up connect() fails with EADDRNOTAVAIL.
 *
 * First a real session: the greeting is read, a HandshakeResponse41 for
 * --user (no password; the suites' server runs with --skip-grant-tables)
 * sent and its OK read; then a COM_PING every --ping MS, each answer read.
 * Prints
 *   session sport P
 * once the first ping is answered (and writes it to --ready FILE), then,
 * when a read returns EOF or fails,
 *   lost after N pings: recv R errno NAME
 * and from then on one line per reconnect attempt, --interval MS apart,
 * the time in ms since the loss:
 *   attempt I +MS sport P           (connected; left as it is)
 *   attempt I +MS errno NAME        (connect() failed; tried again)
 * until connect() fails with EADDRNOTAVAIL or --attempts ran out:
 *   gave up after I attempts +MS errno NAME
 * then holds every socket open (never closes one) until killed. Output is
 * line-buffered. Exit status 2 on usage or setup errors, 1 if the session
 * could not be set up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "tf_reconnect";

#include "tf_helpers.h"

/* Capabilities: CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION. */
#define TF_MYSQL_CAPS	(0x0001 | 0x0200 | 0x8000)
#define TF_COM_PING	0x0e

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [ --user NAME ] [ --ping MS ] [ --interval MS ] [ --attempts N ]\n"
		"                    [ --ready FILE ] ADDR PORT\n"
		"ADDR := { IPv4 address | IPv6 address }\n"
		"--user NAME     the session's user (default root, no password)\n"
		"--ping MS       a COM_PING every MS ms while the session lives (default 10)\n"
		"--interval MS   between reconnect attempts (default 1, as sysbench's usleep(1000))\n"
		"--attempts N    give up after N attempts (default 1000)\n"
		"--ready FILE    write \"session sport P\" to FILE once the first ping is answered\n",
		prog);
}

static void nap_ms(unsigned long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool read_full(int fd, unsigned char *buf, size_t len, ssize_t *last)
{
	size_t off = 0;

	while (off < len) {
		*last = recv(fd, buf + off, len - off, 0);
		if (*last <= 0) {
			if (*last < 0 && errno == EINTR)
				continue;
			return false;
		}
		off += *last;
	}
	return true;
}

/*
 * One MySQL packet: its payload's first byte in @first (0x00 OK, 0xff
 * ERR, 0x0a a greeting). False on EOF or an error (@last: recv's value).
 */
static bool read_packet(int fd, int *first, ssize_t *last)
{
	static unsigned char buf[1 << 16];
	unsigned char hdr[4];
	size_t len;

	if (!read_full(fd, hdr, 4, last))
		return false;
	len = hdr[0] | hdr[1] << 8 | hdr[2] << 16;
	if (len > sizeof(buf)) {
		errno = EMSGSIZE;
		*last = -1;
		return false;
	}
	if (len && !read_full(fd, buf, len, last))
		return false;
	*first = len ? buf[0] : -1;
	return true;
}

static bool send_packet(int fd, unsigned char seq, const unsigned char *payload, size_t len)
{
	unsigned char pkt[4 + 128];

	pkt[0] = len;
	pkt[1] = len >> 8;
	pkt[2] = len >> 16;
	pkt[3] = seq;
	memcpy(pkt + 4, payload, len);
	return send(fd, pkt, 4 + len, MSG_NOSIGNAL) == (ssize_t)(4 + len);
}

/* HandshakeResponse41: caps, max packet, charset, 23 zeros, user, no auth. */
static bool login(int fd, const char *user)
{
	unsigned char p[128] = { 0 };
	size_t ulen = strlen(user), n = 0;
	ssize_t last;
	int first;

	if (!read_packet(fd, &first, &last) || first != 0x0a)
		return false;
	p[n++] = TF_MYSQL_CAPS & 0xff;
	p[n++] = TF_MYSQL_CAPS >> 8;
	n += 2;
	p[n + 3] = 1;		/* max packet 16 MiB */
	n += 4;
	p[n++] = 33;		/* utf8_general_ci */
	n += 23;
	memcpy(p + n, user, ulen + 1);
	n += ulen + 1;
	p[n++] = 0;		/* auth response: none */
	return send_packet(fd, 1, p, n) && read_packet(fd, &first, &last) && first == 0;
}

static int connect_to(const struct sockaddr_storage *ss, socklen_t len, int *err)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);

	*err = 0;
	if (fd < 0 || connect(fd, (const struct sockaddr *)ss, len) < 0) {
		*err = errno;
		if (fd >= 0)
			close(fd);	/* never connected: nothing to hold */
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long port, ping_ms = 10, interval = 1, attempts = 1000, pings = 0, i;
	const unsigned char ping = TF_COM_PING;
	const char *user = "root", *ready = NULL;
	unsigned long long lost;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err, first;
	ssize_t last;
	const struct tf_opt opts[] = {
		OPT_STR("--user", &user),
		OPT_UINT("--ping", &ping_ms, 0, 60000),
		OPT_UINT("--interval", &interval, 0, 600000),
		OPT_UINT("--attempts", &attempts, 1, 1000000),
		OPT_STR("--ready", &ready),
		OPT_END
	};

	err = parse_args(&argc, &argv, opts, usage, &ss, &len, &port);
	if (err >= 0)
		return err;
	if (strlen(user) > 64)
		return invarg(user, "--user");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	/* The session under load. */
	fd = connect_to(&ss, len, &err);
	if (fd < 0 || !login(fd, user)) {
		fprintf(stderr, "%s: session: %s\n", prog, fd < 0 ? strerror(err) : "login failed");
		return 1;
	}
	for (;;) {
		if (!send_packet(fd, 0, &ping, 1) || !read_packet(fd, &first, &last))
			break;
		if (first != 0) {
			fprintf(stderr, "%s: COM_PING answered 0x%02x\n", prog, first & 0xff);
			return 1;
		}
		if (!pings++) {
			printf("session sport %u\n", local_port(fd));
			if (!write_ready(ready, "session sport %u\n", local_port(fd)))
				return 2;
		}
		nap_ms(ping_ms);
	}
	lost = now_ns();
	printf("lost after %lu pings: recv %zd errno %s\n", pings, last,
	       errno_name(last < 0 ? errno : 0));

	/* The reconnect loop: nothing read, nothing closed. */
	for (i = 1; ; i++) {
		fd = connect_to(&ss, len, &err);
		if (fd >= 0)
			printf("attempt %lu +%llu sport %u\n", i, (now_ns() - lost) / 1000000,
			       local_port(fd));
		else if (err != EADDRNOTAVAIL && i < attempts)
			printf("attempt %lu +%llu errno %s\n", i, (now_ns() - lost) / 1000000,
			       errno_name(err));
		if ((fd < 0 && err == EADDRNOTAVAIL) || i == attempts) {
			printf("gave up after %lu attempts +%llu errno %s\n", i,
			       (now_ns() - lost) / 1000000, errno_name(err));
			break;
		}
		nap_ms(interval);
	}
	for (;;)
		pause();
}
