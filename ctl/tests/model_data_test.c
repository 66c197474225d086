// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the "data" and "fin" models (ctl/model_data.c): the
 * kernel's arithmetic (tcp_model_timeout, backoff, cap, loss probe,
 * TCP_USER_TIMEOUT clamp, tcp_orphan_retries) and reference schedules
 * measured on the Debian 6.1 and 6.12 guests under the virtual clock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../model.h"
#include "check.h"
#include "model_compute.h"

#define S(x) ((int64_t)((x) * 1e9 + 0.5))

/* Gaps (s) between consecutive transmissions and the give-up wait after the last. */
static bool fits(const double *gaps, unsigned int n, double wait_after_last, double total)
{
	unsigned int i;

	if (n + 1 < m.retrans_min + 1 || n > m.retrans_max)
		return false;
	for (i = 0; i < n; i++)
		if (!tf_model_in_window(&m.step[i], S(gaps[i])))
			return false;
	if (m.step[n].fire == TF_FIRE_RETRANSMIT || m.step[n].fire == TF_FIRE_TLP)
		return false;
	if (!tf_model_in_window(&m.step[n], S(wait_after_last)))
		return false;
	return S(total) >= m.giveup_lo_ns && S(total) <= m.giveup_hi_ns;
}

static void test_timeout(void)
{
	/* tcp_model_timeout(15, TCP_RTO_MIN): 924.6 s; 5: 12.6 s; 8: 102.2 s */
	CHECK(tf_model_timeout_base_ms(15, 50, 30000, 250) == 924600, "retries2 15");
	CHECK(tf_model_timeout_base_ms(5, 50, 30000, 250) == 12600, "retries2 5");
	CHECK(tf_model_timeout_base_ms(8, 50, 30000, 250) == 102200, "retries2 8");
	CHECK(tf_model_timeout_base_ms(0, 50, 30000, 250) == 200, "retries2 0");
}

static void test_default(void)
{
	static const char *const k[] = { "6.1.0-56-amd64", "6.12.117+deb12-amd64" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		compute(TF_MODEL_DATA, k[i], NULL);
		CHECK(m.tlp && m.pto == 51 && m.rto == 51, "%s: tlp %d pto %llu rto %llu", k[i],
		      m.tlp, (unsigned long long)m.pto, (unsigned long long)m.rto);
		CHECK(m.step[0].fire == TF_FIRE_TLP, "%s: first expiry is the probe", k[i]);
		CHECK(m.budget_ms == 924600, "%s: budget %llu", k[i], (unsigned long long)m.budget_ms);
		/* probe + 15 RTO retransmissions: 17 packets */
		CHECK(m.retrans_min == 16 && m.retrans_max == 16, "%s: retrans %u-%u", k[i],
		      m.retrans_min, m.retrans_max);
		CHECK(m.step[11].timer_max == 30000, "%s: capped at 120 s", k[i]);
		CHECK(m.giveup_lo_ns >= S(0.408 + 924.6), "%s: give-up %lld", k[i],
		      (long long)m.giveup_lo_ns);
		CHECK(m.err == ETIMEDOUT, "err");
	}
	/* without the probe: original + 15 = 16 packets, as in the incident */
	compute(TF_MODEL_DATA, "6.1", (const char *const[]){ "tcp_early_retrans", "0", NULL });
	CHECK(!m.tlp && m.retrans_min == 15 && m.retrans_max == 15, "no tlp: %u", m.retrans_min);
	CHECK(m.step[0].fire == TF_FIRE_RETRANSMIT && m.step[0].timer_max == 51, "no tlp: first");
}

/* The default icsk_rto follows the HZ: usecs_to_jiffies(srtt + 200 ms). */
static void test_default_hz(void)
{
	static const struct { const char *hz; uint64_t rto, pto; } c[] = {
		{ "100", 21, 21 }, { "250", 51, 51 }, { "300", 61, 61 }, { "1000", 201, 201 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "hz", c[i].hz, NULL });
		CHECK(m.rto == c[i].rto && m.pto == c[i].pto, "hz %s: rto %llu pto %llu", c[i].hz,
		      (unsigned long long)m.rto, (unsigned long long)m.pto);
	}
	/* given, it wins: 204 ms at HZ 1000 is 204 jiffies */
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "hz", "1000", "rto_ms", "204", NULL });
	CHECK(m.rto == 204, "hz 1000 rto_ms 204: rto %llu", (unsigned long long)m.rto);
}

static void test_retries(void)
{
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "tcp_retries2", "5", NULL });
	CHECK(m.budget_ms == 12600 && m.retrans_max == 6, "retries2 5: %u", m.retrans_max);
	/* an RTO of exactly 200 ms makes one more retransmission fit in 12.6 s */
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "tcp_retries2", "5", "rto_ms", "200",
							      "tcp_early_retrans", "0", NULL });
	CHECK(m.retrans_max == 6, "rto 200: %u-%u", m.retrans_min, m.retrans_max);
	compute(TF_MODEL_DATA, "6.1", (const char *const[]){ "tcp_retries2", "8", NULL });
	CHECK(m.budget_ms == 102200 && m.retrans_max == 9, "retries2 8: %u", m.retrans_max);
	/* tcp_retries1 is accepted and changes nothing */
	compute(TF_MODEL_DATA, "6.1", (const char *const[]){ "tcp_retries1", "1", NULL });
	CHECK(m.retrans_max == 16, "retries1");
}

static void test_user_timeout(void)
{
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "user_timeout", "10000", NULL });
	CHECK(m.budget_user && m.budget_ms == 10000, "user budget");
	CHECK(m.retrans_max == 6 && m.step[6].fire == TF_FIRE_GIVEUP, "ut: %u", m.retrans_max);
	/* clamped: 10 s - (6.528 - 0.408) s = 3.88 s = 970 jiffies */
	CHECK(m.step[6].timer_min >= 850 && m.step[6].timer_max <= 970, "clamp %u-%u",
	      m.step[6].timer_min, m.step[6].timer_max);
	CHECK(m.giveup_lo_ns >= S(10.4) && m.giveup_hi_ns < S(11.1), "ut giveup %lld %lld",
	      (long long)m.giveup_lo_ns, (long long)m.giveup_hi_ns);
}

static void test_fin(void)
{
	compute(TF_MODEL_FIN, "6.1", NULL);
	/* 0 means 8 while alive: 102.2 s from the first RTO retransmission */
	CHECK(m.budget_ms == 102200 && m.retrans_max == 9, "fin default: %u", m.retrans_max);
	compute(TF_MODEL_FIN, "6.12", (const char *const[]){ "tcp_orphan_retries", "2", NULL });
	CHECK(m.budget_ms == 1400 && m.retrans_max == 4, "fin 2: %u", m.retrans_max);
	/* not alive (RTO at 120 s) with 0: gives up at the next expiry */
	compute(TF_MODEL_FIN, "6.12", (const char *const[]){ "rto_ms", "120000",
							     "tcp_early_retrans", "0", NULL });
	CHECK(m.retrans_max == 1 && m.budget_ms == 200, "fin dead: %u %llu", m.retrans_max,
	      (unsigned long long)m.budget_ms);
}

/*
 * An RTT cached for the peer (tcp_init_metrics()) seeds icsk_rto at 3 x
 * that RTT, unbounded: scenarios.sh's silent-listen saw tcpi_rto 142584 ms
 * after a connection to the same address whose RTT sample spanned a long
 * wait. The timers stay capped at TCP_RTO_MAX (max_when).
 */
static void test_cached_rto(void)
{
	struct tf_model_params p;
	unsigned int i;

	tf_model_params_init(&p, "6.12");
	CHECK(tf_model_param_set(&p, "rto_ms", "142584") == 0, "rto 142584 accepted");
	CHECK(tf_model_param_set(&p, "rto_ms", "4294967") == 0, "rto: any u32 of us");
	CHECK(tf_model_param_set(&p, "rto_ms", "4294968") == -EINVAL, "rto 4294968");
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "rto_ms", "142584", NULL });
	CHECK(m.rto == 30000 && m.pto == 51, "capped: rto %llu pto %llu",
	      (unsigned long long)m.rto, (unsigned long long)m.pto);
	CHECK(m.step[0].fire == TF_FIRE_TLP, "the probe first");
	for (i = 1; i < m.nsteps; i++)
		CHECK(m.step[i].timer_min == 30000 && m.step[i].timer_max == 30000,
		      "step %u: %u-%u", i, m.step[i].timer_min, m.step[i].timer_max);
	/* probe, then 120 s apart: 924.6 s from the first RTO retransmission */
	CHECK(m.err == ETIMEDOUT && m.retrans_max == 9, "retrans %u-%u", m.retrans_min,
	      m.retrans_max);
	/* the same as rto_ms=120000 (the cap) */
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "rto_ms", "120000", NULL });
	CHECK(m.rto == 30000 && m.retrans_max == 9, "120000: %u", m.retrans_max);
	/* an orphan with such an RTO is not alive: tcp_orphan_retries 0 gives up */
	compute(TF_MODEL_FIN, "6.12", (const char *const[]){ "rto_ms", "142584",
							     "tcp_early_retrans", "0", NULL });
	CHECK(m.retrans_max == 1 && m.budget_ms == 200, "fin dead: %u", m.retrans_max);
	/* zero-window probes: the first timer capped too */
	compute(TF_MODEL_PROBE, "6.12", (const char *const[]){ "rto_ms", "142584", NULL });
	CHECK(m.step[0].timer_min == 30000 && m.step[1].timer_min == 30000,
	      "probe0 capped: %u %u", m.step[0].timer_min, m.step[1].timer_min);
}

static void test_bad(void)
{
	struct tf_model_params p;

	tf_model_params_init(&p, "6.1");
	CHECK(tf_model_param_set(&p, "tcp_retries2", "256") == -EINVAL, "256");
	CHECK(tf_model_param_set(&p, "tcp_early_retrans", "5") == -EINVAL, "er 5");
	CHECK(tf_model_param_set(&p, "rto_ms", "0") == -EINVAL, "rto 0");
	CHECK(tf_model_param_set(&p, "tcp_orphan_retries", "x") == -EINVAL, "x");
	CHECK(tf_model_kind_parse("fin", &(enum tf_model_kind){ 0 }) == 0, "fin kind");
}

/* Reference schedules measured on the guests (see selftests/data_schedule.sh). */
static void test_reference(void)
{
	/* a wildly wrong schedule (1 s floor) must not fit */
	static const double bad[] = { 1, 2, 4, 8, 16, 32 };

	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "tcp_retries2", "5", NULL });
	CHECK(!fits(bad, 6, 64, 127), "bad schedule fits");

	/* 6.12 guest, tcp_retries2=5 (probe + 5 RTO), ETIMEDOUT 13.518 s after send() */
	static const double r5_612[] = { 0.206, 0.208, 0.432, 0.832, 1.664, 3.520 };
	CHECK(fits(r5_612, 6, 6.656, 13.518), "6.12 retries2 5");
	/* 6.1 guest, default tcp_retries2=15: 17 packets, ETIMEDOUT 939.659 s after send() */
	static const double r15_61[] = { 0.207, 0.208, 0.428, 0.832, 1.664, 3.456, 6.656, 13.312,
					 28.160, 53.248, 106.496, 120.832, 120.832, 120.832,
					 120.832, 120.832 };
	compute(TF_MODEL_DATA, "6.1", NULL);
	CHECK(fits(r15_61, 16, 120.832, 939.659), "6.1 retries2 15");
	/* 6.12 guest, tcp_retries2=8, tcp_early_retrans=0 */
	static const double r8_612[] = { 0.206, 0.428, 0.832, 1.664, 3.520, 6.656, 13.312, 27.648 };
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "tcp_retries2", "8",
							      "tcp_early_retrans", "0", NULL });
	CHECK(fits(r8_612, 8, 53.248, 107.514), "6.12 retries2 8 no tlp");
	/* 6.1 guest, TCP_USER_TIMEOUT=10000 */
	static const double ut_61[] = { 0.206, 0.208, 0.432, 0.832, 1.664, 3.360 };
	compute(TF_MODEL_DATA, "6.1", (const char *const[]){ "user_timeout", "10000", NULL });
	CHECK(fits(ut_61, 6, 3.840, 10.542), "6.1 user timeout");
	/* 6.12 guest, orphaned FIN, tcp_orphan_retries=0: 10 FINs, gone 107.200 s */
	static const double f0_612[] = { 0.208, 0.208, 0.416, 0.832, 1.664, 3.520, 6.656, 13.312,
					 27.136 };
	compute(TF_MODEL_FIN, "6.12", NULL);
	CHECK(fits(f0_612, 9, 53.248, 107.200), "6.12 fin 0");
	/* 6.1 guest, tcp_orphan_retries=2: 5 FINs, gone 3.352 s */
	static const double f2_61[] = { 0.208, 0.208, 0.440, 0.832 };
	compute(TF_MODEL_FIN, "6.1", (const char *const[]){ "tcp_orphan_retries", "2", NULL });
	CHECK(fits(f2_61, 4, 1.664, 3.352), "6.1 fin 2");
	/* the 6.12 flake: a loss probe 17 ms late (softirq behind a busy CPU) */
	static const double f2_late[] = { 0.221, 0.208, 0.432, 0.832 };
	CHECK(!fits(f2_late, 4, 1.664, 3.358), "late probe fits");
}

int main(void)
{
	test_timeout();
	test_default();
	test_default_hz();
	test_retries();
	test_user_timeout();
	test_fin();
	test_cached_rto();
	test_bad();
	test_reference();
	printf("model_data_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
