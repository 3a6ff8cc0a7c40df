/*
 * parse_hurricane.c -- one line of Hurricane MTA Server's Processed.log.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "parse_impl.h"
#include "tz.h"

/*
 * The layout we accept (see bouncewatch(1), LOG FORMATS):
 *   DATE TIME OUTCOME F3 F4 MAILING-ID RECIPIENT F7 SIZE F9 F10 F11 F12
 *   FAILURE-CODE [TEXT ...]
 * single-space separated, DATE YYYY-MM-DD or M/D/YYYY, TIME H:MM:SS[.f],
 * local time; RECIPIENT holds '@'; SIZE is digits.  A reply
 * "NNN X.Y.Z text" anywhere after SIZE gives code, enhanced code and
 * diagnostic; otherwise TEXT (or the failure code) is the diagnostic.
 */
#define HURRICANE_MIN_TOKENS	14

static int
parse_hurricane_date(struct span t, int *y, int *m, int *dd)
{
	struct cur	 c = { t.p, t.p + t.n };
	long		 a, b, cc;

	if (t.n == 10 && t.p[4] == '-') {
		if (!cur_digits(&c, 4, y) || !CUR_LIT(&c, "-") || !cur_digits(&c, 2, m) ||
		    !CUR_LIT(&c, "-") || !cur_digits(&c, 2, dd))
			return 0;
	} else {
		if (!cur_number(&c, 2, &a) || !CUR_LIT(&c, "/") || !cur_number(&c, 2, &b) ||
		    !CUR_LIT(&c, "/") || !cur_number(&c, 4, &cc) || c.p != c.end || cc < 1970)
			return 0;
		*m = (int)a;
		*dd = (int)b;
		*y = (int)cc;
	}
	return *m >= 1 && *m <= 12 && *dd >= 1 && *dd <= parse_days_in_month(*y, *m);
}

/* Case-insensitive: does the word contain sub? */
static int
parse_hurricane_word_has(struct span t, const char *sub)
{
	size_t	 i, j, n = strlen(sub);

	for (i = 0; i + n <= t.n; i++) {
		for (j = 0; j < n; j++)
			if (parse_lower((unsigned char)t.p[i + j]) != sub[j])
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

/*
 * The outcome word: failure words win over success words anywhere in it
 * ("DeliveryFailed" is a failure), then deferral words, then success.
 */
static enum dstatus
parse_hurricane_outcome(struct span t)
{
	static const char *const failed[] = { "fail", "bounce", "reject", "perm", "hard" };
	static const char *const deferred[] = { "defer", "temp", "retry", "soft", "delay" };
	static const char *const sent[] = { "success", "sent", "deliver", "ok", "accept" };
	size_t	 i;

	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
		if (parse_hurricane_word_has(t, failed[i]))
			return DSTATUS_BOUNCED;
	for (i = 0; i < sizeof(deferred) / sizeof(deferred[0]); i++)
		if (parse_hurricane_word_has(t, deferred[i]))
			return DSTATUS_DEFERRED;
	for (i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		if (parse_hurricane_word_has(t, sent[i]))
			return DSTATUS_SENT;
	return DSTATUS_NONE;
}

enum line_kind
parse_hurricane(const struct parse_ctx *ctx, const char *line, size_t len,
    struct delivery *d)
{
	struct span	 tok[HURRICANE_MIN_TOKENS];
	struct cur	 c = { line, line + len }, t;
	int		 y, m, dd, i;
	int64_t		 secs;
	int32_t		 usec;
	const char	*rest, *q;

	for (i = 0; i < HURRICANE_MIN_TOKENS; i++) {
		if (c.p >= c.end)
			return LINE_INVALID;
		tok[i] = cur_token(&c);
		if (tok[i].n == 0)
			return LINE_INVALID;
	}
	rest = c.p;
	if (!parse_hurricane_date(tok[0], &y, &m, &dd))
		return LINE_INVALID;
	t.p = tok[1].p;
	t.end = tok[1].p + tok[1].n;
	if (t.end - t.p == 7 || (t.end - t.p > 7 && t.p[1] == ':')) {
		/* H:MM:SS: pad by parsing hour by hand */
		long	 h;
		int	 mi, s;

		if (!cur_number(&t, 2, &h) || !CUR_LIT(&t, ":") || !cur_digits(&t, 2, &mi) ||
		    !CUR_LIT(&t, ":") || !cur_digits(&t, 2, &s) || h > 23 || mi > 59 || s > 60)
			return LINE_INVALID;
		secs = h * 3600 + mi * 60 + s;
		usec = 0;
	} else if (!cur_clock(&t, &secs, &usec))
		return LINE_INVALID;
	if (memchr(tok[6].p, '@', tok[6].n) == NULL)
		return LINE_INVALID;
	for (i = 0; i < (int)tok[8].n; i++)
		if (!parse_isdigit((unsigned char)tok[8].p[i]))
			return LINE_INVALID;

	d->mta = MTA_HURRICANE;
	secs += tz_days_from_civil(y, (unsigned)m, (unsigned)dd) * 86400;
	d->time = tz_local_to_utc(ctx->tz, secs);
	d->day = (int32_t)tz_days(secs);
	d->usec = usec;
	d->has_time = 1;
	d->recipient = tok[6];
	d->status = parse_hurricane_outcome(tok[2]);
	parse_postfix_domain(d);

	/* a reply "NNN X.Y.Z ..." anywhere after SIZE */
	for (q = tok[9].p; q + 9 <= line + len; q++) {
		if ((q == tok[9].p || q[-1] == ' ') && parse_postfix_reply_at(q, line + len, d)) {
			if (d->enhanced.p != NULL) {
				d->diagnostic = parse_span(q, line + len);
				break;
			}
			d->code = 0;
		}
	}
	if (d->diagnostic.p == NULL) {
		if (rest < line + len)
			d->diagnostic = parse_span(rest, line + len);
		else if (!span_eq(tok[13], "-"))
			d->diagnostic = tok[13];
		if (d->diagnostic.p != NULL)
			parse_postfix_reply_at(d->diagnostic.p, d->diagnostic.p + d->diagnostic.n, d);
	}
	if (d->status == DSTATUS_NONE && d->code == 0 && d->diagnostic.p == NULL)
		return LINE_OTHER;
	return LINE_DELIVERY;
}
