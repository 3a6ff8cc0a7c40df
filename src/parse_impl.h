/*
 * parse_impl.h -- private to the parser (parse*.c): the cursor over a
 * line, the small scanners every format uses, and what the format files
 * offer parse.c.  Not for the rest of bouncewatch: see parse.h.
 */
#ifndef BW_PARSE_IMPL_H
#define BW_PARSE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

struct cur {
	const char	*p;
	const char	*end;
};

/*
 * A BSD stamp has neither year nor zone: it waits here (not in struct
 * delivery) until parse_line knows whether anyone will look at its time.
 */
struct parse_stamp {
	int		 pending;
	int		 mon;
	int		 mday;
	int64_t		 secs;
};

static inline int
parse_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
parse_isalnum(int c)
{
	return parse_isdigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
parse_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline struct span
parse_span(const char *p, const char *e)
{
	struct span	 s;

	s.p = p;
	s.n = (size_t)(e - p);
	return s;
}

static inline int
cur_prefix(struct cur *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	return 1;
}
#define CUR_LIT(c, s)	cur_prefix((c), (s), sizeof(s) - 1)
/* span_eq with a string literal: the length compared first, no strlen */
#define SPAN_LIT(s, lit)	((s).n == sizeof(lit) - 1 && (s).p != NULL && \
	    memcmp((s).p, (lit), sizeof(lit) - 1) == 0)

static inline const char *
parse_memmem(const char *h, const char *he, const char *n, size_t nl)
{
	if (he - h < (ptrdiff_t)nl)
		return NULL;
	return memmem(h, (size_t)(he - h), n, nl);
}

/* Last occurrence of needle in [h, he). */
static inline const char *
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
static inline int
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
static inline int
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
static inline int
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

/*
 * Eight bytes at a time: does the word hold byte c?  (A byte is zero in
 * v ^ c...c exactly where v holds c; the test for a zero byte is exact
 * about whether there is one, not about where.)
 */
#define PARSE_ONES	0x0101010101010101ULL
#define PARSE_HIGHS	0x8080808080808080ULL

static inline uint64_t
parse_word(const char *p)
{
	uint64_t	 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
parse_has_byte(uint64_t v, unsigned char c)
{
	v ^= PARSE_ONES * c;
	return (v - PARSE_ONES) & ~v & PARSE_HIGHS;
}

static inline int
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

static inline int
parse_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Next space-delimited token; the cursor ends after the single space. */
static inline struct span
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

static inline void
cur_skip_spaces(struct cur *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}


/* parse_syslog.c: the syslog envelope */
int		 parse_syslog_bsd_stamp(struct cur *, struct delivery *,
		    struct parse_stamp *);
void		 parse_syslog_bsd_convert(const struct parse_ctx *, struct delivery *,
		    const struct parse_stamp *);
int		 parse_syslog_iso_stamp(const struct parse_ctx *, struct cur *,
		    struct delivery *);
int		 parse_syslog_tag(struct span, struct delivery *);
int		 parse_syslog_host_tag(struct cur *, struct delivery *,
		    const char **);
int		 parse_syslog_after_host(struct cur *, struct delivery *);
int		 parse_syslog_rfc5424(const struct parse_ctx *, struct cur *,
		    struct delivery *);
void		 parse_syslog_skip_container(struct cur *);
void		 parse_syslog_ident(struct span, struct delivery *);
void		 parse_syslog_pid(struct span, struct delivery *);

/* parse_postfix.c: Postfix messages */
int		 parse_postfix_is_qid(struct span);
void		 parse_postfix_domain(struct delivery *);
int		 parse_postfix_reply_at(const char *, const char *, struct delivery *);
void		 parse_postfix_stage(struct delivery *);
void		 parse_postfix_reason_reply(struct delivery *);
enum line_kind	 parse_postfix_message(const struct parse_ctx *, struct cur *,
		    struct delivery *, int);

/* parse_hurricane.c: Hurricane MTA lines */
enum line_kind	 parse_hurricane(const struct parse_ctx *, const char *, size_t,
		    struct delivery *);

#endif
