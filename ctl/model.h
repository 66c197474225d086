/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfault schedule model: the kernel's retransmission arithmetic plus the
 * timer wheel, so a measured schedule can be checked to the jiffy.
 *
 * Sources (Debian linux-source-6.1 and 6.12):
 *   net/ipv4/tcp_output.c   tcp_connect(): retrans_stamp = tcp_time_stamp
 *                           (ms of CLOCK_MONOTONIC) just before the first SYN;
 *                           timer armed for icsk_rto = TCP_TIMEOUT_INIT (1 s).
 *   net/ipv4/tcp_timer.c    tcp_retransmit_timer(), tcp_write_timeout(),
 *                           retransmits_timed_out(), tcp_model_timeout(),
 *                           tcp_clamp_rto_to_user_timeout().
 *   kernel/time/timer.c     calc_wheel_index()/calc_index(): the level is
 *                           chosen by the delta, the expiry rounded up to the
 *                           next multiple of the level's granularity, so a
 *                           timer armed for D jiffies fires D + [1, gran(D)]
 *                           jiffies after the jiffy it was armed in; LVL_DEPTH
 *                           is 9 at HZ > 100, 8 at HZ 100, and a D at or past
 *                           WHEEL_TIMEOUT_CUTOFF = LVL_START(LVL_DEPTH) is cut
 *                           to WHEEL_TIMEOUT_MAX (the timer fires EARLY).
 *
 * Later kernels (upstream, see Documentation/timers.rst "What changed in
 * which release"): 6.15 adds icsk_rto_max (TCP_RTO_MAX_MS socket option,
 * net.ipv4.tcp_rto_max_ms sysctl), used instead of the constant TCP_RTO_MAX
 * by the RTO backoff, tcp_model_timeout(), the orphan "alive" test and the
 * zero-window probe cap; and TCP_RTO_MIN_US (icsk_rto_min, the loss probe's
 * added minimum RTO, as tcp_rto_min_us has set it since 6.11). 6.19 caps the
 * SYN-ACK backoff at the listener's tcp_rto_max too. Kernels newer than
 * TF_MODEL_NEWEST_* are modelled as that release, with a warning.
 *
 * Plain C, no I/O: the suites and tcpfaultctl share it, host tests check it.
 * Times are nanoseconds, timer lengths jiffies.
 */
#ifndef TF_MODEL_H
#define TF_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum tf_model_kind {
	TF_MODEL_SYN,		/* active open: SYN retransmissions, connect() (model.c) */
	TF_MODEL_SYNACK,	/* passive open, tcp_synack_retries (model_synack.c) */
	TF_MODEL_DATA,		/* established, tcp_retries1/2 (model_data.c) */
	TF_MODEL_KEEPALIVE,	/* keepalive probes (model_keepalive.c) */
	TF_MODEL_PROBE,		/* zero-window probes (model_keepalive.c) */
	TF_MODEL_FIN,		/* orphaned FIN_WAIT1, tcp_orphan_retries (model_data.c) */
};

#define TF_MODEL_MAX_STEPS	512
#define TF_MODEL_UNSET		(-1)

/* The newest release whose timer code the model follows. */
#define TF_MODEL_NEWEST_MAJOR	6
#define TF_MODEL_NEWEST_MINOR	19

struct tf_model_params {
	int kver_major, kver_minor;	/* kernel release, e.g. 6 12 */
	unsigned int hz;		/* CONFIG_HZ: 100, 250 (Debian), 300 or 1000 */
	int syn_retries;		/* net.ipv4.tcp_syn_retries */
	int syn_linear_timeouts;	/* net.ipv4.tcp_syn_linear_timeouts (>= 6.5) */
	int syncnt;			/* TCP_SYNCNT, 0 or UNSET = not set */
	int user_timeout_ms;		/* TCP_USER_TIMEOUT, 0 or UNSET = not set */
	int synack_retries;		/* net.ipv4.tcp_synack_retries */
	int retries1, retries2;		/* net.ipv4.tcp_retries1/2 (data; 1: no effect) */
	int early_retrans;		/* net.ipv4.tcp_early_retrans (3, 4: tail loss probe) */
	int orphan_retries;		/* net.ipv4.tcp_orphan_retries (fin; 0: 8) */
	int rto_ms, srtt_us;		/* data, fin: icsk_rto and srtt when the loss starts */
	int keepalive_time, keepalive_intvl;	/* net.ipv4.tcp_keepalive_time/intvl, s */
	int keepalive_probes;		/* net.ipv4.tcp_keepalive_probes */
	int keepidle, keepintvl, keepcnt;	/* TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, UNSET = not set */
	int probe_answered, probe_steps;	/* probe: peer answers the probes; probes listed */
	int rto_max_sysctl_ms;		/* net.ipv4.tcp_rto_max_ms (>= 6.15; 120000 before) */
	int rto_max_ms;			/* TCP_RTO_MAX_MS (>= 6.15), UNSET = the sysctl's */
	int rto_min_sysctl_us;		/* net.ipv4.tcp_rto_min_us (>= 6.11; 200000 before) */
	int rto_min_us;			/* TCP_RTO_MIN_US (>= 6.15), UNSET = the sysctl's */
};

/* What the kernel decides when the timer armed after a transmission fires. */
enum tf_model_fire {
	TF_FIRE_RETRANSMIT,	/* certainly retransmits */
	TF_FIRE_MAYBE_GIVEUP,	/* gives up or retransmits, by accumulated lateness */
	TF_FIRE_GIVEUP,		/* certainly gives up (errno below) */
	TF_FIRE_TLP,		/* sends a tail loss probe (data, fin) */
};

struct tf_model_step {
	int64_t nominal_ns;	/* this transmission's nominal time from the first */
	uint32_t timer_min;	/* timer armed after it, jiffies (a range only */
	uint32_t timer_max;	/*   when TCP_USER_TIMEOUT clamps it)            */
	uint32_t gran;		/* wheel granularity for timer_max, jiffies */
	int64_t win_lo_ns;	/* window of the gap to the next transmission */
	int64_t win_hi_ns;	/*   (or to the give-up): [D, D + gran + 1 jiffy] */
	enum tf_model_fire fire;
};

struct tf_model {
	enum tf_model_kind kind;
	struct tf_model_params p;	/* as used, defaults filled in */
	bool linear;			/* kernel has tcp_syn_linear_timeouts */
	unsigned int retry_until;	/* syncnt ?: tcp_syn_retries */
	unsigned int max_retransmits;	/* retry_until (+ linear timeouts) */
	uint64_t budget_ms;		/* time budget from the first SYN */
	bool budget_user;		/* budget is TCP_USER_TIMEOUT */
	unsigned int nsteps;		/* transmissions, longest outcome */
	struct tf_model_step step[TF_MODEL_MAX_STEPS];
	unsigned int retrans_min;	/* retransmissions before the give-up */
	unsigned int retrans_max;
	int64_t giveup_lo_ns;		/* give-up time from the first SYN */
	int64_t giveup_hi_ns;
	int err;			/* errno seen by the application */
	bool tlp;			/* data, fin: step 1 is a tail loss probe */
	uint64_t pto, rto;		/* data, fin: probe timeout, initial RTO (jiffies) */
	int64_t origin_nom_ms;		/* data, fin: first RTO retransmission (retrans_stamp) */
	int64_t origin_lo_ns, origin_hi_ns;
};

/* Fills defaults for a kernel release ("6.12.117+deb12-amd64", "6.1"). */
int tf_model_params_init(struct tf_model_params *p, const char *release);
/*
 * Sets "name=value", a setting of any kind (tcpfaultctl model KIND -h lists
 * each kind's). Returns 0, -ENOENT (unknown name) or -EINVAL (bad value or
 * not on this kernel).
 */
int tf_model_param_set(struct tf_model_params *p, const char *name, const char *value);
int tf_model_parse_int(const char *s, long min, long max, int *out);
/* Whether the release has tcp_syn_linear_timeouts (6.5 and later). */
bool tf_model_has_linear(const struct tf_model_params *p);
/* Whether p's release is at least major.minor. */
bool tf_model_kver_ge(const struct tf_model_params *p, int major, int minor);
/* Whether p's release is newer than the newest modelled (TF_MODEL_NEWEST_*). */
bool tf_model_kver_unmodelled(const struct tf_model_params *p);
/* For a setting refused as -EINVAL: the release that brought it, or NULL. */
const char *tf_model_param_since(const char *name);
/* The socket's max RTO (icsk_rto_max, TCP_RTO_MAX before 6.15), jiffies. */
uint64_t tf_model_rto_max(const struct tf_model_params *p);
/* The socket's min RTO (icsk_rto_min, TCP_RTO_MIN before 6.11), jiffies. */
uint64_t tf_model_rto_min(const struct tf_model_params *p);

/* Computes the model. Returns 0, -EINVAL, or -EOPNOTSUPP (no such kind). */
int tf_model_compute(enum tf_model_kind kind, const struct tf_model_params *p,
		     struct tf_model *m);

/* Per-kind models (m->p filled in): ctl/model_<kind>.c. */
int tf_model_synack(struct tf_model *m);
int tf_model_data(struct tf_model *m);
int tf_model_fin(struct tf_model *m);
void tf_model_data_params_init(struct tf_model_params *p);
int tf_model_keepalive(struct tf_model *m);	/* model_keepalive.c */
int tf_model_probe(struct tf_model *m);
void tf_model_keepalive_params_init(struct tf_model_params *p);
int tf_model_keepalive_param_set(struct tf_model_params *p, const char *name, const char *value);
int tf_model_data_param_set(struct tf_model_params *p, const char *name, const char *value);
/* tcp_model_timeout(boundary, rto_base, rto_max), jiffies in, ms out. */
uint64_t tf_model_timeout_base_ms(unsigned int boundary, uint64_t rto_base,
				  uint64_t rto_max, unsigned int hz);

/* Timer-wheel granularity, in jiffies, of a timer armed for d jiffies. */
uint32_t tf_wheel_gran(uint64_t d, unsigned int hz);
/*
 * When a timer armed for d jiffies fires: *lo..*hi jiffies after the jiffy
 * it was armed in (d + [1, gran(d)], or WHEEL_TIMEOUT_MAX + [1, gran] when
 * d reaches WHEEL_TIMEOUT_CUTOFF).
 */
void tf_wheel_fire(uint64_t d, unsigned int hz, uint64_t *lo, uint64_t *hi);
/*
 * Fills s's timer (dmin..dmax jiffies) and gap window [lo - 1, hi + 1]
 * jiffies; *fire_lo..*fire_hi: when it fires, jiffies after arming.
 */
void tf_model_step_timer(struct tf_model_step *s, uint64_t dmin, uint64_t dmax,
			 unsigned int hz, int64_t *fire_lo, int64_t *fire_hi);

/* msecs_to_jiffies(), usecs_to_jiffies(): round up, as the kernel's do. */
static inline uint64_t tf_ms2j(uint64_t ms, unsigned int hz)
{
	return (ms * hz + 999) / 1000;
}

static inline uint64_t tf_us2j(uint64_t us, unsigned int hz)
{
	return (us * hz + 999999) / 1000000;
}

/* Jiffies to ns, exact at any HZ (3333333.3 ns at 300). */
static inline int64_t tf_j2ns(int64_t j, unsigned int hz)
{
	return j / (int64_t)hz * 1000000000LL + j % (int64_t)hz * 1000000000LL / (int64_t)hz;
}

const char *tf_model_kind_name(enum tf_model_kind kind);
int tf_model_kind_parse(const char *name, enum tf_model_kind *kind);

/* Checks a gap against a step's window. */
static inline bool tf_model_in_window(const struct tf_model_step *s, int64_t gap_ns)
{
	return gap_ns >= s->win_lo_ns && gap_ns <= s->win_hi_ns;
}

#endif
