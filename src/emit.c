/*
 * emit.c -- see emit.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "tz.h"
#include "util.h"

#define OBUF_FLUSH_AT	(64 * 1024)

void
obuf_init(struct obuf *b, FILE *f)
{
	b->cap = OBUF_FLUSH_AT * 2;
	b->p = xmalloc(b->cap);
	b->n = 0;
	b->f = f;
	b->error = 0;
}

void
obuf_free(struct obuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

int
obuf_flush(struct obuf *b)
{
	if (b->f == NULL || b->n == 0)
		return b->error ? -1 : 0;
	if (fwrite(b->p, 1, b->n, b->f) != b->n)
		b->error = 1;
	b->n = 0;
	return b->error ? -1 : 0;
}

static void
obuf_reserve(struct obuf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return;
	if (b->f != NULL && b->n > 0) {
		obuf_flush(b);
		if (more <= b->cap)
			return;
	}
	while (b->n + more > b->cap)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void
obuf_put(struct obuf *b, const char *s, size_t n)
{
	obuf_reserve(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	if (b->f != NULL && b->n >= OBUF_FLUSH_AT)
		obuf_flush(b);
}

void
obuf_puts(struct obuf *b, const char *s)
{
	obuf_put(b, s, strlen(s));
}

void
obuf_putc(struct obuf *b, char c)
{
	obuf_reserve(b, 1);
	b->p[b->n++] = c;
}

void
obuf_printf(struct obuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 tmp[512];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		obuf_put(b, tmp, (size_t)n);
		return;
	}
	obuf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

/*
 * Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes are
 * not valid UTF-8 (overlongs, surrogates and > U+10FFFF rejected).
 */
static size_t
emit_utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char	 c = p[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x1f) << 6) | (p[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0;
		*cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) |
		    (p[2] & 0x3f);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		*cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
		    ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
		return 4;
	}
	return 0;
}

void
emit_json_str(struct obuf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s, *e = p + n;
	const unsigned char	*run;

	obuf_reserve(b, n + 2);
	b->p[b->n++] = '"';
	while (p < e) {
		uint32_t	 cp;
		size_t		 l;

		run = p;
		while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			obuf_put(b, (const char *)run, (size_t)(p - run));
		if (p >= e)
			break;
		if (*p == '"' || *p == '\\') {
			char	 esc[2] = { '\\', (char)*p };

			obuf_put(b, esc, 2);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			char	 esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };

			obuf_put(b, esc, 6);
			p++;
		} else if ((l = emit_utf8_len(p, (size_t)(e - p), &cp)) > 0) {
			obuf_put(b, (const char *)p, l);
			p += l;
		} else {
			obuf_put(b, "\\ufffd", 6);
			p++;
		}
	}
	obuf_putc(b, '"');
}

void
emit_json_span(struct obuf *b, struct span s)
{
	if (s.p == NULL)
		obuf_put(b, "null", 4);
	else
		emit_json_str(b, s.p, s.n);
}

/* Terminal-safe: C0, DEL, C1 controls and invalid UTF-8 become '?'. */
static void
emit_safe(struct obuf *b, const char *s, size_t n, int html, int csv)
{
	const unsigned char	*p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		uint32_t	 cp;
		size_t		 l;

		if (*p < 0x20 || *p == 0x7f) {
			obuf_putc(b, *p == '\t' ? ' ' : '?');
			p++;
			continue;
		}
		if (*p < 0x80) {
			if (html) {
				switch (*p) {
				case '&': obuf_puts(b, "&amp;"); break;
				case '<': obuf_puts(b, "&lt;"); break;
				case '>': obuf_puts(b, "&gt;"); break;
				case '"': obuf_puts(b, "&quot;"); break;
				case '\'': obuf_puts(b, "&#39;"); break;
				default: obuf_putc(b, (char)*p); break;
				}
			} else if (csv && *p == '"')
				obuf_put(b, "\"\"", 2);
			else
				obuf_putc(b, (char)*p);
			p++;
			continue;
		}
		l = emit_utf8_len(p, (size_t)(e - p), &cp);
		if (l == 0 || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
		    cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			/* invalid, C1 controls, line separators, bidi overrides */
			obuf_putc(b, '?');
			p += l == 0 ? 1 : l;
			continue;
		}
		obuf_put(b, (const char *)p, l);
		p += l;
	}
}

void
emit_html_str(struct obuf *b, const char *s, size_t n)
{
	emit_safe(b, s, n, 1, 0);
}

void
emit_term_str(struct obuf *b, const char *s, size_t n)
{
	emit_safe(b, s, n, 0, 0);
}

void
emit_csv_str(struct obuf *b, const char *s, size_t n)
{
	obuf_putc(b, '"');
	emit_safe(b, s, n, 0, 1);
	obuf_putc(b, '"');
}

size_t
emit_term_width(const char *s, size_t n)
{
	size_t	 i, w = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

size_t
emit_time_iso(char *buf, size_t len, int64_t t, int32_t usec)
{
	int64_t	 days = tz_days(t);
	int64_t	 secs = t - days * 86400;
	int	 y, m, d, n;

	tz_civil_from_days(days, &y, &m, &d);
	if (usec != 0)
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, m, d,
		    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), (int)usec);
	else
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
		    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return n < 0 ? 0 : (size_t)n;
}

static void
emit_json_key(struct obuf *b, const char *key, int *first)
{
	if (!*first)
		obuf_putc(b, ',');
	*first = 0;
	obuf_putc(b, '"');
	obuf_puts(b, key);
	obuf_put(b, "\":", 2);
}

static void
emit_json_record(struct obuf *b, unsigned long lineno, enum line_kind kind,
    const struct delivery *d, const struct verdict *v)
{
	char	 tbuf[40];
	int	 first = 1;

	obuf_putc(b, '{');
	emit_json_key(b, "line", &first);
	obuf_printf(b, "%lu", lineno);
	emit_json_key(b, "kind", &first);
	obuf_printf(b, "\"%s\"", parse_kind_name(kind));
	emit_json_key(b, "mta", &first);
	obuf_printf(b, "\"%s\"", parse_mta_name(d->mta));
	emit_json_key(b, "time", &first);
	if (d->has_time) {
		emit_time_iso(tbuf, sizeof(tbuf), d->time, d->usec);
		obuf_printf(b, "\"%s\"", tbuf);
	} else
		obuf_puts(b, "null");
	emit_json_key(b, "host", &first);
	emit_json_span(b, d->host);
	emit_json_key(b, "syslog_name", &first);
	emit_json_span(b, d->syslog_name);
	emit_json_key(b, "program", &first);
	emit_json_span(b, d->program);
	emit_json_key(b, "pid", &first);
	if (d->pid >= 0)
		obuf_printf(b, "%ld", d->pid);
	else
		obuf_puts(b, "null");
	emit_json_key(b, "queue_id", &first);
	emit_json_span(b, d->queue_id);
	emit_json_key(b, "recipient", &first);
	emit_json_span(b, d->recipient);
	emit_json_key(b, "orig_to", &first);
	emit_json_span(b, d->orig_to);
	emit_json_key(b, "domain", &first);
	if (d->domain[0] != '\0')
		emit_json_str(b, d->domain, strlen(d->domain));
	else
		obuf_puts(b, "null");
	emit_json_key(b, "sender", &first);
	emit_json_span(b, d->sender);
	emit_json_key(b, "relay", &first);
	emit_json_span(b, d->relay);
	emit_json_key(b, "relay_host", &first);
	emit_json_span(b, d->relay_host);
	emit_json_key(b, "relay_addr", &first);
	emit_json_span(b, d->relay_addr);
	emit_json_key(b, "relay_port", &first);
	if (d->relay_port >= 0)
		obuf_printf(b, "%d", d->relay_port);
	else
		obuf_puts(b, "null");
	emit_json_key(b, "delay", &first);
	emit_json_span(b, d->delay);
	emit_json_key(b, "delays", &first);
	emit_json_span(b, d->delays);
	emit_json_key(b, "status", &first);
	obuf_printf(b, "\"%s\"", parse_status_name(d->status));
	emit_json_key(b, "class", &first);
	obuf_printf(b, "\"%s\"", classify_class_name(v->cls));
	emit_json_key(b, "reason", &first);
	if (v->reason == REASON_NONE)
		obuf_puts(b, "null");
	else
		obuf_printf(b, "\"%s\"", classify_reason_name(v->reason));
	emit_json_key(b, "code", &first);
	if (d->code != 0)
		obuf_printf(b, "%d", d->code);
	else
		obuf_puts(b, "null");
	emit_json_key(b, "enhanced", &first);
	emit_json_span(b, d->enhanced);
	emit_json_key(b, "dsn", &first);
	emit_json_span(b, d->dsn);
	emit_json_key(b, "stage", &first);
	emit_json_span(b, d->stage);
	emit_json_key(b, "diagnostic", &first);
	emit_json_span(b, d->diagnostic);
	emit_json_key(b, "truncated", &first);
	obuf_puts(b, d->truncated ? "true" : "false");
	emit_json_key(b, "rule", &first);
	if (v->rule != NULL)
		emit_json_str(b, v->rule, strlen(v->rule));
	else
		obuf_puts(b, "null");
	obuf_put(b, "}\n", 2);
}

static const char *const emit_tsv_columns[] = {
	"line", "time", "host", "program", "queue_id", "recipient", "domain",
	"relay", "status", "class", "reason", "code", "enhanced", "dsn",
	"stage", "rule", "diagnostic",
};

void
emit_tsv_header(struct obuf *b)
{
	size_t	 i;

	for (i = 0; i < nitems(emit_tsv_columns); i++) {
		if (i > 0)
			obuf_putc(b, '\t');
		obuf_puts(b, emit_tsv_columns[i]);
	}
	obuf_putc(b, '\n');
}

static void
emit_tsv_field(struct obuf *b, struct span s, int last)
{
	if (s.p == NULL || s.n == 0)
		obuf_putc(b, '-');
	else
		emit_term_str(b, s.p, s.n);
	obuf_putc(b, last ? '\n' : '\t');
}

static void
emit_tsv_cstr(struct obuf *b, const char *s)
{
	struct span	 sp = { s, s != NULL ? strlen(s) : 0 };

	emit_tsv_field(b, sp, 0);
}

static void
emit_tsv_record(struct obuf *b, unsigned long lineno, const struct delivery *d,
    const struct verdict *v)
{
	char	 tbuf[40], code[8];

	obuf_printf(b, "%lu\t", lineno);
	if (d->has_time)
		emit_time_iso(tbuf, sizeof(tbuf), d->time, d->usec);
	else
		strlcpy(tbuf, "-", sizeof(tbuf));
	emit_tsv_cstr(b, tbuf);
	emit_tsv_field(b, d->host, 0);
	emit_tsv_field(b, d->program, 0);
	emit_tsv_field(b, d->queue_id, 0);
	emit_tsv_field(b, d->recipient, 0);
	emit_tsv_cstr(b, d->domain[0] ? d->domain : NULL);
	emit_tsv_field(b, d->relay, 0);
	emit_tsv_cstr(b, parse_status_name(d->status));
	emit_tsv_cstr(b, classify_class_name(v->cls));
	emit_tsv_cstr(b, v->reason == REASON_NONE ? NULL : classify_reason_name(v->reason));
	if (d->code != 0)
		snprintf(code, sizeof(code), "%d", d->code);
	else
		strlcpy(code, "-", sizeof(code));
	emit_tsv_cstr(b, code);
	emit_tsv_field(b, d->enhanced, 0);
	emit_tsv_field(b, d->dsn, 0);
	emit_tsv_field(b, d->stage, 0);
	emit_tsv_cstr(b, v->rule);
	emit_tsv_field(b, d->diagnostic, 1);
}

static void
emit_text_record(struct obuf *b, unsigned long lineno, const struct delivery *d,
    const struct verdict *v)
{
	char	 tbuf[40];

	if (d->has_time)
		emit_time_iso(tbuf, sizeof(tbuf), d->time, 0);
	else
		strlcpy(tbuf, "-", sizeof(tbuf));
	obuf_printf(b, "%lu: %s", lineno, tbuf);
	if (d->recipient.p != NULL && d->recipient.n > 0) {
		obuf_putc(b, ' ');
		emit_term_str(b, d->recipient.p, d->recipient.n);
	} else if (d->queue_id.p != NULL) {
		obuf_putc(b, ' ');
		emit_term_str(b, d->queue_id.p, d->queue_id.n);
	}
	obuf_printf(b, " %s", classify_class_name(v->cls));
	if (v->reason != REASON_NONE)
		obuf_printf(b, "/%s", classify_reason_name(v->reason));
	if (v->rule != NULL) {
		obuf_puts(b, " [");
		emit_term_str(b, v->rule, strlen(v->rule));
		obuf_putc(b, ']');
	}
	obuf_putc(b, '\n');
	if (d->diagnostic.p != NULL && d->diagnostic.n > 0) {
		obuf_puts(b, "    ");
		emit_term_str(b, d->diagnostic.p, d->diagnostic.n);
		obuf_putc(b, '\n');
	}
}

void
emit_record(struct obuf *b, enum emit_format fmt, unsigned long lineno,
    enum line_kind kind, const struct delivery *d, const struct verdict *v)
{
	switch (fmt) {
	case EMIT_JSON:
		emit_json_record(b, lineno, kind, d, v);
		break;
	case EMIT_TSV:
		emit_tsv_record(b, lineno, d, v);
		break;
	case EMIT_TEXT:
		emit_text_record(b, lineno, d, v);
		break;
	}
}
