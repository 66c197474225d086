/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text and JSON output from one code path, in the manner of iproute2's
 * print_uint(PRINT_ANY, ...): callers name a JSON key and a printf format
 * for text; in JSON mode the key is used and numbers stay raw numbers.
 */
#ifndef TF_PRINT_H
#define TF_PRINT_H

#include <stdbool.h>
#include <stdint.h>

extern bool tf_json;		/* -j given */
extern bool tf_pretty;		/* -p given: JSON indented */

void tf_print_open_object(const char *key);	/* key NULL: array element / top */
void tf_print_close_object(void);
void tf_print_open_array(const char *key);
void tf_print_close_array(void);
void tf_print_u64(const char *key, const char *fmt, uint64_t v);
void tf_print_s64(const char *key, const char *fmt, int64_t v);
void tf_print_str(const char *key, const char *fmt, const char *s);
void tf_print_bool(const char *key, const char *fmt, bool v);
/* v / 100 as "12" or "12.50": text through fmt (a %s), JSON as a number. */
void tf_print_hundredths(const char *key, const char *fmt, uint64_t v);
/* Seconds with ms precision: text through fmt, JSON as a number. */
void tf_print_secs(const char *key, const char *fmt, double v);
/* Text only: literal text (newlines, separators). */
void tf_print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the document (JSON: final newline). */
void tf_print_end(void);

#endif
