// SPDX-License-Identifier: GPL-2.0
/*
 * tf_idle: an established connection left to the kernel's idle-time timers
 * (keepalive, zero-window probes), timed with CLOCK_MONOTONIC (the clock of
 * the tcpfault event log).
 *
 * Connects, sets TCP_USER_TIMEOUT if asked, writes "connected" to --ready
 * FILE, waits for a line on --go FIFO (so a suite can add its rules once the
 * handshake is over), then "starts": sets TCP_KEEPIDLE/KEEPINTVL/KEEPCNT and
 * SO_KEEPALIVE (keepalive timer armed now), sends each --send BYTES (from
 * the second on, once the previous ones are acknowledged: the last send is
 * the one a zero window holds back, arming the probe timer), and blocks in
 * recv() until it fails. start_ns is taken just before the last action that
 * arms the timer. Prints one line:
 *   start_ns S end_ns E elapsed_ms X errno NAME rto_ms R sport P
 * (rto_ms = tcpi_rto at the start). Exit 0 on EOF, 1 when recv() failed
 * (errno ETIMEDOUT, EINTR on --timeout ...), 2 usage or setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "tf_idle";

#include "tf_helpers.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [ --keepalive ] [ --keepidle S ] [ --keepintvl S ] [ --keepcnt N ]\n"
		"               [ --user-timeout MS ] [ --send BYTES ]... [ --ready FILE ]\n"
		"               [ --go FIFO ] [ --timeout S ] ADDR PORT\n"
		"--keepalive       SO_KEEPALIVE at the start\n"
		"--keepidle S      TCP_KEEPIDLE (1-32767), likewise --keepintvl S, --keepcnt N\n"
		"--user-timeout MS TCP_USER_TIMEOUT (set before connect())\n"
		"--send BYTES      at the start send BYTES bytes; repeatable\n"
		"--ready FILE      create FILE once connected\n"
		"--go FIFO         then wait for a line on FIFO before the start\n"
		"--timeout S       give up after S seconds (SIGALRM; errno EINTR)\n",
		prog);
}

/* Waits (1 ms steps, at most 10 s) until everything sent is acknowledged. */
static void wait_acked(int fd)
{
	int i, outq;

	for (i = 0; i < 10000; i++) {
		if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq == 0)
			return;
		usleep(1000);
	}
	fprintf(stderr, "%s: data not acknowledged after 10 s\n", prog);
}

#define MAX_SENDS 8

int main(int argc, char **argv)
{
	unsigned long keepidle = 0, keepintvl = 0, keepcnt = 0, user_timeout = 0;
	unsigned long timeout = 0, port, sends[MAX_SENDS];
	unsigned int nsends = 0, i;
	bool keepalive = false;
	const char *ready = NULL, *go = NULL;
	struct sockaddr_storage dst;
	socklen_t dlen;
	unsigned long long start = 0, end;
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);
	unsigned int rto_ms = 0, sport;
	static char buf[65536];
	const struct tf_opt opts[] = {
		OPT_FLAG("--keepalive", &keepalive),
		OPT_UINT("--keepidle", &keepidle, 1, 32767),
		OPT_UINT("--keepintvl", &keepintvl, 1, 32767),
		OPT_UINT("--keepcnt", &keepcnt, 1, 127),
		OPT_UINT("--user-timeout", &user_timeout, 0, 0x7fffffff),
		OPT_UINT("--timeout", &timeout, 0, 1000000),
		OPT_UINTS("--send", sends, &nsends, sizeof(buf)),
		OPT_STR("--ready", &ready),
		OPT_STR("--go", &go),
		OPT_END
	};
	ssize_t n;
	int fd, err;

	err = parse_args(&argc, &argv, opts, usage, &dst, &dlen, &port);
	if (err >= 0)
		return err;
	memset(buf, 'x', sizeof(buf));
	mlockall(MCL_CURRENT);

	fd = tcp_connect(&dst, dlen, user_timeout);
	if (fd < 0)
		return 2;
	sport = local_port(fd);
	if (!write_ready(ready, "connected\n"))
		return 2;
	if (go) {
		FILE *g = fopen(go, "r");
		char line[64];

		if (!g || !fgets(line, sizeof(line), g)) {
			fprintf(stderr, "%s: no go on %s\n", prog, go);
			return 2;
		}
		fclose(g);
	}

	/* The start: arm the timers. */
	if ((keepidle && setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, keepidle, "TCP_KEEPIDLE")) ||
	    (keepintvl && setint(fd, IPPROTO_TCP, TCP_KEEPINTVL, keepintvl, "TCP_KEEPINTVL")) ||
	    (keepcnt && setint(fd, IPPROTO_TCP, TCP_KEEPCNT, keepcnt, "TCP_KEEPCNT")))
		return 2;
	start = now_ns();
	if (keepalive && setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"))
		return 2;
	for (i = 0; i < nsends; i++) {
		if (i) {
			wait_acked(fd);
			start = now_ns();
		}
		if (send(fd, buf, sends[i], 0) != (ssize_t)sends[i]) {
			fprintf(stderr, "%s: send: %s\n", prog, strerror(errno));
			return 2;
		}
	}
	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen))
		rto_ms = ti.tcpi_rto / 1000;
	arm_alarm(timeout);
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0);
	err = n < 0 ? errno : 0;
	end = now_ns();
	alarm(0);
	printf("start_ns %llu end_ns %llu elapsed_ms %llu errno %s rto_ms %u sport %u\n",
	       start, end, (end - start) / 1000000, errno_name(err), rto_ms,
	       sport);
	fflush(stdout);
	close(fd);
	return err ? 1 : 0;
}
