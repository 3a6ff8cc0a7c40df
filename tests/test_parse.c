/*
 * test_parse.c -- the parser against the corpora of tests/data and against
 * hostile input.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "classify.h"
#include "corpus.h"
#include "emit.h"
#include "parse.h"
#include "tz.h"

static struct classifier	*cl;
static struct tz		*utc;

static int
setup(void **state)
{
	(void)state;
	cl = classify_new();
	utc = tz_new("UTC");
	return cl == NULL || utc == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	classify_free(cl);
	tz_free(utc);
	return 0;
}

/*
 * What a kind promises of the record beside it: an expiry is expired, a
 * probe has a probe's status, a delivery has a status and a recipient
 * field, and no other line claims a delivery status.
 */
static void
check_kind(enum line_kind k, const struct delivery *d)
{
	assert_non_null(parse_kind_name(k));
	switch (k) {
	case LINE_EXPIRED:
		assert_int_equal(d->status, DSTATUS_EXPIRED);
		break;
	case LINE_PROBE:
		assert_true(d->status == DSTATUS_DELIVERABLE ||
		    d->status == DSTATUS_UNDELIVERABLE);
		break;
	case LINE_DELIVERY:
		assert_true(d->status != DSTATUS_DELIVERABLE &&
		    d->status != DSTATUS_UNDELIVERABLE);
		assert_non_null(d->recipient.p);
		break;
	case LINE_INVALID:
	case LINE_OTHER:
		assert_true(d->status == DSTATUS_NONE || d->status == DSTATUS_EXPIRED ||
		    k == LINE_OTHER);
		break;
	default:
		fail_msg("parse_line returned kind %d", (int)k);
	}
}

/*
 * What a verdict promises: delivered and only delivered has no reason, a
 * rule is named, and with the built-in rules alone (an operator's rule may
 * force a class) the class follows the MTA's status and greylist is
 * always greylisted.
 */
static void
check_verdict(enum line_kind k, const struct delivery *d, const struct verdict *v,
    int builtin)
{
	assert_non_null(v->rule);
	assert_non_null(classify_class_name(v->cls));
	assert_non_null(classify_reason_name(v->reason));
	assert_true((v->cls == CLASS_DELIVERED) == (v->reason == REASON_NONE));
	if (!builtin)
		return;
	if (v->cls == CLASS_GREYLIST)
		assert_int_equal(v->reason, REASON_GREYLISTED);
	if (k == LINE_EXPIRED || d->status == DSTATUS_EXPIRED)
		assert_true(v->cls == CLASS_PERMANENT && v->reason == REASON_EXPIRED);
	else if (d->status == DSTATUS_SENT)
		assert_int_equal(v->cls, CLASS_DELIVERED);
	else if (d->status == DSTATUS_BOUNCED)
		assert_int_equal(v->cls, CLASS_PERMANENT);
	else if (d->status == DSTATUS_DEFERRED || d->status == DSTATUS_SOFTBOUNCE)
		assert_true(v->cls == CLASS_TEMPORARY || v->cls == CLASS_GREYLIST);
}

/* Check every record of a corpus file; returns the number of records. */
static int
check_corpus(const char *name, int min_records)
{
	struct corpus_rec	*recs;
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	int			 n, i, bad = 0;

	n = corpus_load(corpus_path(name), &recs);
	if (n < 0)
		fail_msg("cannot read %s", corpus_path(name));
	for (i = 0; i < n; i++) {
		const char	*line = corpus_get(&recs[i], "line");
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;

		if (line == NULL) {
			fprintf(stderr, "%s:%d: record without line\n", name, recs[i].lineno);
			bad++;
			continue;
		}
		if (corpus_get(&recs[i], "kind") == NULL) {
			fprintf(stderr, "%s:%d: record without kind\n", name, recs[i].lineno);
			bad++;
		}
		k = parse_line(&ctx, line, strlen(line), &d);
		check_kind(k, &d);
		if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
			classify_delivery(cl, k, &d, &v);
			check_verdict(k, &d, &v, 1);
		}
		bad += corpus_check(name, &recs[i], k, &d,
		    k == LINE_DELIVERY || k == LINE_EXPIRED ? &v : NULL) > 0;
	}
	corpus_free(recs, n);
	if (bad > 0)
		fail_msg("%s: %d of %d records differ (details above)", name, bad, n);
	if (n < min_records)
		fail_msg("%s: only %d records, want at least %d", name, n, min_records);
	return n;
}

static void
test_corpus_postfix(void **state)
{
	(void)state;
	check_corpus("postfix-lines.txt", 150);
}

static void
test_corpus_real_postfix(void **state)
{
	(void)state;
	check_corpus("real-postfix.txt", 20);
}

static void
test_corpus_hurricane(void **state)
{
	(void)state;
	check_corpus("hurricane-lines.txt", 8);
}

static int64_t
stamp(const struct parse_ctx *ctx, const char *line)
{
	struct delivery	 d;

	parse_line(ctx, line, strlen(line), &d);
	assert_true(d.has_time);
	return d.time;
}

static int64_t
utc_of(int y, int m, int d, int hh, int mm, int ss)
{
	return tz_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* A December line read in January is last year's; a line of "today" is this year's. */
static void
test_year_inference(void **state)
{
	struct parse_ctx	 ctx = { (time_t)utc_of(2026, 1, 5, 9, 0, 0), utc, 0 };

	(void)state;
	assert_int_equal(stamp(&ctx, "Dec 31 23:59:59 mx postfix/qmgr[1]: removed"),
	    utc_of(2025, 12, 31, 23, 59, 59));
	assert_int_equal(stamp(&ctx, "Jan  5 08:59:00 mx postfix/qmgr[1]: removed"),
	    utc_of(2026, 1, 5, 8, 59, 0));
	/* a few hours ahead of the clock (skew, zone): still this year */
	assert_int_equal(stamp(&ctx, "Jan  5 23:00:00 mx postfix/qmgr[1]: removed"),
	    utc_of(2026, 1, 5, 23, 0, 0));
	assert_int_equal(stamp(&ctx, "Feb 10 10:00:00 mx postfix/qmgr[1]: removed"),
	    utc_of(2025, 2, 10, 10, 0, 0));
	/*
	 * A sender's clock a few seconds ahead at new year (issue 11 #9):
	 * "Jan  1 00:00:03" read at Dec 31 23:59:55 is next year's, in UTC and
	 * in a zone; "Dec 31 23:59:50" read then is still this year's.
	 */
	ctx.now = (time_t)utc_of(2026, 12, 31, 23, 59, 55);
	assert_int_equal(stamp(&ctx, "Jan  1 00:00:03 mx postfix/qmgr[1]: removed"),
	    utc_of(2027, 1, 1, 0, 0, 3));
	assert_int_equal(stamp(&ctx, "Dec 31 23:59:50 mx postfix/qmgr[1]: removed"),
	    utc_of(2026, 12, 31, 23, 59, 50));
	{
		struct tz		*berlin = tz_new("Europe/Berlin");
		struct parse_ctx	 bctx = { (time_t)utc_of(2026, 12, 31, 22, 59, 58),
					    berlin, 0 };

		assert_non_null(berlin);
		assert_int_equal(stamp(&bctx, "Jan  1 00:00:01 mx postfix/qmgr[1]: removed"),
		    utc_of(2026, 12, 31, 23, 0, 1));
		tz_free(berlin);
	}
	/* a day and more ahead is last year's, as before */
	assert_int_equal(stamp(&ctx, "Jan  2 00:00:03 mx postfix/qmgr[1]: removed"),
	    utc_of(2026, 1, 2, 0, 0, 3));
	/* Feb 29 read in a non-leap year belongs to the last leap year */
	ctx.now = (time_t)utc_of(2025, 3, 2, 0, 0, 0);
	assert_int_equal(stamp(&ctx, "Feb 29 10:00:00 mx postfix/qmgr[1]: removed"),
	    utc_of(2024, 2, 29, 10, 0, 0));
}

/* Local stamps become UTC with the configured zone, DST included. */
static void
test_timezone(void **state)
{
	struct tz		*berlin = tz_new("Europe/Berlin");
	struct parse_ctx	 ctx = { CORPUS_NOW, berlin, 0 };

	(void)state;
	assert_non_null(berlin);
	assert_int_equal(stamp(&ctx, "Jul 12 07:47:48 mx postfix/qmgr[1]: x"),
	    utc_of(2026, 7, 12, 5, 47, 48));
	assert_int_equal(stamp(&ctx, "Jan 12 07:47:48 mx postfix/qmgr[1]: x"),
	    utc_of(2026, 1, 12, 6, 47, 48));
	/* an explicit offset wins over the zone */
	assert_int_equal(stamp(&ctx, "2026-07-12T07:47:48+0000 mx postfix/qmgr[1]: x"),
	    utc_of(2026, 7, 12, 7, 47, 48));
	/* ISO without offset is local */
	assert_int_equal(stamp(&ctx, "2026-07-12T07:47:48 mx postfix/qmgr[1]: x"),
	    utc_of(2026, 7, 12, 5, 47, 48));
	assert_int_equal(tz_utc_to_local(berlin, utc_of(2026, 7, 12, 5, 47, 48)),
	    utc_of(2026, 7, 12, 7, 47, 48));
	tz_free(berlin);
	assert_null(tz_new("Mars/Olympus_Mons"));
	tz_free(utc);
	utc = tz_new("UTC");
}

/* The local day parse records for a line, as "YYYY-MM-DD". */
static const char *
day_of(const struct parse_ctx *ctx, const char *line)
{
	static char	 buf[16];
	struct delivery	 d;

	parse_line(ctx, line, strlen(line), &d);
	assert_true(d.has_time);
	tz_day_text(d.day, buf);
	return buf;
}

/*
 * The line's local day is found once, by parse, in the configured zone:
 * a local stamp's own date; for an RFC 3339 stamp with an offset, the
 * zone's day of that instant (around midnight, not the stamp's date).
 */
static void
test_local_day(void **state)
{
	struct tz		*berlin = tz_new("Europe/Berlin");
	struct parse_ctx	 ctx = { CORPUS_NOW, berlin, 0 };
	struct parse_journal	 j;
	struct delivery		 d;

	(void)state;
	assert_non_null(berlin);
	/* BSD stamps: their own date, on both sides of local midnight */
	assert_string_equal(day_of(&ctx, "Jul 12 23:59:59 mx postfix/qmgr[1]: x"),
	    "2026-07-12");
	assert_string_equal(day_of(&ctx, "Jul 13 00:00:00 mx postfix/qmgr[1]: x"),
	    "2026-07-13");
	/* winter (+01:00) too, and the hour clocks are set back */
	assert_string_equal(day_of(&ctx, "Jan 12 00:00:01 mx postfix/qmgr[1]: x"),
	    "2026-01-12");
	assert_string_equal(day_of(&ctx, "Oct 25 02:30:00 mx postfix/qmgr[1]: x"),
	    "2026-10-25");
	/* RFC 3339 without an offset: local, its own date */
	assert_string_equal(day_of(&ctx, "2026-07-12T23:59:59 mx postfix/qmgr[1]: x"),
	    "2026-07-12");
	/* an offset behind Berlin's: 23:30 UTC is 01:30 the next day in Berlin */
	assert_string_equal(day_of(&ctx,
	    "2026-07-12T23:30:00+00:00 mx postfix/qmgr[1]: x"), "2026-07-13");
	assert_string_equal(day_of(&ctx,
	    "2026-07-12T22:30:00Z mx postfix/qmgr[1]: x"), "2026-07-13");
	assert_string_equal(day_of(&ctx,
	    "2026-07-12T21:59:59Z mx postfix/qmgr[1]: x"), "2026-07-12");
	/* an offset ahead: 00:30+05:00 is 21:30 the day before in Berlin */
	assert_string_equal(day_of(&ctx,
	    "2026-07-13T00:30:00+05:00 mx postfix/qmgr[1]: x"), "2026-07-12");
	/* the same offset as Berlin's: the stamp's date */
	assert_string_equal(day_of(&ctx,
	    "2026-07-13T00:00:00+02:00 mx postfix/qmgr[1]: x"), "2026-07-13");
	assert_string_equal(day_of(&ctx,
	    "2026-07-12T23:59:59.999999+02:00 mx postfix/qmgr[1]: x"), "2026-07-12");
	/* a journal entry's time is UTC: the zone's day of it */
	memset(&j, 0, sizeof(j));
	j.message.p = "x";
	j.message.n = 1;
	j.realtime_us = (uint64_t)utc_of(2026, 7, 12, 22, 0, 0) * 1000000;
	parse_journal(&ctx, &j, &d);
	assert_int_equal(d.day, tz_days_from_civil(2026, 7, 13));
	tz_free(berlin);
	/* without a zone: UTC */
	ctx.tz = NULL;
	assert_string_equal(day_of(&ctx,
	    "2026-07-12T23:30:00+00:00 mx postfix/qmgr[1]: x"), "2026-07-12");
	assert_string_equal(day_of(&ctx,
	    "2026-07-13T00:30:00+05:00 mx postfix/qmgr[1]: x"), "2026-07-12");
}

/*
 * tz.c reads TZif files itself: its offsets agree with the C library's
 * for zones of every kind (DST north and south, half hours, 45 minutes,
 * none), from 1901 to 2200 -- past the tables, where the footer's POSIX
 * rule decides -- and local->UTC->local goes round.
 */
static void
test_tz_against_libc(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Sydney",
		"Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kolkata",
		"Pacific/Chatham", "Asia/Tokyo", "Africa/Casablanca", "America/Santiago",
	};
	const char	*saved = getenv("TZ");
	char		*old = saved != NULL ? strdup(saved) : NULL;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct tz	*tz = tz_new(zones[i]);
		int64_t		 t;
		int		 checked = 0;

		assert_non_null(tz);
		setenv("TZ", zones[i], 1);
		tzset();
		/* steps of 6h 17m: every hour of the day, every day of the week */
		for (t = -2145916800LL; t < 7258118400LL; t += 22620) {
			time_t		 tt = (time_t)t;
			struct tm	 tm;
			int64_t		 local;

			if (localtime_r(&tt, &tm) == NULL)
				continue;
			if (tz_offset(tz, t) != tm.tm_gmtoff)
				fail_msg("%s at %lld: tz %d, libc %ld", zones[i], (long long)t,
				    (int)tz_offset(tz, t), (long)tm.tm_gmtoff);
			local = tz_utc_to_local(tz, t);
			assert_int_equal(local, t + tm.tm_gmtoff);
			/* round trip, except in the hour that occurs twice */
			if (tz_offset(tz, t - 7200) == tz_offset(tz, t + 7200))
				assert_int_equal(tz_local_to_utc(tz, local), t);
			checked++;
		}
		assert_true(checked > 400000);
		tz_free(tz);
	}
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	/* a POSIX rule in TZ is the system zone, without a file */
	setenv("TZ", "XST-2XDT,M3.5.0/2,M10.5.0/3", 1);
	{
		struct tz	*sys = tz_new(NULL);

		assert_non_null(sys);
		assert_int_equal(tz_offset(sys, utc_of(2030, 7, 1, 0, 0, 0)), 3 * 3600);
		assert_int_equal(tz_offset(sys, utc_of(2030, 1, 1, 0, 0, 0)), 2 * 3600);
		/* 02:30 on the last Sunday of March 2030 (the 31st) does not exist */
		assert_int_equal(tz_local_to_utc(sys, utc_of(2030, 3, 31, 2, 30, 0)),
		    utc_of(2030, 3, 31, 0, 30, 0));
		/* 02:30 on the last Sunday of October occurs twice: the first */
		assert_int_equal(tz_local_to_utc(sys, utc_of(2030, 10, 27, 2, 30, 0)),
		    utc_of(2030, 10, 26, 23, 30, 0));
		tz_free(sys);
	}
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	free(old);
	/* not a zone: unknown names, "..", a file that is not TZif */
	assert_null(tz_new("Mars/Olympus_Mons"));
	assert_null(tz_new("../../etc/passwd"));
	assert_null(tz_new("/etc/passwd"));
	assert_int_equal(tz_check("Europe/Berlin"), 0);
	assert_int_equal(tz_check("UTC"), 0);
}

static const char *const good_line =
    "Dec 29 03:03:48 mail postfix/smtp[8492]: 732BB407C3: to=<redacted@domain.com>, "
    "relay=mail.domain.com[1.1.1.1]:25, delay=582, delays=563/16/1.7/0.81, dsn=5.0.0, "
    "status=bounced (host mail.domain.com[1.1.1.1] said: 554 DT:SPM 163 mx9 "
    "(in reply to end of DATA command))";

/* Every prefix of real lines parses without touching memory beyond it. */
static void
test_every_prefix(void **state)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct corpus_rec	*recs;
	int			 n, i;
	size_t			 len, cut;

	(void)state;
	n = corpus_load(corpus_path("postfix-lines.txt"), &recs);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const char	*line = corpus_get(&recs[i], "line");

		if (line == NULL)
			continue;
		len = strlen(line);
		for (cut = 0; cut <= len; cut++) {
			char		*copy = malloc(cut + 1);	/* exact size: ASan sees overreads */
			struct delivery	 d;
			enum line_kind	 k;

			memcpy(copy, line, cut);
			k = parse_line(&ctx, copy, cut, &d);
			if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
				struct verdict	 v;

				check_kind(k, &d);
				classify_delivery(cl, k, &d, &v);
				check_verdict(k, &d, &v, 1);
				assert_true(d.diagnostic.p == NULL ||
				    (d.diagnostic.p >= copy && d.diagnostic.p + d.diagnostic.n <= copy + cut));
			}
			free(copy);
		}
	}
	corpus_free(recs, n);
}

/* Deterministic garbage: random bytes, random mutations of real lines. */
static void
test_hostile(void **state)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct delivery		 d;
	struct verdict		 v;
	uint32_t		 seed = 12345;
	char			*buf;
	size_t			 i, len, glen = strlen(good_line);
	int			 round;
	enum line_kind		 k;

	(void)state;
	/* empty, blanks, NUL bytes */
	assert_int_equal(parse_line(&ctx, "", 0, &d), LINE_INVALID);
	assert_int_equal(parse_line(&ctx, "   \r\n", 5, &d), LINE_INVALID);
	assert_int_equal(parse_line(&ctx, "\0\0\0\0", 4, &d), LINE_INVALID);
	{
		char	 nul[256];

		memcpy(nul, good_line, 100);
		nul[40] = '\0';
		assert_int_equal(parse_line(&ctx, nul, 100, &d), LINE_INVALID);
	}
	/* a 1 MB line */
	len = 1024 * 1024;
	buf = malloc(len);
	memset(buf, 'A', len);
	memcpy(buf, good_line, glen);
	assert_int_equal(parse_line(&ctx, buf, len, &d), LINE_INVALID);
	/* just under the limit: parsed, the diagnostic runs to the end */
	memset(buf, '(', PARSE_LINE_MAX);
	memcpy(buf, good_line, glen - 1);
	k = parse_line(&ctx, buf, PARSE_LINE_MAX, &d);
	assert_int_equal(k, LINE_DELIVERY);
	assert_true(d.truncated);
	classify_delivery(cl, k, &d, &v);
	/* unbalanced parentheses and brackets */
	{
		static const char *const odd[] = {
			"Jan  1 00:00:00 h postfix/smtp[1]: ABCDEF: to=<a@b>, relay=x[[[]]]:, delay=1, dsn=5.0.0, status=bounced ((((",
			"Jan  1 00:00:00 h postfix/smtp[1]: ABCDEF: to=<a@b>, relay=]]][, status=bounced ))))",
			"Jan  1 00:00:00 h postfix/smtp[1]: ABCDEF: to=<, status=deferred (",
			"Jan  1 00:00:00 h postfix/smtp[1]: ABCDEF: to=<a@b>, status=",
			"Jan  1 00:00:00 h postfix/smtp[1]: ABCDEF: to=",
			"Jan  1 00:00:00 h postfix/qmgr[1]: ABCDEF: from=<, status=expired",
			"<13>1 - - - - - [unterminated",
			"<999999999>",
			"2026-99-99T99:99:99Z h postfix/smtp[1]: x",
			"Jan 99 25:61:61 h postfix/smtp[1]: x",
			"Jan  1 00:00:00 h [1:2:3",
			"Jan  1 00:00:00 h postfix/smtp[99999999999999999999999]: x",
			"\xff\xfe\xfd Jan  1 00:00:00 \x80\x81 postfix/smtp[1]: ABCDEF: to=<\xc3\x28@\xe2\x82>, relay=none, dsn=4.0.0, status=deferred (\xf0\x28\x8c\xbc said: 450 4.\xff)",
		};

		for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			char	*c = strdup(odd[i]);

			k = parse_line(&ctx, c, strlen(c), &d);
			if (k == LINE_DELIVERY || k == LINE_EXPIRED)
				classify_delivery(cl, k, &d, &v);
			free(c);
		}
	}
	/* random bytes and random mutations of a real line */
	for (round = 0; round < 20000; round++) {
		size_t	 n;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 8) % 600;
		if (round % 2 == 0) {
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				buf[i] = (char)(seed >> 16);
			}
		} else {
			n = glen;
			memcpy(buf, good_line, n);
			for (i = 0; i < 6; i++) {
				seed = seed * 1103515245 + 12345;
				buf[(seed >> 8) % n] = (char)(seed >> 20);
			}
		}
		{
			char	*c = malloc(n + 1);

			memcpy(c, buf, n);
			k = parse_line(&ctx, c, n, &d);
			check_kind(k, &d);
			if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
				classify_delivery(cl, k, &d, &v);
				check_verdict(k, &d, &v, 1);
			}
			free(c);
		}
	}
	free(buf);
}

/* A span is absent or lies inside [b, b + n). */
static int
span_inside(struct span s, const char *b, size_t n)
{
	if (s.p == NULL)
		return s.n == 0;
	return s.p >= b && s.p <= b + n && s.n <= (size_t)(b + n - s.p);
}

/*
 * Inputs on which the fuzzers of fuzz/ found a crash, undefined behaviour
 * or a blow-up, one per file in tests/data/fuzz-regressions/.  "rules-*"
 * files are operator rules files: loading one must end, accepted or not,
 * and when it is accepted, classifying texts made to make a regular
 * expression backtrack must end too (a blow-up hangs the test, and the
 * harness's timeout fails it); any other file is
 * one log line, run as fuzz/fuzz_parse.c runs it: parse_line, the
 * classifier, parse_reply on the same bytes, every span inside the input.
 */
/*
 * Texts on which a backtracking matcher runs for ages given the right
 * pattern: "111...1!", "1aaa...a!" and "1aaa1aaa...!", 4 KB each.
 */
static void
fuzz_regression_rules(struct classifier *c)
{
	static const char	 unit[] = "1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct delivery		 d;
	struct verdict		 v;
	char			 text[4096];
	size_t			 n, i;

	for (n = 0; n < 3; n++) {
		for (i = 0; i + 2 < sizeof(text); i++) {
			if (n == 0)
				text[i] = '1';
			else if (n == 1)
				text[i] = i == 0 ? '1' : 'a';
			else
				text[i] = unit[i % (sizeof(unit) - 1)];
		}
		text[i++] = '!';
		text[i] = '\0';
		memset(&d, 0, sizeof(d));
		parse_reply(text, strlen(text), &d);
		d.status = DSTATUS_BOUNCED;
		classify_delivery(c, LINE_DELIVERY, &d, &v);
		check_verdict(LINE_DELIVERY, &d, &v, 0);
	}
}

static void
test_fuzz_regressions(void **state)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct delivery		 d;
	struct verdict		 v;
	struct dirent		*de;
	DIR			*dir;
	char			 dpath[4096], path[4608];
	int			 n = 0, pass;

	(void)state;
	snprintf(dpath, sizeof(dpath), "%s", corpus_path("fuzz-regressions"));
	if ((dir = opendir(dpath)) == NULL)
		fail_msg("cannot read %s", dpath);
	while ((de = readdir(dir)) != NULL) {
		char	*text, *line;
		size_t	 len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
		if ((text = corpus_slurp(path, &len)) == NULL)
			fail_msg("cannot read %s", path);
		n++;
		if (strncmp(de->d_name, "rules-", 6) == 0) {
			struct classifier	*c = classify_new();

			char			*cause = NULL;

			if (classify_load_rules_text(c, de->d_name, text, len,
			    &cause) == 0)
				fuzz_regression_rules(c);
			free(cause);
			classify_free(c);
			free(text);
			continue;
		}
		/* exactly the input's bytes, so that a sanitizer sees overreads */
		line = malloc(len > 0 ? len : 1);
		assert_non_null(line);
		memcpy(line, text, len);
		free(text);
		for (pass = 0; pass < 2; pass++) {
			enum line_kind	 k;

			if (pass == 0) {
				k = parse_line(&ctx, line, len, &d);
				check_kind(k, &d);
			} else {
				parse_reply(line, len, &d);
				k = LINE_DELIVERY;
			}
			if (!span_inside(d.host, line, len) ||
			    !span_inside(d.syslog_name, line, len) ||
			    !span_inside(d.program, line, len) ||
			    !span_inside(d.queue_id, line, len) ||
			    !span_inside(d.recipient, line, len) ||
			    !span_inside(d.orig_to, line, len) ||
			    !span_inside(d.relay, line, len) ||
			    !span_inside(d.relay_host, line, len) ||
			    !span_inside(d.relay_addr, line, len) ||
			    !span_inside(d.delay, line, len) ||
			    !span_inside(d.delays, line, len) ||
			    !span_inside(d.dsn, line, len) ||
			    !span_inside(d.sender, line, len) ||
			    !span_inside(d.enhanced, line, len) ||
			    !span_inside(d.diagnostic, line, len))
				fail_msg("%s: a span outside the input", path);
			if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
				classify_delivery(cl, k, &d, &v);
				check_verdict(k, &d, &v, 1);
			}
		}
		free(line);
	}
	closedir(dir);
	assert_true(n > 0);
}

/* Reply extraction from bare texts. */
static void
test_reply(void **state)
{
	struct delivery	 d;
	const char	*s;

	(void)state;
	s = "550-5.7.26 Unauthenticated email 550-5.7.26 is not accepted 550 5.7.26 DMARC";
	parse_reply(s, strlen(s), &d);
	assert_int_equal(d.code, 550);
	assert_true(span_eq(d.enhanced, "5.7.26"));
	s = "host mx.example.com[192.0.2.1] said: 451-response was: 450 4.2.0 greylisted (in reply to RCPT TO command)";
	parse_reply(s, strlen(s), &d);
	assert_int_equal(d.code, 451);
	assert_null(d.enhanced.p);		/* the embedded 450 4.2.0 is text */
	assert_true(span_eq(d.stage, "RCPT TO"));
	s = "550 4.4.7 Message expired";		/* out-of-class enhanced code ignored */
	parse_reply(s, strlen(s), &d);
	assert_int_equal(d.code, 550);
	assert_null(d.enhanced.p);
	s = "Name service error for baddomain.com Type=A: Host not found";
	parse_reply(s, strlen(s), &d);
	assert_int_equal(d.code, 0);
	s = "550 5.1.1. No such user";
	parse_reply(s, strlen(s), &d);
	assert_true(span_eq(d.enhanced, "5.1.1"));
}

static int
same_span(struct span a, struct span b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0) &&
	    (a.p == NULL) == (b.p == NULL);
}

/* A journal field as a span of a C string (NULL: absent). */
static struct span
jf(const char *s)
{
	struct span	 sp = { s, s != NULL ? strlen(s) : 0 };

	return sp;
}

/*
 * A journal entry (issue 12) reads as the same line from a file: same kind
 * and fields; its time is the entry's, whatever the zone and the clock.
 */
static void
test_journal(void **state)
{
	static const char msg[] = "B12401080CB: to=<user@example.org>, "
	    "relay=mx.example.org[192.0.2.7]:25, delay=0.31, "
	    "delays=0.02/0.01/0.2/0.08, dsn=5.1.1, status=bounced (host "
	    "mx.example.org[192.0.2.7] said: 550 5.1.1 <user@example.org>: "
	    "Recipient address rejected: User unknown in virtual mailbox table "
	    "(in reply to RCPT TO command))";
	char			 line[1024], *nul;
	struct tz		*berlin = tz_new("Europe/Berlin");
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct parse_ctx	 far = { (time_t)utc_of(2031, 1, 1, 0, 0, 0), berlin, 0 };
	struct parse_journal	 j;
	struct delivery		 a, b;
	struct verdict		 v;
	int			 lazy;

	(void)state;
	assert_non_null(berlin);
	snprintf(line, sizeof(line), "<22>1 2026-11-22T11:05:19.742586+00:00 vm "
	    "postfix-out/smtp 6836 - -  %s", msg);
	memset(&j, 0, sizeof(j));
	j.realtime_us = (uint64_t)utc_of(2026, 11, 22, 11, 5, 19) * 1000000 + 742586;
	j.hostname = jf("vm");
	j.identifier = jf("postfix-out/smtp");
	j.pid = jf("6836");
	j.message = jf(msg);
	for (lazy = 0; lazy <= 1; lazy++) {
		ctx.lazy = far.lazy = lazy;
		assert_int_equal(parse_line(&ctx, line, strlen(line), &a), LINE_DELIVERY);
		assert_int_equal(parse_journal(&ctx, &j, &b), LINE_DELIVERY);
		assert_int_equal(a.time, b.time);
		assert_int_equal(a.usec, b.usec);
		assert_int_equal(b.usec, 742586);
		assert_int_equal(a.pid, b.pid);
		assert_true(same_span(a.host, b.host));
		assert_true(same_span(a.syslog_name, b.syslog_name));
		assert_true(same_span(a.program, b.program));
		assert_true(same_span(a.queue_id, b.queue_id));
		assert_true(same_span(a.recipient, b.recipient));
		assert_string_equal(a.domain, b.domain);
		assert_true(same_span(a.relay, b.relay));
		assert_true(same_span(a.dsn, b.dsn));
		assert_true(same_span(a.diagnostic, b.diagnostic));
		assert_int_equal(a.status, b.status);
		assert_int_equal(a.code, b.code);
		assert_true(same_span(a.enhanced, b.enhanced));
		assert_true(same_span(a.stage, b.stage));
		check_kind(LINE_DELIVERY, &b);
		classify_delivery(cl, LINE_DELIVERY, &b, &v);
		check_verdict(LINE_DELIVERY, &b, &v, 1);
		assert_int_equal(v.reason, REASON_USER_UNKNOWN);
		/* no zone, no year: another zone and clock give the same time */
		assert_int_equal(parse_journal(&far, &j, &b), LINE_DELIVERY);
		assert_int_equal(b.time, utc_of(2026, 11, 22, 11, 5, 19));
	}
	/* a cleanup bounce */
	j.identifier = jf("postfix/cleanup");
	j.message = jf("9DA76102176: to=<alice@example.net>, relay=none, delay=0.01, "
	    "delays=0.01/0/0/0, dsn=5.7.1, status=bounced (Message content "
	    "rejected by test header_checks)");
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_DELIVERY);
	assert_true(span_eq(b.program, "cleanup"));
	assert_string_equal(b.domain, "example.net");
	/* an expiry */
	j.identifier = jf("postfix/qmgr");
	j.message = jf("9F8E7D6C5B: from=<newsletter@example.org>, status=expired, "
	    "returned to sender");
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_EXPIRED);
	/* another program's entry, a Postfix line that is no outcome */
	j.identifier = jf("sshd");
	j.message = jf("Accepted publickey for root from 192.0.2.1 port 22 ssh2");
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_OTHER);
	j.identifier = jf("postfix/smtpd");
	j.message = jf("connect from unknown[192.0.2.1]");
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_OTHER);
	assert_true(span_eq(b.host, "vm"));
	assert_int_equal(b.pid, 6836);
	/* a bad pid is none; no MESSAGE, or a NUL in it, is invalid */
	j.pid = jf("68x6");
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_OTHER);
	assert_int_equal(b.pid, -1);
	j.message = jf(NULL);
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_INVALID);
	snprintf(line, sizeof(line), "%s", msg);
	nul = strchr(line, ',');
	*nul = '\0';
	j.message.p = line;
	j.message.n = strlen(msg);
	assert_int_equal(parse_journal(&ctx, &j, &b), LINE_INVALID);
	tz_free(berlin);
}

/*
 * Lazy parsing (import, daemon) gives every line the same kind, and every
 * delivery, expiry and probe the fields the store reads.
 */
static void
test_lazy_same(void **state)
{
	static const char *const files[] = { "postfix-lines.txt", "real-postfix.txt",
	    "hurricane-lines.txt" };
	struct parse_ctx	 full = { CORPUS_NOW, utc, 0 }, lazy = { CORPUS_NOW, utc, 1 };
	size_t			 f;
	int			 checked = 0;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct corpus_rec	*recs;
		int			 n, i;

		n = corpus_load(corpus_path(files[f]), &recs);
		assert_true(n > 0);
		for (i = 0; i < n; i++) {
			const char	*line = corpus_get(&recs[i], "line");
			struct delivery	 a, b;
			enum line_kind	 ka, kb;

			if (line == NULL)
				continue;
			ka = parse_line(&full, line, strlen(line), &a);
			kb = parse_line(&lazy, line, strlen(line), &b);
			if (ka != kb)
				fail_msg("%s:%d: kind %s, lazy %s", files[f], recs[i].lineno,
				    parse_kind_name(ka), parse_kind_name(kb));
			if (ka != LINE_DELIVERY && ka != LINE_EXPIRED && ka != LINE_PROBE)
				continue;
			checked++;
			assert_int_equal(a.has_time, b.has_time);
			assert_true(a.time == b.time && a.status == b.status);
			assert_string_equal(a.domain, b.domain);
			assert_true(same_span(a.recipient, b.recipient));
			assert_true(same_span(a.queue_id, b.queue_id));
			assert_true(same_span(a.relay, b.relay));
			assert_true(same_span(a.dsn, b.dsn));
			assert_true(same_span(a.diagnostic, b.diagnostic));
			if (a.status != DSTATUS_SENT && a.status != DSTATUS_DELIVERABLE) {
				assert_int_equal(a.code, b.code);
				assert_true(same_span(a.enhanced, b.enhanced));
				assert_true(same_span(a.stage, b.stage));
			}
		}
		corpus_free(recs, n);
	}
	assert_true(checked > 250);
}

/* Parse one line with and without the memo: the same kind and record. */
static void
memo_check(const struct parse_ctx *ctx, struct parse_memo *m, const char *line,
    size_t len, int *hits)
{
	struct delivery	 a, b;
	enum line_kind	 ka, kb;
	char		*copy = malloc(len + 1);	/* exact size: ASan sees overreads */
	int		 hit;

	assert_non_null(copy);
	memcpy(copy, line, len);
	hit = m->len > 0 && len >= m->len && memcmp(copy, m->head, m->len) == 0;
	/* every byte compared, padding included */
	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	ka = parse_line_memo(ctx, m, copy, len, &a);
	kb = parse_line(ctx, copy, len, &b);
	if (ka != kb || memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("memo %s, without %s: %.*s", parse_kind_name(ka),
		    parse_kind_name(kb), (int)len, line);
	*hits += hit;
	free(copy);
}

/*
 * parse_line_memo reads a line whose head (stamp and host) is the line
 * before's from its tag on: every corpus line, then its head with the
 * next line's rest, then the head alone, give what parse_line gives.
 */
static void
test_memo_same(void **state)
{
	static const char *const files[] = { "postfix-lines.txt", "real-postfix.txt",
	    "hurricane-lines.txt" };
	static const char *const pairs[] = {
		/* a host at the end of the line is not a head */
		"Nov 20 00:00:01 mx1",
		"Nov 20 00:00:01 mx1 postfix/smtp[1]: A1B2C3: to=<a@b.example>, "
		    "relay=none, delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (x)",
		"Nov 20 00:00:01 mx1  postfix/smtp[1]: A1B2C3: to=<a@b.example>, "
		    "relay=none, delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (x)",
		"Nov 20 00:00:01 mx1 mail.info postfix/smtp[1]: A1B2C3: to=<a@b.example>, "
		    "status=sent (ok)",
		"Nov 20 00:00:01 mx1 [1:mx1:postfix/lmtp] A1B2C3: to=<a@b.example>, "
		    "status=sent (ok)",
	};
	struct tz		*berlin = tz_new("Europe/Berlin");
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct parse_memo	 m;
	const char		*lines[4096];
	struct corpus_rec	*recs[3];
	int			 nrec[3], nl = 0, i, lazy, z, hits = 0;
	size_t			 f, cut;

	(void)state;
	assert_non_null(berlin);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		nrec[f] = corpus_load(corpus_path(files[f]), &recs[f]);
		assert_true(nrec[f] > 0);
		for (i = 0; i < nrec[f] && nl < 4000; i++)
			if ((lines[nl] = corpus_get(&recs[f][i], "line")) != NULL)
				nl++;
	}
	for (f = 0; f < sizeof(pairs) / sizeof(pairs[0]); f++)
		lines[nl++] = pairs[f];
	for (z = 0; z < 2; z++)
		for (lazy = 0; lazy <= 1; lazy++) {
			ctx.tz = z ? berlin : utc;
			ctx.lazy = lazy;
			memset(&m, 0, sizeof(m));
			for (i = 0; i < nl; i++) {
				const char	*next = lines[(i + 1) % nl];
				char		 mix[2048];
				size_t		 len = strlen(lines[i]);

				memo_check(&ctx, &m, lines[i], len, &hits);
				memo_check(&ctx, &m, lines[i], len, &hits);
				cut = m.len > 0 ? m.len : (size_t)i % 40;
				if (cut > len)
					cut = len;
				if (cut + strlen(next) < sizeof(mix)) {
					memcpy(mix, lines[i], cut);
					memcpy(mix + cut, next, strlen(next));
					memo_check(&ctx, &m, mix, cut + strlen(next), &hits);
					memcpy(mix + cut, next + (cut < strlen(next) ? cut : 0),
					    strlen(next) - (cut < strlen(next) ? cut : 0));
					memo_check(&ctx, &m, mix, cut + strlen(next) -
					    (cut < strlen(next) ? cut : 0), &hits);
				}
				memo_check(&ctx, &m, lines[i], cut, &hits);
			}
		}
	/* the memo was used, not only kept */
	assert_true(hits > 1000);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		corpus_free(recs[f], nrec[f]);
	tz_free(berlin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazy_same),
		cmocka_unit_test(test_memo_same),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_corpus_postfix),
		cmocka_unit_test(test_corpus_real_postfix),
		cmocka_unit_test(test_corpus_hurricane),
		cmocka_unit_test(test_year_inference),
		cmocka_unit_test(test_timezone),
		cmocka_unit_test(test_local_day),
		cmocka_unit_test(test_tz_against_libc),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_fuzz_regressions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
