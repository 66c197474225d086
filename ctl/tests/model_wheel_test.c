// SPDX-License-Identifier: GPL-2.0
/*
 * The model's timer wheel against the kernel's own, at HZ 100, 250, 300 and
 * 1000, for bare delays and for every step of every timer the model covers;
 * and the release-dependent settings (6.11 tcp_rto_min_us, 6.15
 * tcp_rto_max_ms / TCP_RTO_MAX_MS / TCP_RTO_MIN_US).
 *
 * The LVL_* macros, calc_index() and calc_wheel_index() below are copied
 * from Linux 6.12 kernel/time/timer.c (GPL-2.0, Debian linux-source-6.12),
 * with HZ a variable instead of a constant, unsigned long 64-bit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model_compute.h"

static unsigned long kernel_hz;

/* ---- kernel/time/timer.c ---- */
#define LVL_CLK_SHIFT	3
#define LVL_CLK_DIV	(1UL << LVL_CLK_SHIFT)
#define LVL_CLK_MASK	(LVL_CLK_DIV - 1)
#define LVL_SHIFT(n)	((n) * LVL_CLK_SHIFT)
#define LVL_GRAN(n)	(1UL << LVL_SHIFT(n))
#define LVL_START(n)	((LVL_SIZE - 1) << (((n) - 1) * LVL_CLK_SHIFT))
#define LVL_BITS	6
#define LVL_SIZE	(1UL << LVL_BITS)
#define LVL_MASK	(LVL_SIZE - 1)
#define LVL_OFFS(n)	((n) * LVL_SIZE)
/* #if HZ > 100 9 #else 8 */
#define LVL_DEPTH	(kernel_hz > 100 ? 9u : 8u)
#define WHEEL_TIMEOUT_CUTOFF	(LVL_START(LVL_DEPTH))
#define WHEEL_TIMEOUT_MAX	(WHEEL_TIMEOUT_CUTOFF - LVL_GRAN(LVL_DEPTH - 1))

static inline unsigned calc_index(unsigned long expires, unsigned lvl,
				  unsigned long *bucket_expiry)
{
	expires = (expires >> LVL_SHIFT(lvl)) + 1;
	*bucket_expiry = expires << LVL_SHIFT(lvl);
	return LVL_OFFS(lvl) + (expires & LVL_MASK);
}

static int calc_wheel_index(unsigned long expires, unsigned long clk,
			    unsigned long *bucket_expiry)
{
	unsigned long delta = expires - clk;
	unsigned int idx;

	if (delta < LVL_START(1)) {
		idx = calc_index(expires, 0, bucket_expiry);
	} else if (delta < LVL_START(2)) {
		idx = calc_index(expires, 1, bucket_expiry);
	} else if (delta < LVL_START(3)) {
		idx = calc_index(expires, 2, bucket_expiry);
	} else if (delta < LVL_START(4)) {
		idx = calc_index(expires, 3, bucket_expiry);
	} else if (delta < LVL_START(5)) {
		idx = calc_index(expires, 4, bucket_expiry);
	} else if (delta < LVL_START(6)) {
		idx = calc_index(expires, 5, bucket_expiry);
	} else if (delta < LVL_START(7)) {
		idx = calc_index(expires, 6, bucket_expiry);
	} else if (LVL_DEPTH > 8 && delta < LVL_START(8)) {
		idx = calc_index(expires, 7, bucket_expiry);
	} else if ((long) delta < 0) {
		idx = clk & LVL_MASK;
		*bucket_expiry = clk;
	} else {
		if (delta >= WHEEL_TIMEOUT_CUTOFF)
			expires = clk + WHEEL_TIMEOUT_MAX;
		idx = calc_index(expires, LVL_DEPTH - 1, bucket_expiry);
	}
	return idx;
}
/* ---- end of kernel/time/timer.c ---- */

static unsigned long rng = 88172645463325252UL;

static unsigned long xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * The kernel's earliest and latest expiry, in jiffies after the arming
 * jiffy clk, of a timer armed for d: over clocks that put jiffies + d (or
 * + WHEEL_TIMEOUT_MAX, where the kernel cuts d) at the last and first jiffy
 * of every power-of-two bucket (the extremes for any level), and random
 * ones.
 */
static void kernel_fire(uint64_t d, uint64_t *lo, uint64_t *hi)
{
	static const unsigned long base[] = { 0, 1UL << 30, 3UL << 40 };
	unsigned long b;
	const unsigned long e[2] = { d, d < WHEEL_TIMEOUT_MAX ? d : WHEEL_TIMEOUT_MAX };
	unsigned int i, j, r;

	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < 2 * sizeof(base) / sizeof(base[0]); i++) {
		for (j = 0; j <= 30; j++) {
			for (r = 0; r < 2; r++) {
				unsigned long clk = base[i / 2] + (7UL << j) - e[i % 2] - r;

				calc_wheel_index(clk + d, clk, &b);
				if (b - clk < *lo)
					*lo = b - clk;
				if (b - clk > *hi)
					*hi = b - clk;
			}
		}
	}
	for (j = 0; j < 64; j++) {
		unsigned long clk = xorshift() >> 8;

		calc_wheel_index(clk + d, clk, &b);
		CHECK(b - clk >= *lo && b - clk <= *hi, "hz %lu d %llu: random clk outside",
		      kernel_hz, (unsigned long long)d);
	}
}

static unsigned int hz_list[] = { 100, 250, 300, 1000 };

static void check_delay(uint64_t d)
{
	uint64_t klo, khi, mlo, mhi;

	kernel_fire(d, &klo, &khi);
	tf_wheel_fire(d, kernel_hz, &mlo, &mhi);
	CHECK(klo == mlo && khi == mhi, "hz %lu d %llu: kernel [%llu, %llu], model [%llu, %llu]",
	      kernel_hz, (unsigned long long)d, (unsigned long long)klo,
	      (unsigned long long)khi, (unsigned long long)mlo, (unsigned long long)mhi);
}

static void test_delays(void)
{
	unsigned int h, n;
	uint64_t d;

	for (h = 0; h < 4; h++) {
		kernel_hz = hz_list[h];
		for (d = 0; d < 4200; d++)
			check_delay(d);
		for (n = 1; n <= 9; n++) {
			uint64_t start = (uint64_t)(LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT);

			for (d = start - 3; d <= start + 3; d++)
				check_delay(d);
		}
		for (d = 4200; d < (1ull << 34); d = d * 9 / 8 + 7)
			check_delay(d);
	}
}

/* Every step's window of the model m against the kernel's wheel. */
static void check_steps(const char *what)
{
	unsigned int i;

	for (i = 0; i < m.nsteps; i++) {
		const struct tf_model_step *s = &m.step[i];
		uint64_t lo1, hi1, lo2, hi2, lo, hi;

		kernel_fire(s->timer_min, &lo1, &hi1);
		kernel_fire(s->timer_max, &lo2, &hi2);
		lo = lo1 < lo2 ? lo1 : lo2;
		hi = hi1 > hi2 ? hi1 : hi2;
		CHECK(s->win_lo_ns == tf_j2ns(lo - 1, kernel_hz) &&
		      s->win_hi_ns == tf_j2ns(hi + 1, kernel_hz),
		      "%s hz %lu step %u (timer %u-%u): window [%lld, %lld] ns, kernel fires [%llu, %llu] jiffies",
		      what, kernel_hz, i, s->timer_min, s->timer_max, (long long)s->win_lo_ns,
		      (long long)s->win_hi_ns, (unsigned long long)lo, (unsigned long long)hi);
	}
	CHECK(m.nsteps > 0, "%s hz %lu: steps", what, kernel_hz);
}

static void test_kinds(void)
{
	static const struct {
		enum tf_model_kind kind;
		const char *kernel;
		const char *sets[8];
	} c[] = {
		{ TF_MODEL_SYN, "6.1", { NULL } },
		{ TF_MODEL_SYN, "6.12", { NULL } },
		{ TF_MODEL_SYN, "6.12", { "user_timeout", "5000", NULL } },
		{ TF_MODEL_SYN, "6.15", { "tcp_rto_max_ms", "2000", NULL } },
		{ TF_MODEL_SYNACK, "6.12", { NULL } },
		{ TF_MODEL_SYNACK, "6.19", { "tcp_rto_max_ms", "3000", NULL } },
		{ TF_MODEL_DATA, "6.12", { NULL } },
		{ TF_MODEL_DATA, "6.12", { "user_timeout", "10000", NULL } },
		{ TF_MODEL_DATA, "6.15", { "rto_max_ms", "1000", NULL } },
		{ TF_MODEL_FIN, "6.12", { NULL } },
		{ TF_MODEL_FIN, "6.12", { "tcp_orphan_retries", "2", NULL } },
		{ TF_MODEL_KEEPALIVE, "6.12", { NULL } },
		{ TF_MODEL_KEEPALIVE, "6.12", { "keepidle", "60", "keepintvl", "10",
					       "user_timeout", "95000", NULL } },
		/* past WHEEL_TIMEOUT_CUTOFF at HZ 100 and 1000: fires early */
		{ TF_MODEL_KEEPALIVE, "6.12", { "tcp_keepalive_time", "2000000", NULL } },
		{ TF_MODEL_PROBE, "6.12", { NULL } },
		{ TF_MODEL_PROBE, "6.12", { "user_timeout", "5000", NULL } },
		{ TF_MODEL_PROBE, "6.15", { "tcp_rto_max_ms", "1000", NULL } },
	};
	unsigned int h, i;
	char hz[8];

	for (h = 0; h < 4; h++) {
		kernel_hz = hz_list[h];
		snprintf(hz, sizeof(hz), "%u", hz_list[h]);
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			const char *sets[12] = { "hz", hz };
			unsigned int k;

			for (k = 0; c[i].sets[k]; k++)
				sets[2 + k] = c[i].sets[k];
			if (compute(c[i].kind, c[i].kernel, sets))
				continue;
			check_steps(tf_model_kind_name(c[i].kind));
		}
	}
	/* the cutoff: a 2000000 s keepalive fires in 12 days at HZ 1000 */
	kernel_hz = 1000;
	compute(TF_MODEL_KEEPALIVE, "6.12", (const char *const[]){ "hz", "1000",
		"tcp_keepalive_time", "2000000", NULL });
	CHECK(m.step[0].win_hi_ns < 1100000LL * 1000000000LL, "cut keepalive: %lld",
	      (long long)m.step[0].win_hi_ns);
}

static int set(const char *kernel, const char *name, const char *value)
{
	struct tf_model_params p;

	tf_model_params_init(&p, kernel);
	return tf_model_param_set(&p, name, value);
}

static void test_releases(void)
{
	unsigned int i;

	/* 6.15 (54a378f43425 and the sysctl): 1000..120000 ms */
	CHECK(set("6.14", "tcp_rto_max_ms", "2000") == -EINVAL, "rto_max_ms on 6.14");
	CHECK(set("6.14", "rto_max_ms", "2000") == -EINVAL, "TCP_RTO_MAX_MS on 6.14");
	CHECK(set("6.15", "tcp_rto_max_ms", "999") == -EINVAL, "999");
	CHECK(set("6.15", "rto_max_ms", "120001") == -EINVAL, "120001");
	CHECK(set("6.15.2", "rto_max_ms", "1000") == 0, "1000");
	CHECK(set("6.10", "tcp_rto_min_us", "50000") == -EINVAL, "rto_min_us on 6.10");
	CHECK(set("6.11", "tcp_rto_min_us", "50000") == 0, "rto_min_us on 6.11");
	CHECK(set("6.12", "rto_min_us", "50000") == -EINVAL, "TCP_RTO_MIN_US on 6.12");
	CHECK(!strcmp(tf_model_param_since("tcp_rto_max_ms"), "6.15"), "since");
	CHECK(!tf_model_param_since("tcp_retries2"), "since: any release");

	/* SYN: backoff capped at 2 s, budget tcp_model_timeout(6, 1 s, 2 s) = 13 s */
	compute(TF_MODEL_SYN, "6.15", (const char *const[]){ "tcp_rto_max_ms", "2000", NULL });
	CHECK(m.budget_ms == 13000, "syn budget %llu", (unsigned long long)m.budget_ms);
	for (i = 0; i < m.nsteps; i++)
		CHECK(m.step[i].timer_max <= 500, "syn step %u: %u", i, m.step[i].timer_max);
	CHECK(m.step[6].timer_max == 500, "syn step 6 at the cap: %u", m.step[6].timer_max);
	/* the socket option wins over the sysctl */
	compute(TF_MODEL_SYN, "6.15", (const char *const[]){ "tcp_rto_max_ms", "2000",
		"rto_max_ms", "120000", NULL });
	CHECK(m.budget_ms == 127000, "syn budget, TCP_RTO_MAX_MS: %llu",
	      (unsigned long long)m.budget_ms);
	/* newer kernels are modelled as the newest */
	compute(TF_MODEL_SYN, "7.2", (const char *const[]){ "tcp_rto_max_ms", "2000", NULL });
	CHECK(m.budget_ms == 13000, "syn budget on 7.2 %llu", (unsigned long long)m.budget_ms);

	/* data: tcp_model_timeout(15, 200 ms, 1 s) = 1.4 s + 13 s */
	compute(TF_MODEL_DATA, "6.15", (const char *const[]){ "rto_max_ms", "1000", NULL });
	CHECK(m.budget_ms == 14400, "data budget %llu", (unsigned long long)m.budget_ms);
	compute(TF_MODEL_DATA, "6.14", NULL);
	CHECK(m.budget_ms == 924600, "data budget 6.14 %llu", (unsigned long long)m.budget_ms);
	/* fin: not "alive" once the RTO reached rto_max: 8 retries -> 0 */
	compute(TF_MODEL_FIN, "6.15", (const char *const[]){ "rto_max_ms", "1000", NULL });
	CHECK(m.err == ETIMEDOUT && m.step[m.nsteps - 1].timer_max == 250,
	      "fin gives up at the cap: step %u timer %u", m.nsteps - 1,
	      m.step[m.nsteps - 1].timer_max);
	/* probe0 capped; synack from 6.19 (1e9d3005e02c), not before */
	compute(TF_MODEL_PROBE, "6.15", (const char *const[]){ "tcp_rto_max_ms", "1000", NULL });
	CHECK(m.step[m.nsteps - 1].timer_max == 250, "probe cap %u", m.step[m.nsteps - 1].timer_max);
	compute(TF_MODEL_SYNACK, "6.18", (const char *const[]){ "tcp_rto_max_ms", "1000",
		"tcp_synack_retries", "8", NULL });
	CHECK(m.step[7].timer_max == 120 * 250, "synack 6.18 not capped %u", m.step[7].timer_max);
	compute(TF_MODEL_SYNACK, "6.19", (const char *const[]){ "rto_max_ms", "2000",
		"tcp_synack_retries", "8", NULL });
	CHECK(m.step[0].timer_max == 250 && m.step[1].timer_max == 500 && m.step[7].timer_max == 500,
	      "synack 6.19 capped: %u %u %u", m.step[0].timer_max, m.step[1].timer_max,
	      m.step[7].timer_max);

	/* tcp_rto_min_us: the loss probe, 2 srtt + jiffies_to_usecs(13 jiffies) */
	compute(TF_MODEL_DATA, "6.12", (const char *const[]){ "tcp_rto_min_us", "50000", NULL });
	CHECK(m.pto == 14, "pto %llu", (unsigned long long)m.pto);
	compute(TF_MODEL_DATA, "6.12", NULL);
	CHECK(m.pto == 51, "pto default %llu", (unsigned long long)m.pto);
	/* TCP_RTO_MIN_US: TCP_TIMEOUT_MIN (2) .. TCP_RTO_MIN jiffies */
	{
		struct tf_model_params p;

		tf_model_params_init(&p, "6.15");
		tf_model_param_set(&p, "rto_min_us", "4000");
		CHECK(tf_model_compute(TF_MODEL_DATA, &p, &m) == -EINVAL, "rto_min_us 1 jiffy");
		tf_model_param_set(&p, "rto_min_us", "204000");
		CHECK(tf_model_compute(TF_MODEL_DATA, &p, &m) == -EINVAL, "rto_min_us 51 jiffies");
		tf_model_param_set(&p, "rto_min_us", "8000");
		CHECK(tf_model_compute(TF_MODEL_DATA, &p, &m) == 0 && m.pto == 3, "rto_min_us 2 jiffies: pto %llu",
		      (unsigned long long)m.pto);
	}

	/* the warning's test */
	{
		static const struct { const char *rel; bool newer; } r[] = {
			{ "6.1", false }, { "6.12.118+deb12-amd64", false }, { "6.19", false },
			{ "6.18.44-fc-v1272", false }, { "6.20-rc1", true }, { "7.0", true },
		};
		struct tf_model_params p;

		for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
			tf_model_params_init(&p, r[i].rel);
			CHECK(tf_model_kver_unmodelled(&p) == r[i].newer, "unmodelled(%s)", r[i].rel);
		}
	}
}

int main(void)
{
	test_delays();
	test_kinds();
	test_releases();
	printf("model_wheel_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
