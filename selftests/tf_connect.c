// SPDX-License-Identifier: GPL-2.0
/*
 * tf_connect: one blocking connect() with the socket options the SYN
 * schedule depends on, timed with CLOCK_MONOTONIC (the clock of the
 * tcpfault event log), so a suite can compare the moment connect() gave up
 * with the times of the SYNs the module dropped.
 *
 * Prints one line:
 *   start_ns S end_ns E elapsed_ms X errno NAME
 * (errno 0 when connected). Exit status 0 connected, 1 connect() failed,
 * 2 usage or setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "tf_connect";

#include "tf_helpers.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [ --syncnt N ] [ --user-timeout MS ] [ --timeout S ]\n"
		"                  [ --bind ADDR ] [ --send TEXT ] ADDR PORT\n"
		"ADDR := { IPv4 address | IPv6 address }\n"
		"--syncnt N        TCP_SYNCNT (SYN retransmissions, 1-127)\n"
		"--user-timeout MS TCP_USER_TIMEOUT\n"
		"--timeout S       give up after S seconds (SIGALRM; errno EINTR)\n"
		"--send TEXT       once connected, send TEXT and print the reply\n",
		prog);
}

int main(int argc, char **argv)
{
	unsigned long syncnt = 0, user_timeout = 0, timeout = 0, port;
	const char *bind_addr = NULL, *send_text = NULL;
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	unsigned long long start, end;
	const struct tf_opt opts[] = {
		OPT_UINT("--syncnt", &syncnt, 1, 127),
		OPT_UINT("--user-timeout", &user_timeout, 0, 0x7fffffff),
		OPT_UINT("--timeout", &timeout, 0, 1000000),
		OPT_STR("--bind", &bind_addr),
		OPT_STR("--send", &send_text),
		OPT_END
	};
	int fd, ret, err;

	ret = parse_args(&argc, &argv, opts, usage, &dst, &dlen, &port);
	if (ret >= 0)
		return ret;
	if (bind_addr && (!parse_addr(bind_addr, 0, &src, &slen) ||
			  src.ss_family != dst.ss_family))
		return invarg(bind_addr, "--bind");

	fd = tcp_socket(dst.ss_family, user_timeout);
	if (fd < 0 || (syncnt && setint(fd, IPPROTO_TCP, TCP_SYNCNT, syncnt, "TCP_SYNCNT")))
		return 2;
	if (bind_addr && bind(fd, (struct sockaddr *)&src, slen)) {
		perror("tf_connect: bind");
		return 2;
	}
	arm_alarm(timeout);

	/*
	 * Fault the whole program in now: under a virtual clock a page read
	 * from a 9p root after connect() returns would let the guest clock
	 * leap before end_ns is taken.
	 */
	mlockall(MCL_CURRENT);

	start = now_ns();
	ret = connect(fd, (struct sockaddr *)&dst, dlen);
	err = ret ? errno : 0;
	end = now_ns();
	alarm(0);

	printf("start_ns %llu end_ns %llu elapsed_ms %llu errno %s\n",
	       start, end, (end - start) / 1000000, errno_name(err));
	if (err) {
		fprintf(stderr, "%s: connect to %s port %lu: %s\n", prog, argv[1],
			port, strerror(err));
		return 1;
	}
	if (send_text) {
		char buf[4096];
		ssize_t n;

		if (write(fd, send_text, strlen(send_text)) < 0) {
			perror("tf_connect: write");
			return 1;
		}
		shutdown(fd, SHUT_WR);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, n, stdout);
		if (n < 0) {
			perror("tf_connect: read");
			return 1;
		}
	}
	fflush(stdout);
	close(fd);
	return 0;
}
