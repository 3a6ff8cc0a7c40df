/*
 * fuzz_conf.c -- libFuzzer target: one input is one bouncewatch.conf.
 *
 * The text is loaded over the defaults into a fresh struct conf, once
 * with a roomy error buffer and once with a tiny one (the truncation
 * path), and both are freed.  Checked besides the sanitizers: the error
 * text is NUL-terminated inside its buffer, errors are reported when and
 * only when the count says so, and what was loaded is within its bounds.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_conf: invariant violated: %s\n", what);
	abort();
}

static void
fuzz_load(const char *text, size_t len, char *errbuf, size_t errlen)
{
	struct conf	 c;
	int		 n, i;

	conf_defaults(&c);
	memset(errbuf, 'X', errlen);
	n = conf_load_text("fuzz.conf", text, len, &c, errbuf, errlen);
	if (n < 0)
		fuzz_fail("negative error count");
	if (memchr(errbuf, '\0', errlen) == NULL)
		fuzz_fail("error text not NUL-terminated");
	if ((n == 0) != (errbuf[0] == '\0'))
		fuzz_fail("error count and error text disagree");
	if (c.nlogs < 0 || c.nlogs > CONF_LOGS_MAX)
		fuzz_fail("nlogs out of range");
	for (i = 0; i < c.nlogs; i++)
		if (c.logs[i].path == NULL || c.logs[i].path[0] != '/' ||
		    c.logs[i].format == NULL)
			fuzz_fail("bad log entry");
	if (c.database == NULL || c.pidfile == NULL || c.report_to == NULL ||
	    c.report_format == NULL || c.synchronous == NULL)
		fuzz_fail("a defaulted string went missing");
	if (c.commit_interval_ms < 1 || c.commit_interval_ms > 3600 * 1000)
		fuzz_fail("commit_interval out of range");
	if (c.commit_lines < 1 || c.commit_lines > 1000000)
		fuzz_fail("commit_lines out of range");
	if (c.retention_days < 0 || c.retention_days > 36500)
		fuzz_fail("retention_days out of range");
	if (c.rotate_quiet_s < 1)
		fuzz_fail("rotate_quiet out of range");
	conf_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 big[8192], small[24];

	fuzz_load((const char *)data, size, big, sizeof(big));
	fuzz_load((const char *)data, size, small, sizeof(small));
	return 0;
}
