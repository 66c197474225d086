/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpfaultctl's library of small helpers (iproute2 keeps its own in
 * lib/utils.c): exit statuses, one-line error messages and the number
 * parser every command's arguments use.  It calls nothing of tcpfaultctl.
 */
#ifndef TF_UTILS_H
#define TF_UTILS_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses: 0 ok, 1 failure (error, or a check out of its window), 2 usage. */
#define TF_EXIT_OK	0
#define TF_EXIT_FAIL	1
#define TF_EXIT_USAGE	2

/* "tcpfaultctl: MESSAGE" on stderr. */
void tf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One-line usage errors naming the word; they return TF_EXIT_USAGE. */
int tf_unknown(const char *word);
int tf_invarg(const char *value, const char *key);
int tf_missing(const char *key);
int tf_duparg(const char *key);
/* Decimal, no sign, at most max: true and *out, or false. */
bool tf_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
