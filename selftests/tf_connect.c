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

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	unsigned long syncnt = 0, user_timeout = 0, timeout = 0, port;
	bool have_syncnt = false, have_ut = false;
	const char *bind_addr = NULL, *send_text = NULL;
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	unsigned long long start, end;
	int fd, ret, err;

	while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-') {
		const char *opt = argv[1];

		if (!strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		}
		if (argc < 3) {
			fprintf(stderr, "%s: \"%s\" needs a value\n", prog, opt);
			return 2;
		}
		if (!strcmp(opt, "--syncnt")) {
			if (!parse_uint(argv[2], 127, &syncnt) || !syncnt)
				return invarg(argv[2], opt);
			have_syncnt = true;
		} else if (!strcmp(opt, "--user-timeout")) {
			if (!parse_uint(argv[2], 0x7fffffff, &user_timeout))
				return invarg(argv[2], opt);
			have_ut = true;
		} else if (!strcmp(opt, "--timeout")) {
			if (!parse_uint(argv[2], 1000000, &timeout))
				return invarg(argv[2], opt);
		} else if (!strcmp(opt, "--bind")) {
			bind_addr = argv[2];
		} else if (!strcmp(opt, "--send")) {
			send_text = argv[2];
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
	if (!parse_addr(argv[1], port, &dst, &dlen))
		return invarg(argv[1], "ADDR");
	if (bind_addr && (!parse_addr(bind_addr, 0, &src, &slen) ||
			  src.ss_family != dst.ss_family))
		return invarg(bind_addr, "--bind");

	fd = socket(dst.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("tf_connect: socket");
		return 2;
	}
	if (have_syncnt && setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &(int){ syncnt },
				      sizeof(int))) {
		perror("tf_connect: TCP_SYNCNT");
		return 2;
	}
	if (have_ut && setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
				  &(unsigned int){ user_timeout }, sizeof(unsigned int))) {
		perror("tf_connect: TCP_USER_TIMEOUT");
		return 2;
	}
	if (bind_addr && bind(fd, (struct sockaddr *)&src, slen)) {
		perror("tf_connect: bind");
		return 2;
	}
	if (timeout) {
		/* No SA_RESTART: the alarm interrupts connect() with EINTR. */
		struct sigaction sa = { .sa_handler = on_alarm };

		sigaction(SIGALRM, &sa, NULL);
		alarm(timeout);
	}

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
