/*
 * parse_syslog.c -- the syslog envelope around a message: the stamp (BSD
 * "Mmm dd HH:MM:SS", ISO 8601 / RFC 3339), host and tag, RFC 5424 with
 * its structured data, container prefixes.  See parse.c for the order.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "parse_impl.h"
#include "tz.h"

/*
 * BSD syslog stamp: "Mmm dd HH:MM:SS" (day space- or zero-padded; some
 * pastes use a single space before a one-digit day), optional fraction.
 * The year is inferred later (parse_syslog_bsd_convert), and only for the
 * lines whose time is used.
 */
int
parse_syslog_bsd_stamp(struct cur *c, struct delivery *d, struct parse_stamp *st)
{
	int64_t	 secs;
	int	 mon;
	long	 day;
	int32_t	 usec;

	if (c->end - c->p < 14)
		return 0;
	if ((mon = parse_month(c->p)) == 0 || c->p[3] != ' ')
		return 0;
	c->p += 4;
	if (*c->p == ' ')
		c->p++;
	if (!cur_number(c, 2, &day) || day < 1 || day > 31 || !CUR_LIT(c, " "))
		return 0;
	if (!cur_clock(c, &secs, &usec))
		return 0;
	st->mon = mon;
	st->mday = (int)day;
	st->secs = secs;
	st->pending = 1;		/* year and zone still to do */
	d->usec = usec;
	return 1;
}

/*
 * The year of a year-less stamp: the latest year that does not put the
 * stamp more than a day ahead of "now" -- next year's for "Jan  1
 * 00:00:03" read at Dec 31 23:59:55, last year's for "Dec 31" read in
 * January, the last leap year's for "Feb 29" -- then local time to UTC.
 */
void
parse_syslog_bsd_convert(const struct parse_ctx *ctx, struct delivery *d,
    const struct parse_stamp *st)
{
	int64_t	 local = 0, now_local;
	int	 ny, nm, nd, y, mon = st->mon, day = st->mday;

	now_local = tz_utc_to_local(ctx->tz, (int64_t)ctx->now);
	tz_civil_from_days(tz_days(now_local), &ny, &nm, &nd);
	/* Feb 29 may be 8 years back (2096 -> 2104) */
	for (y = ny + 1; y >= ny - 8; y--) {
		if (day > parse_days_in_month(y, mon))
			continue;
		local = tz_days_from_civil(y, (unsigned)mon, (unsigned)day) * 86400 +
		    st->secs;
		if (local <= now_local + 86400)
			break;
	}
	if (y < ny - 8) {	/* "Apr 31": no year has it; as before, May 1 */
		y = ny;
		do
			local = tz_days_from_civil(y--, (unsigned)mon, (unsigned)day) *
			    86400 + st->secs;
		while (local > now_local + 86400);
	}
	d->time = tz_local_to_utc(ctx->tz, local);
	d->day = (int32_t)tz_days(local);
	d->has_time = 1;
}

/*
 * ISO 8601 / RFC 3339: YYYY-MM-DD(T| )HH:MM:SS[.f][Z|+HH:MM|+HHMM|+HH].
 * Without an offset the stamp is local time.
 */
int
parse_syslog_iso_stamp(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	int	 y, mo, da, oh, om = 0, sign, zoned = 1;
	int64_t	 secs, local;
	int32_t	 usec;

	if (!cur_digits(c, 4, &y) || !CUR_LIT(c, "-") || !cur_digits(c, 2, &mo) ||
	    !CUR_LIT(c, "-") || !cur_digits(c, 2, &da))
		return 0;
	if (mo < 1 || mo > 12 || da < 1 || da > parse_days_in_month(y, mo))
		return 0;
	if (c->p >= c->end || (*c->p != 'T' && *c->p != ' '))
		return 0;
	c->p++;
	if (!cur_clock(c, &secs, &usec))
		return 0;
	local = tz_days_from_civil(y, (unsigned)mo, (unsigned)da) * 86400 + secs;
	if (c->p < c->end && (*c->p == 'Z' || *c->p == 'z')) {
		c->p++;
		d->time = local;
	} else if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		sign = *c->p == '-' ? -1 : 1;
		c->p++;
		if (!cur_digits(c, 2, &oh))
			return 0;
		if (c->p < c->end && *c->p == ':') {
			c->p++;
			if (!cur_digits(c, 2, &om))
				return 0;
		} else if (c->end - c->p >= 2 && parse_isdigit((unsigned char)c->p[0]) &&
		    parse_isdigit((unsigned char)c->p[1])) {
			cur_digits(c, 2, &om);
		}
		if (oh > 23 || om > 59)
			return 0;
		d->time = local - sign * ((int64_t)oh * 3600 + om * 60);
	} else
		zoned = 0;
	/* local: its own date; with an offset: the zone's day of the instant */
	if (zoned)
		d->day = (int32_t)tz_local_day(ctx->tz, d->time);
	else {
		d->time = tz_local_to_utc(ctx->tz, local);
		d->day = (int32_t)tz_days(local);
	}
	d->usec = usec;
	d->has_time = 1;
	return 1;
}

/*
 * A syslog tag "name[pid]:" or "name:".  Fills syslog_name, program, pid
 * and leaves the cursor at the message.
 */
int
parse_syslog_tag(struct span tok, struct delivery *d)
{
	const char	*p = tok.p, *e = tok.p + tok.n, *lb, *slash;
	long		 pid = -1;

	if (tok.n < 2 || e[-1] != ':')
		return 0;
	e--;
	lb = NULL;
	if (e[-1] == ']') {
		const char	*q;

		for (q = e - 2; q > p && parse_isdigit((unsigned char)*q); q--)
			;
		if (*q != '[' || q == e - 2)
			return 0;
		lb = q;
		if (e - 2 - lb <= 10) {		/* longer: no pid, not overflow */
			pid = 0;
			for (q = lb + 1; q < e - 1; q++)
				pid = pid * 10 + (*q - '0');
		}
		e = lb;
	}
	if (e == p)
		return 0;
	for (slash = NULL, lb = p; lb < e; lb++) {
		unsigned char	 ch = (unsigned char)*lb;

		/* one test for the common bytes: none of / : [ ] is a letter */
		if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')
			continue;
		if (ch == '/')
			slash = lb;
		else if (ch == ':' || ch == '[' || ch == ']')
			return 0;
	}
	d->syslog_name = parse_span(p, e);
	d->program = slash != NULL ? parse_span(slash + 1, e) : parse_span(p, e);
	d->pid = pid;
	return d->program.n > 0;
}

/* "[ID 197553 mail.info] " (Solaris) after the tag. */
static void
parse_syslog_skip_solaris_id(struct cur *c)
{
	const char	*q;

	if (c->end - c->p > 4 && memcmp(c->p, "[ID ", 4) == 0 &&
	    (q = memchr(c->p, ']', (size_t)(c->end - c->p))) != NULL &&
	    q + 1 < c->end && q[1] == ' ')
		c->p = q + 2;
}

/* "mail.info" style facility.level token (busybox syslogd). */
static int
parse_syslog_is_faclevel(struct span t)
{
	const char	*dot;
	size_t		 i;

	if (t.n < 3 || t.n > 16 || (dot = memchr(t.p, '.', t.n)) == NULL ||
	    dot == t.p || dot == t.p + t.n - 1)
		return 0;
	for (i = 0; i < t.n; i++)
		if (t.p[i] != '.' && !(t.p[i] >= 'a' && t.p[i] <= 'z'))
			return 0;
	return 1;
}

/* After the host: [fac.lvl] TAG ": " (the cursor stays on failure). */
int
parse_syslog_after_host(struct cur *c, struct delivery *d)
{
	struct span	 t2;
	struct cur	 save = *c;

	t2 = cur_token(c);
	if (parse_syslog_tag(t2, d)) {
		parse_syslog_skip_solaris_id(c);
		return 1;
	}
	if (parse_syslog_is_faclevel(t2)) {
		t2 = cur_token(c);
		if (parse_syslog_tag(t2, d))
			return 1;
	}
	*c = save;
	return 0;
}

/*
 * After the timestamp: [<fac.lvl>] [HOST] [fac.lvl] TAG ": " or the
 * NethServer form "[n:host:tag] ".  *after_host (if not NULL) is where
 * the host field ends, after its blank, when the line has one; else NULL.
 */
int
parse_syslog_host_tag(struct cur *c, struct delivery *d, const char **after_host)
{
	struct span	 t1;

	if (after_host != NULL)
		*after_host = NULL;

	cur_skip_spaces(c);
	if (c->p < c->end && *c->p == '<') {		/* FreeBSD -v: <mail.info> */
		const char	*q = memchr(c->p, '>', (size_t)(c->end - c->p));

		if (q == NULL || q - c->p > 24)
			return 0;
		c->p = q + 1;
		cur_skip_spaces(c);
	}
	if (c->p < c->end && *c->p == '[') {		/* [1:mail1:postfix/lmtp] */
		const char	*q = memchr(c->p, ']', (size_t)(c->end - c->p));
		const char	*colon;

		if (q == NULL)
			return 0;
		colon = NULL;
		for (const char *r = c->p; r < q; r++)
			if (*r == ':')
				colon = r;
		if (colon == NULL)
			return 0;
		{
			const char	*s = colon + 1, *slash = NULL;

			for (const char *r = s; r < q; r++)
				if (*r == '/')
					slash = r;
			d->syslog_name = parse_span(s, q);
			d->program = parse_span(slash ? slash + 1 : s, q);
		}
		c->p = q + 1;
		cur_skip_spaces(c);
		return d->program.n > 0;
	}
	t1 = cur_token(c);
	if (parse_syslog_tag(t1, d))
		return 1;		/* no host field */
	d->host = t1;
	if (after_host != NULL)
		*after_host = c->p;
	return parse_syslog_after_host(c, d);
}

/* RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG */
int
parse_syslog_rfc5424(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	struct span	 host, app, procid, msgid;

	if (c->end - c->p < 3 || c->p[0] != '1' || c->p[1] != ' ')
		return 0;
	c->p += 2;
	if (CUR_LIT(c, "- "))
		d->has_time = 0;
	else if (!parse_syslog_iso_stamp(ctx, c, d) || !CUR_LIT(c, " "))
		return 0;
	host = cur_token(c);
	app = cur_token(c);
	procid = cur_token(c);
	msgid = cur_token(c);
	if (host.n == 0 || app.n == 0 || procid.n == 0 || msgid.n == 0)
		return 0;
	if (c->p < c->end && *c->p == '-')
		c->p++;
	else {
		while (c->p < c->end && *c->p == '[') {
			int	 inq = 0;

			for (c->p++; c->p < c->end; c->p++) {
				if (*c->p == '\\' && c->p + 1 < c->end)
					c->p++;
				else if (*c->p == '"')
					inq = !inq;
				else if (*c->p == ']' && !inq)
					break;
			}
			if (c->p >= c->end)
				return 0;
			c->p++;
		}
	}
	/*
	 * SP MSG; rsyslog's RSYSLOG_SyslogProtocol23Format keeps the blank
	 * that began the message after the tag, so there are two.
	 */
	cur_skip_spaces(c);
	if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
	if (!span_eq(host, "-"))
		d->host = host;
	if (!span_eq(app, "-"))
		parse_syslog_ident(app, d);
	if (!span_eq(procid, "-"))
		parse_syslog_pid(procid, d);
	return 1;
}

/*
 * An APP-NAME or SYSLOG_IDENTIFIER "postfix-out/smtp": syslog_name, program.
 * rsyslog's APP-NAME is its programname, which ends at the '/' unless
 * parser.PermitSlashInProgramName is on: a bare "postfix" or "postfix-out"
 * names no program, and the message's shape decides.
 */
void
parse_syslog_ident(struct span ident, struct delivery *d)
{
	const char	*slash = NULL;
	size_t		 i;

	for (i = 0; i < ident.n; i++)
		if (ident.p[i] == '/')
			slash = ident.p + i;
	d->syslog_name = ident;
	if (slash != NULL)
		d->program = parse_span(slash + 1, ident.p + ident.n);
	else if (ident.n < 7 || memcmp(ident.p, "postfix", 7) != 0 ||
	    (ident.n > 7 && ident.p[7] != '-'))
		d->program = ident;
}

/* A PROCID or _PID: 1 to 10 digits, else no pid. */
void
parse_syslog_pid(struct span t, struct delivery *d)
{
	long	 pid = 0;
	size_t	 i;

	for (i = 0; i < t.n && i <= 10 && parse_isdigit((unsigned char)t.p[i]); i++)
		pid = pid * 10 + (t.p[i] - '0');
	if (i == t.n && i > 0 && i <= 10)
		d->pid = pid;
}

/* Docker/compose wrapper "name   | " before the real line. */
void
parse_syslog_skip_container(struct cur *c)
{
	const char	*p = c->p;

	while (p < c->end && p - c->p < 64 &&
	    (parse_isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.'))
		p++;
	if (p == c->p)
		return;
	while (p < c->end && *p == ' ')
		p++;
	if (c->end - p >= 2 && p[0] == '|' && p[1] == ' ')
		c->p = p + 2;
}
