// SPDX-License-Identifier: GPL-2.0
/* tcpfaultctl's small helpers; see utils.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "utils.h"

void tf_err(const char *fmt, ...)
{
	va_list ap;

	fputs("tcpfaultctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tf_unknown(const char *word)
{
	tf_err("unknown keyword \"%s\"", word);
	return TF_EXIT_USAGE;
}

int tf_invarg(const char *value, const char *key)
{
	tf_err("invalid value \"%s\" for \"%s\"", value, key);
	return TF_EXIT_USAGE;
}

int tf_missing(const char *key)
{
	tf_err("missing value for \"%s\"", key);
	return TF_EXIT_USAGE;
}

int tf_duparg(const char *key)
{
	tf_err("duplicate \"%s\"", key);
	return TF_EXIT_USAGE;
}

bool tf_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}
