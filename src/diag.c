/*
 * diag.c -- the pure text work on remote diagnostics (see diag.h): word
 * kinds, the normalised grouping form and the stored template.  The store
 * calls it; nothing here knows about SQL or the database.
 */
#include "config.h"

#include <string.h>

#include "diag.h"

static int
diag_isalnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
diag_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static int
diag_isupper(int c)
{
	return c >= 'A' && c <= 'Z';
}

/* [a, z) is n digits, at least min and at most max of them. */
static int
diag_digits(const char *a, const char *z, int min, int max)
{
	const char	*p;

	for (p = a; p < z; p++)
		if (!diag_isdigit((unsigned char)*p))
			return 0;
	return z - a >= min && z - a <= max;
}

/*
 * Codes a provider put in on purpose, literal though they hold digits:
 * an enhanced status code in any punctuation ("(5.7.606)"), an upper-case
 * code in parentheses or brackets (Microsoft's "(S3150)", Yahoo's
 * "[TSS04]"), Microsoft's "AS(201806281)".
 */
static int
diag_code(const char *w, const char *e, const char *a, const char *z)
{
	const char	*p;

	if (z - a >= 5 && z - a <= 9 && (*a == '2' || *a == '4' || *a == '5') &&
	    a[1] == '.') {
		for (p = a + 2; p < z && *p != '.'; p++)
			;
		if (diag_digits(a + 2, p, 1, 3) && p < z && diag_digits(p + 1, z, 1, 3))
			return 1;
	}
	if (a > w && z < e && ((a[-1] == '(' && *z == ')') || (a[-1] == '[' && *z == ']'))) {
		for (p = a; p < z && diag_isupper((unsigned char)*p); p++)
			;
		if (p - a >= 1 && p - a <= 4 && diag_digits(p, z, 2, 9))
			return 1;
	}
	for (p = a; p < z && diag_isupper((unsigned char)*p); p++)
		;
	return p - a >= 1 && p - a <= 3 && p < z && *p == '(' &&
	    diag_digits(p + 1, z, 3, 12) && z < e && *z == ')';
}

/* 2026-11-23 (a time may follow), 10:00 or 10:00:00. */
static int
diag_date(const char *a, const char *z)
{
	if (z - a >= 10 && diag_digits(a, a + 4, 4, 4) && a[4] == '-' &&
	    diag_digits(a + 5, a + 7, 2, 2) && a[7] == '-' && diag_digits(a + 8, a + 10, 2, 2))
		return 1;
	if (z - a == 5 || z - a == 8)
		return diag_digits(a, a + 2, 2, 2) && a[2] == ':' &&
		    diag_digits(a + 3, a + 5, 2, 2) &&
		    (z - a == 5 || (a[5] == ':' && diag_digits(a + 6, a + 8, 2, 2)));
	return 0;
}

/*
 * A host name at the end of [a, z) (after "name=", say) whose leading
 * labels hold digits and vary per server, with at least two constant
 * labels after them: those labels in [*ha, *hz).
 */
static int
diag_host(const char *a, const char *z, const char **ha, const char **hz)
{
	const char	*p = z, *label, *last_digit = NULL;
	int		 labels = 0, after = 0, digit = 0, alpha = 0;

	while (p > a && (diag_isalnum((unsigned char)p[-1]) || p[-1] == '.' ||
	    p[-1] == '-'))
		p--;
	if (p > a && p[-1] != '=' && p[-1] != ':')
		return 0;
	*ha = p;
	for (label = p; label < z; label = p + 1) {
		for (p = label, digit = alpha = 0; p < z && *p != '.'; p++) {
			if (diag_isdigit((unsigned char)*p))
				digit = 1;
			else if (*p != '-')
				alpha = 1;
		}
		if (p == label)
			return 0;
		labels++;
		if (digit) {
			last_digit = p;
			after = 0;
		} else
			after++;
		if (p == z)
			break;
	}
	/* the top-level label is letters only */
	if (last_digit == NULL || after < 2 || labels < 3 || digit || !alpha)
		return 0;
	*hz = last_digit;
	return 1;
}

/*
 * Variable words (addresses, IPs, ids, numbers) get their core -- without
 * surrounding punctuation -- in *a, *z.  SMTP reply and enhanced codes
 * ("550-5.7.26", "4.2.0") are literal.
 */
enum diag_word
diag_word(const char *w, const char *e, const char **a, const char **z)
{
	int		 digits = 0, alpha = 0, at = 0, dots = 0, colons = 0;
	const char	*p;

	/* counted without a branch per byte: words mix letters and digits */
	for (p = w; p < e; p++) {
		unsigned	 c = (unsigned char)*p;

		digits += c - '0' <= 9u;
		alpha += (c | 0x20) - 'a' <= 25u;
		at += c == '@';
		dots += c == '.';
		colons += c == ':';
	}
	if (digits == 0 && at == 0)
		return DIAG_LITERAL;
	if (alpha == 0 && (w[0] >= '2' && w[0] <= '5') && e - w <= 12 &&
	    (e - w == 3 || (e - w >= 4 && (w[3] == '-' || w[1] == '.'))))
		return DIAG_LITERAL;		/* 550, 550-5.7.26, 4.2.0 */
	*a = w;
	*z = e;
	while (*a < *z && !diag_isalnum((unsigned char)**a))
		(*a)++;
	while (*z > *a && !diag_isalnum((unsigned char)(*z)[-1]))
		(*z)--;
	if (*a == *z || diag_code(w, e, *a, *z))
		return DIAG_LITERAL;
	if (diag_date(*a, *z))
		return DIAG_DATE;
	if (at > 0 && alpha > 0)
		return DIAG_ADDR;
	if (digits > 0 && alpha > 0 && dots >= 2 && colons == 0 && diag_host(*a, *z, a, z))
		return DIAG_HOST;
	/* the punctuation of the core: "[192.0.2.1]." and "a.b.c.d[a.b.c.d]:25" are IPs */
	for (dots = colons = 0, p = *a; p < *z; p++) {
		dots += *p == '.';
		colons += *p == ':';
	}
	if (digits > 0 && ((dots > 0 && dots % 3 == 0) || colons >= 2) && alpha <= 8)
		return DIAG_IP;
	if (digits > 0 && alpha > 0)
		return DIAG_ID;
	return DIAG_NUM;
}

/* The name a template marker \1x reads as in the grouping form. */
static const char *
diag_marker_name(char m)
{
	switch (m) {
	case 'r': return "<addr>";
	case 'h': return "<host>";
	case 'd': return "<domain>";
	default: return "<var>";
	}
}

size_t
diag_normalize(const char *s, size_t n, char *out, size_t outlen)
{
	static const char *const names[] = {
		[DIAG_ADDR] = "<addr>", [DIAG_IP] = "<ip>", [DIAG_ID] = "<id>",
		[DIAG_NUM] = "<n>", [DIAG_DATE] = "<date>", [DIAG_HOST] = "<host>",
	};
	static const char	 suspended[] = "delivery temporarily suspended: ";
	const char	*p = s, *e = s + n, *q;
	size_t		 o = 0;

#define PUT(c) do { if (o + 1 < outlen) out[o++] = (c); } while (0)
#define PUTS(str) do { const char *_s = (str); while (*_s) PUT(*_s++); } while (0)
	if ((q = memmem(s, n, " said: ", 7)) != NULL)
		p = q + 7;
	else if ((q = memmem(s, n, "refused to talk to me: ", 23)) != NULL)
		p = q + 23;
	/* Postfix's own prefix of a deferral: the same reply as without it */
	while ((size_t)(e - p) >= sizeof(suspended) - 1 &&
	    memcmp(p, suspended, sizeof(suspended) - 1) == 0)
		p += sizeof(suspended) - 1;
	while (p < e) {
		const char	*w = p, *a, *z;
		enum diag_word	 k;

		if (*p == ' ' || *p == '\t') {
			if (o > 0 && out[o - 1] != ' ')
				PUT(' ');
			p++;
			continue;
		}
		while (p < e && *p != ' ' && *p != '\t')
			p++;
		if (memchr(w, '\1', (size_t)(p - w)) != NULL ||
		    (k = diag_word(w, p, &a, &z)) == DIAG_LITERAL) {
			for (; w < p; w++) {
				if (*w == '\1' && w + 1 < p) {
					const char	*nm = diag_marker_name(*++w);

					/* "<\1r>" reads "<addr>", not "<<addr>>" */
					if (o > 0 && out[o - 1] == '<' && w + 1 < p &&
					    w[1] == '>') {
						o--;
						PUTS(nm);
						w++;
						continue;
					}
					PUTS(nm);
				} else
					PUT(*w);
			}
			continue;
		}
		if (k == DIAG_ADDR && a > w && a[-1] == '<' && z < p && *z == '>') {
			a--;		/* "<user@host>" reads "<addr>", not "<<addr>>" */
			z++;
		}
		while (w < a)
			PUT(*w++);
		PUTS(names[k]);
		for (w = z; w < p; w++)
			PUT(*w);
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (outlen > 0)
		out[o] = '\0';
	return o;
#undef PUT
#undef PUTS
}

/*
 * Does one of the marked strings start at q (before p)?  Its marker, or
 * 0.  This runs at every byte of a diagnostic: the first byte is compared
 * before the rest.
 */
static inline char
diag_mark_at(const char *q, const char *p, const char *rcpt, size_t rlen,
    const char *host, size_t hlen, const char *dom, size_t dlen, size_t *len)
{
	size_t	 left = (size_t)(p - q);

	if (rlen > 2 && left >= rlen && *q == *rcpt && memcmp(q, rcpt, rlen) == 0) {
		*len = rlen;
		return 'r';
	}
	if (hlen > 2 && left >= hlen && *q == *host && memcmp(q, host, hlen) == 0) {
		*len = hlen;
		return 'h';
	}
	if (dlen > 3 && left >= dlen && *q == *dom && memcmp(q, dom, dlen) == 0) {
		*len = dlen;
		return 'd';
	}
	return 0;
}

/* The length of a well-formed UTF-8 sequence at p, 0 when there is none. */
static size_t
diag_utf8_len(const unsigned char *p, const unsigned char *e)
{
	size_t	 n, i;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(e - p) < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Copy one character at q to out, a control character as '?': C0, DEL,
 * C1 (U+0080..U+009F, and a lone byte 0x80..0x9F such as the 8-bit CSI
 * 0x9B).  Returns the bytes of q consumed.
 */
static inline size_t
diag_put_safe(const char *q, const char *e, char *out, size_t *o)
{
	const unsigned char	*p = (const unsigned char *)q;
	size_t			 n;

	if (*p >= 0x20 && *p < 0x7f) {	/* the common case: printable ASCII */
		out[(*o)++] = (char)*p;
		return 1;
	}
	if (*p < 0x20 || *p == 0x7f) {
		out[(*o)++] = '?';
		return 1;
	}
	if ((n = diag_utf8_len(p, (const unsigned char *)e)) == 0) {
		out[(*o)++] = *p <= 0x9f ? '?' : (char)*p;
		return 1;
	}
	if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
		out[(*o)++] = '?';
		return 2;
	}
	memcpy(out + *o, q, n);
	*o += n;
	return n;
}

/* Copy [q, e) with control characters as '?'. */
static void
diag_copy_safe(const char *q, const char *e, char *out, size_t *o)
{
	while (q < e)
		q += diag_put_safe(q, e, out, o);
}

size_t
diag_safe(const char *s, size_t n, char *out)
{
	size_t	 o = 0;

	diag_copy_safe(s, s + n, out, &o);
	out[o] = '\0';
	return o;
}

size_t
diag_template(const char *s, size_t n, const char *rcpt, size_t rlen,
    const char *host, size_t hlen, const char *dom, size_t dlen, char *out,
    struct diag_args *args)
{
	const char	*p = s, *e = s + n;
	const char	*word[DIAG_ARGS][2];
	size_t		 o = 0, len, tlen;
	int		 nargs = 0, k;
	char		 m;

	memset(args, 0, sizeof(*args));
	while (p < e) {
		const char	*w, *a, *z, *q;
		int		 marked = 0;

		if (*p == ' ') {
			out[o++] = *p++;
			continue;
		}
		w = p;
		while (p < e && *p != ' ')
			p++;
		/* recipient and relay first, anywhere inside the word */
		for (q = w; q < p && !marked; q++)
			marked = diag_mark_at(q, p, rcpt, rlen, host, hlen, dom, dlen,
			    &len) != 0;
		if (!marked && nargs < DIAG_ARGS &&
		    diag_word(w, p, &a, &z) != DIAG_LITERAL) {
			diag_copy_safe(w, a, out, &o);
			out[o++] = '\1';
			out[o++] = (char)('1' + nargs);
			word[nargs][0] = a;
			word[nargs][1] = z;
			nargs++;
			diag_copy_safe(z, p, out, &o);
			continue;
		}
		if (!marked) {		/* no marker anywhere in it: as it is */
			diag_copy_safe(w, p, out, &o);
			continue;
		}
		for (q = w; q < p; ) {
			if ((m = diag_mark_at(q, p, rcpt, rlen, host, hlen, dom, dlen,
			    &len)) != 0) {
				out[o++] = '\1';
				out[o++] = m;
				q += len;
			} else
				q += diag_put_safe(q, p, out, &o);
		}
	}
	out[o++] = '\0';
	tlen = o - 1;
	/* the words taken out, made safe the same way, after the template */
	for (k = 0; k < nargs; k++) {
		args->arg[k].p = out + o;
		diag_copy_safe(word[k][0], word[k][1], out, &o);
		args->arg[k].n = (size_t)(out + o - args->arg[k].p);
	}
	return tlen;
}
