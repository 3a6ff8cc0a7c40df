/*
 * fuzz_parse.c -- libFuzzer target: one input is one log line.
 *
 * The line goes through parse_line() with a fixed context, then through
 * classify_delivery() when it is a delivery or expired line, the same
 * bytes go through parse_reply(), and through parse_journal() as the
 * MESSAGE of a postfix/smtp journal entry.  Besides the sanitizers, the invariants
 * of parse.h are checked: every span lies inside the input (or, for the
 * stage, is one of the parser's own words), the domain is a lower-case
 * NUL-terminated string, every enum is in range.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "parse.h"
#include "tz.h"

/* The clock of the test corpora: 2026-11-23T12:00:00Z. */
#define FUZZ_NOW	((time_t)1795435200)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct classifier	*cl;
static struct tz		*utc;

static void
fuzz_fail(const char *what, const char *field)
{
	fprintf(stderr, "fuzz_parse: invariant violated: %s: %s\n", field, what);
	abort();
}

static void
fuzz_span(struct span s, const char *base, size_t len, const char *field)
{
	if (s.p == NULL) {
		if (s.n != 0)
			fuzz_fail("absent span with a length", field);
		return;
	}
	if (s.p < base || s.p > base + len || s.n > (size_t)(base + len - s.p))
		fuzz_fail("span outside the input", field);
}

/* The stage may also be one of the parser's constant words. */
static void
fuzz_stage(struct span s, const char *base, size_t len)
{
	static const char *const words[] = {
		"greeting", "EHLO", "HELO", "LHLO", "STARTTLS", "DATA",
	};
	size_t	 i;

	if (s.p == NULL || (s.p >= base && s.p <= base + len)) {
		fuzz_span(s, base, len, "stage");
		return;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (s.p == words[i] || (s.n == strlen(words[i]) &&
		    memcmp(s.p, words[i], s.n) == 0))
			return;
	fuzz_fail("span outside the input", "stage");
}

static void
fuzz_check(const struct delivery *d, const char *base, size_t len)
{
	size_t	 n;

	if ((unsigned)d->mta >= MTA_MAX)
		fuzz_fail("out of range", "mta");
	if ((unsigned)d->status >= DSTATUS_MAX)
		fuzz_fail("out of range", "status");
	if (d->code != 0 && (d->code < 200 || d->code > 599))
		fuzz_fail("not a reply code", "code");
	if (d->usec < 0 || d->usec > 999999)
		fuzz_fail("out of range", "usec");
	if (d->relay_port < -1 || d->relay_port > 99999)
		fuzz_fail("out of range", "relay_port");
	if (d->truncated != 0 && d->truncated != 1)
		fuzz_fail("not a boolean", "truncated");
	fuzz_span(d->host, base, len, "host");
	fuzz_span(d->syslog_name, base, len, "syslog_name");
	fuzz_span(d->program, base, len, "program");
	fuzz_span(d->queue_id, base, len, "queue_id");
	fuzz_span(d->recipient, base, len, "recipient");
	fuzz_span(d->orig_to, base, len, "orig_to");
	fuzz_span(d->relay, base, len, "relay");
	fuzz_span(d->relay_host, base, len, "relay_host");
	fuzz_span(d->relay_addr, base, len, "relay_addr");
	fuzz_span(d->delay, base, len, "delay");
	fuzz_span(d->delays, base, len, "delays");
	fuzz_span(d->dsn, base, len, "dsn");
	fuzz_span(d->sender, base, len, "sender");
	fuzz_span(d->enhanced, base, len, "enhanced");
	fuzz_span(d->diagnostic, base, len, "diagnostic");
	fuzz_stage(d->stage, base, len);
	n = strnlen(d->domain, sizeof(d->domain));
	if (n == sizeof(d->domain))
		fuzz_fail("not NUL-terminated", "domain");
	while (n-- > 0)
		if (d->domain[n] >= 'A' && d->domain[n] <= 'Z')
			fuzz_fail("not lower case", "domain");
}

static void
fuzz_verdict(const struct verdict *v)
{
	if ((unsigned)v->cls >= CLASS_MAX)
		fuzz_fail("out of range", "class");
	if ((unsigned)v->reason >= REASON_MAX)
		fuzz_fail("out of range", "reason");
	if (v->rule == NULL || *v->rule == '\0')
		fuzz_fail("no deciding rule", "rule");
	if ((v->cls == CLASS_DELIVERED) != (v->reason == REASON_NONE))
		fuzz_fail("delivered iff no reason", "reason");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_ctx	 ctx;
	struct delivery		 d;
	struct verdict		 v;
	enum line_kind		 k;
	const char		*line = (const char *)data;

	if (cl == NULL) {
		if ((cl = classify_new()) == NULL || (utc = tz_new("UTC")) == NULL)
			abort();
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.now = FUZZ_NOW;
	ctx.tz = utc;

	/* lazy parsing (import, daemon) must agree on the kind of the line */
	ctx.lazy = 1;
	k = parse_line(&ctx, line, size, &d);
	fuzz_check(&d, line, size);
	ctx.lazy = 0;
	if (parse_line(&ctx, line, size, &d) != k)
		fuzz_fail("lazy and full parsing disagree", "kind");
	if ((unsigned)k >= LINE_KIND_MAX)
		fuzz_fail("out of range", "kind");
	fuzz_check(&d, line, size);
	if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
		classify_delivery(cl, k, &d, &v);
		fuzz_verdict(&v);
	}

	parse_reply(line, size, &d);
	fuzz_check(&d, line, size);
	classify_delivery(cl, LINE_DELIVERY, &d, &v);
	fuzz_verdict(&v);

	/* the journal: identifier and message in one buffer, spans inside it */
	{
		static const char	 ident[] = "postfix/smtp";
		struct parse_journal	 j;
		char			*buf = malloc(sizeof(ident) + size);

		if (buf == NULL)
			abort();
		memcpy(buf, ident, sizeof(ident) - 1);
		memcpy(buf + sizeof(ident) - 1, line, size);
		memset(&j, 0, sizeof(j));
		j.realtime_us = (uint64_t)FUZZ_NOW * 1000000;
		j.identifier.p = buf;
		j.identifier.n = sizeof(ident) - 1;
		j.message.p = buf + sizeof(ident) - 1;
		j.message.n = size;
		k = parse_journal(&ctx, &j, &d);
		fuzz_check(&d, buf, sizeof(ident) - 1 + size);
		if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
			classify_delivery(cl, k, &d, &v);
			fuzz_verdict(&v);
		}
		free(buf);
	}
	return 0;
}
