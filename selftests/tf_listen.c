// SPDX-License-Identifier: GPL-2.0
/*
 * tf_listen: a real TCP server for the suites. Listens on ADDR PORT, prints
 * "listening ADDR PORT" once listen() returned (and creates --ready FILE),
 * then accepts and, per connection, holds it open reading and discarding
 * (default), echoes (--echo) or answers one HTTP/1.0 200 (--http). Runs until
 * killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 1024

static const char *prog = "tf_listen";

#include "tf_helpers.h"

enum mode { MODE_HOLD, MODE_ECHO, MODE_HTTP };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [ --echo | --http ] [ --ready FILE ] [ --backlog N ] [ --syncnt N ]\n"
		"                 ADDR PORT\n"
		"ADDR := { IPv4 address | IPv6 address }\n"
		"default: accept and hold each connection, discarding what it sends\n"
		"--echo   send back what each connection sends\n"
		"--http   answer each request with HTTP/1.0 200 and close\n"
		"--ready FILE  create FILE once listening\n"
		"--syncnt N    TCP_SYNCNT on the listener (SYN-ACK retransmissions, 1-127)\n",
		prog);
}

static void serve(struct pollfd *p, enum mode mode)
{
	static const char reply[] =
		"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		"Content-Length: 20\r\nConnection: close\r\n\r\n"
		"hello from tf_listen\n";
	char buf[4096];
	ssize_t n = read(p->fd, buf, sizeof(buf));

	if (n > 0 && mode == MODE_ECHO && write(p->fd, buf, n) == n)
		return;
	if (n > 0 && mode == MODE_HOLD)
		return;
	if (n > 0 && mode == MODE_HTTP)
		(void)!write(p->fd, reply, sizeof(reply) - 1);
	close(p->fd);
	p->fd = -1;
}

int main(int argc, char **argv)
{
	static struct pollfd pfd[MAX_CONNS + 1];
	const char *ready = NULL;
	unsigned long backlog = 128, port, syncnt = 0;
	enum mode mode = MODE_HOLD;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;
	nfds_t nfds = 1, i;

	while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-') {
		const char *opt = argv[1];

		if (!strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(opt, "--echo")) {
			mode = MODE_ECHO;
			argc--, argv++;
			continue;
		} else if (!strcmp(opt, "--http")) {
			mode = MODE_HTTP;
			argc--, argv++;
			continue;
		}
		if (argc < 3) {
			fprintf(stderr, "%s: \"%s\" needs a value\n", prog, opt);
			return 2;
		}
		if (!strcmp(opt, "--ready")) {
			ready = argv[2];
		} else if (!strcmp(opt, "--backlog")) {
			if (!parse_uint(argv[2], 65535, &backlog))
				return invarg(argv[2], opt);
		} else if (!strcmp(opt, "--syncnt")) {
			if (!parse_uint(argv[2], 127, &syncnt) || !syncnt)
				return invarg(argv[2], opt);
		} else {
			fprintf(stderr, "%s: unknown option \"%s\"\n", prog, opt);
			usage(stderr);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	if (!parse_uint(argv[2], 65535, &port) || !port)
		return invarg(argv[2], "PORT");
	if (!parse_addr(argv[1], port, &ss, &len))
		return invarg(argv[1], "ADDR");

	signal(SIGPIPE, SIG_IGN);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (syncnt && setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &(int){ syncnt }, sizeof(int))) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog)) {
		fprintf(stderr, "%s: %s port %lu: %s\n", prog, argv[1], port,
			strerror(errno));
		return 1;
	}
	printf("listening %s %lu\n", argv[1], port);
	fflush(stdout);
	if (!write_ready(ready, "%s", ""))
		return 1;

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("tf_listen: poll");
			return 1;
		}
		for (i = 1; i < nfds; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents)
				serve(&pfd[i], mode);
		/* Compact the closed slots away. */
		for (i = 1; i < nfds;) {
			if (pfd[i].fd < 0)
				pfd[i] = pfd[--nfds];
			else
				i++;
		}
		if (pfd[0].revents & POLLIN) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0 && nfds <= MAX_CONNS) {
				pfd[nfds].fd = c;
				pfd[nfds].events = POLLIN;
				pfd[nfds].revents = 0;
				nfds++;
			} else if (c >= 0) {
				close(c);
			}
		}
	}
}
