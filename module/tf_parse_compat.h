/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and helpers tf_parse.c uses, for building it into
 * tcpfaultctl and the host tests (-DTF_USERSPACE): tf_parse.h includes this
 * header there, <linux/types.h> in the module.  The kernel build never
 * compiles it; it sits beside the parser so that nothing in module/ needs
 * a file of ctl/.
 */
#ifndef _TF_PARSE_COMPAT_H
#define _TF_PARSE_COMPAT_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

#endif /* _TF_PARSE_COMPAT_H */
