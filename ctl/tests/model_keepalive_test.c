// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the "keepalive" and "probe" models (ctl/model_keepalive.c):
 * the kernel's arithmetic (keepalive_time/intvl/probes and the socket
 * options, TCP_USER_TIMEOUT, probe0 backoff capped at TCP_RTO_MAX, give-up
 * at tcp_retries2) and the timer-wheel windows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../model.h"
#include "check.h"
#include "model_compute.h"

#define S(x) ((int64_t)((x) * 1e9 + 0.5))
#define J	4000000LL	/* one jiffy at HZ=250, ns */

/* gaps[0] = arming to probe 1, gaps[i] = probe i to i + 1, then the wait to the give-up. */
static bool fits(const double *gaps, unsigned int probes, double wait, double total)
{
	unsigned int i;

	if (probes < m.retrans_min || probes > m.retrans_max)
		return false;
	for (i = 0; i < probes; i++)
		if (!tf_model_in_window(&m.step[i], S(gaps[i])))
			return false;
	if (m.step[probes].fire == TF_FIRE_RETRANSMIT)
		return false;
	if (!tf_model_in_window(&m.step[probes], S(wait)))
		return false;
	return S(total) >= m.giveup_lo_ns && S(total) <= m.giveup_hi_ns;
}

static void test_keepalive_defaults(void)
{
	static const double ok[] = { 7250.0, 75.5, 75.2, 76.0, 75.1, 75.0, 75.9, 75.3, 75.4 };
	static const double early[] = { 7199.0, 75.5, 75.2, 76.0, 75.1, 75.0, 75.9, 75.3, 75.4 };
	static const double slack4096[] = { 7200.0 + 16.5, 75, 75, 75, 75, 75, 75, 75, 75 };
	double total = 0;
	unsigned int i;

	for (i = 0; i < 9; i++)
		total += ok[i];
	total += 75.2;
	compute(TF_MODEL_KEEPALIVE, "6.1.0-56-amd64", NULL);
	CHECK(m.nsteps == 10 && m.retrans_min == 9 && m.retrans_max == 9,
	      "defaults: 9 probes (%u-%u, %u steps)", m.retrans_min, m.retrans_max, m.nsteps);
	CHECK(m.step[0].timer_min == 7200 * 250, "idle 7200 s");
	/* 1 800 000 jiffies: level 5 of the wheel, 32768 jiffies = 131.072 s */
	CHECK(m.step[0].gran == 32768, "7200 s timer granularity %u", m.step[0].gran);
	CHECK(m.step[1].timer_min == 75 * 250 && m.step[1].gran == 512, "intvl 75 s, gran 512");
	CHECK(m.step[9].fire == TF_FIRE_GIVEUP && m.err == ETIMEDOUT, "give-up at the 10th expiry");
	CHECK(m.giveup_lo_ns > S(7875) && m.giveup_lo_ns < S(7875.1), "give-up lo %lld",
	      (long long)m.giveup_lo_ns);
	CHECK(m.giveup_hi_ns >= S(7875 + 131.072 + 9 * 2.048) &&
	      m.giveup_hi_ns < S(7875 + 131.072 + 9 * 2.048 + 0.1), "give-up hi %lld",
	      (long long)m.giveup_hi_ns);
	CHECK(fits(ok, 9, 75.2, total), "plausible default schedule");
	CHECK(!fits(early, 9, 75.2, total - 51), "first probe before 7200 s");
	CHECK(!fits(ok, 8, 75.2, total - 75), "8 probes");
	CHECK(fits(slack4096, 9, 75, 7875 + 16.5), "16.5 s of slack is in the window");

	compute(TF_MODEL_KEEPALIVE, "6.12.117+deb12-amd64", NULL);
	CHECK(m.retrans_min == 9 && m.step[0].gran == 32768, "6.12 the same");
}

static void test_keepalive_options(void)
{
	static const char *const opt[] = { "keepidle", "60", "keepintvl", "10", "keepcnt", "3", NULL };
	static const char *const sys[] = { "tcp_keepalive_time", "30", "tcp_keepalive_intvl", "5",
					   "tcp_keepalive_probes", "4", NULL };
	static const char *const both[] = { "tcp_keepalive_time", "30", "keepidle", "60", NULL };
	static const char *const ut[] = { "keepidle", "60", "keepintvl", "10", "keepcnt", "3",
					  "user_timeout", "95000", NULL };
	static const char *const utshort[] = { "keepidle", "60", "keepintvl", "10",
					       "user_timeout", "5000", NULL };
	static const double g603[] = { 60.3, 10.1, 10.2 };
	struct tf_model_params p;

	compute(TF_MODEL_KEEPALIVE, "6.12", opt);
	CHECK(m.retrans_min == 3 && m.nsteps == 4, "keepcnt 3");
	CHECK(m.step[0].timer_min == 15000 && m.step[0].gran == 512, "keepidle 60 s, gran 512");
	CHECK(m.step[1].timer_min == 2500 && m.step[1].gran == 64, "keepintvl 10 s, gran 64");
	CHECK(fits(g603, 3, 10.1, 90.7), "60/10/3 plausible");
	CHECK(!fits(g603, 3, 10.1, 89.9), "60/10/3 total too short");

	compute(TF_MODEL_KEEPALIVE, "6.1", sys);
	CHECK(m.retrans_min == 4 && m.step[0].timer_min == 7500 && m.step[1].timer_min == 1250,
	      "sysctls 30/5/4");
	compute(TF_MODEL_KEEPALIVE, "6.1", both);
	CHECK(m.step[0].timer_min == 15000, "TCP_KEEPIDLE overrides the sysctl");

	/* TCP_USER_TIMEOUT replaces TCP_KEEPCNT: 60 + 10 k >= 95 at k = 4 */
	compute(TF_MODEL_KEEPALIVE, "6.12", ut);
	CHECK(m.retrans_min == 4 && m.retrans_max == 4, "user timeout 95 s: %u-%u probes",
	      m.retrans_min, m.retrans_max);
	CHECK(m.giveup_lo_ns >= S(100), "give-up at the expiry after 95 s");
	/* user timeout below keepidle: one probe, then the give-up */
	compute(TF_MODEL_KEEPALIVE, "6.12", utshort);
	CHECK(m.retrans_min == 1 && m.retrans_max == 1, "user timeout 5 s < idle: one probe");

	CHECK(tf_model_params_init(&p, "6.1") == 0, "init");
	CHECK(tf_model_param_set(&p, "keepidle", "0") == -EINVAL, "keepidle 0");
	CHECK(tf_model_param_set(&p, "keepidle", "32768") == -EINVAL, "keepidle 32768");
	CHECK(tf_model_param_set(&p, "keepcnt", "128") == -EINVAL, "keepcnt 128");
	CHECK(tf_model_param_set(&p, "keepintvl", "x") == -EINVAL, "keepintvl x");
	CHECK(tf_model_param_set(&p, "keepalive", "1") == -ENOENT, "unknown");
}

static void test_probe(void)
{
	static const char *const r5[] = { "tcp_retries2", "5", NULL };
	static const char *const r5ms[] = { "tcp_retries2", "5", "rto_ms", "204", NULL };
	static const char *const ans[] = { "answered", "1", "steps", "14", NULL };
	static const char *const ut[] = { "user_timeout", "10000", NULL };
	static const double g5[] = { 0.208, 0.412, 0.82, 1.64, 3.3 };
	unsigned int i;
	double t = 0;

	compute(TF_MODEL_PROBE, "6.1", r5);
	CHECK(m.retrans_min == 5 && m.retrans_max == 5 && m.nsteps == 6, "retries2 5: 5 probes");
	CHECK(m.step[0].timer_min == 51 && m.step[1].timer_min == 102 &&
	      m.step[5].timer_min == 51 << 5, "base 204 ms (51 jiffies), doubling");
	CHECK(m.step[5].fire == TF_FIRE_GIVEUP, "give-up after the 5th probe's timer");
	for (i = 0; i < 5; i++)
		t += g5[i];
	CHECK(fits(g5, 5, 6.6, t + 6.6), "retries2 5 plausible");
	CHECK(!fits(g5, 4, 3.3, t), "4 probes");

	compute(TF_MODEL_PROBE, "6.12", r5ms);
	CHECK(m.step[0].timer_min == 51, "rto_ms 204 -> 51 jiffies");

	/* default tcp_retries2 15: 51 << 9 = 26112, then TCP_RTO_MAX */
	compute(TF_MODEL_PROBE, "6.12", NULL);
	CHECK(m.retrans_min == 15 && m.nsteps == 16, "retries2 15: 15 probes");
	CHECK(m.step[9].timer_min == 26112 && m.step[10].timer_min == 30000 &&
	      m.step[15].timer_min == 30000, "cap at TCP_RTO_MAX");
	CHECK(m.giveup_lo_ns > S(928.69) && m.giveup_lo_ns < S(928.8), "15: %lld",
	      (long long)m.giveup_lo_ns);

	compute(TF_MODEL_PROBE, "6.12", ans);
	CHECK(m.err == 0 && m.nsteps == 14 && m.step[13].fire == TF_FIRE_RETRANSMIT,
	      "answered: lives on");
	CHECK(m.step[12].timer_min == 30000, "answered: backoff keeps growing to the cap");

	/* TCP_USER_TIMEOUT: counted from the first probe, clamps the timer */
	compute(TF_MODEL_PROBE, "6.12", ut);
	CHECK(m.err == ETIMEDOUT && m.giveup_lo_ns >= S(10.2) && m.giveup_hi_ns <= S(10.5),
	      "user timeout 10 s: give-up [%lld, %lld]", (long long)m.giveup_lo_ns,
	      (long long)m.giveup_hi_ns);
}

int main(void)
{
	test_keepalive_defaults();
	test_keepalive_options();
	test_probe();
	printf("model_keepalive_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
