/* SPDX-License-Identifier: GPL-2.0 */
/* CONFIG_HZ of a kernel, for the model (model_hz.c says from where). */
#ifndef TF_MODEL_HZ_H
#define TF_MODEL_HZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* HZ of RELEASE (running: the kernel we run on) in *hz, and "from ..." in from. */
void tf_hz_detect(const char *release, bool running, unsigned int *hz,
		  char *from, size_t n);
/* The last CONFIG_HZ=N line of a kernel config: 0, -ENOENT or -EINVAL. */
int tf_hz_parse_config(FILE *f, unsigned int *hz);
/* HZ whose TICK_NSEC is tick_ns: 0 or -EINVAL. */
int tf_hz_from_tick_ns(long tick_ns, unsigned int *hz);

#endif
