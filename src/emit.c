/*
 * emit.c -- see emit.h.
 */
#include "config.h"

#include <math.h>
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

void
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
	if (b->n >= b->cap)
		obuf_reserve(b, 1);
	b->p[b->n++] = c;
}

/* A decimal integer, without printf's machinery (reports write millions). */
void
obuf_int(struct obuf *b, int64_t v)
{
	char		 tmp[24], *e = tmp + sizeof(tmp), *p = e;
	uint64_t	 u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	memcpy(obuf_room(b, sizeof(tmp)), p, (size_t)(e - p));
	b->n += (size_t)(e - p);
}

/*
 * printf's "%.1f", without printf when the digit is certain: v * 10 is
 * then far enough from a tie (x.5) that its rounding error cannot change
 * which way it rounds.  Ties, negative, huge and odd values go to printf,
 * which rounds the exact binary value.
 */
void
obuf_fixed1(struct obuf *b, double v)
{
	double	 t, frac;
	int64_t	 k;

	if (v >= 0 && v < 1e6 && !signbit(v)) {
		t = v * 10;
		k = (int64_t)t;
		frac = t - (double)k;
		if (frac < 0.5 - 1e-6 || frac > 0.5 + 1e-6) {
			if (frac > 0.5)
				k++;
			obuf_int(b, k / 10);
			obuf_putc(b, '.');
			obuf_putc(b, (char)('0' + k % 10));
			return;
		}
	}
	obuf_printf(b, "%.1f", v);
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

/* Each byte of a word: 0x0101...01 times the byte. */
#define EMIT_BYTES(c)	((uint64_t)(c) * UINT64_C(0x0101010101010101))
#define EMIT_HIGH	EMIT_BYTES(0x80)
/* Has word w a byte below c (c <= 0x80)?  No false negative. */
#define EMIT_HAS_LESS(w, c)	(((w) - EMIT_BYTES(c)) & ~(w) & EMIT_HIGH)
#define EMIT_HAS_ZERO(w)	EMIT_HAS_LESS(w, 1)

/* Is c a byte JSON copies as it is? */
static int
emit_json_ok(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Is one of w's bytes a control, DEL, ", \ or >= 0x80? */
static int
emit_json_word(uint64_t w)
{
	return ((w & EMIT_HIGH) | EMIT_HAS_LESS(w, 0x20) |
	    EMIT_HAS_ZERO(w ^ EMIT_BYTES(0x7f)) |
	    EMIT_HAS_ZERO(w ^ EMIT_BYTES('"')) |
	    EMIT_HAS_ZERO(w ^ EMIT_BYTES('\\'))) != 0;
}

size_t
emit_json_plain(const char *s, size_t n)
{
	uint64_t	 w;
	size_t		 i = 0;

	/* eight bytes at a time, then the last eight (checked ones again) */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (emit_json_word(w))
			break;
	}
	if (i < n && n >= 8 && i + 8 > n) {
		memcpy(&w, s + n - 8, sizeof(w));
		if (!emit_json_word(w))
			return n;
	}
	while (i < n && emit_json_ok((unsigned char)s[i]))
		i++;
	return i;
}

void
emit_json_str(struct obuf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s, *e = p + n;
	const unsigned char	*run;
	char			*o;
	size_t			 l;

	/* room for the whole string when it needs no escaping: copied once */
	l = emit_json_plain(s, n);
	o = obuf_room(b, n + 2);
	*o = '"';
	memcpy(o + 1, s, l);
	b->n += 1 + l;
	p += l;
	while (p < e) {
		uint32_t	 cp;

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

/* What HTML (1) and CSV (2) escape among printable ASCII. */
static const unsigned char emit_special[128] = {
	['&'] = 1, ['<'] = 1, ['>'] = 1, ['\''] = 1, ['"'] = 3,
};

/* Terminal-safe: C0, DEL, C1 controls and invalid UTF-8 become '?'. */
static void
emit_safe(struct obuf *b, const char *s, size_t n, int html, int csv)
{
	const unsigned char	*p = (const unsigned char *)s, *e = p + n, *run;
	unsigned char		 mask = html ? 1 : csv ? 2 : 0;

	while (p < e) {
		uint32_t	 cp;
		size_t		 l;

		run = p;
		while (p < e && *p >= 0x20 && *p < 0x7f &&
		    (emit_special[*p] & mask) == 0)
			p++;
		if (p > run)
			obuf_put(b, (const char *)run, (size_t)(p - run));
		if (p >= e)
			break;
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

/*
 * A cell a spreadsheet would read as a formula (= + - @, or a tab or CR
 * before one) starts with a single quote: shown, never evaluated (OWASP's
 * advice against CSV injection).
 */
void
emit_csv_str(struct obuf *b, const char *s, size_t n)
{
	obuf_putc(b, '"');
	if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL)
		obuf_putc(b, '\'');
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
