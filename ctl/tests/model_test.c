// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the schedule model: reference schedules measured on the
 * real kernels under the virtual clock must fall inside the model's windows;
 * clearly wrong ones must not.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../model.h"
#include "check.h"


static struct tf_model m;

static void compute(const char *kernel, const char *const *sets)
{
	struct tf_model_params p;
	int ret;

	ret = tf_model_params_init(&p, kernel);
	CHECK(!ret, "params_init(%s)", kernel);
	for (; sets && *sets; sets += 2)
		CHECK(!tf_model_param_set(&p, sets[0], sets[1]), "set %s=%s", sets[0], sets[1]);
	ret = tf_model_compute(TF_MODEL_SYN, &p, &m);
	CHECK(!ret, "compute %s: %d", kernel, ret);
}

#define MS(x) ((int64_t)((x) * 1e6 + 0.5))

/* Gaps (s) and the give-up time from the first SYN (s); true if all fit. */
static bool schedule_fits(const double *gaps, unsigned int n, double total)
{
	int64_t sum = 0;
	unsigned int i;

	if (n < m.retrans_min || n > m.retrans_max)
		return false;
	for (i = 0; i < n; i++) {
		if (!tf_model_in_window(&m.step[i], MS(gaps[i] * 1000)))
			return false;
		sum += MS(gaps[i] * 1000);
	}
	if (total > 0) {
		int64_t wait = MS(total * 1000) - sum;

		if (m.step[n].fire == TF_FIRE_RETRANSMIT || !tf_model_in_window(&m.step[n], wait))
			return false;
		if (MS(total * 1000) < m.giveup_lo_ns || MS(total * 1000) > m.giveup_hi_ns)
			return false;
	}
	return true;
}

static void test_wheel(void)
{
	static const struct { uint32_t d, gran; } t[] = {
		{ 1, 1 }, { 62, 1 }, { 63, 8 }, { 250, 8 }, { 503, 8 }, { 504, 64 },
		{ 4031, 64 }, { 4032, 512 }, { 16000, 512 }, { 30000, 512 },
		{ 32255, 512 }, { 32256, 4096 }, { 258047, 4096 }, { 258048, 32768 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(tf_wheel_gran(t[i].d, 250) == t[i].gran, "gran(%u) = %u, want %u",
		      t[i].d, tf_wheel_gran(t[i].d, 250), t[i].gran);
}

static void test_budget(void)
{
	CHECK(tf_model_timeout_base_ms(6, 250, 30000, 250) == 127000, "budget(6)");
	CHECK(tf_model_timeout_base_ms(2, 250, 30000, 250) == 7000, "budget(2)");
	CHECK(tf_model_timeout_base_ms(3, 250, 30000, 250) == 15000, "budget(3)");
	/* past ilog2(120) = 6 the kernel adds TCP_RTO_MAX per retry */
	CHECK(tf_model_timeout_base_ms(8, 250, 30000, 250) == 127000 + 2 * 120000, "budget(8)");
}

static void test_61(void)
{
	static const double ref[] = { 1.021, 2.016, 4.224, 8.192, 16.128, 32.768 };
	static const double gap15[] = { 1.021, 1.5, 4.224, 8.192, 16.128, 32.768 };
	static const double three[] = { 1.021, 2.016, 4.224 };
	static const char *const r3[] = { "tcp_syn_retries", "3", NULL };
	static const char *const r2[] = { "tcp_syn_retries", "2", NULL };

	compute("6.1.0-56-amd64", NULL);
	CHECK(!m.linear, "6.1 has no linear timeouts");
	CHECK(m.max_retransmits == 6 && m.retrans_min == 6 && m.retrans_max == 6,
	      "6.1 r6: %u-%u retransmissions", m.retrans_min, m.retrans_max);
	CHECK(m.err == ETIMEDOUT, "errno");
	CHECK(schedule_fits(ref, 6, 129.9), "6.1 r6 reference (129.9 s)");
	/* another boot (gaps not recorded): the give-up time alone */
	CHECK(MS(131200) >= m.giveup_lo_ns && MS(131200) <= m.giveup_hi_ns,
	      "6.1 r6 reference (131.2 s)");
	CHECK(!schedule_fits(gap15, 6, 129.9), "6.1: 1.5 s gap where 2 s is due");
	CHECK(!schedule_fits(three, 3, 15.5), "6.1 r6: 3 retransmissions");
	CHECK(!schedule_fits(ref, 6, 127.0), "6.1 r6: give-up at exactly 127.0 s");
	CHECK(!schedule_fits(ref, 6, 140.0), "6.1 r6: give-up at 140 s");

	compute("6.1", r3);
	CHECK(m.retrans_min == 3 && m.retrans_max == 3, "6.1 r3 count");
	CHECK(m.giveup_lo_ns >= MS(15000) && m.giveup_hi_ns <= MS(15600), "6.1 r3 give-up");
	compute("6.1", r2);
	CHECK(m.retrans_min == 2 && m.retrans_max == 2, "6.1 r2 count");
	CHECK(m.giveup_lo_ns >= MS(7000) && m.giveup_hi_ns <= MS(7400), "6.1 r2 give-up");
}

static void test_612(void)
{
	static const double ref[] = { 1.029, 1.024, 1.024, 1.024, 1.024, 2.016, 4.192,
				      8.192, 16.128, 32.256 };
	static const double exp61[] = { 1.021, 2.016, 4.224, 8.192, 16.128, 32.768 };
	static const double r2ref[] = { 1.029, 1.024, 1.024, 1.024, 1.024 };
	static const char *const r2[] = { "tcp_syn_retries", "2", NULL };
	static const char *const r3[] = { "tcp_syn_retries", "3", NULL };
	static const char *const lin0[] = { "tcp_syn_linear_timeouts", "0", NULL };
	unsigned int i;

	compute("6.12.117+deb12-amd64", NULL);
	CHECK(m.linear && m.p.syn_linear_timeouts == 4, "6.12 linear 4");
	CHECK(m.max_retransmits == 10 && m.retrans_min == 10 && m.retrans_max == 10,
	      "6.12 r6: %u-%u", m.retrans_min, m.retrans_max);
	for (i = 0; i < 5; i++)
		CHECK(m.step[i].timer_min == 250, "6.12 linear step %u", i);
	CHECK(m.step[5].timer_min == 500, "6.12 backoff after linear");
	CHECK(schedule_fits(ref, 10, 133.5), "6.12 r6 reference");
	CHECK(!schedule_fits(exp61, 6, 129.9), "6.12: the 6.1 schedule");

	/* the time budget (7 s), not the count (6), ends it */
	compute("6.12", r2);
	CHECK(m.max_retransmits == 6, "6.12 r2 max");
	CHECK(m.retrans_min == 5 && m.retrans_max == 5, "6.12 r2: %u-%u",
	      m.retrans_min, m.retrans_max);
	CHECK(m.step[5].fire == TF_FIRE_GIVEUP, "6.12 r2 gives up at the 6th expiry");
	CHECK(schedule_fits(r2ref, 5, 7.141), "6.12 r2 reference");
	CHECK(!schedule_fits(r2ref, 5, 7.05), "6.12 r2: give-up before the 2 s timer");

	compute("6.12", r3);
	CHECK(m.retrans_min == 7 && m.retrans_max == 7, "6.12 r3: %u-%u",
	      m.retrans_min, m.retrans_max);

	compute("6.12", lin0);
	CHECK(m.retrans_min == 6 && m.step[1].timer_min == 500, "6.12 linear 0 = 6.1");
}

static void test_options(void)
{
	static const char *const syncnt[] = { "syncnt", "2", NULL };
	static const char *const ut10[] = { "user_timeout", "10000", NULL };
	static const char *const ut3020[] = { "user_timeout", "3020", NULL };
	struct tf_model_params p;

	compute("6.1", syncnt);
	CHECK(m.retry_until == 2 && m.retrans_min == 2, "TCP_SYNCNT overrides");

	compute("6.12", ut10);
	CHECK(m.budget_user && m.budget_ms == 10000, "user timeout budget");
	CHECK(m.retrans_min == 6 && m.retrans_max == 6, "6.12 ut 10 s: %u-%u",
	      m.retrans_min, m.retrans_max);
	CHECK(m.giveup_lo_ns >= MS(10000) && m.giveup_hi_ns <= MS(10500),
	      "6.12 ut 10 s give-up [%lld, %lld]", (long long)m.giveup_lo_ns,
	      (long long)m.giveup_hi_ns);
	CHECK(m.step[6].timer_max < 1000, "timer clamped to the user timeout");

	/* lateness of the first timer decides: the model says both */
	compute("6.1", ut3020);
	CHECK(m.retrans_min == 1 && m.retrans_max == 2, "6.1 ut 3020: %u-%u",
	      m.retrans_min, m.retrans_max);
	CHECK(m.step[1].fire == TF_FIRE_MAYBE_GIVEUP, "maybe");

	CHECK(tf_model_params_init(&p, "6.1") == 0, "init");
	CHECK(tf_model_param_set(&p, "tcp_syn_linear_timeouts", "4") == -EINVAL,
	      "linear on 6.1");
	CHECK(tf_model_param_set(&p, "tcp_syn_retries", "0") == -EINVAL, "retries 0");
	CHECK(tf_model_param_set(&p, "tcp_syn_retries", "128") == -EINVAL, "retries 128");
	CHECK(tf_model_param_set(&p, "tcp_syn_retries", "6x") == -EINVAL, "retries 6x");
	CHECK(tf_model_param_set(&p, "tcp_syn_retrys", "6") == -ENOENT, "unknown name");
	CHECK(tf_model_params_init(&p, "banana") == -EINVAL, "bad release");
	CHECK(tf_model_params_init(&p, "6.12") == 0, "init");
	CHECK(tf_model_compute(TF_MODEL_PROBE, &p, &m) == -EOPNOTSUPP ||
	      tf_model_compute(TF_MODEL_PROBE, &p, &m) == 0, "kinds not built say so");

	/* large retries stay within the step table */
	{
		static const char *const big[] = { "tcp_syn_retries", "127", NULL };

		compute("6.12", big);
		CHECK(m.retrans_max <= 127 + 4, "r127");
	}
}

/* SYN-ACK gaps (s) of one request and the time it was dropped (s, from the first SYN-ACK). */
static bool synack_fits(const double *gaps, unsigned int n, double dropped)
{
	int64_t sum = 0;
	unsigned int i;

	if (n != m.retrans_min)
		return false;
	for (i = 0; i < n; i++) {
		if (!tf_model_in_window(&m.step[i], MS(gaps[i] * 1000)))
			return false;
		sum += MS(gaps[i] * 1000);
	}
	if (dropped > 0) {
		int64_t wait = MS(dropped * 1000) - sum;

		if (m.step[n].fire != TF_FIRE_GIVEUP || !tf_model_in_window(&m.step[n], wait))
			return false;
		if (MS(dropped * 1000) < m.giveup_lo_ns || MS(dropped * 1000) > m.giveup_hi_ns)
			return false;
	}
	return true;
}

static void compute_kind(enum tf_model_kind kind, const char *kernel, const char *const *sets)
{
	struct tf_model_params p;

	CHECK(!tf_model_params_init(&p, kernel), "params_init(%s)", kernel);
	for (; sets && *sets; sets += 2)
		CHECK(!tf_model_param_set(&p, sets[0], sets[1]), "set %s=%s", sets[0], sets[1]);
	CHECK(!tf_model_compute(kind, &p, &m), "compute %s %s", tf_model_kind_name(kind), kernel);
}

static void test_synack(void)
{
	/* measured under the virtual clock (selftests/synack_schedule.sh); drop
	 * times: a point inside the interval ss bracketed (alive, gone) */
	static const double ref61[] = { 1.027, 2.016, 4.064, 8.192, 16.128 };
	static const double ref612[] = { 1.031, 2.016, 4.032, 8.192, 16.128 };
	static const double r2[] = { 1.004, 2.016 };
	static const double sc3ref[] = { 1.006, 2.016, 4.224 };
	static const double slow1[] = { 1.2, 2.016, 4.224, 8.192, 16.128 };
	static const double lin[] = { 1.024, 1.024, 1.024, 1.024, 1.024 };
	static const char *const sr2[] = { "tcp_synack_retries", "2", NULL };
	static const char *const sc3[] = { "syncnt", "3", NULL };
	static const char *const sr0[] = { "tcp_synack_retries", "0", NULL };
	struct tf_model_params p;
	const char *const *k;
	static const char *const kernels[] = { "6.1.0-56-amd64", "6.12.117+deb12-amd64", NULL };

	for (k = kernels; *k; k++) {
		compute_kind(TF_MODEL_SYNACK, *k, NULL);
		CHECK(m.retrans_min == 5 && m.retrans_max == 5 && m.nsteps == 6,
		      "%s synack default: %u retransmissions", *k, m.retrans_min);
		CHECK(m.step[5].fire == TF_FIRE_GIVEUP && m.step[4].fire == TF_FIRE_RETRANSMIT,
		      "%s: dropped at the 6th expiry", *k);
		CHECK(m.step[5].timer_min == 32 * 250, "%s: last timer 32 s", *k);
		CHECK(m.giveup_lo_ns >= MS(63000) && m.giveup_hi_ns <= MS(66000),
		      "%s: dropped at 63 s + slack", *k);
		CHECK(synack_fits(ref61, 5, 65.0) && synack_fits(ref612, 5, 63.5),
		      "%s: reference schedules", *k);
		CHECK(!synack_fits(slow1, 5, 63.6), "%s: 1.2 s first gap", *k);
		CHECK(!synack_fits(lin, 5, 0), "%s: linear 1 s gaps", *k);
		CHECK(!synack_fits(ref61, 5, 31.6), "%s: dropped right after the last SYN-ACK", *k);
		CHECK(!synack_fits(ref61, 4, 0), "%s: 4 retransmissions", *k);
		/* NF_DROP at egress: the failed retransmission kills the request at 1 s */
		CHECK(!synack_fits(ref61, 1, 1.03), "%s: request gone after two SYN-ACKs", *k);
	}

	compute_kind(TF_MODEL_SYNACK, "6.1", sr2);
	CHECK(m.retrans_min == 2 && m.nsteps == 3, "synack r2: %u", m.retrans_min);
	CHECK(synack_fits(r2, 2, 7.2), "synack r2 reference");
	CHECK(!synack_fits(r2, 2, 15.2), "synack r2: dropped at 15 s");
	CHECK(m.giveup_lo_ns >= MS(7000) && m.giveup_hi_ns <= MS(7400), "synack r2 drop time");

	/* TCP_SYNCNT on the listener replaces tcp_synack_retries */
	compute_kind(TF_MODEL_SYNACK, "6.12", sc3);
	CHECK(m.retrans_min == 3 && m.step[3].fire == TF_FIRE_GIVEUP, "listener syncnt 3");
	CHECK(m.giveup_lo_ns >= MS(15000) && m.giveup_hi_ns <= MS(15700), "syncnt 3 drop time");
	CHECK(synack_fits(sc3ref, 3, 15.4), "listener syncnt 3 reference");
	CHECK(!synack_fits(sc3ref, 3, 7.3), "listener syncnt 3: dropped at 7 s");

	compute_kind(TF_MODEL_SYNACK, "6.12", sr0);
	CHECK(m.retrans_min == 0 && m.nsteps == 1 && m.step[0].fire == TF_FIRE_GIVEUP,
	      "synack r0: no retransmission");

	/* 7 timers of 64 s capped at TCP_RTO_MAX */
	{
		static const char *const big[] = { "tcp_synack_retries", "10", NULL };

		compute_kind(TF_MODEL_SYNACK, "6.1", big);
		CHECK(m.step[6].timer_min == 64 * 250 && m.step[7].timer_min == 120 * 250 &&
		      m.step[10].timer_min == 120 * 250, "synack timers capped at 120 s");
	}
	CHECK(tf_model_params_init(&p, "6.1") == 0, "init");
	CHECK(tf_model_param_set(&p, "tcp_synack_retries", "256") == -EINVAL, "synack 256");
	CHECK(tf_model_param_set(&p, "tcp_synack_retries", "-1") == -EINVAL, "synack -1");
	CHECK(p.synack_retries == 5, "synack default 5");
}

int main(void)
{
	test_wheel();
	test_budget();
	test_61();
	test_612();
	test_options();
	test_synack();
	printf("model_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
