// SPDX-License-Identifier: GPL-2.0
/*
 * tf_send: connects, prints "connected sport P", waits until --go FILE
 * exists (so a suite can blackhole the established flow), then either
 * writes --bytes N bytes and blocks in recv() until the connection fails
 * (the retransmission timeout), or with --close closes the socket at once
 * (the FIN is left to the kernel: an orphan).
 *
 * Prints one line, times from CLOCK_MONOTONIC (the clock of the tcpfault
 * event log):
 *   start_ns S end_ns E elapsed_ms X errno NAME
 * start = just before send() (or close()), end = when recv() returned
 * (= start with --close). Exit status 0 (closed, or recv() returned 0),
 * 1 recv() failed, 2 usage or setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "tf_send";

#include "tf_helpers.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [ --user-timeout MS ] [ --bytes N ] [ --close ] --go FILE ADDR PORT\n"
		"--user-timeout MS TCP_USER_TIMEOUT\n"
		"--bytes N         bytes to send (default 100)\n"
		"--close           close() instead of sending (orphaned FIN)\n"
		"--go FILE         wait for FILE to exist before sending/closing\n",
		prog);
}

int main(int argc, char **argv)
{
	unsigned long user_timeout = 0, bytes = 100, port;
	bool have_ut = false, do_close = false;
	const char *go = NULL;
	struct sockaddr_storage dst;
	struct sockaddr_storage src;
	socklen_t dlen, slen = sizeof(src);
	unsigned long long start, end;
	static char buf[65536];
	struct stat st;
	int fd, err = 0;
	ssize_t n;

	while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-') {
		const char *opt = argv[1];

		if (!strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(opt, "--close")) {
			do_close = true;
			argc--, argv++;
			continue;
		}
		if (argc < 3) {
			fprintf(stderr, "%s: \"%s\" needs a value\n", prog, opt);
			return 2;
		}
		if (!strcmp(opt, "--user-timeout") && parse_uint(argv[2], 0x7fffffff, &user_timeout)) {
			have_ut = true;
		} else if (!strcmp(opt, "--bytes") && parse_uint(argv[2], sizeof(buf), &bytes) && bytes) {
			;
		} else if (!strcmp(opt, "--go")) {
			go = argv[2];
		} else {
			fprintf(stderr, "%s: bad option or value \"%s %s\"\n", prog, opt, argv[2]);
			usage(stderr);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc != 3 || !go) {
		usage(stderr);
		return 2;
	}
	if (!parse_uint(argv[2], 65535, &port) || !port) {
		fprintf(stderr, "%s: invalid value \"%s\" for \"PORT\"\n", prog, argv[2]);
		return 2;
	}
	if (!parse_addr(argv[1], port, &dst, &dlen))
		return invarg(argv[1], "ADDR");

	fd = socket(dst.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("tf_send: socket");
		return 2;
	}
	if (have_ut && setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
				  &(unsigned int){ user_timeout }, sizeof(unsigned int))) {
		perror("tf_send: TCP_USER_TIMEOUT");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&dst, dlen)) {
		perror("tf_send: connect");
		return 2;
	}
	getsockname(fd, (struct sockaddr *)&src, &slen);
	printf("connected sport %u\n", addr_port(&src));
	fflush(stdout);

	while (stat(go, &st))
		usleep(10000);
	memset(buf, 'x', bytes);
	/* see tf_connect: no 9p page faults between the two clock reads */
	mlockall(MCL_CURRENT);

	start = now_ns();
	if (do_close) {
		close(fd);
		printf("start_ns %llu end_ns %llu elapsed_ms 0 errno 0\n", start, start);
		return 0;
	}
	n = send(fd, buf, bytes, 0);
	if (n != (ssize_t)bytes) {
		perror("tf_send: send");
		return 2;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	err = n < 0 ? errno : 0;
	end = now_ns();
	printf("start_ns %llu end_ns %llu elapsed_ms %llu errno %s\n",
	       start, end, (end - start) / 1000000, errno_name(err));
	close(fd);
	return err ? 1 : 0;
}
