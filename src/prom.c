/*
 * prom.c -- see prom.h.  Label values may hold anything a log line held:
 * backslash, double quote and newline are escaped as the format says, and
 * bytes that are not UTF-8 become U+FFFD, so a scrape never fails to parse.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prom.h"
#include "util.h"

void
prom_init(struct prom *p)
{
	p->size = 4096;
	p->buf = xmalloc(p->size);
	p->len = 0;
	p->buf[0] = '\0';
}

void
prom_free(struct prom *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = p->size = 0;
}

char *
prom_take(struct prom *p, size_t *len)
{
	char	*s = p->buf;

	*len = p->len;
	p->buf = NULL;
	p->len = p->size = 0;
	return s;
}

static void
prom_grow(struct prom *p, size_t n)
{
	while (p->size - p->len <= n)
		p->size *= 2;
	p->buf = xrealloc(p->buf, p->size);
}

static void
prom_put(struct prom *p, const char *s, size_t n)
{
	if (p->size - p->len <= n)
		prom_grow(p, n);
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
prom_puts(struct prom *p, const char *s)
{
	prom_put(p, s, strlen(s));
}

static void BW_PRINTF(2, 3)
prom_printf(struct prom *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, p->size - p->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= p->size - p->len) {
		prom_grow(p, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(p->buf + p->len, p->size - p->len, fmt, ap);
		va_end(ap);
	}
	p->len += (size_t)n;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static size_t
prom_utf8(const unsigned char *s)
{
	size_t	 n, i;
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Copy s, escaping backslash, newline and (in label values) '"'. */
static void
prom_escape(struct prom *p, const char *s, int quote)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n;

	while (*u != '\0') {
		if (*u == '\\')
			prom_put(p, "\\\\", 2);
		else if (*u == '\n')
			prom_put(p, "\\n", 2);
		else if (*u == '"' && quote)
			prom_put(p, "\\\"", 2);
		else if ((n = prom_utf8(u)) == 0)
			prom_put(p, "\xef\xbf\xbd", 3);
		else {
			prom_put(p, (const char *)u, n);
			u += n;
			continue;
		}
		u++;
	}
}

void
prom_escape_label(struct prom *p, const char *s)
{
	prom_escape(p, s, 1);
}

void
prom_escape_help(struct prom *p, const char *s)
{
	prom_escape(p, s, 0);
}

void
prom_family(struct prom *p, const char *name, const char *type,
    const char *help)
{
	prom_printf(p, "# HELP %s ", name);
	prom_escape_help(p, help);
	prom_printf(p, "\n# TYPE %s %s\n", name, type);
}

static void
prom_name(struct prom *p, const char *name, const struct prom_label *l,
    size_t nl)
{
	size_t	 i;

	prom_puts(p, name);
	if (nl == 0) {
		prom_put(p, " ", 1);
		return;
	}
	for (i = 0; i < nl; i++) {
		prom_put(p, i == 0 ? "{" : ",", 1);
		prom_puts(p, l[i].name);
		prom_put(p, "=\"", 2);
		prom_escape_label(p, l[i].value);
		prom_put(p, "\"", 1);
	}
	prom_put(p, "} ", 2);
}

void
prom_counter(struct prom *p, const char *name, const struct prom_label *l,
    size_t nl, uint64_t v)
{
	prom_name(p, name, l, nl);
	prom_printf(p, "%" PRIu64 "\n", v);
}

static void
prom_double(struct prom *p, double v)
{
	if (isnan(v))
		prom_puts(p, "NaN");
	else if (isinf(v))
		prom_puts(p, v > 0 ? "+Inf" : "-Inf");
	else
		prom_printf(p, "%.15g", v);
}

void
prom_gauge(struct prom *p, const char *name, const struct prom_label *l,
    size_t nl, double v)
{
	prom_name(p, name, l, nl);
	prom_double(p, v);
	prom_put(p, "\n", 1);
}

void
prom_histogram(struct prom *p, const char *name, const double *bounds,
    const uint64_t *counts, size_t nb, double sum, uint64_t total)
{
	struct prom_label	 le = { "le", NULL };
	char			 b[32], n[128];
	size_t			 i;

	snprintf(n, sizeof(n), "%s_bucket", name);
	for (i = 0; i < nb; i++) {
		snprintf(b, sizeof(b), "%g", bounds[i]);
		le.value = b;
		prom_counter(p, n, &le, 1, counts[i]);
	}
	le.value = "+Inf";
	prom_counter(p, n, &le, 1, total);
	snprintf(n, sizeof(n), "%s_sum", name);
	prom_gauge(p, n, NULL, 0, sum);
	snprintf(n, sizeof(n), "%s_count", name);
	prom_counter(p, n, NULL, 0, total);
}
