/*
 * parse_postfix.c -- the message Postfix writes after the syslog tag, read
 * with the grammar of its log_adhoc():
 *
 *   QID: to=<RCPT>[, orig_to=<ORIG>], relay=R[, conn_use=N], delay=D,
 *        delays=a/b/c/d[, tls=F], dsn=X.Y.Z, status=WORD (REASON)
 *
 * plus qmgr's expiries, and the reply inside a reason.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "parse_impl.h"

int
parse_postfix_is_qid(struct span t)
{
	size_t		 i;
	unsigned	 ok = 1, c;

	if (t.n < 3 || t.n > 32)
		return 0;
	/* parse_isalnum without a branch per byte: ids mix digits and letters */
	for (i = 0; i < t.n; i++) {
		c = (unsigned char)t.p[i];
		ok &= (c - '0' <= 9u) | ((c | 0x20) - 'a' <= 25u);
	}
	return (int)ok;
}

static int
parse_postfix_is_delivery_agent(struct span prog)
{
	const char	*p = prog.p;

	/*
	 * smtp lmtp local virtual pipe error retry discard qmgr, and cleanup
	 * (a header_checks, body_checks or milter reject after the queue
	 * file exists is a bounce), by length
	 */
	switch (prog.n) {
	case 4:
		return memcmp(p, "smtp", 4) == 0 || memcmp(p, "lmtp", 4) == 0 ||
		    memcmp(p, "pipe", 4) == 0 || memcmp(p, "qmgr", 4) == 0;
	case 5:
		return memcmp(p, "local", 5) == 0 || memcmp(p, "error", 5) == 0 ||
		    memcmp(p, "retry", 5) == 0;
	case 7:
		return memcmp(p, "virtual", 7) == 0 || memcmp(p, "discard", 7) == 0 ||
		    memcmp(p, "cleanup", 7) == 0;
	default:
		return 0;
	}
}

void
parse_postfix_domain(struct delivery *d)
{
	const char	*at = NULL;
	size_t		 i, n;

	if (d->recipient.n > 0)
		at = memrchr(d->recipient.p, '@', d->recipient.n);
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
parse_postfix_relay(struct delivery *d)
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
int
parse_postfix_reply_at(const char *p, const char *e, struct delivery *d)
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
void
parse_postfix_stage(struct delivery *d)
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
void
parse_postfix_reason_reply(struct delivery *d)
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
			parse_postfix_reply_at(q + strlen(lead[i]), e, d);
			return;
		}
	}
	parse_postfix_reply_at(p, e, d);
}

/*
 * The reason: from the first '(' after the status word to the last ')'.
 * Only blanks and digits (collector junk) may follow the last ')';
 * anything else means the line was cut before its closing parenthesis.
 */
static void
parse_postfix_reason(struct cur *c, struct delivery *d)
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
parse_postfix_status_word(struct span w, int *probe)
{
	*probe = 0;
	if (SPAN_LIT(w, "sent"))
		return DSTATUS_SENT;
	if (SPAN_LIT(w, "deferred"))
		return DSTATUS_DEFERRED;
	if (SPAN_LIT(w, "bounced"))
		return DSTATUS_BOUNCED;
	if (SPAN_LIT(w, "SOFTBOUNCE"))
		return DSTATUS_SOFTBOUNCE;
	*probe = 1;
	if (SPAN_LIT(w, "deliverable"))
		return DSTATUS_DELIVERABLE;
	if (SPAN_LIT(w, "undeliverable") || SPAN_LIT(w, "undeliverable-but-not-cached"))
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
parse_postfix_value(struct cur *c, const char **unclosed)
{
	const char	*s = c->p, *q;

	if (c->p < c->end && *c->p == '<' && c->p < *unclosed) {
		/* the recipient may be quoted and contain '>' */
		for (q = c->p + 1; q < c->end &&
		    (q = memchr(q, '>', (size_t)(c->end - q))) != NULL; q++)
			if (q + 1 == c->end || q[1] == ',' || q[1] == ' ') {
				c->p = q + 1;
				return parse_span(s + 1, q);
			}
		*unclosed = c->p;
	}
	/* eight bytes at a time while none is ',' or ' ' */
	while (c->end - c->p >= 8) {
		uint64_t	 v = parse_word(c->p);

		if (parse_has_byte(v, ',') | parse_has_byte(v, ' '))
			break;
		c->p += 8;
	}
	while (c->p < c->end && *c->p != ',' && *c->p != ' ')
		c->p++;
	return parse_span(s, c->p);
}

/* "to=<...>, ... status=WORD (REASON)" */
static enum line_kind
parse_postfix_delivery_fields(const struct parse_ctx *ctx, struct cur *c, struct delivery *d)
{
	struct span	 key, val, word;
	const char	*k, *unclosed;
	int		 probe;

	if (!CUR_LIT(c, "to="))
		return LINE_OTHER;
	unclosed = c->end;
	d->recipient = parse_postfix_value(c, &unclosed);
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
		if (SPAN_LIT(key, "status"))
			break;
		val = parse_postfix_value(c, &unclosed);
		if (SPAN_LIT(key, "relay"))
			d->relay = val;
		else if (SPAN_LIT(key, "orig_to"))
			d->orig_to = val;
		else if (SPAN_LIT(key, "delay"))
			d->delay = val;
		else if (SPAN_LIT(key, "delays"))
			d->delays = val;
		else if (SPAN_LIT(key, "dsn"))
			d->dsn = val;
	}
	k = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '(')
		c->p++;
	word = parse_span(k, c->p);
	d->status = parse_postfix_status_word(word, &probe);
	if (d->status == DSTATUS_NONE)
		return LINE_OTHER;
	parse_postfix_reason(c, d);
	parse_postfix_domain(d);
	parse_postfix_relay(d);
	if (!ctx->lazy || (d->status != DSTATUS_SENT && d->status != DSTATUS_DELIVERABLE)) {
		parse_postfix_reason_reply(d);
		parse_postfix_stage(d);
	}
	return probe ? LINE_PROBE : LINE_DELIVERY;
}

/* qmgr: "from=<S>, status=expired, returned to sender" */
static enum line_kind
parse_postfix_qmgr(struct cur *c, struct delivery *d)
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

/*
 * Can the message at c be more than LINE_OTHER?  Only "to=" at its
 * start, or after its first word (the queue id), or qmgr's "from=" after
 * it: connects, TLS notes and "removed" are told by their first bytes,
 * before the queue id is read.
 */
static int
parse_postfix_may_be_outcome(const struct cur *c, int qmgr)
{
	const char	*sp;
	size_t		 n;

	if (c->end - c->p > 3 && memcmp(c->p, "to=", 3) == 0)
		return 1;
	if (c->p >= c->end || (sp = memchr(c->p, ' ', (size_t)(c->end - c->p))) == NULL)
		return 0;
	n = (size_t)(c->end - ++sp);
	return (n > 3 && memcmp(sp, "to=", 3) == 0) ||
	    (qmgr && n >= 5 && memcmp(sp, "from=", 5) == 0);
}

enum line_kind
parse_postfix_message(const struct parse_ctx *ctx, struct cur *c, struct delivery *d,
    int have_tag)
{
	struct cur	 save = *c;
	struct span	 t;

	/* smtpd, cleanup, postscreen ...: nothing the store reads */
	if (ctx->lazy && have_tag) {
		if (!parse_postfix_is_delivery_agent(d->program) ||
		    !parse_postfix_may_be_outcome(c, SPAN_LIT(d->program, "qmgr")))
			return LINE_OTHER;
	}

	/* optional "QID: " */
	t = cur_token(c);
	if (t.n > 1 && t.p[t.n - 1] == ':' && parse_postfix_is_qid(parse_span(t.p, t.p + t.n - 1)))
		d->queue_id = parse_span(t.p, t.p + t.n - 1);
	else
		*c = save;

	if (!have_tag || parse_postfix_is_delivery_agent(d->program)) {
		if (c->end - c->p > 3 && memcmp(c->p, "to=", 3) == 0)
			return parse_postfix_delivery_fields(ctx, c, d);
	}
	if ((!have_tag || SPAN_LIT(d->program, "qmgr")) && d->queue_id.p != NULL)
		return parse_postfix_qmgr(c, d);
	return LINE_OTHER;
}
