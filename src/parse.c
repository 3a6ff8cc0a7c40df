/*
 * parse.c -- mail-log lines to struct delivery.  See parse.h.
 *
 * A line is an envelope (timestamp, host, syslog tag) around a message.
 * Envelopes are recognised by small anchored scanners tried in order
 * (RFC 5424, ISO 8601/RFC 3339, BSD syslog, message-only fixtures); the
 * message is then read with the grammar Postfix's log_adhoc() writes:
 *
 *   QID: to=<RCPT>[, orig_to=<ORIG>], relay=R[, conn_use=N], delay=D,
 *        delays=a/b/c/d[, tls=F], dsn=X.Y.Z, status=WORD (REASON)
 *
 * Everything is bounded by the line length; nothing is allocated, nothing
 * assumes NUL termination, and bytes >= 0x80 are opaque.  The scanners are
 * written by hand because this runs once per log line: a regex engine
 * would cost more than everything else together.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "parse.h"
#include "tz.h"

struct cur {
	const char	*p;
	const char	*end;
};

static const char *const parse_status_names[DSTATUS_MAX] = {
	[DSTATUS_NONE] = "none",
	[DSTATUS_SENT] = "sent",
	[DSTATUS_DEFERRED] = "deferred",
	[DSTATUS_BOUNCED] = "bounced",
	[DSTATUS_SOFTBOUNCE] = "softbounce",
	[DSTATUS_EXPIRED] = "expired",
	[DSTATUS_DELIVERABLE] = "deliverable",
	[DSTATUS_UNDELIVERABLE] = "undeliverable",
};

static const char *const parse_kind_names[LINE_KIND_MAX] = {
	[LINE_INVALID] = "invalid",
	[LINE_OTHER] = "other",
	[LINE_DELIVERY] = "delivery",
	[LINE_EXPIRED] = "expired",
	[LINE_PROBE] = "probe",
};

static const char *const parse_mta_names[MTA_MAX] = {
	[MTA_POSTFIX] = "postfix",
	[MTA_HURRICANE] = "hurricane",
};

const char *
parse_status_name(enum dstatus s)
{
	return (unsigned)s < DSTATUS_MAX ? parse_status_names[s] : "none";
}

const char *
parse_kind_name(enum line_kind k)
{
	return (unsigned)k < LINE_KIND_MAX ? parse_kind_names[k] : "invalid";
}

const char *
parse_mta_name(enum mta m)
{
	return (unsigned)m < MTA_MAX ? parse_mta_names[m] : "postfix";
}

int
span_eq(struct span s, const char *str)
{
	size_t	 n = strlen(str);

	return s.p != NULL && s.n == n && memcmp(s.p, str, n) == 0;
}

static int
parse_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static int
parse_isalnum(int c)
{
	return parse_isdigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
parse_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static struct span
parse_span(const char *p, const char *e)
{
	struct span	 s;

	s.p = p;
	s.n = (size_t)(e - p);
	return s;
}

static int
cur_prefix(struct cur *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	return 1;
}
#define CUR_LIT(c, s)	cur_prefix((c), (s), sizeof(s) - 1)

static const char *
parse_memmem(const char *h, const char *he, const char *n, size_t nl)
{
	if (he - h < (ptrdiff_t)nl)
		return NULL;
	return memmem(h, (size_t)(he - h), n, nl);
}

/* Last occurrence of needle in [h, he). */
static const char *
parse_memrmem(const char *h, const char *he, const char *n, size_t nl)
{
	size_t	 i;

	if (he - h < (ptrdiff_t)nl)
		return NULL;
	for (i = (size_t)(he - h) - nl + 1; i-- > 0; )
		if (h[i] == *n && memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* Read exactly n digits. */
static int
cur_digits(struct cur *c, int n, int *out)
{
	int	 v = 0, i;

	if (c->end - c->p < n)
		return 0;
	for (i = 0; i < n; i++) {
		if (!parse_isdigit((unsigned char)c->p[i]))
			return 0;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*out = v;
	return 1;
}

/* Read 1..max digits. */
static int
cur_number(struct cur *c, int max, long *out)
{
	long	 v = 0;
	int	 i = 0;

	while (c->p < c->end && i < max && parse_isdigit((unsigned char)*c->p)) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		i++;
	}
	if (i == 0)
		return 0;
	*out = v;
	return 1;
}

#define PARSE_DIGIT(c)	((unsigned)((unsigned char)(c) - '0') <= 9)

/* HH:MM:SS[.ffffff]; returns seconds of day. */
static int
cur_clock(struct cur *c, int64_t *secs, int32_t *usec)
{
	const char	*q = c->p;
	int		 h, m, s, digits = 0;
	int32_t		 frac = 0;

	if (c->end - q < 8 || q[2] != ':' || q[5] != ':' || !PARSE_DIGIT(q[0]) ||
	    !PARSE_DIGIT(q[1]) || !PARSE_DIGIT(q[3]) || !PARSE_DIGIT(q[4]) ||
	    !PARSE_DIGIT(q[6]) || !PARSE_DIGIT(q[7]))
		return 0;
	h = (q[0] - '0') * 10 + (q[1] - '0');
	m = (q[3] - '0') * 10 + (q[4] - '0');
	s = (q[6] - '0') * 10 + (q[7] - '0');
	if (h > 23 || m > 59 || s > 60)
		return 0;
	c->p = q + 8;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		while (c->p < c->end && PARSE_DIGIT(*c->p)) {
			if (digits < 6) {
				frac = frac * 10 + (*c->p - '0');
				digits++;
			}
			c->p++;
		}
		if (digits == 0)
			return 0;
		while (digits++ < 6)
			frac *= 10;
	}
	*secs = (int64_t)h * 3600 + m * 60 + (s == 60 ? 59 : s);
	*usec = frac;
	return 1;
}

static int
parse_month(const char *p)
{
	int	 a = parse_lower((unsigned char)p[0]), b = parse_lower((unsigned char)p[1]),
		 c = parse_lower((unsigned char)p[2]);

	switch (a) {
	case 'j':
		if (b == 'a' && c == 'n') return 1;
		if (b == 'u' && c == 'n') return 6;
		if (b == 'u' && c == 'l') return 7;
		return 0;
	case 'f': return b == 'e' && c == 'b' ? 2 : 0;
	case 'm':
		if (b == 'a' && c == 'r') return 3;
		if (b == 'a' && c == 'y') return 5;
		return 0;
	case 'a':
		if (b == 'p' && c == 'r') return 4;
		if (b == 'u' && c == 'g') return 8;
		return 0;
	case 's': return b == 'e' && c == 'p' ? 9 : 0;
	case 'o': return b == 'c' && c == 't' ? 10 : 0;
	case 'n': return b == 'o' && c == 'v' ? 11 : 0;
	case 'd': return b == 'e' && c == 'c' ? 12 : 0;
	default: return 0;
	}
}

static int
parse_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * BSD syslog stamp: "Mmm dd HH:MM:SS" (day space- or zero-padded; some
 * pastes use a single space before a one-digit day), optional fraction.
 * The year is inferred: the year of "now" unless that puts the stamp more
 * than a day into the future.
 */
static int
parse_bsd_stamp(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	int64_t	 secs;
	int	 mon;
	long	 day;
	int32_t	 usec;

	(void)ctx;
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
	d->stamp_mon = mon;
	d->stamp_mday = (int)day;
	d->stamp_secs = secs;
	d->usec = usec;
	d->has_time = 2;		/* year and zone still to do */
	return 1;
}

/*
 * The year of a year-less stamp: the year of "now" unless that puts the
 * stamp more than a day into the future; then local time to UTC.
 */
static void
parse_bsd_convert(const struct parse_ctx *ctx, struct delivery *d)
{
	int64_t	 local, now_local;
	int	 ny, nm, nd, y, mon = d->stamp_mon, day = d->stamp_mday;

	now_local = tz_utc_to_local(ctx->tz, (int64_t)ctx->now);
	tz_civil_from_days(tz_days(now_local), &ny, &nm, &nd);
	y = ny;
	if (day > parse_days_in_month(y, mon) && day <= parse_days_in_month(y - 1, mon))
		y--;
	local = tz_days_from_civil(y, (unsigned)mon, (unsigned)day) * 86400 + d->stamp_secs;
	if (local > now_local + 86400) {
		y--;
		local = tz_days_from_civil(y, (unsigned)mon, (unsigned)day) * 86400 +
		    d->stamp_secs;
	}
	d->time = tz_local_to_utc(ctx->tz, local);
	d->has_time = 1;
}

/*
 * ISO 8601 / RFC 3339: YYYY-MM-DD(T| )HH:MM:SS[.f][Z|+HH:MM|+HHMM|+HH].
 * Without an offset the stamp is local time.
 */
static int
parse_iso_stamp(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	int	 y, mo, da, oh, om = 0, sign;
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
		d->time = tz_local_to_utc(ctx->tz, local);
	d->usec = usec;
	d->has_time = 1;
	return 1;
}

/* Next space-delimited token; the cursor ends after the single space. */
static struct span
cur_token(struct cur *c)
{
	const char	*s = c->p, *sp;
	struct span	 t;

	sp = c->p < c->end ? memchr(c->p, ' ', (size_t)(c->end - c->p)) : NULL;
	c->p = sp != NULL ? sp : c->end;
	t = parse_span(s, c->p);
	if (c->p < c->end)
		c->p++;
	return t;
}

static void
cur_skip_spaces(struct cur *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/*
 * A syslog tag "name[pid]:" or "name:".  Fills syslog_name, program, pid
 * and leaves the cursor at the message.
 */
static int
parse_tag(struct span tok, struct delivery *d)
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
parse_skip_solaris_id(struct cur *c)
{
	const char	*q;

	if (c->end - c->p > 4 && memcmp(c->p, "[ID ", 4) == 0 &&
	    (q = memchr(c->p, ']', (size_t)(c->end - c->p))) != NULL &&
	    q + 1 < c->end && q[1] == ' ')
		c->p = q + 2;
}

/* "mail.info" style facility.level token (busybox syslogd). */
static int
parse_is_faclevel(struct span t)
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

/*
 * After the timestamp: [<fac.lvl>] [HOST] [fac.lvl] TAG ": " or the
 * NethServer form "[n:host:tag] ".
 */
static int
parse_host_tag(struct cur *c, struct delivery *d)
{
	struct span	 t1, t2;
	struct cur	 save;

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
	if (parse_tag(t1, d))
		return 1;		/* no host field */
	d->host = t1;
	save = *c;
	t2 = cur_token(c);
	if (parse_tag(t2, d)) {
		parse_skip_solaris_id(c);
		return 1;
	}
	if (parse_is_faclevel(t2)) {
		t2 = cur_token(c);
		if (parse_tag(t2, d))
			return 1;
	}
	*c = save;
	return 0;
}

/* RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG */
static int
parse_rfc5424(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	struct span	 host, app, procid, msgid;
	const char	*slash = NULL;
	size_t		 i;

	if (c->end - c->p < 3 || c->p[0] != '1' || c->p[1] != ' ')
		return 0;
	c->p += 2;
	if (CUR_LIT(c, "- "))
		d->has_time = 0;
	else if (!parse_iso_stamp(ctx, c, d) || !CUR_LIT(c, " "))
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
	if (c->p < c->end && *c->p == ' ')
		c->p++;
	if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
	if (!span_eq(host, "-"))
		d->host = host;
	if (!span_eq(app, "-")) {
		for (i = 0; i < app.n; i++)
			if (app.p[i] == '/')
				slash = app.p + i;
		d->syslog_name = app;
		d->program = slash ? parse_span(slash + 1, app.p + app.n) : app;
	}
	if (!span_eq(procid, "-")) {
		long	 pid = 0;

		for (i = 0; i < procid.n && i <= 10 &&
		    parse_isdigit((unsigned char)procid.p[i]); i++)
			pid = pid * 10 + (procid.p[i] - '0');
		if (i == procid.n && i <= 10)
			d->pid = pid;
	}
	return 1;
}

/* Docker/compose wrapper "name   | " before the real line. */
static void
parse_skip_container(struct cur *c)
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

/* ---- the message ---- */

static int
parse_is_qid(struct span t)
{
	size_t	 i;

	if (t.n < 3 || t.n > 32)
		return 0;
	for (i = 0; i < t.n; i++)
		if (!parse_isalnum((unsigned char)t.p[i]))
			return 0;
	return 1;
}

static int
parse_is_delivery_agent(struct span prog)
{
	const char	*p = prog.p;

	/* smtp lmtp local virtual pipe error retry discard qmgr, by length */
	switch (prog.n) {
	case 4:
		return memcmp(p, "smtp", 4) == 0 || memcmp(p, "lmtp", 4) == 0 ||
		    memcmp(p, "pipe", 4) == 0 || memcmp(p, "qmgr", 4) == 0;
	case 5:
		return memcmp(p, "local", 5) == 0 || memcmp(p, "error", 5) == 0 ||
		    memcmp(p, "retry", 5) == 0;
	case 7:
		return memcmp(p, "virtual", 7) == 0 || memcmp(p, "discard", 7) == 0;
	default:
		return 0;
	}
}

static void
parse_domain(struct delivery *d)
{
	const char	*at = NULL;
	size_t		 i, n;

	for (i = 0; i < d->recipient.n; i++)
		if (d->recipient.p[i] == '@')
			at = d->recipient.p + i;
	d->domain[0] = '\0';
	if (at == NULL)
		return;
	at++;
	n = (size_t)(d->recipient.p + d->recipient.n - at);
	if (n >= DELIVERY_DOMAIN_MAX)
		n = DELIVERY_DOMAIN_MAX - 1;
	for (i = 0; i < n; i++)
		d->domain[i] = (char)parse_lower((unsigned char)at[i]);
	d->domain[n] = '\0';
}

/* relay=host[addr]:port, host[addr], none, local, 127.0.0.1:2525 */
static void
parse_relay(struct delivery *d)
{
	const char	*p = d->relay.p, *e, *rb, *lb;
	long		 port;

	d->relay_host = d->relay;
	if (p == NULL || d->relay.n == 0)
		return;
	e = p + d->relay.n;
	if ((rb = memrchr(p, ']', d->relay.n)) == NULL ||
	    (lb = memrchr(p, '[', (size_t)(rb - p))) == NULL)
		return;
	d->relay_host = parse_span(p, lb);
	d->relay_addr = parse_span(lb + 1, rb);
	if (rb + 1 < e && rb[1] == ':') {
		struct cur	 c = { rb + 2, e };

		if (cur_number(&c, 5, &port) && c.p == e)
			d->relay_port = (int)port;
	}
}

/*
 * Find a reply "NNN[ -]X.Y.Z" at p: code 2xx-5xx followed by space, '-' or
 * end; the enhanced code must share the code's class digit.
 */
static int
parse_reply_at(const char *p, const char *e, struct delivery *d)
{
	const char	*q;

	if (e - p < 3 || p[0] < '2' || p[0] > '5' ||
	    !parse_isdigit((unsigned char)p[1]) || !parse_isdigit((unsigned char)p[2]))
		return 0;
	if (e - p > 3 && p[3] != ' ' && p[3] != '-')
		return 0;
	d->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	q = p + 4;
	if (e - q >= 5 && q[0] == p[0] && q[1] == '.' &&
	    parse_isdigit((unsigned char)q[2])) {
		const char	*s = q, *r = q + 2;
		int		 n = 0;

		while (r < e && parse_isdigit((unsigned char)*r) && n < 3) {
			r++;
			n++;
		}
		if (r < e && *r == '.' && r + 1 < e && parse_isdigit((unsigned char)r[1])) {
			r++;
			n = 0;
			while (r < e && parse_isdigit((unsigned char)*r) && n < 3) {
				r++;
				n++;
			}
			if (r == e || !parse_isdigit((unsigned char)*r))
				d->enhanced = parse_span(s, r);
		}
	}
	return 1;
}

struct stage_map {
	const char	*text;
	const char	*stage;
};

/* Derive the SMTP stage from the reason text. */
static void
parse_stage(struct delivery *d)
{
	static const char	 inreply[] = "(in reply to ";
	static const struct stage_map while_map[] = {
		{ "while receiving the initial server greeting", "greeting" },
		{ "while performing the EHLO handshake", "EHLO" },
		{ "while performing the HELO handshake", "HELO" },
		{ "while performing the LHLO handshake", "LHLO" },
		{ "while receiving the STARTTLS response", "STARTTLS" },
		{ "while sending DATA command", "DATA" },
	};
	const char	*p = d->diagnostic.p, *e, *q, *r;
	size_t		 i;

	if (p == NULL)
		return;
	e = p + d->diagnostic.n;
	if ((q = parse_memrmem(p, e, inreply, sizeof(inreply) - 1)) != NULL) {
		q += sizeof(inreply) - 1;
		if ((r = parse_memmem(q, e, " command)", 9)) != NULL ||
		    (r = memchr(q, ')', (size_t)(e - q))) != NULL) {
			d->stage = parse_span(q, r);
			return;
		}
		/* truncated before the closing parenthesis */
		if ((r = parse_memmem(q, e, " command", 8)) != NULL)
			d->stage = parse_span(q, r);
		return;
	}
	if (parse_memmem(p, e, "refused to talk to me:", 22) != NULL) {
		d->stage.p = "greeting";
		d->stage.n = 8;
		return;
	}
	/* "... while receiving the initial server greeting", "... while sending X" */
	if ((q = parse_memmem(p, e, " while ", 7)) == NULL)
		return;
	q += 7;
	for (i = 0; i < sizeof(while_map) / sizeof(while_map[0]); i++) {
		size_t	 n = strlen(while_map[i].text) - 6;	/* without "while " */

		if ((size_t)(e - q) >= n && memcmp(q, while_map[i].text + 6, n) == 0) {
			d->stage.p = while_map[i].stage;
			d->stage.n = strlen(while_map[i].stage);
			return;
		}
	}
	if (e - q > 8 && memcmp(q, "sending ", 8) == 0) {
		q += 8;
		r = parse_memmem(q, e, " -- ", 4);
		d->stage = parse_span(q, r != NULL ? r : e);
	}
}

/* Reply code and enhanced code of a reason text. */
static void
parse_reason_reply(struct delivery *d)
{
	static const char *const lead[] = {
		"said: ", "refused to talk to me: ", "refused to start TLS: ",
	};
	const char	*p = d->diagnostic.p, *e, *q;
	size_t		 i;

	if (p == NULL)
		return;
	e = p + d->diagnostic.n;
	for (i = 0; i < sizeof(lead) / sizeof(lead[0]); i++) {
		if ((q = parse_memmem(p, e, lead[i], strlen(lead[i]))) != NULL) {
			parse_reply_at(q + strlen(lead[i]), e, d);
			return;
		}
	}
	parse_reply_at(p, e, d);
}

/*
 * The reason: from the first '(' after the status word to the last ')'.
 * Only blanks and digits (collector junk) may follow the last ')';
 * anything else means the line was cut before its closing parenthesis.
 */
static void
parse_reason(struct cur *c, struct delivery *d)
{
	const char	*p, *e = c->end, *rp, *q;

	cur_skip_spaces(c);
	if (c->p >= e || *c->p != '(')
		return;
	p = c->p + 1;
	if ((rp = memrchr(p, ')', (size_t)(e - p))) != NULL) {
		for (q = rp + 1; q < e; q++)
			if (*q != ' ' && *q != '\t' && !parse_isdigit((unsigned char)*q))
				break;
		if (q == e) {
			d->diagnostic = parse_span(p, rp);
			return;
		}
	}
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	d->diagnostic = parse_span(p, e);
	d->truncated = 1;
}

static enum dstatus
parse_status_word(struct span w, int *probe)
{
	*probe = 0;
	if (span_eq(w, "sent"))
		return DSTATUS_SENT;
	if (span_eq(w, "deferred"))
		return DSTATUS_DEFERRED;
	if (span_eq(w, "bounced"))
		return DSTATUS_BOUNCED;
	if (span_eq(w, "SOFTBOUNCE"))
		return DSTATUS_SOFTBOUNCE;
	*probe = 1;
	if (span_eq(w, "deliverable"))
		return DSTATUS_DELIVERABLE;
	if (span_eq(w, "undeliverable") || span_eq(w, "undeliverable-but-not-cached"))
		return DSTATUS_UNDELIVERABLE;
	*probe = 0;
	return DSTATUS_NONE;
}

/*
 * Value of key=value: "<...>" or up to ',' or ' '.  *unclosed is where a
 * '<' found no closing '>' up to the end of the line: none can follow,
 * so the line is not searched again (many "k=<" stay linear).
 */
static struct span
parse_value(struct cur *c, const char **unclosed)
{
	const char	*s = c->p, *q;

	if (c->p < c->end && *c->p == '<' && c->p < *unclosed) {
		/* the recipient may be quoted and contain '>' */
		for (q = c->p + 1; q < c->end; q++)
			if (*q == '>' && (q + 1 == c->end || q[1] == ',' || q[1] == ' '))
				break;
		if (q < c->end) {
			c->p = q + 1;
			return parse_span(s + 1, q);
		}
		*unclosed = c->p;
	}
	while (c->p < c->end && *c->p != ',' && *c->p != ' ')
		c->p++;
	return parse_span(s, c->p);
}

/* "to=<...>, ... status=WORD (REASON)" */
static enum line_kind
parse_delivery_fields(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	struct span	 key, val, word;
	const char	*k, *unclosed;
	int		 probe;

	if (!CUR_LIT(c, "to="))
		return LINE_OTHER;
	unclosed = c->end;
	d->recipient = parse_value(c, &unclosed);
	for (;;) {
		while (c->p < c->end && (*c->p == ',' || *c->p == ' '))
			c->p++;
		if (c->p >= c->end)
			return LINE_OTHER;
		k = c->p;
		while (c->p < c->end && *c->p != '=' && *c->p != ' ' && *c->p != ',')
			c->p++;
		if (c->p >= c->end || *c->p != '=')
			return LINE_OTHER;
		key = parse_span(k, c->p);
		c->p++;
		if (span_eq(key, "status"))
			break;
		val = parse_value(c, &unclosed);
		if (span_eq(key, "relay"))
			d->relay = val;
		else if (span_eq(key, "orig_to"))
			d->orig_to = val;
		else if (span_eq(key, "delay"))
			d->delay = val;
		else if (span_eq(key, "delays"))
			d->delays = val;
		else if (span_eq(key, "dsn"))
			d->dsn = val;
	}
	k = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '(')
		c->p++;
	word = parse_span(k, c->p);
	d->status = parse_status_word(word, &probe);
	if (d->status == DSTATUS_NONE)
		return LINE_OTHER;
	parse_reason(c, d);
	parse_domain(d);
	parse_relay(d);
	if (!ctx->lazy || (d->status != DSTATUS_SENT && d->status != DSTATUS_DELIVERABLE)) {
		parse_reason_reply(d);
		parse_stage(d);
	}
	return probe ? LINE_PROBE : LINE_DELIVERY;
}

/* qmgr: "from=<S>, status=expired, returned to sender" */
static enum line_kind
parse_qmgr(struct cur *c, struct delivery *d)
{
	const char	*q;

	if (!CUR_LIT(c, "from="))
		return LINE_OTHER;
	if ((q = parse_memrmem(c->p, c->end, ", status=", 9)) == NULL)
		return LINE_OTHER;
	if (c->p < q && *c->p == '<' && q[-1] == '>')
		d->sender = parse_span(c->p + 1, q - 1);
	else
		d->sender = parse_span(c->p, q);
	c->p = q + 9;
	if (!CUR_LIT(c, "expired, returned to sender") &&
	    !CUR_LIT(c, "force-expired, returned to sender"))
		return LINE_OTHER;
	d->status = DSTATUS_EXPIRED;
	return LINE_EXPIRED;
}

static enum line_kind
parse_message(const struct parse_ctx *ctx, struct cur *c, struct delivery *d,
    int have_tag)
{
	struct cur	 save = *c;
	struct span	 t;

	/* smtpd, cleanup, postscreen ...: nothing the store reads */
	if (ctx->lazy && have_tag && !parse_is_delivery_agent(d->program))
		return LINE_OTHER;

	/* optional "QID: " */
	t = cur_token(c);
	if (t.n > 1 && t.p[t.n - 1] == ':' && parse_is_qid(parse_span(t.p, t.p + t.n - 1)))
		d->queue_id = parse_span(t.p, t.p + t.n - 1);
	else
		*c = save;

	if (!have_tag || parse_is_delivery_agent(d->program)) {
		if (c->end - c->p > 3 && memcmp(c->p, "to=", 3) == 0)
			return parse_delivery_fields(ctx, c, d);
	}
	if ((!have_tag || span_eq(d->program, "qmgr")) && d->queue_id.p != NULL)
		return parse_qmgr(c, d);
	return LINE_OTHER;
}

/* ---- Hurricane MTA Server Processed.log ---- */

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
parse_word_has(struct span t, const char *sub)
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
		if (parse_word_has(t, failed[i]))
			return DSTATUS_BOUNCED;
	for (i = 0; i < sizeof(deferred) / sizeof(deferred[0]); i++)
		if (parse_word_has(t, deferred[i]))
			return DSTATUS_DEFERRED;
	for (i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		if (parse_word_has(t, sent[i]))
			return DSTATUS_SENT;
	return DSTATUS_NONE;
}

static enum line_kind
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
	d->time = tz_local_to_utc(ctx->tz,
	    tz_days_from_civil(y, (unsigned)m, (unsigned)dd) * 86400 + secs);
	d->usec = usec;
	d->has_time = 1;
	d->recipient = tok[6];
	d->status = parse_hurricane_outcome(tok[2]);
	parse_domain(d);

	/* a reply "NNN X.Y.Z ..." anywhere after SIZE */
	for (q = tok[9].p; q + 9 <= line + len; q++) {
		if ((q == tok[9].p || q[-1] == ' ') && parse_reply_at(q, line + len, d)) {
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
			parse_reply_at(d->diagnostic.p, d->diagnostic.p + d->diagnostic.n, d);
	}
	if (d->status == DSTATUS_NONE && d->code == 0 && d->diagnostic.p == NULL)
		return LINE_OTHER;
	return LINE_DELIVERY;
}

/* ---- entry points ---- */

static void
parse_reset(struct delivery *d)
{
	memset(d, 0, offsetof(struct delivery, domain));
	d->domain[0] = '\0';
	memset(&d->relay, 0, sizeof(*d) - offsetof(struct delivery, relay));
	d->pid = -1;
	d->relay_port = -1;
}

static enum line_kind
parse_line_envelope(const struct parse_ctx *ctx, const char *line, size_t len,
    struct delivery *d)
{
	struct cur	 c;

	parse_reset(d);
	if (len > PARSE_LINE_MAX)
		return LINE_INVALID;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
	    line[len - 1] == ' '))
		len--;
	if (len == 0 || memchr(line, '\0', len) != NULL)
		return LINE_INVALID;
	c.p = line;
	c.end = line + len;

	parse_skip_container(&c);
	if (*c.p == '<') {				/* <PRI> */
		const char	*q = c.p + 1;

		while (q < c.end && parse_isdigit((unsigned char)*q) && q - c.p <= 4)
			q++;
		if (q < c.end && *q == '>' && q > c.p + 1) {
			c.p = q + 1;
			if (parse_rfc5424(ctx, &c, d))
				return parse_message(ctx, &c, d, d->program.p != NULL);
		}
	}
	if (c.end - c.p >= 19 && parse_isdigit((unsigned char)c.p[0])) {
		struct cur	 save = c;

		if (parse_iso_stamp(ctx, &c, d) && CUR_LIT(&c, " ")) {
			if (parse_host_tag(&c, d))
				return parse_message(ctx, &c, d, 1);
			if (c.p < c.end && *c.p == '[')
				return LINE_INVALID;
		}
		parse_reset(d);
		c = save;
		{
			enum line_kind	 k = parse_hurricane(ctx, c.p,
			    (size_t)(c.end - c.p), d);

			if (k != LINE_INVALID)
				return k;
		}
		parse_reset(d);
	}
	if (c.end - c.p >= 15 && parse_month(c.p) != 0) {
		struct cur	 save = c;

		if (parse_bsd_stamp(ctx, &c, d) && CUR_LIT(&c, " ")) {
			if (parse_host_tag(&c, d))
				return parse_message(ctx, &c, d, 1);
			return d->host.p != NULL ? LINE_OTHER : LINE_INVALID;
		}
		parse_reset(d);
		c = save;
	}
	/*
	 * No timestamp: "postfix/smtp[1]: ...", "HOST postfix/smtp[1]: ..."
	 * (container logs), or a fixture "QID: to=<...>" / "to=<...>".
	 */
	{
		struct cur	 save = c;
		struct span	 t = cur_token(&c), t2;
		enum line_kind	 k;

		if (((c.end - c.p > 3 && memcmp(c.p, "to=", 3) == 0) ||
		    (c.end - c.p > 5 && memcmp(c.p, "from=", 5) == 0)) && t.n > 1 &&
		    parse_is_qid(parse_span(t.p, t.p + t.n - 1))) {
			/* "QID: to=" is a message, not a tag */
			c = save;
		} else if ((memchr(t.p, '/', t.n) != NULL || memchr(t.p, '[', t.n) != NULL) &&
		    parse_tag(t, d))
			return parse_message(ctx, &c, d, 1);
		else {
			struct cur	 save2 = c;

			t2 = cur_token(&c);
			if (t.n > 0 && parse_tag(t2, d)) {
				d->host = t;
				return parse_message(ctx, &c, d, 1);
			}
			(void)save2;
			c = save;
		}
		d->syslog_name.p = d->program.p = NULL;
		d->syslog_name.n = d->program.n = 0;
		k = parse_message(ctx, &c, d, 0);
		return k == LINE_OTHER ? LINE_INVALID : k;
	}
}

enum line_kind
parse_line(const struct parse_ctx *ctx, const char *line, size_t len,
    struct delivery *d)
{
	enum line_kind	 k = parse_line_envelope(ctx, line, len, d);

	if (d->has_time == 2) {
		/* year-less stamps: year and zone only where someone will look */
		if (!ctx->lazy || k == LINE_DELIVERY || k == LINE_EXPIRED || k == LINE_PROBE)
			parse_bsd_convert(ctx, d);
		else
			d->has_time = 0;
	}
	return k;
}

void
parse_reply(const char *text, size_t len, struct delivery *d)
{
	parse_reset(d);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' '))
		len--;
	d->status = DSTATUS_NONE;
	d->diagnostic = parse_span(text, text + len);
	parse_reason_reply(d);
	if (d->code == 0) {
		/* bare reply text, possibly with a leading "host ... said:" gone */
		const char	*p = text, *e = text + len;

		while (p < e && *p == ' ')
			p++;
		parse_reply_at(p, e, d);
	}
	parse_stage(d);
}
