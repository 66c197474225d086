// SPDX-License-Identifier: GPL-2.0
/* Text and JSON output from one code path; see print.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "print.h"

bool tf_json;
bool tf_pretty;

#define TF_PRINT_DEPTH 16
static bool need_comma[TF_PRINT_DEPTH];
static int depth;

/* -p: each member on a line of its own, four blanks per level (ip -p). */
static void json_newline(int level)
{
	if (tf_pretty)
		printf("\n%*s", 4 * level, "");
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Emits the separator and, inside an object, the key. */
static void json_member(const char *key)
{
	if (depth > 0 && need_comma[depth - 1])
		putchar(',');
	if (depth > 0) {
		need_comma[depth - 1] = true;
		json_newline(depth);
	}
	if (key) {
		json_string(key);
		fputs(tf_pretty ? ": " : ":", stdout);
	}
}

/* Closes the innermost object or array; a non-empty one on a new line. */
static void json_close(char c)
{
	depth--;
	if (depth < TF_PRINT_DEPTH && need_comma[depth])
		json_newline(depth);
	putchar(c);
}

static void json_open(const char *key, char c)
{
	json_member(key);
	putchar(c);
	if (depth < TF_PRINT_DEPTH)
		need_comma[depth] = false;
	depth++;
}

void tf_print_open_object(const char *key)
{
	if (tf_json)
		json_open(key, '{');
}

void tf_print_close_object(void)
{
	if (tf_json)
		json_close('}');
}

void tf_print_open_array(const char *key)
{
	if (tf_json)
		json_open(key, '[');
}

void tf_print_close_array(void)
{
	if (tf_json)
		json_close(']');
}

void tf_print_u64(const char *key, const char *fmt, uint64_t v)
{
	if (tf_json) {
		json_member(key);
		printf("%llu", (unsigned long long)v);
	} else if (fmt) {
		printf(fmt, (unsigned long long)v);
	}
}

void tf_print_s64(const char *key, const char *fmt, int64_t v)
{
	if (tf_json) {
		json_member(key);
		printf("%lld", (long long)v);
	} else if (fmt) {
		printf(fmt, (long long)v);
	}
}

void tf_print_hundredths(const char *key, const char *fmt, uint64_t v)
{
	char num[32];

	if (v % 100)
		snprintf(num, sizeof(num), "%llu.%02llu", (unsigned long long)v / 100,
			 (unsigned long long)v % 100);
	else
		snprintf(num, sizeof(num), "%llu", (unsigned long long)v / 100);
	if (tf_json) {
		json_member(key);
		fputs(num, stdout);
	} else if (fmt) {
		printf(fmt, num);
	}
}

void tf_print_str(const char *key, const char *fmt, const char *s)
{
	if (tf_json) {
		json_member(key);
		if (s)
			json_string(s);
		else
			fputs("null", stdout);
	} else if (fmt) {
		printf(fmt, s ? s : "-");
	}
}

void tf_print_bool(const char *key, const char *fmt, bool v)
{
	if (tf_json) {
		json_member(key);
		fputs(v ? "true" : "false", stdout);
	} else if (fmt) {
		printf(fmt, v ? "yes" : "no");
	}
}

void tf_print_secs(const char *key, const char *fmt, double v)
{
	if (tf_json) {
		json_member(key);
		printf("%.6f", v);
	} else if (fmt) {
		printf(fmt, v);
	}
}

void tf_print_text(const char *fmt, ...)
{
	va_list ap;

	if (tf_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void tf_print_end(void)
{
	if (tf_json)
		putchar('\n');
	fflush(stdout);
}
