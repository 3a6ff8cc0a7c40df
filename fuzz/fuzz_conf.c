/*
 * fuzz_conf.c -- libFuzzer target: one input is one bouncewatch.conf.
 *
 * The text is loaded over the defaults into a fresh struct conf and freed.
 * Checked besides the sanitizers: a failed load and only a failed load
 * gives a cause, every line of the cause names the file, and what was
 * loaded is within its bounds.
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
fuzz_load(const char *text, size_t len)
{
	struct conf	 c;
	char		*cause = NULL, *p;
	int		 ret, i;

	conf_defaults(&c);
	ret = conf_load_text("fuzz.conf", text, len, &c, &cause);
	if (ret != 0 && ret != -1)
		fuzz_fail("neither 0 nor -1");
	if ((ret == 0) != (cause == NULL))
		fuzz_fail("return value and cause disagree");
	for (p = cause; p != NULL && *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "fuzz.conf:", 10) != 0)
			fuzz_fail("a cause line without the file");
		if (strchr(p, '\n') == NULL)
			fuzz_fail("a cause line without its newline");
	}
	free(cause);
	if (c.nlogs < 0 || c.nlogs > CONF_LOGS_MAX)
		fuzz_fail("nlogs out of range");
	for (i = 0; i < c.nlogs; i++)
		if (c.logs[i].path == NULL || (c.logs[i].path[0] != '/' && strcmp(c.logs[i].path, "auto") != 0) ||
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
	if (c.quiet_warning_s < 60 || c.quiet_warning_s > 30 * 86400)
		fuzz_fail("quiet_warning out of range");
	if (c.queue_lifetime_s < 60 || c.queue_lifetime_s > 100 * 86400)
		fuzz_fail("queue_lifetime out of range");
	if (c.journal != 0 && c.journal != 1)
		fuzz_fail("journal not a boolean");
	if (c.node == NULL || c.journal_match == NULL)
		fuzz_fail("a defaulted string went missing");
	conf_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_load((const char *)data, size);
	return 0;
}
