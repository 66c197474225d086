/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One timer's model a file, for the dispatcher (model.c) alone: its
 * settings' defaults and "name=value" parser (0, -EINVAL, -ENOENT: not
 * one of its names), and the model of m->kind (m->p filled in, m as
 * tf_model_compute() starts it).  They call model_core.c only.
 */
#ifndef TF_MODEL_KINDS_H
#define TF_MODEL_KINDS_H

#include "model_core.h"

/* model_syn.c: active open */
void tf_model_syn_params_init(struct tf_model_params *p);
int tf_model_syn_param_set(struct tf_model_params *p, const char *name, const char *value);
int tf_model_syn(struct tf_model *m);

/* model_synack.c: passive open */
void tf_model_synack_params_init(struct tf_model_params *p);
int tf_model_synack_param_set(struct tf_model_params *p, const char *name, const char *value);
int tf_model_synack(struct tf_model *m);

/* model_data.c: established and orphaned, the RTO */
void tf_model_data_params_init(struct tf_model_params *p);
int tf_model_data_param_set(struct tf_model_params *p, const char *name, const char *value);
int tf_model_data(struct tf_model *m);
int tf_model_fin(struct tf_model *m);

/* model_keepalive.c: keepalive and zero-window probes */
void tf_model_keepalive_params_init(struct tf_model_params *p);
int tf_model_keepalive_param_set(struct tf_model_params *p, const char *name,
				 const char *value);
int tf_model_keepalive(struct tf_model *m);
int tf_model_probe(struct tf_model *m);

#endif
