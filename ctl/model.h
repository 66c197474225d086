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
 *   kernel/time/timer.c     the timer wheel: model_core.h.
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
 * Times are nanoseconds, timer lengths jiffies.  Calls go one way:
 *
 *   model.c          this header: settings, release, the kind's model
 *     -> model_syn.c, model_synack.c, model_data.c, model_keepalive.c
 *                    one timer's model each (model_kinds.h)
 *       -> model_core.c   the wheel, jiffies, the window rule,
 *                         tcp_model_timeout (model_core.h)
 */
#ifndef TF_MODEL_H
#define TF_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "model_core.h"

/* The newest release whose timer code the model follows. */
#define TF_MODEL_NEWEST_MAJOR	6
#define TF_MODEL_NEWEST_MINOR	19

/* Fills defaults for a kernel release ("6.12.117+deb12-amd64", "6.1"). */
int tf_model_params_init(struct tf_model_params *p, const char *release);
/*
 * Sets "name=value", a setting of any kind (tcpfaultctl model KIND -h lists
 * each kind's). Returns 0, -ENOENT (unknown name) or -EINVAL (bad value or
 * not on this kernel).
 */
int tf_model_param_set(struct tf_model_params *p, const char *name, const char *value);
/* Whether p's release is newer than the newest modelled (TF_MODEL_NEWEST_*). */
bool tf_model_kver_unmodelled(const struct tf_model_params *p);
/* For a setting refused as -EINVAL: the release that brought it, or NULL. */
const char *tf_model_param_since(const char *name);

/* Computes the model. Returns 0, -EINVAL, or -EOPNOTSUPP (no such kind). */
int tf_model_compute(enum tf_model_kind kind, const struct tf_model_params *p,
		     struct tf_model *m);

const char *tf_model_kind_name(enum tf_model_kind kind);
int tf_model_kind_parse(const char *name, enum tf_model_kind *kind);

#endif
