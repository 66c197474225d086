// SPDX-License-Identifier: GPL-2.0
/*
 * tf_hold: a client that keeps its connection and reports what happens to
 * it, for the kill suite: an application that never closes, like the
 * reconnecting client of the CLOSE-WAIT incident.
 *
 * Connects to ADDR PORT (IPv4 or IPv6), sends --send BYTES, writes
 * "sport P" to --ready FILE, then reads: each read that returns data
 * prints "data N"; SIGUSR1 sends "ping" (an echo server answers: "data 4").
 * When a read returns EOF or fails it prints
 *   recv R errno NAME
 * and, with --write-after, tries to send one byte:
 *   write W errno NAME
 * then holds the socket open (never closes it) until killed. With
 * --no-read it never reads: what arrives stays queued (Recv-Q).
 * Output is line-buffered. Exit status 2 on usage or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *prog = "tf_hold";

#include "tf_helpers.h"

static volatile sig_atomic_t ping;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [ --send BYTES ] [ --no-read ] [ --write-after ] [ --ready FILE ]\n"
		"               ADDR PORT\n"
		"ADDR := { IPv4 address | IPv6 address }\n"
		"--send BYTES   once connected, send BYTES bytes\n"
		"--no-read      never read (what arrives stays queued)\n"
		"--write-after  after EOF or an error, try to send one byte\n"
		"--ready FILE   write \"sport P\" to FILE once connected\n"
		"SIGUSR1: send \"ping\"\n",
		prog);
}

static void on_usr1(int sig)
{
	(void)sig;
	ping = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned long port, bytes = 0;
	bool no_read = false, write_after = false;
	const char *ready = NULL;
	struct sigaction sa = { .sa_handler = on_usr1 };
	static char buf[65536];
	const struct tf_opt opts[] = {
		OPT_UINT("--send", &bytes, 0, sizeof(buf)),
		OPT_FLAG("--no-read", &no_read),
		OPT_FLAG("--write-after", &write_after),
		OPT_STR("--ready", &ready),
		OPT_END
	};
	ssize_t n;
	int fd, err;

	err = parse_args(&argc, &argv, opts, usage, &ss, &len, &port);
	if (err >= 0)
		return err;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* No SA_RESTART: SIGUSR1 interrupts the read to send the ping. */
	sigaction(SIGUSR1, &sa, NULL);
	memset(buf, 'x', sizeof(buf));

	fd = tcp_connect(&ss, len, 0);
	if (fd < 0)
		return 2;
	if (bytes && send(fd, buf, bytes, 0) != (ssize_t)bytes) {
		fprintf(stderr, "%s: send: %s\n", prog, strerror(errno));
		return 2;
	}
	if (!write_ready(ready, "sport %u\n", local_port(fd)))
		return 2;

	for (;;) {
		if (no_read) {
			pause();
			n = 1;
		} else {
			n = recv(fd, buf, sizeof(buf), 0);
		}
		err = n < 0 ? errno : 0;
		if (ping) {
			ping = 0;
			if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
				printf("ping errno %s\n", errno_name(errno));
		}
		if (n > 0 && !no_read)
			printf("data %zd\n", n);
		if (n > 0 || err == EINTR)
			continue;
		printf("recv %zd errno %s\n", n, errno_name(err));
		break;
	}
	if (write_after) {
		n = send(fd, "x", 1, MSG_NOSIGNAL);
		printf("write %zd errno %s\n", n, errno_name(n < 0 ? errno : 0));
	}
	/* Never close: the socket stays as the kernel left it. */
	for (;;)
		pause();
}
