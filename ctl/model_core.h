/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The schedule model's core (model_core.c): the model's data, and what
 * every timer's model is made of.  Each timer's file (model_syn.c,
 * model_synack.c, model_data.c, model_keepalive.c) calls it; it calls
 * none of them, nor the dispatcher above them (model.c, model.h).
 *
 *   kernel/time/timer.c     calc_wheel_index()/calc_index(): the level is
 *                           chosen by the delta, the expiry rounded up to the
 *                           next multiple of the level's granularity, so a
 *                           timer armed for D jiffies fires D + [1, gran(D)]
 *                           jiffies after the jiffy it was armed in; LVL_DEPTH
 *                           is 9 at HZ > 100, 8 at HZ 100, and a D at or past
 *                           WHEEL_TIMEOUT_CUTOFF = LVL_START(LVL_DEPTH) is cut
 *                           to WHEEL_TIMEOUT_MAX (the timer fires EARLY).
 *   The window rule         a transmission (or give-up) on a timer that fires
 *                           fire_lo..fire_hi jiffies after a reference jiffy
 *                           happens [fire_lo - 1, fire_hi + 1] jiffies after
 *                           the reference event (either may be anywhere in
 *                           its jiffy): for one timer of D jiffies,
 *                           [D, D + gran(D) + 1 jiffy].
 *   include/linux/jiffies.h msecs_to_jiffies(), usecs_to_jiffies() round up;
 *                           jiffies_to_msecs() too where 1000 % HZ != 0.
 *   net/ipv4/tcp_timer.c    tcp_model_timeout(), retransmits_timed_out(),
 *                           tcp_clamp_rto_to_user_timeout().
 *
 * Plain C, no I/O.  Times are nanoseconds, timer lengths jiffies.
 */
#ifndef TF_MODEL_CORE_H
#define TF_MODEL_CORE_H

#include <stdbool.h>
#include <stdint.h>

#define TF_NSEC_PER_MSEC	1000000LL

enum tf_model_kind {
	TF_MODEL_SYN,		/* active open: SYN retransmissions, connect() (model_syn.c) */
	TF_MODEL_SYNACK,	/* passive open, tcp_synack_retries (model_synack.c) */
	TF_MODEL_DATA,		/* established, tcp_retries1/2 (model_data.c) */
	TF_MODEL_KEEPALIVE,	/* keepalive probes (model_keepalive.c) */
	TF_MODEL_PROBE,		/* zero-window probes (model_keepalive.c) */
	TF_MODEL_FIN,		/* orphaned FIN_WAIT1, tcp_orphan_retries (model_data.c) */
};

#define TF_MODEL_MAX_STEPS	512
#define TF_MODEL_UNSET		(-1)

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
	int64_t win_hi_ns;	/*   (or to the give-up): tf_model_window() */
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
	int64_t giveup_hi_ns;		/*   (lo INT64_MAX: none yet, tf_model_giveup()) */
	int err;			/* errno seen by the application */
	bool tlp;			/* data, fin: step 1 is a tail loss probe */
	uint64_t pto, rto;		/* data, fin: probe timeout, initial RTO (jiffies) */
	int64_t origin_nom_ms;		/* data, fin: first RTO retransmission (retrans_stamp) */
	int64_t origin_lo_ns, origin_hi_ns;
};

/* A decimal setting in [min, max]: 0 or -EINVAL; the settings' one parser. */
int tf_model_parse_int(const char *s, long min, long max, int *out);
/* Whether p's release is at least major.minor. */
bool tf_model_kver_ge(const struct tf_model_params *p, int major, int minor);
/* Whether the release has tcp_syn_linear_timeouts (6.5 and later). */
bool tf_model_has_linear(const struct tf_model_params *p);
/* The socket's max RTO (icsk_rto_max, TCP_RTO_MAX before 6.15), jiffies. */
uint64_t tf_model_rto_max(const struct tf_model_params *p);
/* The socket's min RTO (icsk_rto_min, TCP_RTO_MIN before 6.11), jiffies. */
uint64_t tf_model_rto_min(const struct tf_model_params *p);
/*
 * icsk_rto when the loss starts, jiffies: rto_ms if given, else what
 * tcp_set_rto() gives a flow of srtt_us whose rttvar is at its floor,
 * usecs_to_jiffies(srtt + rto_min): 51 jiffies at HZ 250, 201 at 1000.
 */
uint64_t tf_model_rto(const struct tf_model_params *p);

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

/* ilog2() of v >= 1. */
unsigned int tf_ilog2(uint64_t v);

/* Timer-wheel granularity, in jiffies, of a timer armed for d jiffies. */
uint32_t tf_wheel_gran(uint64_t d, unsigned int hz);
/*
 * When a timer armed for d jiffies fires: *lo..*hi jiffies after the jiffy
 * it was armed in (d + [1, gran(d)], or WHEEL_TIMEOUT_MAX + [1, gran] when
 * d reaches WHEEL_TIMEOUT_CUTOFF).
 */
void tf_wheel_fire(uint64_t d, unsigned int hz, uint64_t *lo, uint64_t *hi);
/* The window rule: [fire_lo - 1, fire_hi + 1] jiffies, in ns. */
void tf_model_window(int64_t fire_lo, int64_t fire_hi, unsigned int hz,
		     int64_t *lo_ns, int64_t *hi_ns);
/*
 * Fills s's timer (dmin..dmax jiffies) and gap window (tf_model_window());
 * *fire_lo..*fire_hi: when it fires, jiffies after arming.
 */
void tf_model_step_timer(struct tf_model_step *s, uint64_t dmin, uint64_t dmax,
			 unsigned int hz, int64_t *fire_lo, int64_t *fire_hi);
/*
 * An expiry that may give up, fire_lo..fire_hi jiffies after the model's
 * first transmission, the give-up not before not_before_ns: widens m's
 * give-up window by the window rule; the first one sets m->retrans_min,
 * each m->retrans_max, to retrans.
 */
void tf_model_giveup(struct tf_model *m, unsigned int retrans, int64_t fire_lo,
		     int64_t fire_hi, int64_t not_before_ns);
/* Gives up at the earliest expiry, at the latest, or at neither. */
enum tf_model_fire tf_model_fire_of(bool earliest, bool latest);

/*
 * The ms since retrans_stamp (stamped on tick 0) that the kernel sees on a
 * tick in jlo..jhi: its truncated ms difference e satisfies real - 1 ms <
 * e < real + 1 ms, so e >= floor((j - 1) jiffies in ms); 0 on tick 0 itself.
 */
void tf_model_elapsed_ms(int64_t jlo, int64_t jhi, unsigned int hz,
			 int64_t *elo, int64_t *ehi);
/* tcp_model_timeout(boundary, rto_base, rto_max), jiffies in, ms out. */
uint64_t tf_model_timeout_base_ms(unsigned int boundary, uint64_t rto_base,
				  uint64_t rto_max, unsigned int hz);
/*
 * retransmits_timed_out()'s budget, ms from retrans_stamp:
 * TCP_USER_TIMEOUT (*user) ?: tcp_model_timeout(boundary, rto_base).
 */
uint64_t tf_model_budget_ms(const struct tf_model_params *p, unsigned int boundary,
			    uint64_t rto_base, bool *user);
/*
 * What an RTO expiry fire_lo..fire_hi jiffies after retrans_stamp decides
 * against that budget (tcp_write_timeout()); clamped: the timer was cut
 * short by TCP_USER_TIMEOUT, so a give-up is possible however early.
 */
enum tf_model_fire tf_model_fire_by_budget(int64_t fire_lo, int64_t fire_hi,
					   uint64_t budget_ms, bool clamped, unsigned int hz);
/*
 * The timer armed after an RTO retransmission elo..ehi ms (nominally enom)
 * after retrans_stamp: icsk_rto cut by tcp_clamp_rto_to_user_timeout() to
 * what is left of TCP_USER_TIMEOUT (1 jiffy once passed), in *dmin..*dmax
 * (*dnom).  True if the user timeout certainly ends by its expiry.
 */
bool tf_model_rto_clamp(const struct tf_model_params *p, uint64_t rto, int64_t elo,
			int64_t ehi, int64_t enom, uint64_t *dmin, uint64_t *dmax,
			uint64_t *dnom);

/* Checks a gap against a step's window. */
static inline bool tf_model_in_window(const struct tf_model_step *s, int64_t gap_ns)
{
	return gap_ns >= s->win_lo_ns && gap_ns <= s->win_hi_ns;
}

#endif
