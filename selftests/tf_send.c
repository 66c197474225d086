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
	bool do_close = false;
	const char *go = NULL;
	struct sockaddr_storage dst;
	socklen_t dlen;
	unsigned long long start, end;
	static char buf[65536];
	const struct tf_opt opts[] = {
		OPT_UINT("--user-timeout", &user_timeout, 0, 0x7fffffff),
		OPT_UINT("--bytes", &bytes, 1, sizeof(buf)),
		OPT_FLAG("--close", &do_close),
		OPT_STR("--go", &go),
		OPT_END
	};
	struct stat st;
	int fd, err = 0;
	ssize_t n;

	err = parse_args(&argc, &argv, opts, usage, &dst, &dlen, &port);
	if (err >= 0)
		return err;
	if (!go) {
		fprintf(stderr, "%s: --go FILE is required\n", prog);
		usage(stderr);
		return 2;
	}

	fd = tcp_connect(&dst, dlen, user_timeout);
	if (fd < 0)
		return 2;
	printf("connected sport %u\n", local_port(fd));
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
