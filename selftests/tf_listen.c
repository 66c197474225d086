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
	bool echo = false, http = false;
	struct sockaddr_storage ss;
	socklen_t len;
	const struct tf_opt opts[] = {
		OPT_FLAG("--echo", &echo),
		OPT_FLAG("--http", &http),
		OPT_STR("--ready", &ready),
		OPT_UINT("--backlog", &backlog, 0, 65535),
		OPT_UINT("--syncnt", &syncnt, 1, 127),
		OPT_END
	};
	int fd, ret;
	nfds_t nfds = 1, i;

	ret = parse_args(&argc, &argv, opts, usage, &ss, &len, &port);
	if (ret >= 0)
		return ret;
	if (echo && http) {
		fprintf(stderr, "%s: --echo and --http exclude each other\n", prog);
		return 2;
	}
	mode = echo ? MODE_ECHO : http ? MODE_HTTP : MODE_HOLD;

	signal(SIGPIPE, SIG_IGN);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || setint(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") ||
	    (syncnt && setint(fd, IPPROTO_TCP, TCP_SYNCNT, syncnt, "TCP_SYNCNT")) ||
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
