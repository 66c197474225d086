// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the rule parser the module runs (module/tf_parse.c):
 *
 *   make fuzz [FUZZ_TIME=600]      a campaign from ctl/tests/fuzz-corpus/
 *
 * The input is what a write() to /proc/net/tcpfault/rules carries: lines cut
 * at '\n', a NUL byte refused whole, as module/rules.c does.  Every line goes
 * to tf_parse_line in a buffer of exactly its size, with error and output
 * buffers of exactly their declared sizes, so ASan sees any overrun.  What
 * must hold:
 *
 *   - a refused line has a reason: a non-empty message within TF_ERR_MAX;
 *   - an accepted "add" prints (tf_format_rule, the buffer "rules" reads
 *     back through) within TF_LINE_MAX, also once the kernel has picked its
 *     id and seed, and with the " # hits N acted M" comment a read appends;
 *     the printed line parses back to the identical command;
 *   - the same for "kill" (tf_format_kill, which the kernel log prints).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_parse.h"

/*
 * What proc.c appends to each rule: counters of up to 2^32 packets (wider
 * ones can push the widest rules past TF_LINE_MAX; see Documentation/admin-guide.rst, Hardening).
 */
#define TF_FUZZ_COUNTERS " # hits 4294967295 acted 4294967295"

static void tf_fuzz_fail(const char *what, const char *line, const char *out)
{
	fprintf(stderr, "fuzz_parse: %s\n  line: \"%s\"\n  got:  \"%s\"\n",
		what, line, out ? out : "");
	abort();
}

/* Parses @text (a printed command) and compares it with @want. */
static void tf_fuzz_reparse(const char *what, const char *line,
			    const char *text, const struct tf_cmd *want)
{
	size_t n = strlen(text);
	char *copy = malloc(n + 1), *err = malloc(TF_ERR_MAX);
	struct tf_cmd *again = malloc(sizeof(*again));

	if (!copy || !err || !again)
		abort();
	memcpy(copy, text, n + 1);
	if (tf_parse_line(copy, again, err, TF_ERR_MAX))
		tf_fuzz_fail(what, line, err);
	if (memcmp(again, want, sizeof(*again)))
		tf_fuzz_fail(what, line, text);
	free(again);
	free(err);
	free(copy);
}

static void tf_fuzz_add(const char *line, const struct tf_cmd *cmd)
{
	char *out = malloc(TF_LINE_MAX), *saved = malloc(2 * TF_LINE_MAX);
	struct tf_cmd *picked = malloc(sizeof(*picked));
	int n;

	if (!out || !saved || !picked)
		abort();
	n = tf_format_rule(&cmd->rule, out, TF_LINE_MAX);
	if (n < 0 || (size_t)n != strlen(out))
		tf_fuzz_fail("accepted rule does not print within TF_LINE_MAX",
			     line, out);
	tf_fuzz_reparse("printed rule does not parse back the same", line,
			out, cmd);

	/* As "rules" lists it: an id and a seed picked, counters after. */
	*picked = *cmd;
	if (!picked->rule.id)
		picked->rule.id = TF_ID_PRESET - 1;
	if (picked->rule.prob && !picked->rule.seed_set) {
		picked->rule.seed_set = true;
		picked->rule.seed = 0xffffffffU;
	}
	n = tf_format_rule(&picked->rule, out, TF_LINE_MAX);
	if (n < 0)
		tf_fuzz_fail("rule with the kernel's id and seed does not print",
			     line, out);
	snprintf(saved, 2 * TF_LINE_MAX, "%s%s", out, TF_FUZZ_COUNTERS);
	tf_fuzz_reparse("listed rule (with counters) does not replay", line,
			saved, picked);
	free(picked);
	free(saved);
	free(out);
}

static void tf_fuzz_kill(const char *line, const struct tf_cmd *cmd)
{
	char *out = malloc(TF_LINE_MAX);
	int n;

	if (!out)
		abort();
	n = tf_format_kill(cmd, out, TF_LINE_MAX);
	if (n < 0 || (size_t)n != strlen(out))
		tf_fuzz_fail("accepted kill does not print within TF_LINE_MAX",
			     line, out);
	tf_fuzz_reparse("printed kill does not parse back the same", line,
			out, cmd);
	free(out);
}

static void tf_fuzz_line(const char *start, size_t len)
{
	char *line = malloc(len + 1), *keep = malloc(len + 1);
	char *err = malloc(TF_ERR_MAX);
	struct tf_cmd *cmd = malloc(sizeof(*cmd));
	int ret;

	if (!line || !keep || !err || !cmd)
		abort();
	memcpy(line, start, len);
	line[len] = '\0';
	memcpy(keep, line, len + 1);
	ret = tf_parse_line(line, cmd, err, TF_ERR_MAX);
	if (ret) {
		if (ret != -EINVAL && ret != -E2BIG)
			tf_fuzz_fail("unexpected error code", keep, err);
		if (!err[0] || strnlen(err, TF_ERR_MAX) == TF_ERR_MAX)
			tf_fuzz_fail("refused without a reason", keep, err);
	} else if (cmd->op == TF_OP_ADD) {
		tf_fuzz_add(keep, cmd);
	} else if (cmd->op == TF_OP_KILL) {
		tf_fuzz_kill(keep, cmd);
	} else if (cmd->op != TF_OP_NONE && cmd->op != TF_OP_DEL &&
		   cmd->op != TF_OP_FLUSH) {
		tf_fuzz_fail("unknown op", keep, NULL);
	}
	free(cmd);
	free(err);
	free(keep);
	free(line);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *nl;

	/* rules.c refuses a write with a NUL byte before parsing anything. */
	if (memchr(data, '\0', size))
		return 0;
	for (; s <= end; s = nl + 1) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		tf_fuzz_line(s, nl - s);
	}
	return 0;
}
