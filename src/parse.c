/*
 * parse.c -- mail-log lines to struct delivery.  See parse.h.
 *
 * A line is an envelope (timestamp, host, syslog tag) around a message.
 * This file owns the entry points (a line, a journal entry, a bare reply)
 * and the order in which envelopes are tried (RFC 5424, ISO 8601/RFC 3339,
 * Hurricane, BSD syslog, message-only fixtures); the envelopes are read in parse_syslog.c, the
 * messages in parse_postfix.c, Hurricane lines in parse_hurricane.c.
 *
 * Everything is bounded by the line length; nothing is allocated, nothing
 * assumes NUL termination, and bytes >= 0x80 are opaque.  The scanners are
 * written by hand because this runs once per log line: a regex engine
 * would cost more than everything else together.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "parse_impl.h"
#include "tz.h"

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

/* ---- entry points ---- */

/*
 * Through a pointer the compiler cannot see through: with constant sizes
 * it inlines "rep stos", whose start-up cost on every line was 4% of an
 * import; the C library's memset uses vector stores.
 */
static void *(*volatile parse_zero)(void *, int, size_t) = memset;

static void
parse_reset(struct delivery *d)
{
	parse_zero(d, 0, offsetof(struct delivery, domain));
	d->domain[0] = '\0';
	parse_zero(&d->relay, 0, sizeof(*d) - offsetof(struct delivery, relay));
	d->pid = -1;
	d->relay_port = -1;
}

/*
 * A line with the memo's head: the BSD stamp and host of the line before
 * (every step before the tag reads only those bytes), then the tag on.
 */
static enum line_kind
parse_line_memo_hit(const struct parse_ctx *ctx, const struct parse_memo *m,
    const char *line, struct delivery *d, struct parse_stamp *st, struct cur *c)
{
	st->pending = 1;
	st->mon = m->mon;
	st->mday = m->mday;
	st->secs = m->secs;
	d->usec = m->usec;
	d->host = parse_span(line + m->host_off, line + m->host_off + m->host_len);
	c->p = line + m->len;
	if (parse_syslog_after_host(c, d))
		return parse_postfix_message(ctx, c, d, 1);
	return LINE_OTHER;		/* it has a host */
}

/* Keep the head of a BSD line up to after its host, and what it held. */
static void
parse_line_memo_keep(struct parse_memo *m, const char *line, const char *after_host,
    const struct delivery *d, const struct parse_stamp *st)
{
	size_t	 n = (size_t)(after_host - line);

	m->len = 0;
	/* a host at the end of the line has no blank after it: not a head */
	if (n > sizeof(m->head) || d->host.p == NULL ||
	    d->host.p + d->host.n >= after_host)
		return;
	memcpy(m->head, line, n);
	m->host_off = (size_t)(d->host.p - line);
	m->host_len = d->host.n;
	m->mon = st->mon;
	m->mday = st->mday;
	m->secs = st->secs;
	m->usec = d->usec;
	m->len = n;
}

static enum line_kind
parse_line_envelope(const struct parse_ctx *ctx, struct parse_memo *m,
    const char *line, size_t len, struct delivery *d, struct parse_stamp *st)
{
	struct cur	 c;
	const char	*after_host;

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
	if (m != NULL && m->len > 0 && len >= m->len &&
	    memcmp(line, m->head, m->len) == 0)
		return parse_line_memo_hit(ctx, m, line, d, st, &c);

	parse_syslog_skip_container(&c);
	if (*c.p == '<') {				/* <PRI> */
		const char	*q = c.p + 1;

		while (q < c.end && parse_isdigit((unsigned char)*q) && q - c.p <= 4)
			q++;
		if (q < c.end && *q == '>' && q > c.p + 1) {
			c.p = q + 1;
			if (parse_syslog_rfc5424(ctx, &c, d))
				return parse_postfix_message(ctx, &c, d, d->program.p != NULL);
		}
	}
	if (c.end - c.p >= 19 && parse_isdigit((unsigned char)c.p[0])) {
		struct cur	 save = c;

		if (parse_syslog_iso_stamp(ctx, &c, d) && CUR_LIT(&c, " ")) {
			if (parse_syslog_host_tag(&c, d, NULL))
				return parse_postfix_message(ctx, &c, d, 1);
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

		if (parse_syslog_bsd_stamp(&c, d, st) && CUR_LIT(&c, " ")) {
			int	 tag = parse_syslog_host_tag(&c, d, &after_host);

			if (m != NULL && after_host != NULL)
				parse_line_memo_keep(m, line, after_host, d, st);
			if (tag)
				return parse_postfix_message(ctx, &c, d, 1);
			return d->host.p != NULL ? LINE_OTHER : LINE_INVALID;
		}
		parse_reset(d);
		st->pending = 0;
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
		    parse_postfix_is_qid(parse_span(t.p, t.p + t.n - 1))) {
			/* "QID: to=" is a message, not a tag */
			c = save;
		} else if ((memchr(t.p, '/', t.n) != NULL || memchr(t.p, '[', t.n) != NULL) &&
		    parse_syslog_tag(t, d))
			return parse_postfix_message(ctx, &c, d, 1);
		else {
			struct cur	 save2 = c;

			t2 = cur_token(&c);
			if (t.n > 0 && parse_syslog_tag(t2, d)) {
				d->host = t;
				return parse_postfix_message(ctx, &c, d, 1);
			}
			(void)save2;
			c = save;
		}
		d->syslog_name.p = d->program.p = NULL;
		d->syslog_name.n = d->program.n = 0;
		k = parse_postfix_message(ctx, &c, d, 0);
		return k == LINE_OTHER ? LINE_INVALID : k;
	}
}

enum line_kind
parse_line_memo(const struct parse_ctx *ctx, struct parse_memo *m,
    const char *line, size_t len, struct delivery *d)
{
	struct parse_stamp	 st = { 0, 0, 0, 0 };
	enum line_kind		 k = parse_line_envelope(ctx, m, line, len, d, &st);

	/* year-less stamps: year and zone only where someone will look */
	if (!st.pending || (ctx->lazy && k != LINE_DELIVERY && k != LINE_EXPIRED &&
	    k != LINE_PROBE))
		return k;
	if (m != NULL && m->conv && m->conv_mon == st.mon && m->conv_mday == st.mday &&
	    m->conv_secs == st.secs && m->conv_now == ctx->now &&
	    m->conv_tz == ctx->tz) {
		d->time = m->conv_time;
		d->day = m->conv_day;
		d->has_time = 1;
		return k;
	}
	parse_syslog_bsd_convert(ctx, d, &st);
	if (m != NULL) {
		m->conv = 1;
		m->conv_mon = st.mon;
		m->conv_mday = st.mday;
		m->conv_secs = st.secs;
		m->conv_now = ctx->now;
		m->conv_tz = ctx->tz;
		m->conv_time = d->time;
		m->conv_day = d->day;
	}
	return k;
}

enum line_kind
parse_line(const struct parse_ctx *ctx, const char *line, size_t len,
    struct delivery *d)
{
	return parse_line_memo(ctx, NULL, line, len, d);
}

enum line_kind
parse_journal(const struct parse_ctx *ctx, const struct parse_journal *j,
    struct delivery *d)
{
	struct cur	 c;

	parse_reset(d);
	if (j->message.p == NULL || j->message.n > PARSE_LINE_MAX ||
	    memchr(j->message.p, '\0', j->message.n) != NULL)
		return LINE_INVALID;
	d->time = (int64_t)(j->realtime_us / 1000000);
	d->usec = (int32_t)(j->realtime_us % 1000000);
	d->day = (int32_t)tz_local_day(ctx->tz, d->time);
	d->has_time = 1;
	if (j->hostname.p != NULL && j->hostname.n > 0)
		d->host = j->hostname;
	if (j->identifier.p != NULL && j->identifier.n > 0)
		parse_syslog_ident(j->identifier, d);
	if (j->pid.p != NULL)
		parse_syslog_pid(j->pid, d);
	c.p = j->message.p;
	c.end = j->message.p + j->message.n;
	while (c.end > c.p && (c.end[-1] == '\n' || c.end[-1] == '\r' ||
	    c.end[-1] == ' '))
		c.end--;
	cur_skip_spaces(&c);
	return parse_postfix_message(ctx, &c, d, d->program.p != NULL);
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
	parse_postfix_reason_reply(d);
	if (d->code == 0) {
		/* bare reply text, possibly with a leading "host ... said:" gone */
		const char	*p = text, *e = text + len;

		while (p < e && *p == ' ')
			p++;
		parse_postfix_reply_at(p, e, d);
	}
	parse_postfix_stage(d);
}

