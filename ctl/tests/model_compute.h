/* SPDX-License-Identifier: GPL-2.0 */
/* For the model tests that compare whole schedules: compute() into m. */
#ifndef _TF_TESTS_MODEL_COMPUTE_H
#define _TF_TESTS_MODEL_COMPUTE_H

#include "../model.h"
#include "check.h"

/* The model of KERNEL with the settings SETS (name, value, ..., NULL) in m. */
static struct tf_model m;

static inline int compute(enum tf_model_kind kind, const char *kernel,
			  const char *const *sets)
{
	struct tf_model_params p;
	int ret;

	ret = tf_model_params_init(&p, kernel);
	CHECK(!ret, "params_init(%s)", kernel);
	for (; sets && *sets; sets += 2) {
		ret = tf_model_param_set(&p, sets[0], sets[1]);
		if (ret)
			return ret;
	}
	ret = tf_model_compute(kind, &p, &m);
	CHECK(!ret, "compute %s: %d", kernel, ret);
	return ret;
}

#endif /* _TF_TESTS_MODEL_COMPUTE_H */
